"""Tags <-> versions and bump rules: the semver edge cases, with no server."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from semver import Version

from release_kit.versioning.bump import (
    Bump,
    first_version,
    is_prerelease_identifier,
    next_version,
)
from release_kit.versioning.tags import TagFormat, check_ref_fragment, highest, versions

V = Version.parse
PREFIX_V = TagFormat("v")


def tags(*names: str) -> list[tuple[str, str]]:
    return [(n, f"sha-{n}") for n in names]


def test_highest_uses_semver_precedence_not_text_order() -> None:
    found = highest(tags("v1.9.0", "v1.10.0", "v1.2.0"), PREFIX_V)
    assert found is not None and found.tag == "v1.10.0" and found.sha == "sha-v1.10.0"


def test_prefix_is_required_and_non_semver_tags_are_ignored() -> None:
    names = tags("1.5.0", "v2", "v1.2", "latest", "v1.1.0", "release-9.0.0", "v01.2.3", "vx.y.z")
    assert [t.tag for t in versions(names, PREFIX_V)] == ["v1.1.0"]


def test_prereleases_order_by_semver_rules() -> None:
    names = tags("v1.3.0-rc.2", "v1.3.0-rc.10", "v1.3.0-beta.5", "v1.2.9", "v1.3.0-rc.1")
    assert [t.tag for t in versions(names, PREFIX_V)] == [
        "v1.3.0-rc.10", "v1.3.0-rc.2", "v1.3.0-rc.1", "v1.3.0-beta.5", "v1.2.9"]
    assert highest(names + tags("v1.3.0"), PREFIX_V).tag == "v1.3.0"  # type: ignore[union-attr]


def test_build_metadata_is_ignored_for_ordering_and_dropped_from_next_version() -> None:
    found = highest(tags("v1.2.3+build.9", "v1.2.2"), PREFIX_V)
    assert found is not None and found.tag == "v1.2.3+build.9"
    assert next_version(found.version, Bump.PATCH) == V("1.2.4")
    assert str(next_version(found.version, Bump.NONE)) == "1.2.3"


def test_no_tag_yet() -> None:
    assert highest(tags("latest", "nightly"), PREFIX_V) is None
    assert highest([], PREFIX_V) is None
    assert first_version(V("0.1.0")) == V("0.1.0")
    assert first_version(V("0.1.0"), "rc") == V("0.1.0-rc.1")


def test_package_tag_format() -> None:
    fmt = TagFormat.from_template("{package}-v{version}", "core")
    assert fmt.tag("1.2.3") == "core-v1.2.3"
    assert fmt.parse("core-v1.2.3") == V("1.2.3")
    assert fmt.parse("api-v1.2.3") is None
    assert fmt.parse("core-v1.2") is None
    suffixed = TagFormat.from_template("release/{version}/{package}", "api")
    assert suffixed.parse("release/2.0.0/api") == V("2.0.0")
    with pytest.raises(ValueError, match="version"):
        TagFormat.from_template("{package}", "x")


@pytest.mark.parametrize(("previous", "bump", "expected"), [
    ("1.2.3", Bump.MAJOR, "2.0.0"),
    ("1.2.3", Bump.MINOR, "1.3.0"),
    ("1.2.3", Bump.PATCH, "1.2.4"),
    ("1.2.3", Bump.NONE, "1.2.3"),
    ("0.1.0", Bump.MAJOR, "1.0.0"),
    ("1.3.0-rc.2", Bump.MINOR, "1.3.0"),  # a prerelease is finalised by what it covers
    ("1.3.0-rc.2", Bump.PATCH, "1.3.0"),
    ("1.3.0-rc.2", Bump.MAJOR, "2.0.0"),
    ("2.0.0-rc.1", Bump.MAJOR, "2.0.0"),
    ("1.2.4-rc.1", Bump.MINOR, "1.3.0"),
])
def test_next_version(previous: str, bump: Bump, expected: str) -> None:
    assert str(next_version(V(previous), bump)) == expected


@pytest.mark.parametrize(("previous", "bump", "expected"), [
    ("1.2.0", Bump.MINOR, "1.3.0-rc.1"),
    ("1.3.0-rc.1", Bump.MINOR, "1.3.0-rc.2"),
    ("1.3.0-rc.1", Bump.PATCH, "1.3.0-rc.2"),
    ("1.3.0-rc.9", Bump.PATCH, "1.3.0-rc.10"),
    ("1.3.0-rc.1", Bump.MAJOR, "2.0.0-rc.1"),
    ("1.3.0-beta.4", Bump.MINOR, "1.3.0-rc.1"),
    ("1.2.0", Bump.PATCH, "1.2.1-rc.1"),
])
def test_next_prerelease(previous: str, bump: Bump, expected: str) -> None:
    assert str(next_version(V(previous), bump, "rc")) == expected


@given(st.integers(0, 50), st.integers(0, 50), st.integers(0, 50),
       st.sampled_from([Bump.PATCH, Bump.MINOR, Bump.MAJOR]), st.sampled_from(["", "rc"]))
def test_next_version_is_always_higher(major: int, minor: int, patch: int, bump: Bump,
                                       pre: str) -> None:
    previous = Version(major, minor, patch)
    assert next_version(previous, bump, pre) > previous


def test_bump_order_and_names() -> None:
    assert max([Bump.PATCH, Bump.MAJOR, Bump.MINOR]) is Bump.MAJOR
    assert Bump.parse("Minor") is Bump.MINOR and str(Bump.PATCH) == "patch"


@pytest.mark.parametrize("value", ["rc", "beta.1", "alpha-x", "rc.0", "x.7z"])
def test_valid_prerelease_identifiers(value: str) -> None:
    assert is_prerelease_identifier(value)


@pytest.mark.parametrize("value", ["", "rc..1", "rc_1", "01", "rc.01", "r c", "é"])
def test_invalid_prerelease_identifiers(value: str) -> None:
    assert not is_prerelease_identifier(value)


@pytest.mark.parametrize("value", ["v", "release-", "pkg/v", "V_"])
def test_valid_tag_prefixes(value: str) -> None:
    check_ref_fragment(value)  # the check: it raises ValueError for an invalid prefix


@pytest.mark.parametrize("value", ["v ", "a b", "v~", "v^", "v:", "v?", "v*", "v[", "a..b",
                                   "-v", "/v", "a\\b", "a@{b"])
def test_invalid_tag_prefixes(value: str) -> None:
    with pytest.raises(ValueError, match="git tag name"):
        check_ref_fragment(value)
