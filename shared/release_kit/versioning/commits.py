"""Commits as the history reader hands them over, and what their messages say.

- Conventional Commits 1.0: ``type(scope)!: description``, footers ``BREAKING CHANGE:`` and
  ``BREAKING-CHANGE:``. Reverts (``Revert "feat: x"`` as git writes them, or ``revert: feat: x``)
  count as the type they revert.
- ``Release-As: 1.2.3``: a footer that forces the next version (release-please's spelling;
  the token is case-insensitive, as footer tokens are).
- Entries in a body: the lines of a squash commit's body that are conventional headers themselves
  (``* feat: x``, as GitHub lists the squashed commits).
- Pull-request references: GitHub's merge commits (``Merge pull request #12 from ...``) and squash
  commits (``Subject (#12)``).

Tens of thousands of commits go through here per run, so the common case is kept cheap: one
regular expression per subject, the body searched only when a quick test says it may hold a
footer.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import NamedTuple

_HEADER = re.compile(
    r"(?P<type>[A-Za-z][\w-]*)(?:\((?P<scope>[^()\r\n]*)\))?(?P<bang>!)?: (?P<description>\S.*)"
)
_BREAKING_FOOTER = re.compile(r"^BREAKING[ -]CHANGE: ?\S", re.MULTILINE)
_RELEASE_AS = re.compile(r"^release-as: *(?P<version>\S+) *$", re.MULTILINE | re.IGNORECASE)
_GIT_REVERT = 'Revert "'
_MERGE_PR = re.compile(r"^Merge pull request #(?P<number>\d+)\b")
_SQUASH_PR = re.compile(r"\s\(#(?P<number>\d+)\)$")
_BULLET = re.compile(r"^\s*(?:[*+-]\s+)?")

# The types of the Conventional Commits' own examples (Angular's convention): a body line counts
# as an entry only with one of these, or a type release-types names, so that footers such as
# `Refs: #12` or `Co-authored-by: x` never count as changes.
KNOWN_TYPES = frozenset({"build", "chore", "ci", "docs", "feat", "fix", "perf", "refactor",
                         "revert", "style", "test"})


@dataclass(slots=True)
class Commit:
    """One commit of the local history."""

    sha: str
    subject: str
    body: str = ""
    parents: tuple[str, ...] = ()
    boundary: bool = field(default=False, compare=False)  # excluded, shown where a range stops

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def short_sha(self) -> str:
        return self.sha[:7]


class ConventionalCommit(NamedTuple):
    type: str
    scope: str
    description: str
    breaking: bool


def parse_conventional(subject: str, body: str = "") -> ConventionalCommit | None:
    """The Conventional Commit in a message, or None when the subject does not follow the spec.

    Types are compared lower-cased (``Feat:`` is ``feat``). A revert is parsed as what it reverts.
    """
    match = _HEADER.match(subject)
    if match is None:
        subject = subject.strip()
        if subject.startswith(_GIT_REVERT) and subject.endswith('"'):
            return parse_conventional(subject[len(_GIT_REVERT):-1], body)
        match = _HEADER.match(subject)
        if match is None:
            return None
    kind, scope, bang, description = match.groups()
    kind = kind.lower()
    if kind == "revert":
        inner = parse_conventional(description, body)
        if inner is not None:
            return inner
    breaking = bool(bang) or ("BREAKING" in body and bool(_BREAKING_FOOTER.search(body)))
    return ConventionalCommit(kind, (scope or "").strip(), description.strip(), breaking)


def release_as(body: str) -> str | None:
    """The version a ``Release-As:`` footer asks for (the last one), or None."""
    if "elease-" not in body and "ELEASE-" not in body:  # quick: most bodies have no such footer
        return None
    found = _RELEASE_AS.findall(body)
    return found[-1] if found else None


def body_entries(body: str, types: Collection[str] = KNOWN_TYPES) -> list[ConventionalCommit]:
    """The lines of ``body`` that are conventional headers of one of ``types``, in order.

    A bullet (``*``, ``-``, ``+``) before the header is allowed, as GitHub writes the commits of
    a squashed pull request. Such an entry is breaking only by its ``!``.
    """
    entries = []
    for line in body.splitlines():
        match = _HEADER.match(_BULLET.sub("", line, count=1).rstrip())
        if match is None:
            continue
        kind, scope, bang, description = match.groups()
        if kind.lower() in types:
            entries.append(ConventionalCommit(kind.lower(), (scope or "").strip(),
                                              description.strip(), bool(bang)))
    return entries


def pull_request_number(subject: str) -> int | None:
    """The PR a mainline commit brought in: a merge commit or a squash commit's ``(#N)``."""
    subject = subject.strip()
    match = _MERGE_PR.match(subject) or _SQUASH_PR.search(subject)
    return int(match.group("number")) if match else None


def split_pull_request(subject: str) -> tuple[str, int | None]:
    """``Add login (#12)`` -> ``("Add login", 12)``; without one, ``(subject, None)`` (stripped).

    One search, for the tens of thousands of squash commits a history can hold.
    """
    subject = subject.rstrip()
    if subject.endswith(")"):
        match = _SQUASH_PR.search(subject)
        if match is not None:
            return subject[:match.start()].rstrip(), int(match["number"])
    return subject, None


def strip_pull_request(subject: str) -> str:
    """``Add login (#12)`` -> ``Add login``."""
    subject = subject.strip()
    return _SQUASH_PR.sub("", subject) if subject.endswith(")") else subject


def is_plain_merge(commit: Commit) -> bool:
    """A merge commit with no message of its own (``Merge pull request``, ``Merge branch``).

    Its changes are counted through the commits it merges, so it is not counted again.
    """
    return commit.is_merge and parse_conventional(commit.subject, commit.body) is None
