"""Templates: known variables render, unknown or malformed ones are input errors."""

from __future__ import annotations

import pytest

from release_kit.errors import InputError
from release_kit.templates import check, render_template


def test_render_known_variables_and_literal_braces() -> None:
    assert render_template("{sha7}-{version} {{x}}", {"sha7": "abc1234", "version": "1.2.3"}, "tags") == "abc1234-1.2.3 {x}"


def test_unknown_variable_names_input_and_lists_available() -> None:
    with pytest.raises(InputError) as info:
        check("Release {relase}", ["release"], "title")
    assert info.value.input_name == "title"
    assert "{relase}" in info.value.message
    assert info.value.hint == "Available: {release}."


@pytest.mark.parametrize("template", ["{version.major}", "{tags[0]}", "{version!r}", "{version:>9}", "{", "}"])
def test_malformed_or_non_plain_fields_rejected(template: str) -> None:
    with pytest.raises(InputError) as info:
        render_template(template, {"version": "1", "tags": ["a"]}, "tags")
    assert info.value.input_name == "tags"
