"""The entrypoint's own decisions: hotfix branches, inputs that depend on each other."""

from __future__ import annotations

from typing import Any

import pytest

from release_kit.changelog import CONVENTIONAL_SECTIONS, DEFAULT_SECTIONS
from release_kit.cli import load_entrypoint
from release_kit.errors import InputError

ENTRYPOINT: Any = load_entrypoint("semver-bump")


@pytest.mark.parametrize(("branch", "hotfix"), [
    ("release/1.2.0", True), ("release/v1.2.0", True), ("release/1.2.0-rc.1", True),
    ("release/1.2", False), ("release/next", False), ("main", False), ("hotfix/1.2.0", False),
])
def test_hotfix_branches(branch: str, hotfix: bool) -> None:
    assert ENTRYPOINT.is_hotfix_branch(branch, "v") is hotfix


def inputs(**values: str) -> Any:
    environ = {f"INPUT_{k.upper().replace('_', '-')}": v for k, v in values.items()}
    return ENTRYPOINT.Inputs.from_environ(environ)


def test_sections_follow_the_strategy_unless_configured() -> None:
    assert tuple(inputs().sections()) == DEFAULT_SECTIONS
    assert tuple(inputs(strategy="conventional-commits").sections()) == CONVENTIONAL_SECTIONS
    custom = inputs(strategy="conventional-commits", changelog_sections="Docs: [docs]").sections()
    assert [(s.title, s.labels) for s in custom] == [("Docs", frozenset({"docs"}))]


def test_writes_need_a_token_only_when_something_is_written() -> None:
    assert inputs().writes
    assert not inputs(dry_run="true").writes
    assert not inputs(packages="packages/*").writes  # packages get no draft release
    assert inputs(packages="packages/*", create_tags="true").writes


def test_package_tag_format_needs_both_variables_with_packages() -> None:
    assert inputs(package_tag_format="v{version}").package_tag_format == "v{version}"
    with pytest.raises(InputError, match=r"\{package\}"):
        inputs(packages="packages/*", package_tag_format="v{version}")
