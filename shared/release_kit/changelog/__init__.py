"""Changelog: sections chosen by labels, rendered as Markdown. Pure logic, no I/O."""

from release_kit.changelog.render import (
    MAX_CHARS,
    Changelog,
    Entry,
    release_compare_url,
    render_changelog,
)
from release_kit.changelog.sections import (
    CONVENTIONAL_SECTIONS,
    DEFAULT_SECTIONS,
    DEFAULT_SECTIONS_YAML,
    OTHER_CHANGES,
    Section,
    parse_sections,
)

__all__ = [
    "CONVENTIONAL_SECTIONS",
    "DEFAULT_SECTIONS",
    "DEFAULT_SECTIONS_YAML",
    "MAX_CHARS",
    "OTHER_CHANGES",
    "Changelog",
    "Entry",
    "Section",
    "parse_sections",
    "release_compare_url",
    "render_changelog",
]
