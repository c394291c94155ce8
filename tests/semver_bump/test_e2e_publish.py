"""End to end: publishing the release semver-bump drafted (the hotfix flow, once production runs).

Main-branch drafts stay drafts until a person publishes them; the hotfix flow publishes its own
patch release with ``operation: publish``. Publishing again changes nothing; a draft a person
made is not published for them; a tag without a release is an error that says what to do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from release_kit_sandbox import Sandbox
from tests.sandbox.gitutil import git
from tests.semver_bump.flow import Flow


@pytest.fixture
def flow(sandbox: Sandbox, tmp_path: Path) -> Flow:
    flow = Flow(sandbox, tmp_path)
    flow.commit("feat: first")
    flow.tag("v1.2.0")
    flow.merged_pr("Big feature on main", ["feature"])
    flow.checkout("release/1.2.0", "v1.2.0")
    git(flow.dev, "push", "--quiet", "origin", "release/1.2.0")
    flow.merged_pr("Fix the timeout", ["bug"], base="release/1.2.0")
    return flow


def releases(flow: Flow) -> dict[str, Any]:
    return {r.tag_name: r for r in flow.api().get_releases()}


def test_the_hotfix_release_is_published_and_main_stays_a_draft(flow: Flow) -> None:
    main = flow.run()  # the main branch flow: a draft, left for a person
    assert main.outputs["tag"] == "v1.3.0"
    version = flow.run({"create-tags": True}, branch="release/1.2.0")
    assert (version.outputs["tag"], version.outputs["bump"]) == ("v1.2.1", "patch")
    assert releases(flow)["v1.2.1"].draft

    published = flow.run({"operation": "publish", "tag": version.outputs["tag"]},
                         branch="release/1.2.0")

    assert published.exit_code == 0, published
    assert published.outputs["release-id"] == version.outputs["release-id"]
    assert (published.outputs["version"], published.outputs["tag"]) == ("1.2.1", "v1.2.1")
    found = releases(flow)
    assert not found["v1.2.1"].draft and found["v1.3.0"].draft
    stored = flow.emu.repo("acme/web").releases
    assert next(r for r in stored.values() if r.tag_name == "v1.2.1").make_latest == "legacy"
    assert "release v1.2.1 published" in published.summary

    writes = len(flow.emu.writes())
    again = flow.run({"operation": "publish", "tag": "v1.2.1"}, branch="release/1.2.0")
    assert again.exit_code == 0 and "was already published" in again.summary
    assert len(flow.emu.writes()) == writes


def test_a_persons_draft_is_not_published_for_them(flow: Flow) -> None:
    flow.api("dave").create_git_release("v9.9.9", "v9.9.9", "Dave's notes", draft=True)
    writes = len(flow.emu.writes())

    refused = flow.run({"operation": "publish", "tag": "v9.9.9"})

    assert refused.exit_code == 1 and refused.errors[0].title == "Permission denied"
    assert "was not written by release-kit" in refused.errors[0].message
    assert releases(flow)["v9.9.9"].draft and len(flow.emu.writes()) == writes


def test_publishing_a_tag_without_release_or_in_a_dry_run_is_an_error(flow: Flow) -> None:
    missing = flow.run({"operation": "publish", "tag": "v4.0.0"})
    assert missing.exit_code == 1 and missing.errors[0].title == "Not found"
    assert "acme/web has no release for the tag v4.0.0" in missing.errors[0].message
    dry = flow.run({"operation": "publish", "tag": "v4.0.0", "dry-run": True})
    assert dry.exit_code == 1 and dry.errors[0].title == "Invalid input 'dry-run'"
    untagged = flow.run({"operation": "publish"})
    assert untagged.exit_code == 1 and untagged.errors[0].title == "Invalid input 'tag'"
