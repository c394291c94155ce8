"""The GitHub side of a reintegration: thin reads and writes, answers as plain model data.

Every method is one request, or one paginated listing, through :mod:`release_kit.github.rest`;
creates (the branch, the PR, comments, the fallback issue) are looked up by their identity after
an ambiguous failure instead of being sent twice.
"""

from __future__ import annotations

import contextlib
import urllib.parse
from collections.abc import Sequence
from typing import Any, Literal

from release_kit.github.errors import GitHubConflict, GitHubNotFound
from release_kit.github.issues import Issues, NewIssue
from release_kit.github.rest import GitHubApi
from release_kit.reintegration.model import ComparedCommit, Comparison, Pull
from release_kit.reintegration.plan import Facts

MergeResult = Literal["merged", "nothing-to-merge", "conflict"]


def _quote(name: str) -> str:
    return urllib.parse.quote(name, safe="/")


def _login(user: Any) -> str | None:
    return str(user["login"]) if isinstance(user, dict) and user.get("login") else None


def to_commit(data: dict[str, Any]) -> ComparedCommit:
    return ComparedCommit(
        sha=str(data["sha"]),
        message=str((data.get("commit") or {}).get("message") or ""),
        author=_login(data.get("author")),
        url=str(data.get("html_url") or ""),
    )


def to_pull(data: dict[str, Any]) -> Pull:
    return Pull(
        number=int(data["number"]),
        title=str(data.get("title") or ""),
        author=_login(data.get("user")) or "",
        url=str(data.get("html_url") or ""),
        body=str(data.get("body") or ""),
        labels=tuple(str(label["name"]) for label in data.get("labels") or []),
        merged=bool(data.get("merged_at")),
        merge_commit_sha=data.get("merge_commit_sha"),
        requested_reviewers=tuple(
            login for user in data.get("requested_reviewers") or [] if (login := _login(user))
        ),
        mergeable=data.get("mergeable"),
    )


class ReintegrationRepo:
    """One repository, as the reintegration reads and writes it."""

    def __init__(self, api: GitHubApi, repository: str) -> None:
        self.api = api
        self.full_name = repository
        self.owner = repository.partition("/")[0]
        self._path = f"/repos/{repository}"
        self.issues = Issues(api, repository)
        self._data: dict[str, Any] = api.get(self._path,
                                             doing=f"reading the repository {repository}")

    # -- reads ---------------------------------------------------------------------------------

    @property
    def default_branch(self) -> str:
        return str(self._data.get("default_branch") or "main")

    def branch_sha(self, branch: str) -> str | None:
        """The head commit of ``branch``, or None when there is no such branch."""
        try:
            data = self.api.get(f"{self._path}/git/ref/heads/{_quote(branch)}",
                                doing=f"reading the branch {branch}")
        except GitHubNotFound:
            return None
        return str(data["object"]["sha"])

    def compare(self, base: str, head: str) -> Comparison:
        """``compare base...head`` (the first 250 commits, which is all GitHub lists at once)."""
        data = self.api.get(f"{self._path}/compare/{_quote(base)}...{_quote(head)}",
                            doing=f"comparing {base}...{head}")
        commits = tuple(to_commit(c) for c in data.get("commits") or [])
        return Comparison(
            base=base,
            head=head,
            ahead_by=int(data.get("ahead_by") or 0),
            behind_by=int(data.get("behind_by") or 0),
            commits=commits,
            html_url=str(data.get("html_url") or ""),
        )

    def closed_pulls(self, base: str) -> tuple[Pull, ...]:
        """Closed PRs into ``base``: one listing, however many commits the branch has."""
        items = self.api.paginate(f"{self._path}/pulls", params={"state": "closed", "base": base},
                                  doing=f"listing the pull requests into {base}")
        return tuple(to_pull(item) for item in items)

    def existing_users(self, logins: Sequence[str]) -> frozenset[str]:
        """The logins among ``logins`` that GitHub knows."""
        found = set()
        for login in logins:
            try:
                self.api.get(f"/users/{_quote(login)}", doing=f"looking up the user {login}")
            except GitHubNotFound:
                continue
            found.add(login)
        return frozenset(found)

    def open_pull(self, head: str, base: str) -> Pull | None:
        """The open PR from ``head`` (a branch of this repository) into ``base``."""
        items = self.api.paginate(
            f"{self._path}/pulls", params={"state": "open", "head": f"{self.owner}:{head}",
                                           "base": base},
            doing=f"looking for the pull request {head} -> {base}")
        for item in items:
            return to_pull(item)
        return None

    def pull(self, number: int) -> Pull:
        """One PR in full (with ``mergeable``, which lists leave out)."""
        return to_pull(self.api.get(f"{self._path}/pulls/{number}",
                                    doing=f"reading pull request #{number}"))

    def has_comment(self, number: int, mark: str) -> bool:
        return self.issues.find_comment(number, mark) is not None

    # -- writes --------------------------------------------------------------------------------

    def create_branch(self, branch: str, sha: str) -> None:
        self.api.create(f"{self._path}/git/refs", {"ref": f"refs/heads/{branch}", "sha": sha},
                        doing=f"creating the branch {branch}",
                        find=lambda: self.branch_sha(branch))

    def delete_branch(self, branch: str) -> None:
        """Delete ``branch``; already gone is what was wanted."""
        with contextlib.suppress(GitHubNotFound):
            self.api.write("DELETE", f"{self._path}/git/refs/heads/{_quote(branch)}",
                           doing=f"deleting the branch {branch}")

    def fast_forward(self, branch: str, sha: str) -> None:
        """Move ``branch`` to ``sha``; GitHub refuses (422) anything but a fast-forward."""
        self.api.write("PATCH", f"{self._path}/git/refs/heads/{_quote(branch)}",
                       json={"sha": sha, "force": False},
                       doing=f"fast-forwarding the branch {branch}")

    def merge(self, base: str, head: str, message: str) -> MergeResult:
        """Merge ``head`` into the branch ``base`` on GitHub (``POST /merges``).

        Replayable: once merged, the same request answers "nothing to merge".
        """
        try:
            data = self.api.write("POST", f"{self._path}/merges",
                                  json={"base": base, "head": head, "commit_message": message},
                                  doing=f"merging {head} into {base}")
        except GitHubConflict:
            return "conflict"
        return "merged" if data else "nothing-to-merge"

    def create_pull(self, *, base: str, head: str, title: str, body: str) -> Pull:
        data = self.api.create(f"{self._path}/pulls",
                               {"base": base, "head": head, "title": title, "body": body},
                               doing=f"creating the pull request {head} -> {base}",
                               find=lambda: self.open_pull(head, base))
        return data if isinstance(data, Pull) else to_pull(data)

    def edit_pull(self, number: int, fields: dict[str, str]) -> None:
        self.api.write("PATCH", f"{self._path}/pulls/{number}", json=fields,
                       doing=f"updating pull request #{number}")

    def add_labels(self, number: int, labels: Sequence[str]) -> None:
        self.issues.add_labels(number, labels)

    def remove_label(self, number: int, label: str) -> None:
        self.issues.remove_label(number, label)

    def request_reviewers(self, number: int, logins: Sequence[str]) -> None:
        self.api.write("POST", f"{self._path}/pulls/{number}/requested_reviewers",
                       json={"reviewers": list(logins)}, doing=f"requesting reviews on #{number}")

    def comment(self, number: int, *, mark: str, body: str) -> None:
        """Post ``body`` (carrying ``mark``) once."""
        self.issues.comment(number, mark=mark, body=body)

    def ensure_issue(self, *, mark: str, title: str, body: str,
                     labels: Sequence[str], assignees: Sequence[str]) -> NewIssue:
        """The open issue carrying ``mark`` (created once)."""
        return self.issues.ensure(mark=mark, title=title, body=body, labels=labels,
                                  assignees=assignees)


def read_facts(
    hub: ReintegrationRepo,
    *,
    server_url: str,
    source: str,
    source_sha: str,
    target: str,
    head: str,
    source_vs_target: Comparison,
) -> Facts:
    """Everything else the plan needs: the intermediate branch and the hotfix PRs."""
    head_exists = hub.branch_sha(head) is not None
    return Facts(
        repository=hub.full_name,
        server_url=server_url,
        source=source,
        source_sha=source_sha,
        target=target,
        head=head,
        source_vs_target=source_vs_target,
        head_vs_source=hub.compare(source, head) if head_exists else None,
        closed_pulls=hub.closed_pulls(source),
    )
