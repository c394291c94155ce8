"""What one semver-bump run was asked to do, parsed: the entrypoint's inputs as domain values."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from semver import Version

from release_kit.changelog import Section
from release_kit.errors import InputError
from release_kit.versioning.changes import LabelRules
from release_kit.versioning.types import ReleaseTypes

Strategy = Literal["labels", "conventional-commits"]
Operation = Literal["release", "preview", "publish", "train"]


@dataclass(frozen=True)
class Settings:
    operation: Operation
    strategy: Strategy
    labels: LabelRules
    types: ReleaseTypes
    sections: Sequence[Section]
    tag_prefix: str = "v"
    initial: Version = field(default_factory=lambda: Version(0, 1, 0))
    prerelease: str = ""
    minor_pre_major: bool = False
    entries_in_body: bool = False
    packages: Sequence[str] = ()
    package_tag_format: str = "{package}-v{version}"
    shared_paths: Mapping[str, Sequence[str]] = field(default_factory=dict)
    update_pyproject: bool = False
    create_tags: bool = False
    draft_release: bool = True
    dry_run: bool = False
    token: str = ""
    tag: str = ""  # publish: the release's tag
    # train: the days it publishes (0 = Monday), the freeze variable's value, the label of
    # freeze issues, the labels of security changes
    train_days: frozenset[int] = frozenset({1})
    freeze: str = ""
    freeze_label: str = "release-freeze"
    security_labels: tuple[str, ...] = ("security",)

    @property
    def conventional(self) -> bool:
        return self.strategy == "conventional-commits"

    @property
    def writes(self) -> bool:
        """Whether this run is going to write to GitHub (and so needs a token)."""
        if self.dry_run:
            return False
        if self.operation != "release":
            return True  # the PR's comment, the published release
        drafts = self.draft_release and not self.packages  # packages get no draft release
        return drafts or self.create_tags or self.update_pyproject

    def shared_for(self, package: str) -> list[str]:
        """The extra globs whose changes count for ``package`` (``*`` lines count for all)."""
        return [*self.shared_paths.get("*", ()), *self.shared_paths.get(package, ())]


_PACKAGE = re.compile(r"^(?:\*|[\w.-]+)$")


def parse_shared_paths(text: str) -> dict[str, list[str]]:
    """``shared-paths``: one ``<package or *>: <glob> [<glob> ...]`` per line.

    Globs are relative to the repository root, in git's glob syntax (``*`` within a folder,
    ``**`` across folders; a folder matches everything under it).
    """
    found: dict[str, list[str]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, colon, rest = line.partition(":")
        name = name.strip().strip("'\"")
        globs = rest.replace(",", " ").split()
        if not colon or not _PACKAGE.match(name) or not globs:
            raise InputError("shared-paths", f"line {number} ({line!r}) is not "
                             "`<package>: <glob> ...`.",
                             hint="e.g. `*: shared/**` (every package) or `api: libs/common/**`.")
        for glob in globs:
            if glob.startswith(("/", ":")) or ".." in glob.split("/"):
                raise InputError("shared-paths", f"{glob!r} must be a path relative to the "
                                 "repository root, inside it.", hint="e.g. shared/** or libs/x")
        found.setdefault(name, []).extend(globs)
    return found
