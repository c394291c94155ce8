"""Changelog sections and rendering."""

from __future__ import annotations

import pytest
import yaml

from release_kit.changelog import (
    CONVENTIONAL_SECTIONS,
    DEFAULT_SECTIONS,
    DEFAULT_SECTIONS_YAML,
    Entry,
    parse_sections,
    release_compare_url,
    render_changelog,
)


def test_default_yaml_matches_default_sections() -> None:
    assert parse_sections(yaml.safe_load(DEFAULT_SECTIONS_YAML)) == DEFAULT_SECTIONS


def test_render_sections_in_order_first_match_wins_other_changes_last() -> None:
    entries = [
        Entry("Add login", frozenset({"feature"}), 12, "alice"),
        Entry("Drop py3.8", frozenset({"major", "feature"}), 13, "bob"),
        Entry("Crash on start", frozenset({"bug"}), 14, "carol"),
        Entry("Misc", frozenset({"question"}), 15, "dan"),
        Entry("Direct push", frozenset(), None, "", "abcdef1234567"),
    ]
    text = render_changelog(entries, DEFAULT_SECTIONS, "https://github.com/acme/web/compare/v1.0.0...v2.0.0")
    assert text == (
        "### Breaking changes\n\n- Drop py3.8 (#13) @bob\n\n"
        "### Features\n\n- Add login (#12) @alice\n\n"
        "### Fixes\n\n- Crash on start (#14) @carol\n\n"
        "### Other changes\n\n- Misc (#15) @dan\n- Direct push (abcdef1)\n\n"
        "**Full changelog**: https://github.com/acme/web/compare/v1.0.0...v2.0.0\n"
    )


def test_render_nothing() -> None:
    assert render_changelog([], DEFAULT_SECTIONS) == "No changes.\n"


def test_conventional_sections() -> None:
    entries = [Entry("x", frozenset({"feat", "breaking"}), 1), Entry("y", frozenset({"fix"})),
               Entry("z", frozenset({"docs"}))]
    text = render_changelog(entries, CONVENTIONAL_SECTIONS)
    assert text.index("### Breaking changes") < text.index("### Fixes") < text.index("### Other")
    assert "### Features" not in text


def test_release_compare_url() -> None:
    assert release_compare_url("https://ghe.acme", "acme/web", "v1.0.0", "v1.1.0") == \
        "https://ghe.acme/acme/web/compare/v1.0.0...v1.1.0"
    assert release_compare_url("https://github.com", "acme/web", None, "v0.1.0") == \
        "https://github.com/acme/web/commits/v0.1.0"


def test_parse_sections_accepts_a_single_label() -> None:
    assert parse_sections({"Fixes": "bug"})[0].labels == {"bug"}


@pytest.mark.parametrize("value", [["a"], {"Fixes": 3}, {"Fixes": [1, 2]}, {"": ["x"]}, "x"])
def test_parse_sections_rejects(value: object) -> None:
    with pytest.raises(ValueError, match=r"section|mapping|title"):
        parse_sections(value)
