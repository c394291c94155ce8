"""End to end: the preview a pull request gets, on its pull_request events, as one comment.

The workspace is what actions/checkout checks out on pull_request: the merge of the PR's head
into its base. Labels and conventional commits, the one comment kept up to date (never a
second), the step summary, dry runs, skip labels, closed PRs, forks' read-only tokens and a
checkout that is not the merge.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from release_kit.release.preview import MARK
from release_kit_sandbox import Sandbox
from tests.sandbox.gitutil import git
from tests.semver_bump.flow import Flow


@pytest.fixture
def flow(sandbox: Sandbox, tmp_path: Path) -> Flow:
    flow = Flow(sandbox, tmp_path)
    flow.commit("Initial layout")
    flow.tag("v1.2.0")
    return flow


def ours(flow: Flow, number: int) -> list[str]:
    return [body for body in flow.comments(number) if MARK in body]


def test_labels_preview_comment_is_one_and_follows_the_labels(flow: Flow) -> None:
    fix = flow.merged_pr("Fix crash on start", ["bug"], author="bob")
    number = flow.open_pr("Add search", ["feature"], author="carol")

    result = flow.preview(number, action="opened")

    assert result.exit_code == 0, result
    assert (result.outputs["version"], result.outputs["bump"], result.outputs["tag"]) == (
        "1.3.0", "minor", "v1.3.0")
    [comment] = ours(flow, number)
    assert comment.startswith(f"### semver-bump: what #{number} releases if merged now\n\n"
                              "**v1.3.0**: a minor release from 1.2.0; without it, main would "
                              "release 1.2.1 (patch).")
    assert f"- #{number}: label `feature` → minor" in comment
    assert f"#### what it adds to the release notes\n\n##### Features\n\n- Add search " \
           f"(#{number}) @carol" in comment
    assert f"Fix crash on start (#{fix})" not in comment.split("#### what it adds")[1]
    assert comment.split(MARK)[0].strip() == result.summary.strip()
    assert result.outputs["comment-url"].endswith(f"/pull/{number}#issuecomment-"
                                                  + result.outputs["comment-url"].split("-")[-1])
    assert flow.drafts() == []  # a preview writes the comment and nothing else

    flow.api().get_issue(number).remove_from_labels("feature")
    unlabelled = flow.preview(number, action="unlabeled")
    assert unlabelled.exit_code == 0, unlabelled
    [comment] = ours(flow, number)  # updated in place, never a second one
    assert ("This pull request has no bump label, so it counts as `minor` (default-bump). Labels "
            "that decide: major: `major`; minor: `enhancement`, `feature`, `minor`; patch: `bug`, "
            "`fix`, `patch`; left out: `no-release`, `skip-changelog`.") in comment
    assert f"- #{number}: no bump label, default-bump `minor` → minor" in comment

    writes = len(flow.emu.writes())
    again = flow.preview(number, action="synchronize")
    assert again.exit_code == 0 and len(flow.emu.writes()) == writes  # unchanged: no write
    assert len(ours(flow, number)) == 1

    flow.api().get_issue(number).add_to_labels("no-release")
    skipped = flow.preview(number, action="labeled")
    [comment] = ours(flow, number)
    assert "The label `no-release` leaves this pull request out of the release" in comment
    assert skipped.outputs["version"] == "1.2.1"  # main's own fix still releases


def test_conventional_preview_lists_the_pr_commits_and_checks_its_title(flow: Flow) -> None:
    flow.commit("fix: typo in the banner")
    number = flow.open_pr("Drop the v1 API", [], commits=["feat!: drop v1 endpoints",
                                                          "docs: migration guide"])
    inputs = {"strategy": "conventional-commits"}

    result = flow.preview(number, inputs)

    assert result.exit_code == 0, result
    assert (result.outputs["version"], result.outputs["bump"]) == ("2.0.0", "major")
    [comment] = ours(flow, number)
    assert "**v2.0.0**: a major release from 1.2.0; without it, main would release 1.2.1 " \
           "(patch)." in comment
    assert ": feat! (breaking) → major" in comment
    added = comment.split("#### what it adds to the release notes")[1]
    assert "##### Breaking changes\n\n- drop v1 endpoints (" in added
    assert "- migration guide (" in added and "typo in the banner" not in added
    assert ("If it is squash-merged, its title becomes the commit message: `Drop the v1 API` is "
            "not a Conventional Commit (`type: description`), so it would count as `patch`.") in \
        comment

    dry = flow.preview(number, {**inputs, "dry-run": True, "bump-minor-pre-major": True})
    assert dry.exit_code == 0 and dry.outputs["comment-url"] == ""
    assert "**v2.0.0**" in dry.summary and len(ours(flow, number)) == 1


def test_hotfix_pr_previews_a_patch(flow: Flow) -> None:
    flow.checkout("release/1.2.0", "v1.2.0")
    flow.commit("Branch point", push=False)
    git(flow.dev, "push", "--quiet", "origin", "HEAD:refs/heads/release/1.2.0")
    number = flow.open_pr("Urgent: a feature-sized fix", ["feature"], base="release/1.2.0")
    result = flow.preview(number)
    assert result.exit_code == 0, result
    assert (result.outputs["version"], result.outputs["bump"]) == ("1.2.1", "patch")
    assert "The base release/1.2.0 is a hotfix branch: every change is a patch." in \
        ours(flow, number)[0]


def test_monorepo_preview_names_each_package(sandbox: Sandbox, tmp_path: Path) -> None:
    flow = Flow(sandbox, tmp_path)
    flow.commit("chore: layout", {
        "packages/api/pyproject.toml": '[project]\nname = "api"\nversion = "1.0.0"\n',
        "packages/web/pyproject.toml": '[project]\nname = "web"\nversion = "2.0.0"\n',
        "shared/auth.py": "A = 1\n"})
    flow.tag("api-v1.0.0")
    flow.tag("web-v2.0.0")
    number = flow.open_pr("fix(auth): expire tokens", [], commits=["fix(auth): expire tokens"],
                          files={"shared/auth.py": "A = 2\n"})
    result = flow.preview(number, {"strategy": "conventional-commits", "packages": "packages/*",
                                   "shared-paths": "web: shared/**"})
    assert result.exit_code == 0, result
    [comment] = ours(flow, number)
    assert "| api | no release | no release | none |" in comment
    assert "| web | no release | 2.0.1 (patch) | patch |" in comment
    assert "#### web: what it adds to the release notes" in comment
    assert "#### api:" not in comment


def test_closed_pr_and_other_checkouts(flow: Flow) -> None:
    number = flow.open_pr("Add search", ["feature"])
    closed = flow.preview(number, action="closed")
    assert closed.exit_code == 0 and ours(flow, number) == []

    head = flow.workspace("main", name="ws-main")  # not the merge of the PR
    wrong = flow.preview(number, workspace=head)
    assert wrong.exit_code == 1
    assert wrong.errors[0].title == "Not a pull request merge"
    assert "actions/checkout without `ref:` on pull_request" in wrong.errors[0].message
    assert "`ref: refs/pull/<number>/merge` on pull_request_target" in wrong.errors[0].message

    pushed = flow.run({"operation": "preview"})  # a push event has no pull request
    assert pushed.exit_code == 1 and pushed.errors[0].title == "Invalid input 'operation'"


def test_a_read_only_token_still_gets_the_summary(flow: Flow) -> None:
    number = flow.open_pr("Add search", ["feature"])
    flow.emu.add_token("fork-token", permissions={"contents": "read", "pull_requests": "read"})

    result = flow.preview(number, env_token="fork-token")

    assert result.exit_code == 0, result
    assert ours(flow, number) == [] and "**v1.3.0**" in result.summary
    assert len(result.warnings) == 1
    assert "could not be commented on" in result.warnings[0].message
    assert "read-only token" in result.warnings[0].message


def test_pull_request_target_previews_too(flow: Flow) -> None:
    number = flow.open_pr("Add search", ["feature"])
    result = flow.preview(number, event_name="pull_request_target")
    assert result.exit_code == 0 and len(ours(flow, number)) == 1


def test_a_skipped_pr_on_a_quiet_main_says_why_without_counting_the_merge(flow: Flow) -> None:
    number = flow.open_pr("Tidy CI", ["skip-changelog"])
    result = flow.preview(number)
    assert result.exit_code == 0 and result.outputs["bump"] == "none"
    [comment] = ours(flow, number)
    assert "No release: no commits since v1.2.0." in comment
    assert "The label `skip-changelog` leaves this pull request out" in comment


def test_a_non_semver_tag_is_named_once_in_a_preview(flow: Flow) -> None:
    flow.tag("v2.0")
    number = flow.open_pr("Add search", ["feature"])
    result = flow.preview(number)
    assert result.exit_code == 0
    assert [w.message.split(" ")[0] for w in result.warnings] == ["v2.0"]
