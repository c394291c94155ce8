"""One release decided: previous version, bump, next version, tag, or why it is skipped.

The same decision serves the whole repository and each monorepo package.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from semver import Version

from release_kit.versioning.bump import Bump, first_version, highest_bump, next_version
from release_kit.versioning.changes import Change
from release_kit.versioning.tags import TagFormat, TaggedVersion

UNCHANGED = "unchanged"
TAG_EXISTS = "tag-exists"


@dataclass(frozen=True)
class ReleasePlan:
    name: str  # the package name; the repository name for a single-version repository
    path: str  # the package folder relative to the repository root ("." for the repository)
    previous: TaggedVersion | None
    version: Version | None  # None only when there is no tag and nothing to release
    bump: Bump
    tag: str
    changes: tuple[Change, ...] = ()
    skipped: str | None = None
    reasons: tuple[str, ...] = field(default=())

    @property
    def previous_version(self) -> str:
        return str(self.previous.version) if self.previous else ""

    @property
    def previous_tag(self) -> str:
        return self.previous.tag if self.previous else ""

    @property
    def releases(self) -> bool:
        """Whether anything is to be written for this plan (a tag, a version, a release)."""
        return self.skipped is None and self.version is not None

    def as_output(self) -> dict[str, object]:
        return {
            "name": self.name,
            "path": self.path,
            "previous_version": self.previous_version or None,
            "version": str(self.version) if self.version else None,
            "bump": str(self.bump),
            "tag": self.tag or None,
            "skipped": self.skipped,
        }


def decide(
    *,
    name: str,
    path: str,
    previous: TaggedVersion | None,
    changes: Sequence[Change],
    fmt: TagFormat,
    initial: Version,
    prerelease: str = "",
    existing_tags: Collection[str] = (),
    force_patch: bool = False,
) -> ReleasePlan:
    """Decide one release.

    - No change: bump ``none``, the version stays the previous one, skipped ``unchanged``.
    - ``force_patch`` (hotfix branches): any change is a patch.
    - The computed tag already exists (anywhere, not only reachable from HEAD): skipped
      ``tag-exists``: that release was already made, e.g. by an earlier run of this job.
    """
    bump = highest_bump(c.bump for c in changes)
    if force_patch and bump is not Bump.NONE:
        bump = Bump.PATCH
    deciding = tuple(c.reason for c in changes if c.bump is bump)
    if bump is Bump.NONE:
        version = previous.version.replace(build=None) if previous else None
        tag = previous.tag if previous else ""
        return ReleasePlan(name, path, previous, version, bump, tag, (), UNCHANGED)
    if previous is None:
        version = first_version(initial, prerelease)
    else:
        version = next_version(previous.version, bump, prerelease)
    tag = fmt.tag(version)
    skipped = TAG_EXISTS if tag in existing_tags else None
    if force_patch:
        deciding = ("hotfix branch: always a patch", *deciding)
    return ReleasePlan(name, path, previous, version, bump, tag, tuple(changes), skipped,
                       deciding)


def headline(plans: Sequence[ReleasePlan]) -> ReleasePlan:
    """The plan the top-level outputs describe: the highest bump, releasing ones first."""
    return max(plans, key=lambda p: (p.skipped is None, p.bump))
