"""The GitHub side of a reintegration: thin reads and writes, answers as plain model data.

Raw REST calls through PyGithub's requester (retries, request counting, typed errors) rather
than PyGithub's objects, whose lazy attributes can turn a list of N pull requests into N extra
requests. Every method is one request, or one paginated listing.
"""

from __future__ import annotations

import contextlib
import re
import urllib.parse
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal

from release_kit.github.errors import GitHubNotFound, github_errors, translate
from release_kit.github.issues import ensure_issue
from release_kit.reintegration.model import Commit, Comparison, Pull
from release_kit.reintegration.plan import Facts

if TYPE_CHECKING:
    from github import Github

MergeResult = Literal["merged", "nothing-to-merge", "conflict"]

_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


def _quote(name: str) -> str:
    return urllib.parse.quote(name, safe="/")


def _login(user: Any) -> str | None:
    return str(user["login"]) if isinstance(user, dict) and user.get("login") else None


def to_commit(data: dict[str, Any]) -> Commit:
    return Commit(
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

    def __init__(self, gh: Github, repository: str) -> None:
        self._gh = gh
        self._requester = gh.requester
        self.full_name = repository
        self.owner = repository.partition("/")[0]
        self._path = f"/repos/{repository}"
        self._data: dict[str, Any] = self._get(self._path, f"reading the repository {repository}")

    # -- plumbing ------------------------------------------------------------------------------

    def _call(self, verb: str, path: str, doing: str, *, params: dict[str, Any] | None = None,
              body: Any = None) -> Any:
        with github_errors(doing):
            _, data = self._requester.requestJsonAndCheck(verb, path, parameters=params,
                                                          input=body)
        return data

    def _get(self, path: str, doing: str, params: dict[str, Any] | None = None) -> Any:
        return self._call("GET", path, doing, params=params)

    def _list(self, path: str, doing: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every item of a listing, following ``Link: rel="next"``."""
        url: str | None = path
        query: dict[str, Any] | None = {**params, "per_page": 100}
        while url:
            with github_errors(doing):
                headers, items = self._requester.requestJsonAndCheck("GET", url,
                                                                     parameters=query)
            yield from items
            match = _NEXT.search(headers.get("link", ""))
            url, query = (match.group(1), None) if match else (None, None)

    # -- reads ---------------------------------------------------------------------------------

    @property
    def default_branch(self) -> str:
        return str(self._data.get("default_branch") or "main")

    def branch_sha(self, branch: str) -> str | None:
        """The head commit of ``branch``, or None when there is no such branch."""
        try:
            data = self._get(f"{self._path}/git/ref/heads/{_quote(branch)}",
                             f"reading the branch {branch}")
        except GitHubNotFound:
            return None
        return str(data["object"]["sha"])

    def compare(self, base: str, head: str) -> Comparison:
        """``compare base...head`` (the first 250 commits, which is all GitHub lists at once)."""
        data = self._get(f"{self._path}/compare/{_quote(base)}...{_quote(head)}",
                         f"comparing {base}...{head}")
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
        items = self._list(f"{self._path}/pulls", f"listing the pull requests into {base}",
                           {"state": "closed", "base": base})
        return tuple(to_pull(item) for item in items)

    def existing_users(self, logins: Sequence[str]) -> frozenset[str]:
        """The logins among ``logins`` that GitHub knows."""
        found = set()
        for login in logins:
            try:
                self._get(f"/users/{_quote(login)}", f"looking up the user {login}")
            except GitHubNotFound:
                continue
            found.add(login)
        return frozenset(found)

    def open_pull(self, head: str, base: str) -> Pull | None:
        """The open PR from ``head`` (a branch of this repository) into ``base``."""
        items = self._list(f"{self._path}/pulls", f"looking for the pull request {head} -> {base}",
                           {"state": "open", "head": f"{self.owner}:{head}", "base": base})
        for item in items:
            return to_pull(item)
        return None

    def pull(self, number: int) -> Pull:
        """One PR in full (with ``mergeable``, which lists leave out)."""
        return to_pull(self._get(f"{self._path}/pulls/{number}",
                                 f"reading pull request #{number}"))

    def comment_bodies(self, number: int) -> Iterator[str]:
        items = self._list(f"{self._path}/issues/{number}/comments",
                           f"listing the comments of #{number}", {})
        return (str(item.get("body") or "") for item in items)

    # -- writes --------------------------------------------------------------------------------

    def create_branch(self, branch: str, sha: str) -> None:
        self._call("POST", f"{self._path}/git/refs", f"creating the branch {branch}",
                   body={"ref": f"refs/heads/{branch}", "sha": sha})

    def fast_forward(self, branch: str, sha: str) -> None:
        """Move ``branch`` to ``sha``; GitHub refuses (422) anything but a fast-forward."""
        self._call("PATCH", f"{self._path}/git/refs/heads/{_quote(branch)}",
                   f"fast-forwarding the branch {branch}", body={"sha": sha, "force": False})

    def merge(self, base: str, head: str, message: str) -> MergeResult:
        """Merge ``head`` into the branch ``base`` on GitHub (``POST /merges``)."""
        from github.GithubException import GithubException  # noqa: PLC0415

        try:
            _, data = self._requester.requestJsonAndCheck(
                "POST", f"{self._path}/merges",
                input={"base": base, "head": head, "commit_message": message})
        except GithubException as exc:
            if exc.status == 409:
                return "conflict"
            raise translate(exc, f"merging {head} into {base}") from exc
        return "merged" if data else "nothing-to-merge"

    def create_pull(self, *, base: str, head: str, title: str, body: str) -> Pull:
        data = self._call("POST", f"{self._path}/pulls",
                          f"creating the pull request {head} -> {base}",
                          body={"base": base, "head": head, "title": title, "body": body})
        return to_pull(data)

    def edit_pull(self, number: int, fields: dict[str, str]) -> None:
        self._call("PATCH", f"{self._path}/pulls/{number}",
                   f"updating pull request #{number}", body=fields)

    def add_labels(self, number: int, labels: Sequence[str]) -> None:
        self._call("POST", f"{self._path}/issues/{number}/labels",
                   f"labelling #{number}", body={"labels": list(labels)})

    def remove_label(self, number: int, label: str) -> None:
        with contextlib.suppress(GitHubNotFound):  # already gone: what was wanted
            self._call("DELETE", f"{self._path}/issues/{number}/labels/{_quote(label)}",
                       f"removing the label {label} from #{number}")

    def request_reviewers(self, number: int, logins: Sequence[str]) -> None:
        self._call("POST", f"{self._path}/pulls/{number}/requested_reviewers",
                   f"requesting reviews on #{number}", body={"reviewers": list(logins)})

    def comment(self, number: int, body: str) -> None:
        self._call("POST", f"{self._path}/issues/{number}/comments",
                   f"commenting on #{number}", body={"body": body})

    def ensure_issue(self, *, mark: str, title: str, body: str,
                     labels: Sequence[str], assignees: Sequence[str]) -> tuple[int, str, bool]:
        """The open issue carrying ``mark`` (created once): ``(number, url, created)``."""
        with github_errors(f"reading the repository {self.full_name}"):
            repo = self._gh.get_repo(self.full_name, lazy=True)
        issue, created = ensure_issue(repo, mark=mark, title=title, body=body, labels=labels,
                                      assignees=assignees)
        return issue.number, issue.html_url, created


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
