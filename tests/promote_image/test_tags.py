"""Tag templates, tag grammar, source references and the move policy (pure, no AWS)."""

from __future__ import annotations

import pytest

from release_kit.errors import InputError
from release_kit.registry.references import ImageRef, tag_problem
from release_kit.registry.tags import MovePolicy, expand_tags, template_values

SHA = "0123456789abcdef0123456789abcdef01234567"


def values(version: str = "1.4.0", sha: str = SHA, ref_name: str = "main") -> dict[str, str | None]:
    return template_values(version, sha=sha, ref_name=ref_name)


def test_release_templates_expand_to_floating_tags() -> None:
    tags = expand_tags(["{version}", "{major}.{minor}.{patch}", "{major}.{minor}", "{major}",
                        "latest"], values())
    assert tags == ["1.4.0", "1.4", "1", "latest"]  # the second equals the first: written once


def test_composite_and_context_templates() -> None:
    tags = expand_tags(["{sha7}-{version}", "sha-{sha}", "{ref_name}-{major}.{minor}"],
                       values("v2.0.1-rc.1"))
    assert tags == ["0123456-2.0.1-rc.1", f"sha-{SHA}", "main-2.0"]


def test_prerelease_keeps_version_but_parts_are_numeric() -> None:
    v = values("1.4.0-rc.2+build.7")
    assert (v["version"], v["major"], v["minor"], v["patch"]) == (
        "1.4.0-rc.2+build.7", "1", "4", "0")
    with pytest.raises(InputError) as err:  # '+' is not allowed in a tag
        expand_tags(["{version}"], v)
    assert err.value.input_name == "tags"
    assert "'+'" in err.value.message


@pytest.mark.parametrize("version", ["", "  "])
def test_version_parts_without_version_name_the_version_input(version: str) -> None:
    with pytest.raises(InputError) as err:
        expand_tags(["{major}"], values(version.strip()))
    assert err.value.input_name == "version"
    assert "{major}" in err.value.message


@pytest.mark.parametrize("version", ["1.4", "one", "1.4.0.1", "latest"])
def test_non_semver_version_is_an_error(version: str) -> None:
    with pytest.raises(InputError) as err:
        template_values(version, sha=SHA, ref_name="main")
    assert err.value.input_name == "version"
    assert version in err.value.message


def test_unknown_template_variable_lists_the_available_ones() -> None:
    with pytest.raises(InputError) as err:
        expand_tags(["{build}"], values())
    assert err.value.input_name == "tags"
    assert "{build}" in err.value.message
    assert "{sha7}" in str(err.value.hint)


def test_empty_tags() -> None:
    with pytest.raises(InputError) as err:
        expand_tags([], values())
    assert err.value.input_name == "tags"


def test_ref_name_with_slash_is_an_invalid_tag() -> None:
    with pytest.raises(InputError) as err:
        expand_tags(["{ref_name}"], values(ref_name="release/1.4"))
    assert "'/'" in err.value.message


def test_sha_missing_in_context() -> None:
    with pytest.raises(InputError) as err:
        expand_tags(["sha-{sha7}"], values(sha=""))
    assert "GITHUB_SHA" in err.value.message


@pytest.mark.parametrize(("tag", "ok"), [
    ("1.4.0", True), ("latest", True), ("_x", True), ("a" * 128, True), ("a" * 129, False),
    ("-x", False), (".x", False), ("a b", False), ("a/b", False), ("a:b", False), ("é", False),
    ("", False),
])
def test_tag_grammar(tag: str, ok: bool) -> None:
    assert (tag_problem(tag) is None) is ok


def test_long_tag_message_says_the_limit() -> None:
    assert "128" in str(tag_problem("x" * 200))


def test_source_reference() -> None:
    digest = "sha256:" + "a" * 64
    assert ImageRef.parse(digest, "source").image_id() == {"imageDigest": digest}
    assert ImageRef.parse("sha-abc", "source").image_id() == {"imageTag": "sha-abc"}
    for bad in ["sha256:abc", "sha256:" + "A" * 64, "acme/web:1", "-x"]:
        with pytest.raises(InputError) as err:
            ImageRef.parse(bad, "source")
        assert err.value.input_name == "source"


def test_move_policy() -> None:
    assert MovePolicy.parse(["latest"]).allows("latest")
    assert not MovePolicy.parse(["latest"]).allows("1")
    assert MovePolicy.parse(["*"]).allows("1.4.0")
    assert not MovePolicy.parse([]).allows("latest")
    with pytest.raises(InputError) as err:
        MovePolicy.parse(["dev/*"])
    assert err.value.input_name == "allow-move"
