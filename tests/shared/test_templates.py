"""Templates: known variables render, unknown or malformed ones are input errors."""

from __future__ import annotations

import pytest

from release_kit.errors import InputError
from release_kit.templates import Field, check, ref_fields, render_template


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


# -- variables that name another ref: {sha:<ref>}, {short_sha:<ref>} ---------------------------

REFS = ("sha", "short_sha")


def test_a_ref_field_takes_the_value_of_its_ref() -> None:
    values = {"short_sha": "aaaaaaa", "short_sha:main": "bbbbbbb",
              "sha:acme/base@v2": "c" * 40}
    assert render_template("{short_sha}-{short_sha:main}", values, "tags", ref_names=REFS) == \
        "aaaaaaa-bbbbbbb"
    assert render_template("{sha:acme/base@v2}", values, "tags", ref_names=REFS) == "c" * 40
    assert ref_fields("x-{sha:release/1.4}-{short_sha}", "tags", REFS) == [
        Field("sha", "release/1.4")]
    assert str(Field("sha", "main")) == "{sha:main}"


def test_a_ref_is_refused_where_the_input_takes_none() -> None:
    with pytest.raises(InputError) as info:
        render_template("{version:main}", {"version": "1"}, "tags", ref_names=REFS)
    assert info.value.input_name == "tags"
    assert "{sha:<ref>}" in (info.value.hint or "")
    with pytest.raises(InputError):  # no ref_names: the old rule, no spec at all
        check("{sha:main}", ["sha"], "title")


def test_a_ref_field_without_its_value_names_what_is_known() -> None:
    with pytest.raises(InputError) as info:
        render_template("{short_sha:develop}", {"short_sha": "a", "short_sha:main": "b"}, "tags",
               ref_names=REFS)
    assert "{short_sha:develop}" in info.value.message
    assert "{short_sha:main}" in (info.value.hint or "")


@pytest.mark.parametrize("template", ["{sha:a b}", "{sha:@main}", "{sha:/main}"])
def test_a_ref_that_cannot_be_one_is_an_input_error(template: str) -> None:
    with pytest.raises(InputError) as info:
        ref_fields(template, "tags", REFS)
    assert "is not a ref" in info.value.message


def test_check_counts_a_ref_field_under_its_name() -> None:
    assert check("{short_sha}-{short_sha:main}", ["short_sha"], "tags", ref_names=REFS) == [
        "short_sha", "short_sha"]
    with pytest.raises(InputError):
        check("{sha7:main}", ["sha7"], "tags", ref_names=REFS)
