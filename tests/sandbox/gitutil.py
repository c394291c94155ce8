"""Helpers for sandbox tests: real git (clone, commit, push; argv lists), raw HTTP and a PyGithub
client."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from github import Auth, Github

from release_kit_sandbox import GitHubEmulator

ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=ENV, capture_output=True, text=True, check=True
    )
    return proc.stdout.strip()


def clone(git_dir: Path, dest: Path) -> Path:
    subprocess.run(
        ["git", "clone", "--quiet", str(git_dir), str(dest)], env=ENV, check=True,
        capture_output=True,
    )
    return dest


def commit(work: Path, files: dict[str, str], message: str) -> str:
    for name, content in files.items():
        path = work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        git(work, "add", name)
    git(work, "commit", "--quiet", "-m", message)
    return git(work, "rev-parse", "HEAD")


def branch(work: Path, name: str, start: str = "HEAD") -> None:
    git(work, "checkout", "--quiet", "-B", name, start)


def push(work: Path, *refspecs: str) -> None:
    git(work, "push", "--quiet", "--force", "origin", *refspecs)


def pygithub(emu: GitHubEmulator, token: str | None = None) -> Github:
    """PyGithub against the emulator, without PyGithub's client-side throttling and retries."""
    return Github(
        base_url=emu.url,
        auth=Auth.Token(token or emu.default_token),
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


def api(
    base_url: str,
    method: str,
    path: str,
    body: Any = None,
    token: str | None = None,
    timeout: float = 10,
) -> tuple[int, dict[str, str], Any]:
    """One raw HTTP request: (status, headers, parsed JSON or None); errors are answers too."""
    headers = {"Accept": "application/vnd.github+json"}
    if token is not None:
        headers["Authorization"] = f"token {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base_url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            return resp.status, dict(resp.headers), json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        raw = err.read()
        return err.code, dict(err.headers), json.loads(raw) if raw else None
