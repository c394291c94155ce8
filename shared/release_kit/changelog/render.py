"""Render a changelog: one ``### Section`` per non-empty section, then the compare link.

Entries read ``- <title> (#N) @author`` (a change without a PR shows its short sha instead).
Titles come from PRs and commit messages, so they are rendered as text
(:func:`release_kit.text.inline`: one line, Markdown and HTML escaped, no mentions); the author
is credited with a mention only when it is a GitHub login.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from release_kit.changelog.sections import OTHER_CHANGES, Section
from release_kit.text import inline, is_sha, mention


@dataclass(frozen=True)
class Entry:
    title: str
    labels: frozenset[str] = frozenset()
    number: int | None = None
    author: str = ""
    sha: str = ""

    def line(self) -> str:
        parts = [f"- {inline(self.title)}"]
        if self.number is not None:
            parts.append(f"(#{self.number})")
        elif is_sha(self.sha):
            parts.append(f"({self.sha[:7]})")
        if self.author:
            parts.append(mention(self.author))
        return " ".join(parts)


def section_of(entry: Entry, sections: Sequence[Section]) -> str:
    for section in sections:
        if section.labels & entry.labels:
            return section.title
    return OTHER_CHANGES


def compare_url(server_url: str, repository: str, previous_tag: str | None, tag: str) -> str:
    if previous_tag:
        return f"{server_url}/{repository}/compare/{previous_tag}...{tag}"
    return f"{server_url}/{repository}/commits/{tag}"


def render(entries: Iterable[Entry], sections: Sequence[Section], link: str = "") -> str:
    """Markdown: sections in configured order, "Other changes" last, then ``link``."""
    grouped: dict[str, list[str]] = {s.title: [] for s in sections}
    grouped.setdefault(OTHER_CHANGES, [])
    for entry in entries:
        grouped[section_of(entry, sections)].append(entry.line())
    parts = [f"### {title}\n\n" + "\n".join(lines) for title, lines in grouped.items() if lines]
    if not parts:
        parts.append("No changes.")
    if link:
        parts.append(f"**Full changelog**: {link}")
    return "\n\n".join(parts) + "\n"
