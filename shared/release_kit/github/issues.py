"""Issues and comments of one repository, written idempotently.

Issues are found by listing (label filter, state, paginated), never with the search API, which
lags behind writes; what release-kit creates carries a hidden marker (an HTML comment, invisible
on GitHub) by which a later run, or the retry of an ambiguous create, finds it again.

Also: comments found again by their marker (posted once, or rewritten in place), and a body update
for issues that several jobs write at once (read, change, write, read again to verify).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from urllib.parse import quote

from release_kit.errors import ConflictError
from release_kit.github.errors import GitHubNotFound, GitHubValidationFailed
from release_kit.github.rest import GitHubApi
from release_kit.markers import marker

__all__ = ["Comment", "Issue", "Issues", "NewIssue", "marker"]


def _login(user: Any) -> str:
    return str(user.get("login") or "") if isinstance(user, Mapping) else ""


@dataclass(frozen=True)
class Issue:
    """An issue (or a PR, which GitHub lists among issues) as GitHub last showed it."""

    number: int
    title: str
    body: str
    state: str
    html_url: str
    labels: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    is_pull_request: bool = False

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Issue:
        return cls(
            number=int(data["number"]),
            title=str(data.get("title") or ""),
            body=str(data.get("body") or ""),
            state=str(data.get("state") or "open"),
            html_url=str(data.get("html_url") or ""),
            labels=tuple(str(label["name"]) for label in data.get("labels") or []
                         if isinstance(label, Mapping)),
            assignees=tuple(login for a in data.get("assignees") or [] if (login := _login(a))),
            is_pull_request="pull_request" in data,
        )


@dataclass(frozen=True)
class Comment:
    id: int
    body: str
    html_url: str

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Comment:
        return cls(int(data["id"]), str(data.get("body") or ""), str(data.get("html_url") or ""))


@dataclass(frozen=True)
class NewIssue:
    """What :meth:`Issues.ensure` did: the issue, whether it created it, and who it could not
    assign (GitHub refuses assignees without access to the repository, and bots)."""

    issue: Issue
    created: bool
    unassigned: tuple[str, ...] = ()


class Issues:
    """The issues of one repository."""

    def __init__(self, api: GitHubApi, repository: str) -> None:
        self.api = api
        self.repository = repository
        self.path = f"/repos/{repository}/issues"

    # -- reading -------------------------------------------------------------------------------

    def get(self, number: int) -> Issue:
        return Issue.of(self.api.get(f"{self.path}/{number}",
                                     doing=f"reading #{number} in {self.repository}"))

    def find(self, mark: str, label: str | None = None, *,
             state: Literal["open", "closed", "all"] = "open",
             oldest_first: bool = False) -> Issue | None:
        """The first issue (not PR) in ``state`` whose body contains ``mark``, optionally by label.

        GitHub lists the newest first; ``oldest_first`` returns the oldest match instead (the
        canonical one when concurrent jobs created duplicates).
        """
        params: dict[str, str] = {"state": state}
        if label:
            params["labels"] = label
        if oldest_first:
            params.update(sort="created", direction="asc")
        for data in self.api.paginate(self.path, params=params,
                                      doing=f"listing {state} issues of {self.repository}"):
            issue = Issue.of(data)
            if not issue.is_pull_request and mark in issue.body:
                return issue
        return None

    # -- writing -------------------------------------------------------------------------------

    def create(self, *, title: str, body: str, mark: str, labels: Sequence[str] = (),
               assignees: Sequence[str] = ()) -> NewIssue:
        """Create an issue whose ``body`` carries ``mark`` (its identity), exactly once.

        After an ambiguous failure the issue is looked up by ``mark`` before trying again.
        Assignees GitHub refuses (422 ``assignees invalid``: no access to the repository) do not
        cost the issue: it is created without them, and they are @-mentioned in the body instead.
        """
        if mark not in body:
            raise ValueError("an issue release-kit creates must carry its marker")
        payload: dict[str, Any] = {"title": title, "body": body, "labels": list(labels)}
        doing = f"creating the issue {title!r} in {self.repository}"
        label = labels[0] if labels else None

        def find() -> Issue | None:
            return self.find(mark, label, state="all")

        try:
            data = self.api.create(self.path, {**payload, "assignees": list(assignees)},
                                   doing=doing, find=find)
            unassigned: tuple[str, ...] = ()
        except GitHubValidationFailed as exc:
            if not (assignees and exc.invalid_field("assignees")):
                raise
            unassigned = tuple(assignees)
            mentions = " ".join(f"@{login}" for login in unassigned)
            note = (f"{mentions}: GitHub could not assign this issue to you (no access to "
                    f"{self.repository}), so you are mentioned here instead.")
            data = self.api.create(self.path, {**payload, "body": f"{note}\n\n{body}"},
                                   doing=doing, find=find)
        issue = data if isinstance(data, Issue) else Issue.of(data)
        return NewIssue(issue, True, unassigned)

    def ensure(self, *, mark: str, title: str, body: str, labels: Sequence[str] = (),
               assignees: Sequence[str] = ()) -> NewIssue:
        """The open issue carrying ``mark``, created when there is none.

        ``body`` gets the marker appended. An existing issue is returned as it is (people may
        have edited it); callers comment on it instead of rewriting it.
        """
        existing = self.find(mark, labels[0] if labels else None)
        if existing is not None:
            return NewIssue(existing, False)
        return self.create(title=title, body=f"{body}\n\n{mark}", mark=mark, labels=labels,
                           assignees=assignees)

    def edit(self, number: int, doing: str, **fields: Any) -> Issue:
        return Issue.of(self.api.write("PATCH", f"{self.path}/{number}", json=fields,
                                       doing=doing))

    def add_labels(self, number: int, labels: Sequence[str]) -> None:
        self.api.write("POST", f"{self.path}/{number}/labels", json={"labels": list(labels)},
                       doing=f"labelling #{number} in {self.repository}")

    def remove_label(self, number: int, label: str) -> None:
        """Take ``label`` off; already gone is what was wanted."""
        try:
            self.api.write("DELETE", f"{self.path}/{number}/labels/{quote(label, safe='')}",
                           doing=f"removing the label {label!r} from #{number}")
        except GitHubNotFound:
            return

    def add_assignees(self, number: int, logins: Sequence[str]) -> None:
        self.api.write("POST", f"{self.path}/{number}/assignees", json={"assignees": list(logins)},
                       doing=f"assigning #{number} in {self.repository}")

    # -- comments ------------------------------------------------------------------------------

    def comments(self, number: int) -> Iterator[Comment]:
        for data in self.api.paginate(f"{self.path}/{number}/comments",
                                      doing=f"listing the comments of #{number}"):
            yield Comment.of(data)

    def find_comment(self, number: int, mark: str) -> Comment | None:
        return next((c for c in self.comments(number) if mark in c.body), None)

    def comment(self, number: int, *, mark: str, body: str) -> Comment:
        """Post ``body`` (which carries ``mark``) once, even when GitHub's answer is lost."""
        data = self.api.create(f"{self.path}/{number}/comments", {"body": body},
                               doing=f"commenting on #{number} in {self.repository}",
                               find=lambda: self.find_comment(number, mark))
        return data if isinstance(data, Comment) else Comment.of(data)

    def ensure_comment(self, number: int, *, mark: str, body: str) -> tuple[Comment, bool]:
        """Post ``body`` (with ``mark`` appended) unless a comment carries ``mark``.

        A re-run of the same job finds its comment instead of posting (and notifying) twice.
        """
        existing = self.find_comment(number, mark)
        if existing is not None:
            return existing, False
        return self.comment(number, mark=mark, body=f"{body}\n\n{mark}"), True

    def upsert_comment(self, number: int, *, mark: str, body: str) -> tuple[Comment, bool]:
        """The one comment carrying ``mark``, rewritten to ``body`` in place: ``(c, changed)``."""
        text = f"{body}\n\n{mark}"
        existing = self.find_comment(number, mark)
        if existing is None:
            return self.comment(number, mark=mark, body=text), True
        if existing.body == text:
            return existing, False
        return self.edit_comment(existing.id, text), True

    def edit_comment(self, comment_id: int, body: str) -> Comment:
        data = self.api.write("PATCH", f"/repos/{self.repository}/issues/comments/{comment_id}",
                              json={"body": body}, doing=f"updating comment {comment_id} in "
                              f"{self.repository}")
        return Comment.of(data)

    # -- the verified body update ------------------------------------------------------------

    def body_of(self, issue: Issue) -> IssueBody:
        return IssueBody(self, issue)


class BodyStore(Protocol):
    """Where a body is read and written (an issue on GitHub; a fake in tests)."""

    name: str

    def read(self) -> str: ...

    def write(self, body: str) -> None: ...


class IssueBody:
    """The body of one issue as a :class:`BodyStore`; ``issue`` is the issue as last seen."""

    def __init__(self, issues: Issues, issue: Issue) -> None:
        self.issues, self.issue = issues, issue
        self.name = f"#{issue.number} in {issues.repository}"

    def read(self) -> str:
        self.issue = self.issues.get(self.issue.number)
        return self.issue.body

    def write(self, body: str) -> None:
        self.issue = self.issues.edit(self.issue.number, f"updating the body of {self.name}",
                                      body=body)


@dataclass(frozen=True)
class BodyUpdate:
    """How an update went: the body as last read, and what it cost."""

    body: str
    writes: int
    reads: int  # verifying reads (the caller's first read is not counted)

    @property
    def requests(self) -> int:
        return self.writes + self.reads


def update_body(
    store: BodyStore,
    body: str,
    change: Callable[[str, Sequence[str]], str],
    complete: Callable[[str, Sequence[str]], bool],
    *,
    max_writes: int = 10,
    max_reads: int = 40,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> BodyUpdate:
    """Rewrite the body (``body``, as just read) until it holds our change, verified.

    GitHub has no compare-and-swap for issue bodies: the last write wins, so a job that read the
    body before our write and writes after it erases our change. The defence is to write, then
    watch: wait about as long as a concurrent read-to-write takes, read again, and

    - when something we have seen is missing (our change, or anything from a body read earlier:
      every writer also repairs what others lost), merge again and write, after a jittered
      backoff (at most ``max_writes`` writes);
    - when someone wrote since, keep watching: they may not be the last;
    - when nobody wrote for a whole waiting period, stop.

    ``change(body, seen)`` merges our change and every body in ``seen`` into ``body``;
    ``complete(body, seen)`` says whether ``body`` already holds all of that. Uncontended, an
    update costs one write and one read; a body that needs no change is not written at all.
    When the change cannot be verified, :class:`ConflictError` says so: a report that did not
    land is never reported as done.
    """
    rng = rng or random.Random()
    seen = [body]
    writes = reads = 0
    while True:
        started = time.monotonic()
        new_body = change(body, seen)
        if new_body == body and complete(body, seen):
            return BodyUpdate(body, writes, reads)
        if writes == max_writes or reads >= max_reads:
            raise ConflictError(
                f"{store.name} kept being overwritten by concurrent writers ({writes} writes, "
                f"{reads} reads); this update did not stick.",
                hint="Re-run the job; if this persists, fewer jobs should write the issue at once.",
            )
        store.write(new_body)
        writes += 1
        window = time.monotonic() - started
        latest, wait = new_body, _settle(window)
        while True:
            sleep(wait * (1 + 0.5 * rng.random()))
            body = store.read()
            reads += 1
            seen.append(body)
            if not complete(body, seen):
                break  # overwritten from an older read
            if body == latest:
                return BodyUpdate(body, writes, reads)  # quiet: nobody wrote since
            if reads >= max_reads:
                return BodyUpdate(body, writes, reads)  # still complete; stop watching
            latest = body  # others wrote (and kept our change): watch until it is quiet
        # Back off (full jitter, in units of our write window, so that colliding writers spread
        # out), then merge into a fresh read: writing the body read before the pause would
        # erase whatever others wrote during it.
        sleep(rng.random() * min(max(window, 0.1) * 2 ** writes, 5.0))
        body = store.read()
        reads += 1
        seen.append(body)


def _settle(window: float) -> float:
    """How long to wait before reading back: a few of our own read-to-write windows, bounded.

    A writer that read before our write lands its write about one such window later.
    """
    return min(max(3 * window, 0.2), 5.0)
