"""Changelog sections: an ordered mapping of section title -> labels.

A change goes to the first section that shares a label with it, else to "Other changes".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

OTHER_CHANGES = "Other changes"

DEFAULT_SECTIONS_YAML = """\
Breaking changes: [major, breaking]
Features: [minor, enhancement, feature]
Fixes: [patch, fix, bug]
Maintenance: [chore, dependencies, ci, docs]"""


@dataclass(frozen=True)
class Section:
    title: str
    labels: frozenset[str]


def parse_sections(mapping: Any) -> tuple[Section, ...]:
    """Sections from a parsed YAML mapping; ValueError says what is expected.

    A value may be a list of labels or one label (``Fixes: bug``).
    """
    if not isinstance(mapping, dict):
        raise ValueError("expected a YAML mapping of section title -> list of labels, "
                         f"got {type(mapping).__name__}")
    sections = []
    for title, labels in mapping.items():
        if not isinstance(title, str) or not title.strip():
            raise ValueError(f"section title {title!r} must be non-empty text")
        names = [labels] if isinstance(labels, str) else labels
        if not isinstance(names, list) or not all(isinstance(x, str) for x in names):
            raise ValueError(f"section {title!r} must map to a list of labels, e.g. "
                             f"'{title}: [bug, fix]'")
        sections.append(Section(title.strip(), frozenset(x.strip() for x in names)))
    return tuple(sections)


DEFAULT_SECTIONS = parse_sections({
    "Breaking changes": ["major", "breaking"],
    "Features": ["minor", "enhancement", "feature"],
    "Fixes": ["patch", "fix", "bug"],
    "Maintenance": ["chore", "dependencies", "ci", "docs"],
})

# conventional-commits mode: changes are labelled with their commit type (and ``breaking``).
CONVENTIONAL_SECTIONS = parse_sections({
    "Breaking changes": ["breaking"],
    "Features": ["feat"],
    "Fixes": ["fix"],
})
