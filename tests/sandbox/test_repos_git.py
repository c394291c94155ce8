"""Repository, refs, branches, tags, commits, compare, merges and contents — backed by git."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from github import Github, GithubException

from release_kit_sandbox import GitHubEmulator

from .gitutil import branch, clone, commit, git, push, pygithub


@pytest.fixture
def gh(github_emulator: GitHubEmulator) -> Github:
    return pygithub(github_emulator)


@pytest.fixture
def work(github_emulator: GitHubEmulator, tmp_path: Path) -> Path:
    """acme/web with a clone: main + feature (1 commit ahead) + stale (1 behind-diverged)."""
    repo = github_emulator.create_repo("acme/web")
    work = clone(repo.git_dir, tmp_path / "work")
    branch(work, "feature")
    commit(work, {"feature.txt": "f\n"}, "Add feature")
    push(work, "feature")
    branch(work, "main", "origin/main")
    return work


def test_repository_get(gh: Github, github_emulator: GitHubEmulator, work: Path) -> None:
    repo = gh.get_repo("acme/web")
    assert repo.full_name == "acme/web"
    assert repo.default_branch == "main"
    assert repo.owner.login == "acme"
    assert repo.html_url == f"{github_emulator.server_url}/acme/web"
    assert repo.url == f"{github_emulator.url}/repos/acme/web"
    assert repo.permissions.push is True


def test_seeded_from_local_repository(github_emulator: GitHubEmulator, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    git(src, "init", "--quiet", "--initial-branch=main")
    first = commit(src, {"a.txt": "a"}, "first")
    git(src, "tag", "v1.0.0")
    git(src, "tag", "-a", "v1.1.0", "-m", "annotated")
    git(src, "checkout", "--quiet", "-b", "develop")
    dev = commit(src, {"b.txt": "b"}, "second")
    repo = github_emulator.create_repo("acme/seeded", source=src)
    assert repo.git.resolve("refs/heads/main") == first
    assert repo.git.resolve("refs/heads/develop") == dev
    assert repo.git.resolve("refs/tags/v1.0.0") == first
    assert repo.git.object_type(repo.git.ref_target("refs/tags/v1.1.0") or "") == "tag"


def test_git_refs_lifecycle(gh: Github, work: Path) -> None:
    repo = gh.get_repo("acme/web")
    main_sha = repo.get_git_ref("heads/main").object.sha
    feature_sha = repo.get_git_ref("heads/feature").object.sha
    assert main_sha != feature_sha
    ref = repo.create_git_ref("refs/tags/v1.0.0", main_sha)
    assert ref.ref == "refs/tags/v1.0.0"
    assert ref.object.type == "commit"
    with pytest.raises(GithubException) as exc:
        repo.create_git_ref("refs/tags/v1.0.0", main_sha)
    assert exc.value.status == 422
    assert exc.value.data["message"] == "Reference already exists"
    names = [r.ref for r in repo.get_git_matching_refs("tags/v1")]
    assert names == ["refs/tags/v1.0.0"]
    # fast-forward ok, backwards without force refused, with force ok
    branch_ref = repo.create_git_ref("refs/heads/release/1.0", main_sha)
    branch_ref.edit(feature_sha)
    assert repo.get_git_ref("heads/release/1.0").object.sha == feature_sha
    with pytest.raises(GithubException) as exc:
        branch_ref.edit(main_sha)
    assert exc.value.status == 422
    assert exc.value.data["message"] == "Update is not a fast forward"
    branch_ref.edit(main_sha, force=True)
    assert repo.get_git_ref("heads/release/1.0").object.sha == main_sha
    branch_ref.delete()
    with pytest.raises(GithubException) as exc:
        repo.get_git_ref("heads/release/1.0")
    assert exc.value.status == 404


def test_annotated_tag_via_api(gh: Github, work: Path) -> None:
    repo = gh.get_repo("acme/web")
    sha = repo.get_branch("main").commit.sha
    tag = repo.create_git_tag("v2.0.0", "Release 2.0.0", sha, "commit")
    ref = repo.create_git_ref("refs/tags/v2.0.0", tag.sha)
    assert ref.object.type == "tag"
    assert repo.get_git_tag(tag.sha).message.startswith("Release 2.0.0")
    assert [t.name for t in repo.get_tags()] == ["v2.0.0"]
    assert repo.get_tags()[0].commit.sha == sha  # peeled to the commit


def test_branches_and_commits(gh: Github, work: Path) -> None:
    repo = gh.get_repo("acme/web")
    assert sorted(b.name for b in repo.get_branches()) == ["feature", "main"]
    feature = repo.get_branch("feature")
    assert feature.commit.commit.message == "Add feature"
    commits = list(repo.get_commits(sha="feature"))
    assert [c.commit.message for c in commits] == ["Add feature", "Initial commit"]
    assert [c.sha for c in repo.get_commits(sha="feature", path="feature.txt")] == [
        feature.commit.sha
    ]
    by_dev = repo.get_commits(sha="feature", author="dev@example.com")
    assert [c.commit.message for c in by_dev] == ["Add feature"]
    one = repo.get_commit("feature")
    assert [f.filename for f in one.files] == ["feature.txt"]
    assert one.stats.additions == 1
    with pytest.raises(GithubException) as exc:
        repo.get_branch("nope")
    assert exc.value.status == 404


def test_compare_statuses(gh: Github, work: Path) -> None:
    repo = gh.get_repo("acme/web")
    ahead = repo.compare("main", "feature")
    assert (ahead.status, ahead.ahead_by, ahead.behind_by) == ("ahead", 1, 0)
    assert [c.commit.message for c in ahead.commits] == ["Add feature"]
    assert ahead.merge_base_commit.sha == repo.get_branch("main").commit.sha
    behind = repo.compare("feature", "main")
    assert (behind.status, behind.ahead_by, behind.behind_by) == ("behind", 0, 1)
    assert repo.compare("main", "main").status == "identical"
    commit(work, {"main.txt": "m\n"}, "Main moves")
    push(work, "main")
    diverged = repo.compare("main", "acme:feature")
    assert (diverged.status, diverged.ahead_by, diverged.behind_by) == ("diverged", 1, 1)


def test_merges_endpoint(gh: Github, work: Path) -> None:
    repo = gh.get_repo("acme/web")
    merged = repo.merge("main", "feature", "Merge feature")
    assert merged is not None
    assert len(merged.parents) == 2
    assert merged.commit.message == "Merge feature"
    assert repo.get_branch("main").commit.sha == merged.sha
    assert repo.merge("main", "feature") is None  # 204: nothing to merge
    # a real conflict
    branch(work, "left", "origin/main")
    commit(work, {"README.md": "left\n"}, "left")
    push(work, "left")
    branch(work, "right", "origin/main")
    commit(work, {"README.md": "right\n"}, "right")
    push(work, "right")
    with pytest.raises(GithubException) as exc:
        repo.merge("left", "right")
    assert exc.value.status == 409
    assert exc.value.data["message"] == "Merge conflict"


def test_contents_get_put_make_real_commits(
    gh: Github, github_emulator: GitHubEmulator, work: Path
) -> None:
    repo = gh.get_repo("acme/web")
    readme = repo.get_contents("README.md")
    assert not isinstance(readme, list)
    assert readme.decoded_content == b"# web\n"
    created = repo.create_file("docs/a.md", "Add docs", "hello", branch="feature")
    assert created["commit"].sha == repo.get_branch("feature").commit.sha
    listing = repo.get_contents("docs", ref="feature")
    assert isinstance(listing, list)
    assert [c.path for c in listing] == ["docs/a.md"]
    updated = repo.update_file("README.md", "Update readme", "# new\n", readme.sha)
    bare = github_emulator.repo("acme/web").git_dir
    log = git(bare, "log", "--format=%s", "main")
    assert log.splitlines() == ["Update readme", "Initial commit"]
    assert git(bare, "show", "main:README.md") == "# new"
    assert updated["commit"].sha == git(bare, "rev-parse", "main")
    # stale sha -> 409, missing sha for an existing file -> 422
    with pytest.raises(GithubException) as exc:
        repo.update_file("README.md", "again", "x", readme.sha)
    assert exc.value.status == 409
    with pytest.raises(GithubException) as exc:
        repo.create_file("README.md", "again", "x")
    assert exc.value.status == 422
    deleted = repo.delete_file("docs/a.md", "Remove docs", listing[0].sha, branch="feature")
    assert deleted["commit"].sha == git(bare, "rev-parse", "feature")
    with pytest.raises(GithubException) as exc:
        repo.get_contents("docs/a.md", ref="feature")
    assert exc.value.status == 404


def test_contents_binary_roundtrip(gh: Github, github_emulator: GitHubEmulator) -> None:
    github_emulator.create_repo("acme/bin")
    repo = gh.get_repo("acme/bin")
    payload = bytes(range(256)) * 3
    repo.create_file("blob.bin", "binary", payload)
    content = repo.get_contents("blob.bin")
    assert not isinstance(content, list)
    assert base64.b64decode(content.content) == payload
