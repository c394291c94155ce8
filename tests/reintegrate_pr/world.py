"""A repository with a released ``release/1.4.0`` branch on the emulator, and a local clone.

Histories are real git: commits are made in a local clone and pushed into the emulator's bare
repository; hotfix PRs are opened by their authors and merged through the emulated API.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from github import Auth, Github

from release_kit_sandbox import RequestRecord, Sandbox
from tests.harness import ActionResult, run_action

REPOSITORY = "acme/web"
SOURCE = "release/1.4.0"
HEAD = "reintegrate/release/1.4.0"
USERS = ("alice", "bob")
APP_LINES = [f"line {n}" for n in range(1, 11)]


class World:
    """``acme/web``: ``main`` and ``release/1.4.0`` at the same commit, users alice and bob."""

    def __init__(self, sandbox: Sandbox, tmp_path: Path) -> None:
        self.sandbox = sandbox
        self.emu = sandbox.github
        self.clone = tmp_path / "clone"
        self.clone.mkdir(parents=True)
        self.git("init", "-q", "-b", "main")
        self.write("app.txt", APP_LINES)
        self.git("add", "app.txt")
        self.git("commit", "-q", "-m", "Initial version")
        self.repo = self.emu.create_repo(REPOSITORY, source=self.clone)
        self.git("remote", "add", "origin", str(self.repo.git_dir))
        self.git("fetch", "-q", "origin")
        self.git("branch", "-q", SOURCE, "main")
        self.git("push", "-q", "origin", SOURCE)
        self.tokens = {}
        for login in USERS:
            self.emu.add_user(login, email=f"{login}@example.com")
            self.tokens[login] = f"token-{login}"
            self.emu.add_token(self.tokens[login], login=login)
        self._mark = 0

    # -- local git ------------------------------------------------------------------------------

    def git(self, *args: str, author: str = "alice") -> str:
        identity = ["-c", f"user.name={author}", "-c", f"user.email={author}@example.com"]
        proc = subprocess.run(["git", *identity, *args], cwd=self.clone, capture_output=True,
                              text=True, check=True)
        return proc.stdout.strip()

    def write(self, path: str, lines: list[str]) -> None:
        (self.clone / path).write_text("\n".join(lines) + "\n", encoding="utf-8")

    def commit(self, branch: str, change: dict[int, str], message: str, *,
               author: str = "alice", start: str | None = None) -> str:
        """Commit ``change`` (line index -> text in app.txt) on ``branch`` and push it."""
        self.git("fetch", "-q", "origin")
        base = f"origin/{start or branch}"
        self.git("checkout", "-q", "-B", branch, base)
        lines = (self.clone / "app.txt").read_text(encoding="utf-8").splitlines()
        for index, text in change.items():
            if index >= len(lines):
                lines.append(text)
            else:
                lines[index] = text
        self.write("app.txt", lines)
        self.git("commit", "-q", "-am", message, author=author)
        self.git("push", "-q", "origin", f"{branch}:{branch}")
        return self.git("rev-parse", "HEAD")

    def sha(self, branch: str) -> str | None:
        return self.repo.git.resolve(f"refs/heads/{branch}")

    def is_ancestor(self, ancestor: str, branch: str) -> bool:
        head = self.sha(branch)
        return head is not None and self.repo.git.is_ancestor(ancestor, head)

    # -- through the API ------------------------------------------------------------------------

    def api(self, login: str | None = None) -> Github:
        token = self.tokens[login] if login else self.emu.default_token
        return Github(base_url=self.emu.url, auth=Auth.Token(token),
                      seconds_between_requests=None, seconds_between_writes=None)

    def hotfix(self, author: str, branch: str, change: dict[int, str], title: str) -> int:
        """A hotfix PR by ``author`` into the release branch, merged; returns its number."""
        self.commit(branch, change, title, author=author, start=SOURCE)
        repo = self.api(author).get_repo(REPOSITORY)
        pull = repo.create_pull(base=SOURCE, head=branch, title=title, body="hotfix")
        self.api().get_repo(REPOSITORY).get_pull(pull.number).merge(merge_method="squash")
        return pull.number

    def pulls(self, state: str = "open", base: str = "main") -> list[Any]:
        return list(self.api().get_repo(REPOSITORY).get_pulls(state=state, base=base))

    def comments(self, number: int) -> list[str]:
        issue = self.api().get_repo(REPOSITORY).get_issue(number)
        return [c.body for c in issue.get_comments()]

    # -- the action -----------------------------------------------------------------------------

    def run(self, inputs: dict[str, object] | None = None, *, token: str | None = None,
            ref: str = SOURCE) -> ActionResult:
        """Run reintegrate-pr as a push to ``ref`` would; remembers where the request log was."""
        self._mark = len(self.emu.requests)
        env = {
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_REF": f"refs/heads/{ref}",
            "GITHUB_REF_NAME": ref,
            "RELEASE_KIT_MERGEABILITY_WAIT": "2",
        }
        if token:
            env["GITHUB_TOKEN"] = token
        return run_action("reintegrate-pr", inputs or {}, sandbox=self.sandbox, env=env)

    def requests_of_last_run(self) -> list[RequestRecord]:
        return self.emu.requests[self._mark:]

    def writes_of_last_run(self) -> list[tuple[str, str]]:
        return [(r.method, r.path) for r in self.requests_of_last_run()
                if r.method not in {"GET", "HEAD"}]

    def writes_to_branch(self, branch: str) -> list[RequestRecord]:
        """Writes of the last run that name ``branch`` as the ref to move or merge into."""
        return [
            r for r in self.requests_of_last_run()
            if r.method not in {"GET", "HEAD"} and (
                r.path.endswith(f"/git/refs/heads/{branch}")
                or (isinstance(r.request_json, dict)
                    and (r.request_json.get("ref") == f"refs/heads/{branch}"
                         or (r.path.endswith("/merges") and r.request_json.get("base") == branch)))
            )
        ]
