"""Real git histories on the emulator for the semver-bump end-to-end tests.

A :class:`Flow` is a developer clone pushing to the emulated repository, plus PRs opened,
labelled and merged through the API (so merge and squash commits are GitHub's own), and a fresh
full clone to serve as the action's workspace.
"""

from __future__ import annotations

from pathlib import Path

from github import Auth, Github
from github.Repository import Repository

from release_kit_sandbox import GitHubEmulator, Sandbox
from release_kit_sandbox.github.state import Issue, Label, PullInfo
from tests.harness import ActionResult, github_env, run_action
from tests.sandbox.gitutil import ENV, clone, git

REPOSITORY = "acme/web"


class Flow:
    def __init__(self, sandbox: Sandbox, tmp: Path, repository: str = REPOSITORY) -> None:
        self.sandbox = sandbox
        self.emu = sandbox.github
        self.tmp = tmp
        self.repository = repository
        self.repo = self.emu.create_repo(repository)
        self.dev = clone(self.repo.git_dir, tmp / "dev")
        self.authors: dict[str, str] = {}

    # -- git ------------------------------------------------------------------------------------

    def commit(self, message: str, files: dict[str, str] | None = None, *,
               push: bool = True) -> str:
        """Commit on the checked-out branch of the developer clone (and push it)."""
        for name, content in (files or {f"{abs(hash(message))}.txt": message}).items():
            path = self.dev / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
            git(self.dev, "add", name)
        git(self.dev, "commit", "--quiet", "-m", message)
        if push:
            git(self.dev, "push", "--quiet", "--force", "origin", "HEAD")
        return git(self.dev, "rev-parse", "HEAD")

    def checkout(self, branch: str, start: str | None = None) -> None:
        git(self.dev, "checkout", "--quiet", "-B", branch, *([start] if start else []))

    def tag(self, name: str, rev: str = "HEAD", *, annotated: bool = False) -> None:
        git(self.dev, "tag", *(["-a", "-m", name] if annotated else []), name, rev)
        git(self.dev, "push", "--quiet", "origin", f"refs/tags/{name}")

    def sync(self, branch: str = "main") -> None:
        git(self.dev, "fetch", "--quiet", "--tags", "origin")
        git(self.dev, "checkout", "--quiet", "-B", branch, f"origin/{branch}")

    def workspace(self, branch: str = "main", name: str = "ws") -> Path:
        """A full clone checked out at ``branch``, as actions/checkout with fetch-depth: 0."""
        path = self.tmp / name
        if path.exists():
            git(path, "fetch", "--quiet", "--tags", "--force", "origin")
            git(path, "checkout", "--quiet", "-B", branch, f"origin/{branch}")
            return path
        clone(self.repo.git_dir, path)
        git(path, "checkout", "--quiet", "-B", branch, f"origin/{branch}")
        return path

    def head(self, branch: str = "main") -> str:
        return git(self.repo.git_dir, "rev-parse", f"refs/heads/{branch}")

    # -- the API ----------------------------------------------------------------------------------

    def api(self, login: str | None = None) -> Repository:
        token = self.emu.default_token
        if login is not None:
            token = self.authors.setdefault(login, f"token-{login}")
            self.emu.add_user(login)
            self.emu.add_token(token, login=login)
        gh = Github(base_url=self.emu.url, auth=Auth.Token(token), retry=None,
                    seconds_between_requests=None, seconds_between_writes=None)
        return gh.get_repo(self.repository)

    def merged_pr(self, title: str, labels: list[str], *, author: str = "alice",
                  method: str = "squash", base: str = "main",
                  files: dict[str, str] | None = None, commits: list[str] | None = None) -> int:
        """Open a PR from a new branch (by ``author``), label it and merge it with ``method``."""
        number = self.open_pr(title, labels, author=author, base=base, files=files,
                              commits=commits)
        self.api().get_pull(number).merge(merge_method=method)
        self.sync(base)
        return number

    def open_pr(self, title: str, labels: list[str], *, author: str = "alice",
                base: str = "main", files: dict[str, str] | None = None,
                commits: list[str] | None = None, body: str = "") -> int:
        """Open a PR from a new branch (by ``author``) and label it; it stays open."""
        self.sync(base)
        head = f"pr/{abs(hash((title, base)))}"
        git(self.dev, "checkout", "--quiet", "-B", head, f"origin/{base}")
        for i, message in enumerate(commits or [title]):
            content = {f"{head}-{i}.txt": message} if files is None or i else files
            for name, text in content.items():
                path = self.dev / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
                git(self.dev, "add", name)
            git(self.dev, "commit", "--quiet", "-m", message)
        git(self.dev, "push", "--quiet", "--force", "origin", head)
        pr = self.api(author).create_pull(title=title, body=body or f"Body of {title}",
                                          head=head, base=base)
        if labels:
            self.api().get_issue(pr.number).add_to_labels(*labels)
        return pr.number

    def pr_checkout(self, number: int, name: str = "ws-pr") -> Path:
        """What actions/checkout checks out on pull_request (fetch-depth: 0): the merge of the
        PR's head into its base, ``Merge <head> into <base>``, as GitHub's refs/pull/N/merge."""
        pull = self.api().get_pull(number)
        path = self.tmp / name
        if not path.exists():
            clone(self.repo.git_dir, path)
        git(path, "fetch", "--quiet", "--tags", "--force", "origin")
        base = git(path, "rev-parse", f"origin/{pull.base.ref}")
        git(path, "checkout", "--quiet", "--detach", base)
        git(path, "merge", "--quiet", "--no-ff", "-m",
            f"Merge {pull.head.sha} into {base}", pull.head.sha)
        return path

    def preview(self, number: int, inputs: dict[str, object] | None = None, *,
                action: str = "synchronize", workspace: Path | None = None,
                event_name: str = "pull_request", env_token: str = "") -> ActionResult:
        """semver-bump on the PR's ``pull_request`` event, as feature-branch.yml runs it."""
        repo = self.api()
        pull = repo.get_pull(number)
        ws = workspace or self.pr_checkout(number)
        event = {"action": action, "number": number, "pull_request": pull.raw_data,
                 "repository": repo.raw_data}
        return self.run(inputs, workspace=ws, event=event, env={
            "GITHUB_EVENT_NAME": event_name, "GITHUB_REF": f"refs/pull/{number}/merge",
            "GITHUB_REF_NAME": f"{number}/merge", "GITHUB_HEAD_REF": pull.head.ref,
            "GITHUB_BASE_REF": pull.base.ref, **({"GITHUB_TOKEN": env_token} if env_token else {})})

    def comments(self, number: int) -> list[str]:
        return [c.body for c in self.api().get_issue(number).get_comments()]

    def drafts(self) -> list[dict[str, object]]:
        return [{"id": r.id, "name": r.name, "tag": r.tag_name, "body": r.body,
                 "target": r.target_commitish, "prerelease": r.prerelease}
                for r in self.api().get_releases() if r.draft]

    # -- the action -------------------------------------------------------------------------------

    def run(self, inputs: dict[str, object] | None = None, *, branch: str = "main",
            workspace: Path | None = None, env: dict[str, str] | None = None,
            event: dict[str, object] | None = None) -> ActionResult:
        ws = workspace or self.workspace(branch)
        sha = git(ws, "rev-parse", "HEAD")
        context = github_env(repository=self.repository, sha=sha, ref=f"refs/heads/{branch}")
        run_env = {k: context[k] for k in ("GITHUB_REPOSITORY", "GITHUB_REPOSITORY_OWNER",
                                           "GITHUB_SHA", "GITHUB_REF", "GITHUB_REF_NAME")}
        run_env.update(env or {})
        return run_action("semver-bump", inputs or {}, sandbox=self.sandbox, env=run_env,
                          workspace=ws, event=event)



def add_merged_pulls(emu: GitHubEmulator, repository: str,
                     pulls: list[tuple[int, str, str, list[str], str]], base: str = "main") -> None:
    """Put merged PRs ``(number, title, author, labels, merged_at)`` straight into the state.

    For histories too large to merge PR by PR through the API (the benchmark, pagination).
    """
    repo = emu.repo(repository)
    state = emu.state
    with state.lock:
        for number, title, author, labels, stamp in pulls:
            if state.user(author) is None:
                emu.add_user(author)
            for name in labels:
                if repo.label(name) is None:
                    repo.labels[name.lower()] = Label(state.next_id(), name)
            repo.issues[number] = Issue(
                id=state.next_id(), number=number, title=title, body=f"Body of {title}",
                user=author, state="closed", labels=list(labels), created_at=stamp,
                updated_at=stamp, closed_at=stamp,
                pull=PullInfo(head_ref=f"pr-{number}", head_owner=repo.owner, base_ref=base,
                              head_sha="0" * 40, base_sha="0" * 40, merged=True,
                              merged_at=stamp, merged_by=author),
            )
            repo.next_number = max(repo.next_number, number + 1)


__all__ = ["ENV", "Flow", "add_merged_pulls"]
