"""Bump levels and the next version.

Rules (npm's, which match what people expect from prereleases):

- From a release ``1.2.3``: major -> ``2.0.0``, minor -> ``1.3.0``, patch -> ``1.2.4``.
- From a prerelease, a bump that the prerelease already covers finalises it: ``1.3.0-rc.2``
  + minor or patch -> ``1.3.0``; + major -> ``2.0.0`` (``2.0.0-rc.1`` + major -> ``2.0.0``).
- With a prerelease identifier (``rc``): the target above gets ``-rc.1``, or the next number
  when the previous version is already an ``rc`` of the same target (``1.3.0-rc.1`` -> ``rc.2``).
"""

from __future__ import annotations

import enum
import re

from semver import Version

# A dot-separated semver prerelease made of identifiers: alphanumerics and hyphens, no
# leading zeros in numeric parts (semver 2.0.0, section 9).
_IDENTIFIER = re.compile(r"^(0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)$")


class Bump(enum.IntEnum):
    """Ordered so that ``max()`` of several bumps is the one that wins."""

    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Bump:
        return cls[text.strip().upper()]


def is_prerelease_identifier(text: str) -> bool:
    """``rc``, ``beta.x``, ``alpha-1``: a valid semver prerelease (no trailing counter needed)."""
    return bool(text) and all(_IDENTIFIER.match(part) for part in text.split("."))


def release_target(previous: Version, bump: Bump) -> Version:
    """The release (no prerelease part) that ``bump`` leads to from ``previous``."""
    prerelease = previous.prerelease is not None
    base = previous.finalize_version()
    if bump is Bump.MAJOR:
        covered = prerelease and previous.minor == 0 and previous.patch == 0
        return base if covered else base.bump_major()
    if bump is Bump.MINOR:
        covered = prerelease and previous.patch == 0
        return base if covered else base.bump_minor()
    if bump is Bump.PATCH:
        return base if prerelease else base.bump_patch()
    return previous


def next_version(previous: Version, bump: Bump, prerelease: str = "") -> Version:
    """The version after ``previous`` for ``bump``; ``previous`` itself when bump is none."""
    if bump is Bump.NONE:
        return previous.replace(build=None)
    return with_prerelease(release_target(previous.replace(build=None), bump), previous,
                           prerelease)


def with_prerelease(target: Version, previous: Version | None, prerelease: str = "") -> Version:
    """``target`` itself, or with a prerelease identifier: ``-rc.1``, or the next number when
    ``previous`` is already an ``rc`` of the same target (``1.3.0-rc.1`` -> ``rc.2``)."""
    if not prerelease:
        return target
    counter = 1
    if previous is not None and previous.prerelease and previous.finalize_version() == target:
        head, _, number = str(previous.prerelease).rpartition(".")
        if head == prerelease and number.isdigit():
            counter = int(number) + 1
    return target.replace(prerelease=f"{prerelease}.{counter}")


def first_version(initial: Version, prerelease: str = "") -> Version:
    """The first release of a project without any version tag: ``initial-version`` itself."""
    return initial.replace(prerelease=f"{prerelease}.1") if prerelease else initial
