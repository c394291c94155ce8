"""semver-bump's inputs (release_kit.release.inputs): inputs that depend on each other, the
operation, hotfixes."""

from __future__ import annotations

import pytest

from release_kit.action.context import Context
from release_kit.changelog import CONVENTIONAL_SECTIONS, DEFAULT_SECTIONS
from release_kit.errors import InputError
from release_kit.release.inputs import SemverBumpInputs
from release_kit.release.run import is_hotfix_branch
from release_kit.versioning.bump import Bump


@pytest.mark.parametrize(("branch", "hotfix"), [
    ("release/1.2.0", True), ("release/v1.2.0", True), ("release/1.2.0-rc.1", True),
    ("release/1.2", False), ("release/next", False), ("main", False), ("hotfix/1.2.0", False),
])
def test_hotfix_branches(branch: str, hotfix: bool) -> None:
    assert is_hotfix_branch(branch, "v") is hotfix


def inputs(**values: str) -> SemverBumpInputs:
    environ = {f"INPUT_{k.upper().replace('_', '-')}": v for k, v in values.items()}
    return SemverBumpInputs.from_environ(environ)


def test_sections_follow_the_strategy_unless_configured() -> None:
    assert tuple(inputs().sections()) == DEFAULT_SECTIONS
    assert tuple(inputs(strategy="conventional-commits").sections()) == CONVENTIONAL_SECTIONS
    custom = inputs(strategy="conventional-commits", changelog_sections="Docs: [docs]").sections()
    assert [(s.title, s.labels) for s in custom] == [("Docs", frozenset({"docs"}))]


def writes(**values: str) -> bool:
    return bool(inputs(**values).settings(Context()).writes)


def test_writes_need_a_token_only_when_something_is_written() -> None:
    assert writes()
    assert not writes(dry_run="true")
    assert not writes(packages="packages/*")  # packages get no draft release
    assert writes(packages="packages/*", create_tags="true")
    assert writes(operation="preview") and writes(operation="publish", tag="v1.0.0")
    assert not writes(operation="preview", dry_run="true")


@pytest.mark.parametrize(("event", "operation"), [
    ("pull_request", "preview"), ("pull_request_target", "preview"), ("push", "release"),
    ("workflow_dispatch", "release"), ("", "release"),
])
def test_auto_previews_on_pull_requests_and_releases_otherwise(event: str, operation: str) -> None:
    assert inputs().settings(Context(event_name=event)).operation == operation
    assert inputs(operation="release").settings(Context(event_name=event)).operation == "release"


def test_settings_carry_the_controls() -> None:
    settings = inputs(strategy="conventional-commits", release_types="chore: none",
                      bump_minor_pre_major="true", squash_entries="true",
                      packages="packages/*", shared_paths="*: shared/**\napi: libs/common, x/**"
                      ).settings(Context())
    assert settings.types.bump("chore") is Bump.NONE and settings.types.bump("feat") is Bump.MINOR
    assert settings.minor_pre_major and settings.entries_in_body
    assert settings.shared_for("api") == ["shared/**", "libs/common", "x/**"]
    assert settings.shared_for("web") == ["shared/**"]


def test_package_tag_format_needs_both_variables_with_packages() -> None:
    assert inputs(package_tag_format="v{version}").package_tag_format == "v{version}"
    with pytest.raises(InputError, match=r"\{package\}"):
        inputs(packages="packages/*", package_tag_format="v{version}")


@pytest.mark.parametrize(("values", "name", "says"), [
    ({"shared_paths": "*: shared/**"}, "shared-paths", "packages is not set"),
    ({"packages": "p/*", "shared_paths": "shared/**"}, "shared-paths", "is not `<package>: <glob>"),
    ({"packages": "p/*", "shared_paths": "*: ../up"}, "shared-paths", "inside it"),
    ({"packages": "p/*", "shared_paths": "*: /abs"}, "shared-paths", "relative"),
    ({"packages": "p/*", "shared_paths": "*: :(exclude)x"}, "shared-paths", "relative"),
    ({"operation": "publish"}, "tag", "needs the tag"),
])
def test_inputs_that_depend_on_each_other(values: dict[str, str], name: str, says: str) -> None:
    with pytest.raises(InputError, match=says) as info:
        inputs(**values)
    assert info.value.input_name == name
