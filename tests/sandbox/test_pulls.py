"""Pull requests: creation rules, lazy mergeability from git, merge methods, reviewers."""

from __future__ import annotations

from pathlib import Path

import pytest
from github import Github, GithubException

from release_kit_sandbox import GitHubEmulator

from .gitutil import branch, clone, commit, git, push, pygithub


@pytest.fixture
def work(github_emulator: GitHubEmulator, tmp_path: Path) -> Path:
    repo = github_emulator.create_repo("acme/web")
    github_emulator.add_user("alice")
    work = clone(repo.git_dir, tmp_path / "work")
    branch(work, "feature")
    commit(work, {"a.txt": "a\n"}, "feat: a")
    commit(work, {"b.txt": "b\n"}, "feat: b")
    push(work, "feature")
    branch(work, "main", "origin/main")
    return work


@pytest.fixture
def gh(github_emulator: GitHubEmulator, work: Path) -> Github:
    return pygithub(github_emulator)


def _conflict(work: Path) -> None:
    branch(work, "conflict", "origin/main")
    commit(work, {"README.md": "theirs\n"}, "conflicting change")
    push(work, "conflict")
    branch(work, "main", "origin/main")
    commit(work, {"README.md": "ours\n"}, "main change")
    push(work, "main")


def test_create_get_and_lazy_mergeable(gh: Github, github_emulator: GitHubEmulator) -> None:
    repo = gh.get_repo("acme/web")
    pr = repo.create_pull(base="main", head="feature", title="Feature", body="Adds a and b")
    assert pr.number == 1
    assert pr.head.ref == "feature"
    assert pr.head.label == "acme:feature"
    assert pr.base.ref == "main"
    assert pr.html_url == f"{github_emulator.server_url}/acme/web/pull/1"
    first = repo.get_pull(1)
    assert first.mergeable is None  # GitHub computes it in the background
    second = repo.get_pull(1)
    assert second.mergeable is True
    assert second.mergeable_state == "clean"
    assert (second.commits, second.changed_files, second.additions) == (2, 2, 2)
    # PRs share the issue number space and show up in the issues list
    issue = repo.create_issue("an issue")
    assert issue.number == 2
    listed = {i.number: i for i in repo.get_issues()}
    assert listed[1].pull_request is not None
    assert listed[2].pull_request is None


def test_conflict_makes_pull_dirty(gh: Github, work: Path) -> None:
    _conflict(work)
    repo = gh.get_repo("acme/web")
    pr = repo.create_pull(base="main", head="conflict", title="Conflict")
    assert repo.get_pull(pr.number).mergeable is None
    later = repo.get_pull(pr.number)
    assert later.mergeable is False
    assert later.mergeable_state == "dirty"
    with pytest.raises(GithubException) as exc:
        later.merge()
    assert exc.value.status == 405
    assert exc.value.data["message"] == "Pull Request is not mergeable"


def test_duplicate_and_empty_pulls_are_422(gh: Github, work: Path) -> None:
    repo = gh.get_repo("acme/web")
    repo.create_pull(base="main", head="feature", title="Feature")
    with pytest.raises(GithubException) as exc:
        repo.create_pull(base="main", head="acme:feature", title="Again")
    assert exc.value.status == 422
    assert exc.value.data["errors"][0]["message"] == "A pull request already exists for acme:feature."
    branch(work, "same", "origin/main")
    push(work, "same")
    with pytest.raises(GithubException) as exc:
        repo.create_pull(base="main", head="same", title="Nothing")
    assert exc.value.status == 422
    assert exc.value.data["errors"][0]["message"] == "No commits between main and same"
    with pytest.raises(GithubException) as exc:
        repo.create_pull(base="main", head="missing", title="Nothing")
    assert exc.value.status == 422
    assert exc.value.data["errors"][0]["field"] == "head"


def test_list_and_update(gh: Github, work: Path) -> None:
    repo = gh.get_repo("acme/web")
    branch(work, "other", "origin/main")
    commit(work, {"o.txt": "o"}, "other")
    push(work, "other")
    branch(work, "release/1.0", "origin/main")
    push(work, "release/1.0")
    one = repo.create_pull(base="main", head="feature", title="Feature")
    two = repo.create_pull(base="main", head="other", title="Other")
    assert [p.number for p in repo.get_pulls()] == [two.number, one.number]
    assert [p.number for p in repo.get_pulls(head="acme:other")] == [two.number]
    assert [p.number for p in repo.get_pulls(base="release/1.0")] == []
    two.edit(base="release/1.0", title="Other to release", body="moved")
    moved = repo.get_pull(two.number)
    assert (moved.base.ref, moved.title, moved.body) == ("release/1.0", "Other to release",
                                                         "moved")
    assert [p.number for p in repo.get_pulls(base="release/1.0")] == [two.number]
    one.edit(state="closed")
    assert [p.number for p in repo.get_pulls(state="closed")] == [one.number]
    assert [p.number for p in repo.get_pulls(state="all", direction="asc")] == [1, 2]
    # after closing, the same head+base may be opened again
    again = repo.create_pull(base="main", head="feature", title="Feature again")
    assert again.number == 3


@pytest.mark.parametrize("method", ["merge", "squash", "rebase"])
def test_merge_methods_make_real_commits(
    gh: Github, github_emulator: GitHubEmulator, work: Path, method: str
) -> None:
    # move main so the merge is not a fast-forward
    commit(work, {"m.txt": "m"}, "main moves")
    push(work, "main")
    repo = gh.get_repo("acme/web")
    pr = repo.create_pull(base="main", head="feature", title="Feature")
    status = pr.merge(merge_method=method)
    assert status.merged is True
    bare = github_emulator.repo("acme/web").git_dir
    assert status.sha == git(bare, "rev-parse", "main")
    subjects = git(bare, "log", "--format=%s", "main").splitlines()
    parents = git(bare, "log", "-1", "--format=%P", "main").split()
    if method == "merge":
        assert subjects[0] == "Merge pull request #1 from acme/feature"
        assert len(parents) == 2
    elif method == "squash":
        assert subjects[0] == "Feature (#1)"
        assert len(parents) == 1
    else:
        assert subjects[:2] == ["feat: b", "feat: a"]
        assert len(parents) == 1
    assert git(bare, "show", "main:a.txt") == "a"
    merged = repo.get_pull(1)
    assert (merged.merged, merged.state, merged.merge_commit_sha) == (True, "closed", status.sha)
    assert merged.merged_by.login == "github-actions[bot]"
    assert merged.is_merged() is True
    with pytest.raises(GithubException) as exc:
        merged.merge()
    assert exc.value.status == 405


def test_merge_with_stale_sha_is_409(gh: Github) -> None:
    repo = gh.get_repo("acme/web")
    pr = repo.create_pull(base="main", head="feature", title="Feature")
    with pytest.raises(GithubException) as exc:
        pr.merge(sha="0" * 40)
    assert exc.value.status == 409


def test_requested_reviewers(gh: Github, github_emulator: GitHubEmulator) -> None:
    repo = gh.get_repo("acme/web")
    pr = repo.create_pull(base="main", head="feature", title="Feature")
    pr.create_review_request(reviewers=["alice"])
    users, _teams = repo.get_pull(1).get_review_requests()
    assert [u.login for u in users] == ["alice"]
    with pytest.raises(GithubException) as exc:
        pr.create_review_request(reviewers=["ghost"])
    assert exc.value.status == 422
    with pytest.raises(GithubException) as exc:
        pr.create_review_request(reviewers=["github-actions[bot]"])
    assert exc.value.status == 422
    assert exc.value.data["message"] == "Review cannot be requested from pull request author."
    pr.delete_review_request(reviewers=["alice"])
    users, _teams = repo.get_pull(1).get_review_requests()
    assert list(users) == []


def test_pull_creation_forbidden_for_actions_token(
    github_emulator: GitHubEmulator, work: Path
) -> None:
    github_emulator.add_token("no-prs", login="github-actions[bot]",
                              can_create_pull_requests=False)
    repo = pygithub(github_emulator, "no-prs").get_repo("acme/web")
    with pytest.raises(GithubException) as exc:
        repo.create_pull(base="main", head="feature", title="Feature")
    assert exc.value.status == 403
    assert exc.value.data["message"] == (
        "GitHub Actions is not permitted to create or approve pull requests."
    )
