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
            if not is_pull_request(issue) and mark in (issue.body or ""):
                return issue
    return None


def is_pull_request(issue: Issue) -> bool:
    """Whether a listed issue is a pull request, without a request.

    Reading ``issue.pull_request`` on a listed issue (the key is absent for plain issues) makes
    PyGithub fetch the whole issue again: one extra GET per issue listed.
    """
    return "/pull/" in (issue.html_url or "")


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
    """How an update went: the issue as last read, and what it cost."""

    issue: Issue
    writes: int
    reads: int  # verifying reads (the caller's first read is not counted)

    @property
    def requests(self) -> int:
        return self.writes + self.reads


def update_body(
    repo: Repository,
    issue: Issue,
    change: Callable[[str, Sequence[str]], str],
    complete: Callable[[str, Sequence[str]], bool],
    *,
    max_writes: int = 10,
    max_reads: int = 40,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> BodyUpdate:
    """Rewrite the body of ``issue`` (as just read) until it holds our change, verified.

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
    """
    rng = rng or random.Random()
    body = issue.body or ""
    seen = [body]
    writes = reads = 0
    while True:
        started = time.monotonic()
        new_body = change(body, seen)
        if new_body == body and complete(body, seen):
            return BodyUpdate(issue, writes, reads)
        if writes == max_writes or reads >= max_reads:
            raise ConflictError(
                f"#{issue.number} in {repo.full_name} kept being overwritten by concurrent "
                f"writers ({writes} writes); the update may not have stuck.",
                hint="Re-run the job; if this persists, fewer jobs should write the issue at once.",
            )
        with github_errors(f"updating the body of #{issue.number} in {repo.full_name}"):
            issue.edit(body=new_body)
        writes += 1
        window = time.monotonic() - started
        latest, wait = new_body, _settle(window)
        while True:
            sleep(wait * (1 + 0.5 * rng.random()))
            issue, body = _read(repo, issue)
            reads += 1
            seen.append(body)
            if not complete(body, seen):
                break  # overwritten from an older read
            if body == latest:
                return BodyUpdate(issue, writes, reads)  # quiet: nobody wrote since
            if reads >= max_reads:
                return BodyUpdate(issue, writes, reads)  # still complete; stop watching
            latest = body  # others wrote (and kept our change): watch until it is quiet
        # Back off (full jitter, in units of our write window, so that colliding writers spread
        # out), then merge into a fresh read: writing the body read before the pause would
        # erase whatever others wrote during it.
        sleep(rng.random() * min(max(window, 0.1) * 2 ** writes, 5.0))
        issue, body = _read(repo, issue)
        reads += 1
        seen.append(body)


def _read(repo: Repository, issue: Issue) -> tuple[Issue, str]:
    with github_errors(f"reading #{issue.number} in {repo.full_name} back"):
        fresh = repo.get_issue(issue.number)
        return fresh, fresh.body or ""


def _settle(window: float) -> float:
    """How long to wait before reading back: a few of our own read-to-write windows, bounded.

    A writer that read before our write lands its write about one such window later.
    """
    return min(max(3 * window, 0.2), 5.0)
