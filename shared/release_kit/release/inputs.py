"""semver-bump's inputs: the model of its ``action.yml``, checked before anything runs, and the
:class:`~release_kit.release.settings.Settings` a run works from.

Imports stay lazy: a dry run in conventional-commits mode pays for no YAML, TOML or HTTP library.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Self

from release_kit.action.context import Context
from release_kit.action.inputs import (
    ActionInputs,
    Bool,
    Lines,
    SecretStr,
    field_validator,
    model_validator,
)
from release_kit.changelog import (
    CONVENTIONAL_SECTIONS,
    DEFAULT_SECTIONS,
    DEFAULT_SECTIONS_YAML,
    Section,
    parse_sections,
)
from release_kit.errors import InputError
from release_kit.release.settings import Settings, parse_shared_paths
from release_kit.templates import check as check_template
from release_kit.versioning.bump import Bump, is_prerelease_identifier
from release_kit.versioning.changes import LabelRules
from release_kit.versioning.tags import check_ref_fragment, parse_version
from release_kit.versioning.train import parse_days
from release_kit.versioning.types import DEFAULT_TEXT as DEFAULT_RELEASE_TYPES
from release_kit.versioning.types import ReleaseTypes

PULL_REQUEST_EVENTS = frozenset({"pull_request", "pull_request_target"})


class SemverBumpInputs(ActionInputs):
    operation: Literal["auto", "release", "preview", "publish", "train"] = "auto"
    strategy: Literal["labels", "conventional-commits"] = "labels"
    default_bump: Literal["major", "minor", "patch"] = "minor"
    major_labels: Lines = ["major"]
    minor_labels: Lines = ["minor", "enhancement", "feature"]
    patch_labels: Lines = ["patch", "fix", "bug", "security"]
    skip_labels: Lines = ["no-release", "skip-changelog"]
    release_types: str = DEFAULT_RELEASE_TYPES
    bump_minor_pre_major: Bool = False
    squash_entries: Bool = False
    tag_prefix: str = "v"
    initial_version: str = "0.1.0"
    prerelease: str = ""
    packages: Lines = []
    package_tag_format: str = "{package}-v{version}"
    shared_paths: str = ""
    update_pyproject: Bool = False
    create_tags: Bool = False
    draft_release: Bool = True
    changelog_sections: str = DEFAULT_SECTIONS_YAML
    tag: str = ""
    train_days: Lines = ["tuesday"]
    freeze: str = ""
    freeze_label: str = "release-freeze"
    security_labels: Lines = ["security"]
    dry_run: Bool = False
    github_token: SecretStr = SecretStr("")

    @field_validator("initial_version")
    @classmethod
    def _semver(cls, value: str) -> str:
        if parse_version(value) is None:
            raise ValueError(f"{value!r} is not a semantic version; use MAJOR.MINOR.PATCH, "
                             "e.g. 0.1.0 (no prefix)")
        return value

    @field_validator("prerelease")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if value and not is_prerelease_identifier(value):
            raise ValueError(f"{value!r} is not a semver prerelease identifier; use letters, "
                             "digits and hyphens, e.g. rc, beta or alpha")
        return value

    @field_validator("tag_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        check_ref_fragment(value)
        return value

    @field_validator("release_types")
    @classmethod
    def _types(cls, value: str) -> str:
        ReleaseTypes.parse(value)
        return value

    @field_validator("changelog_sections")
    @classmethod
    def _sections(cls, value: str) -> str:
        parse_changelog_sections(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        used = check_template(self.package_tag_format, {"package", "version"},
                              "package-tag-format")
        if self.packages and not {"package", "version"} <= set(used):
            raise InputError("package-tag-format",
                             f"{self.package_tag_format!r} must contain {{package}} and "
                             "{version}, or packages' tags would collide.",
                             hint="e.g. {package}-v{version}")
        try:
            check_ref_fragment(self.package_tag_format.format(package="pkg", version="1.0.0"))
        except ValueError as exc:
            raise InputError("package-tag-format", str(exc)) from None
        if self.shared_paths:
            parse_shared_paths(self.shared_paths)
            if not self.packages:
                raise InputError("shared-paths", "shared paths are per monorepo package, and "
                                 "packages is not set.",
                                 hint="Set packages (e.g. packages/*), or remove shared-paths.")
        if self.operation == "train":
            parse_days(self.train_days)
        if self.operation == "publish" and not self.tag:
            raise InputError("tag", "operation publish needs the tag of the release to publish.",
                             hint="e.g. tag: ${{ needs.version.outputs.tag }}")
        return self

    def sections(self) -> Sequence[Section]:
        """The changelog sections; commit types by default in conventional-commits mode."""
        if self.changelog_sections == DEFAULT_SECTIONS_YAML:
            return CONVENTIONAL_SECTIONS if self.strategy == "conventional-commits" \
                else DEFAULT_SECTIONS
        return parse_changelog_sections(self.changelog_sections)

    def label_rules(self) -> LabelRules:
        return LabelRules.of(major=self.major_labels, minor=self.minor_labels,
                             patch=self.patch_labels, skip=self.skip_labels,
                             default=Bump.parse(self.default_bump))

    def settings(self, context: Context) -> Settings:
        operation = self.operation
        if operation == "auto":
            operation = "preview" if context.event_name in PULL_REQUEST_EVENTS else "release"
        version = parse_version(self.initial_version)
        assert version is not None  # validated above
        return Settings(
            operation=operation, strategy=self.strategy, labels=self.label_rules(),
            types=ReleaseTypes.parse(self.release_types), sections=self.sections(),
            tag_prefix=self.tag_prefix, initial=version, prerelease=self.prerelease,
            minor_pre_major=self.bump_minor_pre_major, entries_in_body=self.squash_entries,
            packages=tuple(self.packages), package_tag_format=self.package_tag_format,
            shared_paths=parse_shared_paths(self.shared_paths),
            update_pyproject=self.update_pyproject, create_tags=self.create_tags,
            draft_release=self.draft_release, dry_run=self.dry_run,
            token=self.github_token.get_secret_value(), tag=self.tag,
            train_days=parse_days(self.train_days), freeze=self.freeze,
            freeze_label=self.freeze_label, security_labels=tuple(self.security_labels),
        )


def parse_changelog_sections(text: str) -> tuple[Section, ...]:
    if text == DEFAULT_SECTIONS_YAML:
        return DEFAULT_SECTIONS
    import yaml  # noqa: PLC0415 - only a configured changelog-sections needs YAML

    try:
        mapping = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"not valid YAML: {str(exc).splitlines()[0]}") from None
    return parse_sections(mapping)
