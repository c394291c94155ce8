"""Deciding a release (repository or package), pyproject rewriting, package discovery."""

from __future__ import annotations

from pathlib import Path

import pytest
from semver import Version

from release_kit.errors import InputError
from release_kit.versioning.bump import Bump
from release_kit.versioning.changes import Change
from release_kit.versioning.packages import discover
from release_kit.versioning.plan import TAG_EXISTS, UNCHANGED, decide, headline
from release_kit.versioning.pyproject import project_version, with_version
from release_kit.versioning.tags import TagFormat, TaggedVersion

V = Version.parse
FMT = TagFormat("v")


def change(bump: Bump, reason: str = "r") -> Change:
    return Change("t", bump, reason)


def plan(previous: str | None, *bumps: Bump, **kwargs: object):  # type: ignore[no-untyped-def]
    prev = TaggedVersion(f"v{previous}", V(previous)) if previous else None
    return decide(name="web", path=".", previous=prev, changes=[change(b, str(b)) for b in bumps],
                  fmt=FMT, initial=V("0.1.0"), **kwargs)  # type: ignore[arg-type]


def test_highest_bump_wins_and_the_reasons_are_those_that_decided() -> None:
    result = plan("1.2.3", Bump.PATCH, Bump.MINOR, Bump.MINOR)
    assert (str(result.version), result.bump, result.tag) == ("1.3.0", Bump.MINOR, "v1.3.0")
    assert result.reasons == ("minor", "minor") and result.skipped is None and result.releases


def test_nothing_in_range_is_bump_none_and_the_previous_version() -> None:
    result = plan("1.2.3")
    assert (str(result.version), result.bump, result.tag) == ("1.2.3", Bump.NONE, "v1.2.3")
    assert result.skipped == UNCHANGED and not result.releases


def test_first_release_uses_initial_version() -> None:
    result = plan(None, Bump.MAJOR)
    assert (str(result.version), result.previous_version, result.tag) == ("0.1.0", "", "v0.1.0")
    assert plan(None).version is None


def test_hotfix_is_always_patch() -> None:
    result = plan("1.2.0", Bump.MAJOR, force_patch=True)
    assert (str(result.version), result.bump) == ("1.2.1", Bump.PATCH)
    assert result.reasons[0].startswith("hotfix")


def test_existing_tag_is_skipped() -> None:
    result = plan("1.2.0", Bump.PATCH, existing_tags={"v1.2.1"})
    assert result.skipped == TAG_EXISTS and not result.releases
    assert result.as_output() == {"name": "web", "path": ".", "previous_version": "1.2.0",
                                  "version": "1.2.1", "bump": "patch", "tag": "v1.2.1",
                                  "skipped": "tag-exists"}


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
