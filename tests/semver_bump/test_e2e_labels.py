"""End to end, labels strategy: real merges and squashes on the emulator, the draft release."""

from __future__ import annotations

from pathlib import Path

import pytest

from release_kit.text import ZERO_WIDTH_SPACE
from release_kit_sandbox import Sandbox
from tests.semver_bump.flow import Flow


@pytest.fixture
def flow(sandbox: Sandbox, tmp_path: Path) -> Flow:
    flow = Flow(sandbox, tmp_path)
    flow.commit("Initial layout")
    flow.tag("v1.2.0")
    return flow


def three_prs(flow: Flow) -> tuple[int, int, int]:
    feature = flow.merged_pr("Add login page", ["feature"], author="alice", method="squash")
    fix = flow.merged_pr("Fix crash on start", ["bug"], author="bob", method="merge",
                         commits=["wip", "more wip"])
    skipped = flow.merged_pr("Tidy CI", ["skip-changelog", "major"], author="carol")
    return feature, fix, skipped


def test_label_flow_creates_the_draft_release(flow: Flow) -> None:
    feature, fix, _ = three_prs(flow)
    before = len(flow.emu.requests)

    result = flow.run()

    assert result.exit_code == 0, result
    assert result.outputs["previous-version"] == "1.2.0"
    assert (result.outputs["version"], result.outputs["bump"], result.outputs["tag"]) == (
        "1.3.0", "minor", "v1.3.0")
    changelog = result.outputs["changelog"]
    assert f"### Features\n\n- Add login page (#{feature}) @alice" in changelog
    assert f"### Fixes\n\n- Fix crash on start (#{fix}) @bob" in changelog
    assert "Tidy CI" not in changelog and "wip" not in changelog
    assert "/acme/web/compare/v1.2.0...v1.3.0" in changelog

    drafts = flow.drafts()
    assert len(drafts) == 1
    draft = drafts[0]
    assert (draft["name"], draft["tag"], draft["target"]) == ("v1.3.0", "v1.3.0", flow.head())
    assert changelog.strip() in str(draft["body"])
    assert result.outputs["release-id"] == str(draft["id"])
    assert result.outputs["release-url"].startswith(flow.emu.server_url + "/acme/web/releases/")
    assert result.json_output("packages") == []
    assert f"#{feature} (no bump label" not in result.summary
    assert "1.2.0 → 1.3.0 (minor)" in result.summary
    assert f"Decided by (minor):\n\n- #{feature}: label `feature` → minor\n" in result.summary

    served = flow.emu.requests[before:]
    pull_listings = [r for r in served if r.method == "GET" and r.path.endswith("/pulls")]
    assert len(pull_listings) == 1  # one page of closed PRs, never one call per PR or commit
    assert not [r for r in served if "/commits" in r.path or "/pulls/" in r.path]


def test_second_run_on_the_same_commit_writes_nothing_and_a_new_pr_updates_in_place(
        flow: Flow) -> None:
    three_prs(flow)
    first = flow.run()
    assert first.exit_code == 0, first
    writes = len(flow.emu.writes())

    again = flow.run()
    assert again.exit_code == 0, again
    assert len(flow.emu.writes()) == writes  # same commit: nothing to change
    assert again.outputs["release-id"] == first.outputs["release-id"]

    breaking = flow.merged_pr("Drop the v1 API", ["major"], author="dan", method="merge")
    writes = len(flow.emu.writes())
    third = flow.run()
    assert third.exit_code == 0, third
    assert (third.outputs["version"], third.outputs["bump"]) == ("2.0.0", "major")
    drafts = flow.drafts()
    assert len(drafts) == 1 and str(drafts[0]["id"]) == first.outputs["release-id"]
    assert drafts[0]["tag"] == "v2.0.0" and drafts[0]["target"] == flow.head()
    assert f"### Breaking changes\n\n- Drop the v1 API (#{breaking}) @dan" in str(drafts[0]["body"])
    assert [r.method for r in flow.emu.writes()[writes:]] == ["PATCH"]


def test_dry_run_writes_nothing(flow: Flow) -> None:
    three_prs(flow)
    before = len(flow.emu.requests)
    result = flow.run({"dry-run": True})
    assert result.exit_code == 0, result
    assert result.outputs["version"] == "1.3.0" and result.outputs["release-id"] == ""
    assert "Dry run" in result.summary
    served = flow.emu.requests[before:]
    assert served and all(r.method == "GET" for r in served)
    assert flow.drafts() == []


def test_nothing_merged_since_the_tag_is_bump_none_and_no_release(flow: Flow) -> None:
    result = flow.run()
    assert result.exit_code == 0, result
    assert (result.outputs["version"], result.outputs["bump"], result.outputs["tag"]) == (
        "1.2.0", "none", "v1.2.0")
    assert flow.emu.writes() == [] and flow.drafts() == []


def test_pr_without_bump_label_counts_as_default_bump(flow: Flow) -> None:
    flow.merged_pr("Refresh docs", ["docs"], author="erin")
    result = flow.run({"default-bump": "patch"})
    assert result.exit_code == 0, result
    assert result.outputs["version"] == "1.2.1"
    assert "### Maintenance\n\n- Refresh docs" in result.outputs["changelog"]


def test_prerelease_counts_up(flow: Flow) -> None:
    flow.merged_pr("Add search", ["feature"])
    first = flow.run({"prerelease": "rc", "draft-release": False})
    assert first.outputs["version"] == "1.3.0-rc.1", first
    flow.tag("v1.3.0-rc.1", flow.head())
    flow.merged_pr("Fix search", ["bug"])
    second = flow.run({"prerelease": "rc"})
    assert second.outputs["version"] == "1.3.0-rc.2", second
    assert second.outputs["previous-version"] == "1.3.0-rc.1"
    assert flow.drafts()[0]["prerelease"] is True


def test_pr_titles_reach_the_draft_release_as_text(flow: Flow) -> None:
    """A title with a team mention, an HTML tag, a link and backticks shows as typed and
    notifies nobody: tickets' rendering (release_kit.text), in the body GitHub stores."""
    title = "Fix @acme/security <img src=x onerror=alert(1)> [x](javascript:alert(1)) `rm`"
    number = flow.merged_pr(title, ["bug"], author="alice")

    result = flow.run()

    assert result.exit_code == 0, result
    [draft] = flow.drafts()
    body = str(draft["body"])
    expected = (f"- Fix @{ZERO_WIDTH_SPACE}acme/security &lt;img src=x onerror=alert\\(1\\)&gt; "
                r"\[x\]\(javascript:alert\(1\)\) \`rm\`" f" (#{number}) @alice")
    assert expected in body.splitlines()
    assert "<img" not in body and "](javascript:" not in body
