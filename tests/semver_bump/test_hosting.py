"""The GitHub adapter against the emulator: PR listing that stops early, idempotent writes."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from release_kit.github import connect
from release_kit.github.releases import (
    TAG_MARKER,
    DraftRelease,
    GitHubRepository,
    WriteOutcome,
    draft_marker,
)
from release_kit_sandbox import GitHubEmulator
from tests.sandbox.gitutil import clone, commit, git, push
from tests.semver_bump.flow import add_merged_pulls


@pytest.fixture
def repo(github_emulator: GitHubEmulator) -> GitHubRepository:
    github_emulator.create_repo("acme/web")
    return GitHubRepository(connect(github_emulator.default_token, base_url=github_emulator.url),
                            "acme/web")


def stamp(minute: int) -> str:
    return f"2026-01-01T{minute // 60:02d}:{minute % 60:02d}:00Z"


def pull_listings(emu: GitHubEmulator) -> list[str]:
    return [r.query.get("page", ["1"])[0] for r in emu.requests if r.path.endswith("/pulls")]


def test_pr_listing_stops_when_every_wanted_pr_is_found(
        github_emulator: GitHubEmulator, repo: GitHubRepository) -> None:
    add_merged_pulls(github_emulator, "acme/web", [
        (n, f"PR {n}", "alice", ["bug"] if n % 2 else [], stamp(n)) for n in range(1, 351)])
    found = repo.merged_pull_requests("main", {350, 300, 260}, since=None)
    assert sorted(found) == [260, 300, 350]
    assert found[260].title == "PR 260" and found[260].labels == () and found[300].author == \
        "alice"
    assert pull_listings(github_emulator) == ["1"]

    found = repo.merged_pull_requests("main", {349, 120}, since=None)
    assert sorted(found) == [120, 349] and found[349].labels == ("bug",)
    assert pull_listings(github_emulator)[1:] == ["1", "2", "3"]


def test_pr_listing_stops_at_prs_older_than_the_previous_tag(
        github_emulator: GitHubEmulator, repo: GitHubRepository) -> None:
    add_merged_pulls(github_emulator, "acme/web", [
        (n, f"PR {n}", "bob", [], stamp(n)) for n in range(1, 451)])
    # PR 5 is wanted but was merged long before the tag: stop after the page that crosses it.
    found = repo.merged_pull_requests("main", {440, 5}, since=stamp(300))
    assert sorted(found) == [440]
    assert pull_listings(github_emulator) == ["1", "2"]


def test_pr_listing_ignores_other_bases_and_unmerged(
        github_emulator: GitHubEmulator, repo: GitHubRepository) -> None:
    add_merged_pulls(github_emulator, "acme/web", [(1, "on main", "a", [], stamp(1))])
    add_merged_pulls(github_emulator, "acme/web", [(2, "on release", "a", [], stamp(2))],
                     base="release/1.0.0")
    github_emulator.repo("acme/web").issues[1].pull.merged_at = None  # type: ignore[union-attr]
    assert repo.merged_pull_requests("main", {1, 2}, since=None) == {}


def draft(body: str = "notes", sha: str = "", branch: str = "main") -> DraftRelease:
    return DraftRelease(branch=branch, name="v1.1.0", tag_name="v1.1.0",
                        target_commitish=sha, body=body, prerelease=False)


def test_draft_is_created_left_alone_then_updated_in_place(
        github_emulator: GitHubEmulator, repo: GitHubRepository) -> None:
    sha = git(github_emulator.repo("acme/web").git_dir, "rev-parse", "main")
    outcome, created, _ = repo.ensure_draft(draft(sha=sha))
    assert outcome is WriteOutcome.CREATED and created["draft"] is True
    assert draft_marker("main") in created["body"]

    writes = len(github_emulator.writes())
    outcome, same, _ = repo.ensure_draft(draft(sha=sha))
    assert outcome is WriteOutcome.UNCHANGED and same["id"] == created["id"]
    assert len(github_emulator.writes()) == writes

    outcome, updated, _ = repo.ensure_draft(draft("new notes", sha=sha))
    assert outcome is WriteOutcome.UPDATED and updated["id"] == created["id"]
    assert "new notes" in updated["body"] and "notes\n" not in updated["body"].split("new")[0]

    outcome, other, _ = repo.ensure_draft(draft(sha=sha, branch="release/1.0.0"))
    assert outcome is WriteOutcome.CREATED and other["id"] != created["id"]
    assert len([r for r in github_emulator.repo("acme/web").releases.values() if r.draft]) == 2


def test_a_draft_made_by_a_person_is_left_alone(
        github_emulator: GitHubEmulator, repo: GitHubRepository) -> None:
    github_emulator.add_user("alice")
    github_emulator.add_token("ghp_alice", login="alice")
    person = connect("ghp_alice", base_url=github_emulator.url)
    existing = person.request("POST", "/repos/acme/web/releases", doing="drafting", json={
        "tag_name": "v1.1.0", "target_commitish": "main", "draft": True, "body": "by hand"}).data
    sha = git(github_emulator.repo("acme/web").git_dir, "rev-parse", "main")
    outcome, ours, left_alone = repo.ensure_draft(draft(sha=sha))
    assert outcome is WriteOutcome.CREATED and ours["id"] != existing["id"]
    assert [r["id"] for r in left_alone] == [existing["id"]]
    assert github_emulator.repo("acme/web").releases[existing["id"]].body == "by hand"


def test_our_draft_edited_by_hand_is_adopted_and_the_edit_kept(
        github_emulator: GitHubEmulator, repo: GitHubRepository) -> None:
    sha = git(github_emulator.repo("acme/web").git_dir, "rev-parse", "main")
    _, created, _ = repo.ensure_draft(draft(sha=sha))
    # A person replaces the whole body (the marker and the block go with it).
    repo.api.write("PATCH", f"/repos/acme/web/releases/{created['id']}", doing="editing",
                   json={"body": "Highlights: faster builds."})
    outcome, adopted, _ = repo.ensure_draft(draft("notes v2", sha=sha))
    assert outcome is WriteOutcome.UPDATED and adopted["id"] == created["id"]
    assert adopted["body"].startswith("Highlights: faster builds.")
    assert "notes v2" in adopted["body"] and draft_marker("main") in adopted["body"]
    drafts = [r for r in github_emulator.repo("acme/web").releases.values() if r.draft]
    assert len(drafts) == 1


def test_tags(github_emulator: GitHubEmulator, repo: GitHubRepository, tmp_path: Path) -> None:
    bare = github_emulator.repo("acme/web").git_dir
    work = clone(bare, tmp_path / "work")
    first = git(work, "rev-parse", "HEAD")
    second = commit(work, {"a.txt": "a"}, "second")
    push(work, "main")
    git(work, "tag", "-a", "-m", "annotated", "v0.9.0", first)
    git(work, "push", "--quiet", "origin", "v0.9.0")

    assert repo.ensure_tag("v1.0.0", second) is WriteOutcome.CREATED
    assert git(bare, "rev-parse", "v1.0.0^{commit}") == second
    assert TAG_MARKER in git(bare, "tag", "-l", "--format=%(contents)", "v1.0.0")
    assert repo.ensure_tag("v1.0.0", second) is WriteOutcome.UNCHANGED
    assert repo.ensure_tag("v1.0.0", first) is WriteOutcome.EXISTS_ELSEWHERE
    assert repo.tag_commit("v0.9.0") == first  # annotated: peeled to its commit
    assert repo.ensure_tag("v0.9.0", first) is WriteOutcome.UNCHANGED
    assert repo.tag_commit("v7.0.0") is None


def test_pyproject_version_is_committed_once(
        github_emulator: GitHubEmulator, repo: GitHubRepository, tmp_path: Path) -> None:
    bare = github_emulator.repo("acme/web").git_dir
    work = clone(bare, tmp_path / "work")
    text = '[project]\nname = "core"  # keep me\nversion = "0.1.0"\n'
    commit(work, {"packages/core/pyproject.toml": text}, "add core")
    push(work, "main")

    outcome, sha = repo.set_pyproject_version("packages/core/pyproject.toml", "0.2.0", "main",
                                              "chore(release): core 0.2.0")
    assert outcome is WriteOutcome.UPDATED and git(bare, "rev-parse", "main") == sha
    assert git(bare, "show", "main:packages/core/pyproject.toml") == \
        '[project]\nname = "core"  # keep me\nversion = "0.2.0"'
    writes = len(github_emulator.writes())
    outcome, again = repo.set_pyproject_version("packages/core/pyproject.toml", "0.2.0", "main",
                                                "chore(release): core 0.2.0")
    assert (outcome, again) == (WriteOutcome.UNCHANGED, sha)
    assert len(github_emulator.writes()) == writes
    content = base64.b64decode(repo.api.get(
        "/repos/acme/web/contents/packages/core/pyproject.toml", doing="reading")["content"])
    assert b'version = "0.2.0"' in content
