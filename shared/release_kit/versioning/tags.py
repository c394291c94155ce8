"""Tag names <-> semantic versions.

A tag format is a template with ``{version}`` (and, for monorepo packages, ``{package}``):
``v{version}`` gives ``v1.2.3``, ``{package}-v{version}`` gives ``core-v1.2.3``. Tags that do not
match the format, or whose version is not semver (``v1.2``, ``latest``), are ignored (the
version-like ones named by :func:`not_semver`, for a warning). Build
metadata (``v1.2.3+build.5``) is kept in the tag but ignored for ordering, as semver says.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from semver import Version

from release_kit.refnames import prefix_problem


def parse_version(text: str) -> Version | None:
    """The semver version of ``text``, or None when it is not strict semver."""
    try:
        return Version.parse(text)
    except (ValueError, TypeError):
        return None


def check_ref_fragment(value: str) -> None:
    """ValueError when ``value`` cannot be part of a git tag name (git check-ref-format)."""
    problem = prefix_problem(value)
    if problem:
        raise ValueError(
            f"{value!r} cannot be part of a git tag name ({problem}); use letters, "
            "digits, '-', '_', '.' or '/' only, e.g. 'v' or 'release-'"
        )


@dataclass(frozen=True)
class TaggedVersion:
    """A tag whose name carries a semantic version."""

    tag: str
    version: Version
    sha: str = ""

    def __str__(self) -> str:
        return str(self.version)


@dataclass(frozen=True)
class TagFormat:
    """``prefix{version}suffix`` with the package name already filled in."""

    prefix: str
    suffix: str = ""

    @classmethod
    def from_template(cls, template: str, package: str = "") -> TagFormat:
        """``{package}-v{version}`` for package ``core`` -> prefix ``core-v``."""
        before, found, after = template.partition("{version}")
        if not found:
            raise ValueError(f"tag format {template!r} has no {{version}}")
        return cls(before.replace("{package}", package), after.replace("{package}", package))

    def tag(self, version: Version | str) -> str:
        return f"{self.prefix}{version}{self.suffix}"

    def parse(self, tag: str) -> Version | None:
        """The version in ``tag``, or None when the tag is not of this format or not semver."""
        if not (tag.startswith(self.prefix) and tag.endswith(self.suffix)):
            return None
        end = len(tag) - len(self.suffix)
        return parse_version(tag[len(self.prefix):end])


def versions(tags: Iterable[tuple[str, str]], fmt: TagFormat) -> list[TaggedVersion]:
    """The ``(name, sha)`` tags of this format, as versions, highest first."""
    found = []
    for name, sha in tags:
        version = fmt.parse(name)
        if version is not None:
            found.append(TaggedVersion(name, version, sha))
    # Equal versions (v1.2.3 and v1.2.3+build) keep the order they came in: sort is stable.
    return sorted(found, key=lambda t: t.version, reverse=True)


def not_semver(names: Iterable[str], fmt: TagFormat) -> list[str]:
    """Tags of this format that look like versions (a digit after the prefix) but are not
    semver, e.g. ``v2.0`` or ``v1.2.3.4``: ignored, and worth a warning."""
    found = []
    for name in names:
        if name.startswith(fmt.prefix) and name.endswith(fmt.suffix):
            middle = name[len(fmt.prefix):len(name) - len(fmt.suffix)]
            if middle[:1].isdigit() and parse_version(middle) is None:
                found.append(name)
    return found


def highest(tags: Iterable[tuple[str, str]], fmt: TagFormat) -> TaggedVersion | None:
    """The highest version tag of this format among ``tags`` (semver precedence)."""
    found = versions(tags, fmt)
    return found[0] if found else None
