"""Commits as the history reader hands them over, and what their messages say.

- Conventional Commits 1.0: ``type(scope)!: description``, footers ``BREAKING CHANGE:`` and
  ``BREAKING-CHANGE:``. Reverts (``Revert "feat: x"`` as git writes them, or ``revert: feat: x``)
  count as the type they revert.
- Pull-request references: GitHub's merge commits (``Merge pull request #12 from ...``) and squash
  commits (``Subject (#12)``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HEADER = re.compile(
    r"^(?P<type>[A-Za-z][\w-]*)(?:\((?P<scope>[^()\r\n]*)\))?(?P<bang>!)?: (?P<description>\S.*)$"
)
_BREAKING_FOOTER = re.compile(r"^BREAKING[ -]CHANGE: ?\S", re.MULTILINE)
_GIT_REVERT = re.compile(r'^Revert "(?P<inner>.+)"$')
_MERGE_PR = re.compile(r"^Merge pull request #(?P<number>\d+)\b")
_SQUASH_PR = re.compile(r"\s\(#(?P<number>\d+)\)$")


@dataclass(frozen=True)
class Commit:
    """One commit of the local history."""

    sha: str
    subject: str
    body: str = ""
    parents: tuple[str, ...] = ()
    author: str = ""
    date: str = ""  # ISO 8601 committer date
    files: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def short_sha(self) -> str:
        return self.sha[:7]


@dataclass(frozen=True)
class ConventionalCommit:
    type: str
    scope: str
    description: str
    breaking: bool


def parse_conventional(subject: str, body: str = "") -> ConventionalCommit | None:
    """The Conventional Commit in a message, or None when the subject does not follow the spec.

    Types are compared lower-cased (``Feat:`` is ``feat``). A revert is parsed as what it reverts.
    """
    subject = subject.strip()
    reverted = _GIT_REVERT.match(subject)
    if reverted:
        return parse_conventional(reverted.group("inner"), body)
    match = _HEADER.match(subject)
    if match is None:
        return None
    kind = match.group("type").lower()
    if kind == "revert":
        inner = parse_conventional(match.group("description"), body)
        if inner is not None:
            return inner
    breaking = bool(match.group("bang")) or bool(_BREAKING_FOOTER.search(body))
    return ConventionalCommit(
        type=kind,
        scope=(match.group("scope") or "").strip(),
        description=match.group("description").strip(),
        breaking=breaking,
    )


def pull_request_number(subject: str) -> int | None:
    """The PR a mainline commit brought in: a merge commit or a squash commit's ``(#N)``."""
    subject = subject.strip()
    match = _MERGE_PR.match(subject) or _SQUASH_PR.search(subject)
    return int(match.group("number")) if match else None


def strip_pull_request(subject: str) -> str:
    """``Add login (#12)`` -> ``Add login``."""
    return _SQUASH_PR.sub("", subject.strip())


def is_plain_merge(commit: Commit) -> bool:
    """A merge commit with no message of its own (``Merge pull request``, ``Merge branch``).

    Its changes are counted through the commits it merges, so it is not counted again.
    """
    return commit.is_merge and parse_conventional(commit.subject, commit.body) is None
