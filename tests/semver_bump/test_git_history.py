"""The local git reader against real (temporary) repositories: no server involved."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path

import pytest

from release_kit.git import GitError, GitHistory, ShallowCloneError
from release_kit.git import history as module
from release_kit.release.history import Ranges
from release_kit.versioning.commits import Commit
from release_kit.versioning.tags import TagFormat, TaggedVersion, versions

ENV = {"GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@x", "GIT_COMMITTER_NAME": "A",
       "GIT_COMMITTER_EMAIL": "a@x", "PATH": "/usr/bin:/bin", "HOME": "/tmp"}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, env=ENV).stdout.strip()


def commit(repo: Path, message: str, path: str = "file.txt") -> str:
    target = repo / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(target.read_text() + message if target.exists() else message)
    git(repo, "add", path)
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    return path


def test_tags_reachable_from_head_annotated_ones_peeled(repo: Path) -> None:
    first = commit(repo, "one")
    git(repo, "tag", "v1.0.0")
    git(repo, "tag", "-a", "v1.0.1", "-m", "annotated")
    git(repo, "checkout", "-q", "-b", "side")
    commit(repo, "side")
    git(repo, "tag", "v9.0.0")
    git(repo, "checkout", "-q", "main")
    history = GitHistory(repo)
    reachable = {t.name: t.sha for t in history.tags()}
    assert reachable == {"v1.0.0": first, "v1.0.1": first}
    assert {t.name for t in history.tags(merged_into=None)} == {"v1.0.0", "v1.0.1", "v9.0.0"}
    assert history.current_branch() == "main" and history.head() == first


def test_log_ranges_paths_first_parent_and_files(repo: Path) -> None:
    commit(repo, "base")
    git(repo, "tag", "v1.0.0")
    git(repo, "checkout", "-q", "-b", "feature")
    commit(repo, "feat: in core", "packages/core/a.py")
    git(repo, "checkout", "-q", "main")
    commit(repo, "fix: in api (#5)", "packages/api/b.py")
    git(repo, "merge", "-q", "--no-ff", "feature", "-m", "Merge pull request #6 from acme/feature",
        "-m", "Core feature")
    history = GitHistory(repo)
    everything = history.log("v1.0.0..HEAD")
    assert everything[0].subject == "Merge pull request #6 from acme/feature"
    assert len(everything) == 3 and everything[0].is_merge and everything[0].body == "Core feature"
    mainline = history.log("v1.0.0..HEAD", first_parent=True)
    assert [c.subject for c in mainline] == ["Merge pull request #6 from acme/feature",
                                             "fix: in api (#5)"]
    assert [c.subject for c in history.log("v1.0.0..HEAD", ["packages/core"])] == ["feat: in core"]
    # a merge touches a path when its diff against its first parent does (the PR's changes)
    assert [c.subject for c in history.log("v1.0.0..HEAD", ["packages/core"],
                                           first_parent=True)] == [
        "Merge pull request #6 from acme/feature"]


def test_stream_parses_as_git_writes_and_marks_the_boundary(repo: Path) -> None:
    base = commit(repo, "base")
    git(repo, "tag", "v1.0.0")
    commit(repo, "feat: odd\x1f message\n\nbody with \x1e and \x1f inside\n\nRelease-As: 2.0.0")
    history = GitHistory(repo)
    found = list(history.stream("v1.0.0..HEAD", boundary=True))
    assert [(c.boundary, c.sha == base) for c in found] == [(False, False), (True, True)]
    assert found[0].subject == "feat: odd\x1f message"  # free text never shifts the fields
    assert found[0].body.endswith("Release-As: 2.0.0") and "\x1e and \x1f" in found[0].body
    stream = history.stream("HEAD")
    next(stream)
    stream.close()  # the reader stops early: git is stopped, nothing is raised
    with pytest.raises(GitError, match="git log"):
        list(history.stream("no-such-rev..HEAD"))


def test_checkout_state_in_one_call(repo: Path) -> None:
    head = commit(repo, "one")
    state = GitHistory(repo).checkout()
    assert (state.head, state.branch, state.shallow) == (head, "main", False)
    git(repo, "checkout", "-q", "--detach")
    assert GitHistory(repo).checkout().branch == ""


def fold(previous: TaggedVersion | None, commits: Iterable[Commit]) -> list[str]:
    return [c.subject for c in commits]


def candidates(history: GitHistory) -> list[TaggedVersion]:
    return versions([(t.name, t.sha) for t in history.tags(merged_into=None)], TagFormat("v"))


def test_ranges_read_the_previous_tag_and_the_commits_since_in_one_walk(repo: Path) -> None:
    commit(repo, "one")
    git(repo, "tag", "v1.0.0")
    commit(repo, "two")
    git(repo, "tag", "v1.1.0")
    commit(repo, "three")
    commit(repo, "four")
    history = GitHistory(repo)
    ranges = Ranges(history, history.head())
    previous, subjects = ranges.read(candidates(history), fold)
    assert previous is not None and previous.tag == "v1.1.0"
    assert subjects == ["four", "three"] and ranges.walks == 1  # confirmed by the boundary


def test_ranges_fall_back_when_the_highest_tag_is_elsewhere(repo: Path) -> None:
    commit(repo, "one")
    git(repo, "tag", "v1.2.0")
    git(repo, "checkout", "-q", "-b", "release/1.2.0")
    git(repo, "checkout", "-q", "main")
    commit(repo, "feature on main")
    git(repo, "tag", "v1.3.0")
    git(repo, "checkout", "-q", "release/1.2.0")
    commit(repo, "hotfix one")
    git(repo, "tag", "v1.2.1")
    commit(repo, "hotfix two")
    history = GitHistory(repo)
    calls: list[str | None] = []

    def remember(previous: TaggedVersion | None, commits: Iterable[Commit]) -> list[str]:
        calls.append(previous.tag if previous else None)
        return fold(previous, commits)

    ranges = Ranges(history, history.head())
    previous, subjects = ranges.read(candidates(history), remember)
    assert previous is not None and previous.tag == "v1.2.1" and subjects == ["hotfix two"]
    assert calls == ["v1.3.0", "v1.2.1"]  # the guess, then the reachable tag
    assert ranges.walks == 3  # the guessed range, the reachability listing, the range


def test_ranges_without_tags_and_with_paths(repo: Path) -> None:
    commit(repo, "one", "packages/api/a.py")
    commit(repo, "two", "shared/x.py")
    commit(repo, "three", "docs/readme.md")
    history = GitHistory(repo)
    ranges = Ranges(history, history.head())
    assert ranges.read([], fold) == (None, ["three", "two", "one"])
    git(repo, "tag", "v1.0.0", "HEAD~2")
    previous, subjects = Ranges(history, history.head()).read(
        candidates(history), fold, paths=["packages/api", ":(glob)shared/**"])
    assert previous is not None and previous.tag == "v1.0.0" and subjects == ["two"]
    at_head = Ranges(history, history.head())
    git(repo, "tag", "v1.1.0")
    assert at_head.read(candidates(history), fold)[1] == [] and at_head.walks == 0


def test_shallow_clone_is_refused_with_the_fix(repo: Path, tmp_path: Path) -> None:
    commit(repo, "one")
    commit(repo, "two")
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(clone)],
                   check=True, env=ENV)
    with pytest.raises(ShallowCloneError, match="shallow") as info:
        GitHistory(clone).require_full_history()
    assert "fetch-depth: 0" in str(info.value)
    GitHistory(repo).require_full_history()


@pytest.mark.parametrize(("url", "repository"), [
    ("https://github.com/acme/web.git", "acme/web"),
    ("https://github.com/acme/web", "acme/web"),
    ("git@github.com:acme/web.git", "acme/web"),
    ("ssh://git@ghe.acme.io/platform/release-kit.git", "platform/release-kit"),
    ("/srv/git/acme/web.git", ""),
    ("file:///srv/git/acme/web.git", ""),
])
def test_origin_repository(repo: Path, url: str, repository: str) -> None:
    assert GitHistory(repo).origin_repository() == ""
    git(repo, "remote", "add", "origin", url)
    assert GitHistory(repo).origin_repository() == repository


def test_a_log_started_early_is_read_by_the_same_stream_and_otherwise_stopped(
        repo: Path) -> None:
    commit(repo, "one")
    git(repo, "tag", "v1.0.0")
    commit(repo, "two")
    history = GitHistory(repo)
    history.start("v1.0.0..HEAD", boundary=True)
    assert len(module._STARTED) == 1
    history.start("v1.0.0..HEAD", boundary=True)  # once per argv
    assert len(module._STARTED) == 1
    assert [c.subject for c in history.stream("v1.0.0..HEAD")] == ["two"]  # other argv
    assert len(module._STARTED) == 1
    started = next(iter(module._STARTED.values()))[0]
    found = list(history.stream("v1.0.0..HEAD", boundary=True))
    assert [(c.subject, c.boundary) for c in found] == [("two", False), ("one", True)]
    assert module._STARTED == {} and started.returncode == 0  # it was this one, read to its end

    history.start("HEAD")
    unread = next(iter(module._STARTED.values()))[0]
    module.discard_started()
    assert module._STARTED == {} and unread.returncode is not None
