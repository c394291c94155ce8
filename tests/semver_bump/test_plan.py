"""Deciding a release (repository or package), pyproject rewriting, package discovery."""

from __future__ import annotations

from pathlib import Path

import pytest
from semver import Version

from release_kit.changelog import DEFAULT_SECTIONS, Changelog
from release_kit.errors import InputError
from release_kit.versioning.bump import Bump
from release_kit.versioning.changes import Change
from release_kit.versioning.packages import discover
from release_kit.versioning.plan import (
    MAX_REASONS,
    TAG_EXISTS,
    UNCHANGED,
    ReleaseAsError,
    Tally,
    decide,
    headline,
)
from release_kit.versioning.pyproject import project_version, with_version
from release_kit.versioning.tags import TagFormat, TaggedVersion

V = Version.parse
FMT = TagFormat("v")


def change(bump: Bump, why: str = "r", *, sha: str = "a" * 40, release_as: str = "") -> Change:
    return Change("t", bump, why, sha=sha, release_as=release_as)


def plan(previous: str | None, *bumps: Bump | Change,
         **kwargs: object):  # type: ignore[no-untyped-def]
    prev = TaggedVersion(f"v{previous}", V(previous)) if previous else None
    changes = [b if isinstance(b, Change) else change(b, str(b)) for b in bumps]
    return decide(name="web", path=".", previous=prev, tally=Tally().extend(changes),
                  fmt=FMT, initial=V("0.1.0"), **kwargs)  # type: ignore[arg-type]


def test_highest_bump_wins_and_the_reasons_are_those_that_decided() -> None:
    result = plan("1.2.3", Bump.PATCH, Bump.MINOR, Bump.MINOR)
    assert (str(result.version), result.bump, result.tag) == ("1.3.0", Bump.MINOR, "v1.3.0")
    assert result.reasons == ("aaaaaaa: minor → minor",) * 2
    assert result.skipped is None and result.releases


def test_the_reasons_name_the_first_deciding_changes_and_count_the_rest() -> None:
    result = plan("1.0.0", *[change(Bump.PATCH, "fix", sha=f"{n:040d}")
                             for n in range(MAX_REASONS + 5)])
    assert len(result.reasons) == MAX_REASONS + 1 and result.reasons[-1] == "... and 5 more"


def test_nothing_in_range_is_bump_none_and_the_previous_version() -> None:
    result = plan("1.2.3", nothing="no commits since v1.2.3")
    assert (str(result.version), result.bump, result.tag) == ("1.2.3", Bump.NONE, "v1.2.3")
    assert result.skipped == UNCHANGED and not result.releases
    assert result.why == "no commits since v1.2.3"
    assert plan("1.2.3", Bump.NONE, Bump.NONE).skipped == UNCHANGED  # `none` types release nothing


def test_first_release_uses_initial_version() -> None:
    result = plan(None, Bump.MAJOR)
    assert (str(result.version), result.previous_version, result.tag) == ("0.1.0", "", "v0.1.0")
    assert plan(None).version is None


def test_hotfix_is_always_patch() -> None:
    result = plan("1.2.0", Bump.MAJOR, force_patch=True)
    assert (str(result.version), result.bump) == ("1.2.1", Bump.PATCH)
    assert result.reasons[0].startswith("hotfix")


def test_bump_minor_pre_major_only_while_the_major_is_zero() -> None:
    early = plan("0.4.2", Bump.MAJOR, minor_pre_major=True)
    assert (str(early.version), early.bump) == ("0.5.0", Bump.MINOR)
    assert early.reasons[0].startswith("bump-minor-pre-major: 0.4.2 is before 1.0.0")
    assert str(plan("0.4.2", Bump.MAJOR).version) == "1.0.0"  # off by default
    assert str(plan("1.4.2", Bump.MAJOR, minor_pre_major=True).version) == "2.0.0"
    assert str(plan(None, Bump.MAJOR, minor_pre_major=True).version) == "0.1.0"


def test_release_as_forces_the_version_and_must_be_higher() -> None:
    forced = plan("1.2.0", Bump.PATCH, change(Bump.NONE, "chore", release_as="2.0.0"))
    assert (str(forced.version), forced.bump, forced.tag) == ("2.0.0", Bump.MAJOR, "v2.0.0")
    assert forced.reasons[0] == "aaaaaaa: Release-As: 2.0.0"
    assert str(plan("1.2.0", change(Bump.NONE, release_as="1.2.5")).version) == "1.2.5"
    assert str(plan("1.3.0-rc.2", change(Bump.PATCH, release_as="1.3.0")).version) == "1.3.0"
    assert str(plan(None, change(Bump.PATCH, release_as="1.0.0")).version) == "1.0.0"
    with_rc = plan("1.2.0", change(Bump.PATCH, release_as="2.0.0"), prerelease="rc")
    assert str(with_rc.version) == "2.0.0-rc.1"
    newest_wins = plan("1.0.0", change(Bump.PATCH, release_as="3.0.0", sha="b" * 40),
                       change(Bump.PATCH, release_as="0.1.0"))  # newest first, as git logs
    assert str(newest_wins.version) == "3.0.0"


@pytest.mark.parametrize(("version", "says"), [
    ("1.2.0", r"not higher than the previous version 1\.2\.0 \(v1\.2\.0\)"),
    ("1.1.9", "not higher than the previous version"),
    ("2.0", "not a release version"),
    ("2.0.0-rc.1", "not a release version"),
])
def test_release_as_that_cannot_be_next_is_an_error_naming_the_commit(version: str,
                                                                      says: str) -> None:
    with pytest.raises(ReleaseAsError, match=says) as info:
        plan("1.2.0", change(Bump.PATCH, release_as=version, sha="c0ffee" + "0" * 34))
    assert "The commit c0ffee0" in str(info.value) and "Release-As" in str(info.value)


def test_existing_tag_is_skipped() -> None:
    result = plan("1.2.0", Bump.PATCH, existing_tags={"v1.2.1"})
    assert result.skipped == TAG_EXISTS and not result.releases
    assert result.as_output() == {"name": "web", "path": ".", "previous_version": "1.2.0",
                                  "version": "1.2.1", "bump": "patch", "tag": "v1.2.1",
                                  "skipped": "tag-exists",
                                  "reason": "the tag v1.2.1 already exists (that release was made)"}


def test_the_tally_keeps_the_notes_bounded() -> None:
    notes = Changelog(DEFAULT_SECTIONS, limit=200)
    tally = Tally(notes).extend(Change(f"change {n}", Bump.PATCH, "fix", frozenset({"bug"}),
                                       sha=f"{n:040d}") for n in range(1000))
    assert tally.count == notes.count == 1000 and tally.deciding_count == 1000
    assert len(tally.deciding) == MAX_REASONS
    text = notes.render()
    assert len(text) < 400 and text.rstrip().endswith("more")
    shown = text.count("\n- change ")
    assert f"- ... and {1000 - shown} more" in text


def test_prerelease_plan() -> None:
    assert str(plan("1.2.0", Bump.MINOR, prerelease="rc").version) == "1.3.0-rc.1"


def test_headline_prefers_releasing_packages_then_the_highest_bump() -> None:
    a, b, c = plan("1.0.0", Bump.MAJOR, existing_tags={"v2.0.0"}), plan("1.0.0", Bump.PATCH), \
        plan("1.0.0", Bump.MINOR)
    assert headline([a, b, c]) is c
    assert headline([plan("1.0.0")]).bump is Bump.NONE


PYPROJECT = """\
# Package metadata; keep comments.
[project]
name = "core"   # aligned comment
version = '1.2.0'
dependencies = [
  "requests>=2",  # http
]

[tool.ruff]
line-length = 100
"""


def test_with_version_round_trips_everything_else() -> None:
    updated = with_version(PYPROJECT, "1.3.0")
    assert updated == PYPROJECT.replace("version = '1.2.0'", "version = '1.3.0'")
    assert project_version(updated) == "1.3.0"
    assert with_version(updated, "1.3.0") == updated


@pytest.mark.parametrize("text", ['[project]\nname = "x"\n', '[project]\ndynamic = ["version"]\n',
                                  "[tool.poetry]\nversion = '1.0.0'\n", "not [ toml"])
def test_project_version_missing(text: str) -> None:
    assert project_version(text) is None


def write(root: Path, rel: str, text: str) -> None:
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(text, encoding="utf-8")


def test_discover_packages(tmp_path: Path) -> None:
    write(tmp_path, "packages/core/pyproject.toml", PYPROJECT)
    write(tmp_path, "packages/api/pyproject.toml", '[project]\nname = "api"\nversion = "0.3.0"\n')
    write(tmp_path, "packages/notes/README.md", "not a package")
    found = discover(tmp_path, ["packages/*"])
    assert [(p.name, p.path, p.version) for p in found] == [
        ("api", "packages/api", "0.3.0"), ("core", "packages/core", "1.2.0")]
    assert found[0].pyproject == "packages/api/pyproject.toml"


def test_discover_nothing_is_an_input_error(tmp_path: Path) -> None:
    write(tmp_path, "libs/x/setup.py", "")
    with pytest.raises(InputError, match="no folder matching libs/\\*") as info:
        discover(tmp_path, ["libs/*"])
    assert info.value.input_name == "packages"


def test_discover_package_without_version_is_an_input_error(tmp_path: Path) -> None:
    write(tmp_path, "packages/core/pyproject.toml", '[project]\ndynamic = ["version"]\n')
    with pytest.raises(InputError, match=r"packages/core/pyproject\.toml has no static"):
        discover(tmp_path, ["packages/*"])


def test_discover_rejects_paths_outside(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="relative path"):
        discover(tmp_path, ["../other/*"])
