"""Render a changelog: one ``### Section`` per non-empty section, then the compare link.

Entries read ``- <title> (#N) @author`` (a change without a PR shows its short sha instead).
Titles come from PRs and commit messages, so they are rendered as text
(:func:`release_kit.text.inline`: one line, Markdown and HTML escaped, no mentions); the author
is credited with a mention only when it is a GitHub login.
A long history is cut at :data:`MAX_CHARS` characters, the rest counted (``- ... and N more``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from release_kit.changelog.sections import OTHER_CHANGES, Section
from release_kit.text import inline, is_sha, mention


class Item(Protocol):
    """What an entry is made of (an :class:`Entry`, or a versioning change as it is)."""

    @property
    def title(self) -> str: ...
    @property
    def labels(self) -> frozenset[str]: ...
    @property
    def number(self) -> int | None: ...
    @property
    def author(self) -> str: ...
    @property
    def sha(self) -> str: ...


def entry_line(item: Item) -> str:
    """``- <title> (#N) @author``, or ``- <title> (1a2b3c4)`` without a PR."""
    parts = [f"- {inline(item.title)}"]
    if item.number is not None:
        parts.append(f"(#{item.number})")
    elif is_sha(item.sha):
        parts.append(f"({item.sha[:7]})")
    if item.author:
        parts.append(mention(item.author))
    return " ".join(parts)


@dataclass(frozen=True, slots=True)
class Entry:
    title: str
    labels: frozenset[str] = frozenset()
    number: int | None = None
    author: str = ""
    sha: str = ""

    def line(self) -> str:
        return entry_line(self)


def section_of(entry: Item, sections: Sequence[Section]) -> str:
    return _section(entry.labels, sections)


def _section(labels: frozenset[str], sections: Sequence[Section]) -> str:
    for section in sections:
        if not section.labels.isdisjoint(labels):
            return section.title
    return OTHER_CHANGES


def release_compare_url(server_url: str, repository: str, previous_tag: str | None,
                        tag: str) -> str:
    if previous_tag:
        return f"{server_url}/{repository}/compare/{previous_tag}...{tag}"
    return f"{server_url}/{repository}/commits/{tag}"


class _Part:
    """One section's lines kept, their size, and how many were left out."""

    __slots__ = ("left_out", "lines", "size")

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.size = 0
        self.left_out = 0


# GitHub refuses a release body over 125,000 characters and an output over 1 MB; the entries
# stop well before either (people's own text and the links need room too).
MAX_CHARS = 100_000


class Changelog:
    """Entries sorted into sections as they come, newest first.

    At most ``limit`` characters of entries are kept; the rest are counted and rendered as
    ``- ... and N more``, so memory stays flat however long the history.
    """

    def __init__(self, sections: Sequence[Section], limit: int = MAX_CHARS) -> None:
        self.sections = tuple(sections)
        self.limit = limit
        self.count = 0
        self._parts = {s.title: _Part() for s in self.sections}
        self._parts.setdefault(OTHER_CHANGES, _Part())
        self._part_of: dict[frozenset[str], _Part] = {}

    @property
    def lines(self) -> dict[str, list[str]]:
        """The lines kept, per section title."""
        return {title: part.lines for title, part in self._parts.items()}

    def add(self, entry: Item) -> None:
        self.count += 1
        part = self._part_of.get(entry.labels)
        if part is None:
            part = self._part_of[entry.labels] = self._parts[_section(entry.labels,
                                                                      self.sections)]
        if part.size >= self.limit:
            part.left_out += 1
            return
        line = entry_line(entry)
        part.lines.append(line)
        part.size += len(line) + 1

    def extend(self, entries: Iterable[Item]) -> Changelog:
        for entry in entries:
            self.add(entry)
        return self

    def render(self, link: str = "") -> str:
        """Markdown: sections in configured order, "Other changes" last, then ``link``."""
        budget = self.limit
        parts = []
        for title, part in self._parts.items():
            shown = []
            for line in part.lines:
                if len(line) + 1 > budget:
                    break
                shown.append(line)
                budget -= len(line) + 1
            more = len(part.lines) - len(shown) + part.left_out
            if more:
                shown.append(f"- ... and {more} more")
            if shown:
                parts.append(f"### {title}\n\n" + "\n".join(shown))
        if not parts:
            parts.append("No changes.")
        if link:
            parts.append(f"**Full changelog**: {link}")
        return "\n\n".join(parts) + "\n"


def render_changelog(entries: Iterable[Item], sections: Sequence[Section], link: str = "",
           limit: int = MAX_CHARS) -> str:
    """Markdown: sections in configured order, "Other changes" last, then ``link``."""
    return Changelog(sections, limit).extend(entries).render(link)
