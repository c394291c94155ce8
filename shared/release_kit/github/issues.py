"""Idempotent issues: find an open issue by a hidden marker, or create it once.

Issues are found by listing (label filter, state=open, paginated), never with the search API,
which lags behind writes. The marker is an HTML comment in the body, invisible on GitHub.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from release_kit.github.errors import github_errors

if TYPE_CHECKING:
    from github.Issue import Issue
    from github.Repository import Repository


def marker(kind: str, key: str) -> str:
    """``<!-- release-kit:<kind> <key> -->``; ``key`` must not contain ``-->``."""
    return f"<!-- release-kit:{kind} {key.replace('--', '-')} -->"


def find_open_issue(repo: Repository, mark: str, label: str | None = None) -> Issue | None:
    """The open issue (not PR) whose body contains ``mark``, optionally only with ``label``."""
    with github_errors(f"listing open issues of {repo.full_name}"):
        issues = repo.get_issues(state="open", labels=[label] if label else [])
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
