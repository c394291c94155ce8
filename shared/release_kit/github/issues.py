"""Idempotent issues: find an open issue by a hidden marker, or create it once.

Issues are found by listing (label filter, state=open, paginated), never with the search API,
which lags behind writes. The marker is an HTML comment in the body, invisible on GitHub.

Also: comments found again by their marker (post once, or rewrite in place), and a body update
for issues that several jobs write at once (read, change, write, read again to verify).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from release_kit.errors import ConflictError
from release_kit.github.errors import github_errors

if TYPE_CHECKING:
    from github.Issue import Issue
    from github.IssueComment import IssueComment
    from github.Repository import Repository


def marker(kind: str, key: str) -> str:
    """``<!-- release-kit:<kind> <key> -->``; ``key`` must not contain ``-->``."""
    return f"<!-- release-kit:{kind} {key.replace('--', '-')} -->"


def find_open_issue(repo: Repository, mark: str, label: str | None = None) -> Issue | None:
    """The open issue (not PR) whose body contains ``mark``, optionally only with ``label``."""
    return find_issue(repo, mark, label, state="open")


def find_issue(
    repo: Repository,
    mark: str,
    label: str | None = None,
    *,
    state: Literal["open", "closed", "all"] = "open",
    oldest_first: bool = False,
) -> Issue | None:
    """The first issue (not PR) in ``state`` whose body contains ``mark``, optionally by label.

    GitHub lists the newest first; ``oldest_first`` returns the oldest match instead (the
    canonical one when concurrent jobs created duplicates).
    """
    from github.GithubObject import NotSet  # noqa: PLC0415 - PyGithub only when listing

    with github_errors(f"listing {state} issues of {repo.full_name}"):
        issues = repo.get_issues(
            state=state,
            labels=[label] if label else [],
            sort="created" if oldest_first else NotSet,
            direction="asc" if oldest_first else NotSet,
        )
        for issue in issues:
            if issue.pull_request is None and mark in (issue.body or ""):
                return issue
    return None


def ensure_issue(
    repo: Repository,
    *,
    mark: str,
    title: str,
    body: str,
    labels: Sequence[str] = (),
    assignees: Sequence[str] = (),
) -> tuple[Issue, bool]:
    """The open issue carrying ``mark``, created when there is none: ``(issue, created)``.

    ``body`` gets the marker appended. An existing issue is returned as it is (people may have
    edited it); callers comment on it instead of rewriting it.
    """
    existing = find_open_issue(repo, mark, labels[0] if labels else None)
    if existing is not None:
        return existing, False
    with github_errors(f"creating the issue {title!r} in {repo.full_name}"):
        issue = repo.create_issue(
            title=title, body=f"{body}\n\n{mark}", labels=list(labels), assignees=list(assignees)
        )
    return issue, True


# -- comments -------------------------------------------------------------------------------------

def find_comment(issue: Issue, mark: str) -> IssueComment | None:
    """The first comment of ``issue`` whose body contains ``mark``."""
    with github_errors(f"listing the comments of #{issue.number}"):
        for comment in issue.get_comments():
            if mark in (comment.body or ""):
                return comment
    return None


def ensure_comment(issue: Issue, *, mark: str, body: str) -> tuple[IssueComment, bool]:
    """Post ``body`` (with ``mark`` appended) unless a comment carries ``mark``: ``(c, created)``.

    A re-run of the same job finds its comment instead of posting (and notifying) twice.
    """
    existing = find_comment(issue, mark)
    if existing is not None:
        return existing, False
    with github_errors(f"commenting on #{issue.number}"):
        return issue.create_comment(f"{body}\n\n{mark}"), True


def upsert_comment(issue: Issue, *, mark: str, body: str) -> tuple[IssueComment, bool]:
    """The one comment carrying ``mark``, rewritten to ``body`` in place: ``(c, changed)``."""
    text = f"{body}\n\n{mark}"
    existing = find_comment(issue, mark)
    if existing is None:
        with github_errors(f"commenting on #{issue.number}"):
            return issue.create_comment(text), True
    if existing.body == text:
        return existing, False
    with github_errors(f"updating comment {existing.id} on #{issue.number}"):
        existing.edit(text)
    return existing, True


# -- body updates under concurrency -------------------------------------------------------------

@dataclass(frozen=True)
class BodyUpdate:
    """How an update went: the issue as last read or written, and what it cost."""

    issue: Issue
    writes: int  # each write is followed by one verifying read

    @property
    def requests(self) -> int:
        """Requests made by the update (the caller's first read is not counted)."""
        return 2 * self.writes


def update_body(
    repo: Repository,
    issue: Issue,
    change: Callable[[str], str],
    reflected: Callable[[str], bool],
    *,
    max_attempts: int = 10,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> BodyUpdate:
    """Apply ``change`` to the body of ``issue`` (as just read) so that ``reflected`` holds.

    GitHub has no compare-and-swap for issue bodies: the last write wins. So: change the body as
    read, write it, wait until writers that read before our write have had time to land theirs,
    read again, and if ``reflected`` no longer holds (someone overwrote us from an older read),
    change the fresh body and write again after a jittered backoff, at most ``max_attempts``
    times. ``change`` must merge (keep what others wrote); ``reflected`` says whether our part is
    in a body. A body that needs no change is not written at all (re-runs cost no write).
    """
    rng = rng or random.Random()
    body = issue.body or ""
    for attempt in range(1, max_attempts + 1):
        started = time.monotonic()
        new_body = change(body)
        if new_body == body and reflected(body):
            return BodyUpdate(issue, writes=attempt - 1)
        with github_errors(f"updating the body of #{issue.number} in {repo.full_name}"):
            issue.edit(body=new_body)
        # A concurrent writer's read-to-write window is about as long as ours: outwait it.
        sleep(_settle(time.monotonic() - started, rng))
        with github_errors(f"reading #{issue.number} in {repo.full_name} back"):
            issue = repo.get_issue(issue.number)
        body = issue.body or ""
        if reflected(body):
            return BodyUpdate(issue, writes=attempt)
        sleep(min(0.1 * 2 ** (attempt - 1), 3.0) * (0.5 + rng.random()))
    raise ConflictError(
        f"#{issue.number} in {repo.full_name} was overwritten by concurrent writers "
        f"{max_attempts} times in a row; the update did not stick.",
        hint="Re-run the job; if this persists, fewer jobs should write the issue at once.",
    )


def _settle(window: float, rng: random.Random) -> float:
    """Wait before verifying: twice our own read-to-write window, jittered, within bounds."""
    return min(max(2 * window, 0.05), 5.0) * (1 + 0.5 * rng.random())
