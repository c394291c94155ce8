"""One release decided: previous version, bump, next version, tag, or why there is none.

The same decision serves the whole repository and each monorepo package. The changes of a range
are folded one at a time into a :class:`Tally` (the highest bump, the first changes that decided
it, the release notes, a ``Release-As:`` footer), so a history of any length is read in one pass
and in bounded memory; :func:`decide` turns the tally into a :class:`ReleasePlan`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from semver import Version

from release_kit.changelog.render import Changelog
from release_kit.errors import ReleaseKitError
from release_kit.versioning.bump import Bump, first_version, next_version, with_prerelease
from release_kit.versioning.changes import Change, Seen
from release_kit.versioning.tags import TagFormat, TaggedVersion, parse_version

UNCHANGED = "unchanged"
TAG_EXISTS = "tag-exists"
MAX_REASONS = 20  # the changes named as having decided a bump; the rest are counted


class ReleaseAsError(ReleaseKitError):
    """A ``Release-As:`` footer asks for a version that cannot be the next one."""

    title = "Invalid Release-As footer"


class Tally:
    """What the changes of one range add up to, folded one change at a time."""

    def __init__(self, changelog: Changelog | None = None, keep: int = MAX_REASONS) -> None:
        self.bump = Bump.NONE
        self.count = 0
        self.deciding: list[Change] = []  # the first ``keep`` changes asking for ``bump``
        self.deciding_count = 0
        self.release_as: Change | None = None  # the newest change with a Release-As footer
        self.changelog = changelog
        self.seen = Seen()
        self.keep = keep

    def add(self, change: Change) -> None:
        self.extend((change,))

    def extend(self, changes: Iterable[Change]) -> Tally:
        # One loop with locals: it runs once per commit of the range (tens of thousands).
        bump, deciding, count, deciding_count = self.bump, self.deciding, 0, self.deciding_count
        keep, notes = self.keep, self.changelog
        for change in changes:
            count += 1
            level = change.bump
            if level > bump:
                bump, deciding, deciding_count = level, [change], 1
            elif level == bump and level:
                deciding_count += 1
                if len(deciding) < keep:
                    deciding.append(change)
            if change.release_as and self.release_as is None:
                self.release_as = change
            if notes is not None:
                notes.add(change)
        self.bump, self.deciding, self.deciding_count = bump, deciding, deciding_count
        self.count += count
        return self

    def reasons(self) -> list[str]:
        shown = [c.reason for c in self.deciding]
        if self.deciding_count > len(shown):
            shown.append(f"... and {self.deciding_count - len(shown)} more")
        return shown


@dataclass(frozen=True)
class ReleasePlan:
    name: str  # the package name; the repository name for a single-version repository
    path: str  # the package folder relative to the repository root ("." for the repository)
    previous: TaggedVersion | None
    version: Version | None  # None only when there is no tag and nothing to release
    bump: Bump
    tag: str
    changelog: Changelog | None = None
    skipped: str | None = None
    reasons: tuple[str, ...] = field(default=())
    why: str = ""  # why there is no release (skipped), in a sentence

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
            "reason": self.why or None,
        }


def decide(
    *,
    name: str,
    path: str,
    previous: TaggedVersion | None,
    tally: Tally,
    fmt: TagFormat,
    initial: Version,
    prerelease: str = "",
    existing_tags: Collection[str] = (),
    force_patch: bool = False,
    minor_pre_major: bool = False,
    nothing: str = "nothing to release",
) -> ReleasePlan:
    """Decide one release.

    - No change: bump ``none``, the version stays the previous one, skipped ``unchanged``, and
      ``nothing`` (the strategy's explanation) says why.
    - A ``Release-As:`` footer sets the version; it must be semver and above the previous one.
    - ``minor_pre_major``: a major bump is a minor one while the major version is 0.
    - ``force_patch`` (hotfix branches): any change is a patch.
    - The computed tag already exists (anywhere, not only reachable from HEAD): skipped
      ``tag-exists``: that release was already made, e.g. by an earlier run of this job.
    """
    bump = tally.bump
    rules: list[str] = []
    forced = _forced_version(tally.release_as, previous)
    if forced is not None and tally.release_as is not None:
        bump = _difference(previous.version if previous else None, forced)
        rules.append(f"{tally.release_as.ref}: Release-As: {forced}")
    elif bump is Bump.NONE:
        version = previous.version.replace(build=None) if previous else None
        tag = previous.tag if previous else ""
        return ReleasePlan(name, path, previous, version, bump, tag, tally.changelog, UNCHANGED,
                           why=nothing)
    elif force_patch:
        bump, rules = Bump.PATCH, ["hotfix branch: always a patch"]
    elif minor_pre_major and bump is Bump.MAJOR and previous and previous.version.major == 0:
        bump, rules = Bump.MINOR, [f"bump-minor-pre-major: {previous.version} is before "
                                   "1.0.0, so a major change is a minor bump"]
    if forced is not None:
        version = with_prerelease(forced, previous.version if previous else None, prerelease)
    elif previous is None:
        version = first_version(initial, prerelease)
    else:
        version = next_version(previous.version, bump, prerelease)
    tag = fmt.tag(version)
    skipped, why = None, ""
    if tag in existing_tags:
        skipped, why = TAG_EXISTS, f"the tag {tag} already exists (that release was made)"
    return ReleasePlan(name, path, previous, version, bump, tag, tally.changelog, skipped,
                       (*rules, *tally.reasons()), why)


def _forced_version(change: Change | None, previous: TaggedVersion | None) -> Version | None:
    if change is None:
        return None
    forced = parse_version(change.release_as.removeprefix("v"))
    where = f"The commit {change.sha[:7]}" + (f" (#{change.number})" if change.number else "")
    if forced is None or forced.prerelease or forced.build:
        raise ReleaseAsError(
            f"{where} says `Release-As: {change.release_as}`, which is not a release version.",
            hint="Push a commit whose message ends with a footer such as `Release-As: 2.0.0` "
            "(MAJOR.MINOR.PATCH).")
    if previous is not None and forced <= previous.version:
        raise ReleaseAsError(
            f"{where} says `Release-As: {forced}`, which is not higher than the previous "
            f"version {previous.version} ({previous.tag}).",
            hint=f"Push a commit with a footer `Release-As: <a version above {previous.version}>`"
            ", or revert the commit that has it.")
    return forced


def _difference(previous: Version | None, forced: Version) -> Bump:
    if previous is None or forced.major != previous.major:
        return Bump.MAJOR
    return Bump.MINOR if forced.minor != previous.minor else Bump.PATCH


def headline(plans: Sequence[ReleasePlan]) -> ReleasePlan:
    """The plan the top-level outputs describe: the highest bump, releasing ones first."""
    return max(plans, key=lambda p: (p.skipped is None, p.bump))
