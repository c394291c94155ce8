"""The local git reader against real (temporary) repositories: no server involved."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from release_kit.git import GitHistory, ShallowCloneError

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
    mainline = history.log("v1.0.0..HEAD", first_parent=True, with_files=True)
    assert [(c.subject, c.files) for c in mainline] == [
        ("Merge pull request #6 from acme/feature", ("packages/core/a.py",)),
        ("fix: in api (#5)", ("packages/api/b.py",)),
    ]
    assert [c.subject for c in history.log("v1.0.0..HEAD", ["packages/core"])] == ["feat: in core"]


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
