"""The facts a reintegration is decided from, as plain data (no GitHub objects)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ComparedCommit:
    """One commit of a comparison: what the PR body lists, and how hotfix PRs are found."""

    sha: str
    message: str
    author: str | None = None  # GitHub login; None when the e-mail matches no account
    url: str = ""

    @property
    def subject(self) -> str:
        return self.message.strip().splitlines()[0] if self.message.strip() else ""

    @property
    def short_sha(self) -> str:
        return self.sha[:7]


@dataclass(frozen=True)
class Comparison:
    """``GET /compare/base...head``: what ``head`` has that ``base`` lacks, and the reverse."""

    base: str
    head: str
    ahead_by: int  # commits in head that base lacks
    behind_by: int  # commits in base that head lacks
    commits: tuple[ComparedCommit, ...] = ()
    html_url: str = ""

    @property
    def head_has_news(self) -> bool:
        return self.ahead_by > 0


@dataclass(frozen=True)
class Pull:
    """A pull request, as much of it as the decisions need."""

    number: int
    title: str
    author: str
    url: str = ""
    body: str = ""
    labels: tuple[str, ...] = ()
    merged: bool = False
    merge_commit_sha: str | None = None
    requested_reviewers: tuple[str, ...] = ()
    mergeable: bool | None = None


@dataclass(frozen=True)
class Desired:
    """What the reintegration PR should say."""

    title: str
    body: str
    labels: tuple[str, ...] = field(default_factory=tuple)


def unique_names(names: Iterable[str]) -> tuple[str, ...]:
    """Names without blanks and case-insensitive duplicates (GitHub logins and labels are
    case-insensitive), in their first order."""
    seen: set[str] = set()
    unique = []
    for raw in names:
        name = raw.strip()
        if name and name.lower() not in seen:
            seen.add(name.lower())
            unique.append(name)
    return tuple(unique)
