"""End to end, the controls teams ask for and the reasons given, through the action's entrypoint.

release-types, bump-minor-pre-major, squash-entries, Release-As, the reasons of "no release",
non-semver tags, and monorepo shared paths, each on real histories pushed to the emulator.
"""

from __future__ import annotations

import re
from pathlib import Path

from release_kit_sandbox import Sandbox
from tests.semver_bump.flow import Flow

CONVENTIONAL = {"strategy": "conventional-commits"}


def pyproject(name: str, version: str) -> str:
    return f'[project]\nname = "{name}"\nversion = "{version}"\n'


def test_release_types_chore_releases_nothing_and_says_why(sandbox: Sandbox,
                                                           tmp_path: Path) -> None:
    flow = Flow(sandbox, tmp_path)
    flow.tag("v1.4.0")
    flow.commit("chore(deps): bump requests")
    flow.commit("docs: typo")
    inputs = {**CONVENTIONAL, "release-types": "chore: none\ndocs: none"}

    quiet = flow.run(inputs)

    assert quiet.exit_code == 0, quiet
    assert (quiet.outputs["version"], quiet.outputs["bump"]) == ("1.4.0", "none")
    why = "the 2 commits since v1.4.0 release nothing (release-types: chore: none, docs: none)"
    assert f"No release: {why}." in quiet.summary
    assert any(why in n.message for n in quiet.commands("notice"))
    assert flow.drafts() == []

    flow.commit("perf: cache the index")
    released = flow.run({**inputs, "release-types": "chore: none\ndocs: none\nperf: minor"})
    assert (released.outputs["version"], released.outputs["bump"]) == ("1.5.0", "minor")
    assert "- cache the index" in released.outputs["changelog"]
    assert "- deps: bump requests" in released.outputs["changelog"]  # listed, bumping nothing
    default = flow.run({**CONVENTIONAL, "dry-run": True})
    assert (default.outputs["version"], default.outputs["bump"]) == ("1.4.1", "patch")


def test_breaking_is_major_unless_pre_1_0(sandbox: Sandbox, tmp_path: Path) -> None:
    flow = Flow(sandbox, tmp_path)
    flow.tag("v0.3.2")
    flow.commit("chore!: drop the old config")

    major = flow.run({**CONVENTIONAL, "release-types": "chore: none", "dry-run": True})
    assert (major.outputs["version"], major.outputs["bump"]) == ("1.0.0", "major")
    pre = flow.run({**CONVENTIONAL, "bump-minor-pre-major": True, "dry-run": True})
    assert (pre.outputs["version"], pre.outputs["bump"]) == ("0.4.0", "minor")
    assert "bump-minor-pre-major: 0.3.2 is before 1.0.0" in pre.summary

    flow.tag("v1.0.0")
    flow.commit("feat!: new API")
    after = flow.run({**CONVENTIONAL, "bump-minor-pre-major": True, "dry-run": True})
    assert after.outputs["version"] == "2.0.0"


def test_squash_entries_count_the_commits_a_squash_lists(sandbox: Sandbox, tmp_path: Path) -> None:
    flow = Flow(sandbox, tmp_path)
    flow.commit("chore: start")
    flow.tag("v2.1.0")
    number = flow.merged_pr("Users API", [], method="squash",
                            commits=["feat(api): list users", "fix: paging off by one"])

    plain = flow.run({**CONVENTIONAL, "dry-run": True})
    assert plain.outputs["bump"] == "patch"  # off by default: the subject alone, not conventional
    assert f"- Users API (#{number})" in plain.outputs["changelog"]

    listed = flow.run({**CONVENTIONAL, "squash-entries": True, "dry-run": True})
    assert (listed.outputs["version"], listed.outputs["bump"]) == ("2.2.0", "minor")
    changelog = listed.outputs["changelog"]
    assert "### Features\n\n- api: list users (" in changelog
    assert "### Fixes\n\n- paging off by one (" in changelog
    assert "Users API" not in changelog


def test_release_as_forces_the_version_and_a_lower_one_is_refused(sandbox: Sandbox,
                                                                  tmp_path: Path) -> None:
    flow = Flow(sandbox, tmp_path)
    flow.tag("v1.2.0")
    flow.commit("fix: small thing")
    flow.commit("chore: prepare the big one\n\nRelease-As: 2.0.0")

    forced = flow.run(CONVENTIONAL)
    assert forced.exit_code == 0, forced
    assert (forced.outputs["version"], forced.outputs["tag"]) == ("2.0.0", "v2.0.0")
    assert "Release-As: 2.0.0" in forced.summary
    assert [d["tag"] for d in flow.drafts()] == ["v2.0.0"]

    flow.commit("chore: oops\n\nRelease-As: 1.1.0")
    writes = len(flow.emu.writes())
    refused = flow.run(CONVENTIONAL)
    assert refused.exit_code == 1
    assert len(refused.errors) == 1 and refused.errors[0].title == "Invalid Release-As footer"
    sha = flow.head()[:7]
    assert f"The commit {sha} says `Release-As: 1.1.0`" in refused.errors[0].message
    assert "not higher than the previous version 1.2.0 (v1.2.0)" in refused.errors[0].message
    assert len(flow.emu.writes()) == writes  # nothing half-written


def test_labels_no_release_names_its_reason(sandbox: Sandbox, tmp_path: Path) -> None:
    flow = Flow(sandbox, tmp_path)
    flow.commit("Initial layout")
    flow.tag("v1.0.0")

    nothing = flow.run()
    assert nothing.outputs["bump"] == "none"
    assert "No release: no commits since v1.0.0." in nothing.summary

    flow.commit("Direct push to main")
    pushed = flow.run()
    assert "No release: no merged pull request found since v1.0.0: the 1 commit is no merged " \
           "pull request; semver-bump recognises a pull request by GitHub's merge commit" in \
           pushed.summary

    first = flow.merged_pr("Tidy CI", ["skip-changelog"])
    second = flow.merged_pr("Rename a variable", ["no-release", "feature"], method="merge")
    skipped = flow.run()
    assert skipped.outputs["bump"] == "none" and flow.drafts() == []
    assert (f"the pull requests merged since v1.0.0 (#{second}, #{first}) all have a skip label "
            "(no-release, skip-changelog), and the 1 commit is no merged pull request") in \
        skipped.summary


def test_version_like_tags_that_are_not_semver_are_named(sandbox: Sandbox,
                                                         tmp_path: Path) -> None:
    flow = Flow(sandbox, tmp_path)
    flow.tag("v1.2.0")
    flow.commit("feat: one")
    flow.tag("v2.0")
    flow.tag("v2.1.0.1")
    flow.tag("vnext")  # not version-like: not worth a word
    flow.commit("fix: two")

    result = flow.run({**CONVENTIONAL, "dry-run": True})

    assert (result.outputs["previous-version"], result.outputs["version"]) == ("1.2.0", "1.3.0")
    warnings = [w.message for w in result.warnings]
    assert len(warnings) == 1
    assert warnings[0].startswith("v2.0, v2.1.0.1 look like version tags but are not semantic "
                                  "versions (MAJOR.MINOR.PATCH): ignored.")
    assert "vnext" not in warnings[0]


def test_monorepo_shared_paths_release_the_packages_they_count_for(sandbox: Sandbox,
                                                                   tmp_path: Path) -> None:
    flow = Flow(sandbox, tmp_path)
    flow.commit("chore: layout", {
        "packages/api/pyproject.toml": pyproject("acme-api", "1.0.0"),
        "packages/web/pyproject.toml": pyproject("acme-web", "2.0.0"),
        "packages/cli/pyproject.toml": pyproject("acme-cli", "0.5.0"),
        "shared/auth.py": "TOKEN = 1\n",
        "libs/common/util.py": "X = 1\n",
    })
    for tag in ("api-v1.0.0", "web-v2.0.0", "cli-v0.5.0"):
        flow.tag(tag)
    flow.commit("fix(auth): expire tokens", {"shared/auth.py": "TOKEN = 2\n"})
    flow.commit("feat: common helper", {"libs/common/util.py": "X = 2\n"})
    flow.commit("docs: readme", {"README.md": "hi\n"})
    packages = {"strategy": "conventional-commits", "packages": "packages/*", "dry-run": True}

    before = flow.run(packages)
    assert {p["name"]: p["bump"] for p in before.json_output("packages")} == {
        "api": "none", "cli": "none", "web": "none"}  # the issue: shared changes released none
    assert "no commits touching packages/api since api-v1.0.0" in before.summary

    result = flow.run({**packages, "shared-paths": "*: shared/**\napi: libs/common"})

    assert result.exit_code == 0, result
    found = {p["name"]: (p["version"], p["bump"]) for p in result.json_output("packages")}
    assert found == {"api": ("1.1.0", "minor"), "cli": ("0.5.1", "patch"),
                     "web": ("2.0.1", "patch")}
    notes = result.outputs["changelog"]
    parts = {part.split("\n", 1)[0]: part for part in re.split(r"^## ", notes, flags=re.M)[1:]}
    assert set(parts) == {"api 1.1.0", "cli 0.5.1", "web 2.0.1"}  # grouped per package
    assert "- common helper" in parts["api 1.1.0"] and "- auth: expire tokens" in parts["api 1.1.0"]
    assert "- auth: expire tokens" in parts["web 2.0.1"]
    assert "common helper" not in parts["web 2.0.1"]
    assert "readme" not in notes

    labels = flow.run({"packages": "packages/*", "dry-run": True, "shared-paths": "*: shared"},
                      env={"GITHUB_TOKEN": ""})
    assert labels.exit_code == 0, labels
    assert all(p["bump"] == "none" for p in labels.json_output("packages"))  # pushes are no PRs

    bad = flow.run({**packages, "shared-paths": "mobile: shared/**"})
    assert bad.exit_code == 1 and bad.errors[0].title == "Invalid input 'shared-paths'"
    assert "mobile is not among the packages found (api, cli, web)" in bad.errors[0].message
