"""Git over HTTP at ``clone_url``: a real ``git clone`` and ``git push`` against the emulator."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from release_kit_sandbox import GitHubEmulator

from .gitutil import ENV, api, commit, git

NO_PROMPT = {**ENV, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "SSH_ASKPASS": ""}


def run_git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, env=NO_PROMPT, capture_output=True,
                          text=True, timeout=60, check=False)


def with_token(url: str, token: str) -> str:
    return url.replace("http://", f"http://x-access-token:{token}@", 1)


def clone_url(emu: GitHubEmulator, full_name: str) -> str:
    status, _, repo = api(emu.url, "GET", f"/repos/{full_name}", token=emu.default_token)
    assert status == 200
    return str(repo["clone_url"])


def test_a_public_repository_clones_anonymously_at_its_clone_url(
        github_emulator: GitHubEmulator, tmp_path: Path) -> None:
    github_emulator.create_repo("acme/web")
    url = clone_url(github_emulator, "acme/web")
    assert url == f"{github_emulator.server_url}/acme/web.git"
    for version in ("0", "2"):
        cloned = run_git(tmp_path, "-c", f"protocol.version={version}", "clone", url, f"v{version}")
        assert cloned.returncode == 0, cloned.stderr
        assert (tmp_path / f"v{version}" / "README.md").read_text() == "# web\n"


def test_a_push_moves_the_branch_the_api_reads_and_the_open_pull_request(
        github_emulator: GitHubEmulator, tmp_path: Path) -> None:
    emu = github_emulator
    emu.create_repo("acme/web")
    url = clone_url(emu, "acme/web")
    assert run_git(tmp_path, "clone", url, "web").returncode == 0
    work = tmp_path / "web"
    git(work, "checkout", "--quiet", "-b", "feature")
    first = commit(work, {"a.txt": "a"}, "feat: a")
    pushed = run_git(work, "push", with_token(url, emu.default_token), "feature")
    assert pushed.returncode == 0, pushed.stderr
    status, _, pull = api(emu.url, "POST", "/repos/acme/web/pulls",
                          {"title": "A", "head": "feature", "base": "main"},
                          token=emu.default_token)
    assert status == 201 and pull["head"]["sha"] == first
    second = commit(work, {"b.txt": "b"}, "feat: b")
    assert run_git(work, "push", with_token(url, emu.default_token), "feature").returncode == 0
    _, _, branch = api(emu.url, "GET", "/repos/acme/web/branches/feature", token=emu.default_token)
    assert branch["commit"]["sha"] == second
    _, _, pull = api(emu.url, "GET", f"/repos/acme/web/pulls/{pull['number']}",
                     token=emu.default_token)
    assert pull["head"]["sha"] == second


def test_a_push_needs_a_token_that_may_write_contents(
        github_emulator: GitHubEmulator, tmp_path: Path) -> None:
    emu = github_emulator
    emu.create_repo("acme/web")
    emu.add_token("ghp_reader", login="reader", permissions={"contents": "read"})
    url = clone_url(emu, "acme/web")
    assert run_git(tmp_path, "clone", url, "web").returncode == 0
    work = tmp_path / "web"
    commit(work, {"a.txt": "a"}, "a")
    anonymous = run_git(work, "push", url, "HEAD:refs/heads/x")
    assert anonymous.returncode != 0
    unknown = run_git(work, "push", with_token(url, "ghp_nobody"), "HEAD:refs/heads/x")
    assert unknown.returncode != 0
    reader = run_git(work, "push", with_token(url, "ghp_reader"), "HEAD:refs/heads/x")
    assert reader.returncode != 0
    assert "Permission to acme/web.git denied to reader." in reader.stderr
    assert emu.repo("acme/web").git.resolve("refs/heads/x") is None


def test_a_private_repository_clones_only_with_a_token_that_reaches_it(
        github_emulator: GitHubEmulator, tmp_path: Path) -> None:
    emu = github_emulator
    emu.state.create_repo("acme/secret", private=True)
    url = f"{emu.server_url}/acme/secret.git"
    assert run_git(tmp_path, "clone", url, "anonymous").returncode != 0
    assert not (tmp_path / "anonymous" / "README.md").exists()
    with_access = run_git(tmp_path, "clone", with_token(url, emu.default_token), "ok")
    assert with_access.returncode == 0, with_access.stderr
    missing = run_git(tmp_path, "clone", f"{emu.server_url}/acme/nope.git", "nope")
    assert missing.returncode != 0 and "not found" in missing.stderr.lower()


@pytest.mark.timeout(120)
def test_a_big_push_arrives_in_chunks(github_emulator: GitHubEmulator, tmp_path: Path) -> None:
    """git sends a pack over http.postBuffer (1 MiB) with chunked transfer encoding."""
    emu = github_emulator
    emu.create_repo("acme/web")
    url = clone_url(emu, "acme/web")
    assert run_git(tmp_path, "clone", url, "web").returncode == 0
    work = tmp_path / "web"
    (work / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024))
    git(work, "add", "big.bin")
    git(work, "commit", "--quiet", "-m", "big")
    pushed = run_git(work, "push", with_token(url, emu.default_token), "HEAD:refs/heads/big")
    assert pushed.returncode == 0, pushed.stderr
    assert emu.repo("acme/web").git.resolve("refs/heads/big") == git(work, "rev-parse", "HEAD")
