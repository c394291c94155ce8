"""``release-types``: which bump each Conventional Commit type asks for.

One ``type: bump`` per line, bump one of ``major``, ``minor``, ``patch`` or ``none``; ``*`` stands
for every other type and for commits that are not conventional. The lines given override the
defaults, ``feat: minor`` and ``*: patch`` (semver-bump's behaviour before the input existed), so
``chore: none`` alone keeps features minor. A breaking change is major whatever its type says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from release_kit.versioning.bump import Bump

OTHER = "*"
_TYPE = re.compile(r"^[A-Za-z][\w-]*$")
DEFAULT_TEXT = "feat: minor\n*: patch"


@dataclass(frozen=True)
class ReleaseTypes:
    levels: Mapping[str, Bump] = field(default_factory=lambda: {"feat": Bump.MINOR})
    other: Bump = Bump.PATCH

    @classmethod
    def parse(cls, text: str) -> ReleaseTypes:
        """The mapping in ``text`` over the defaults; ValueError says which line is wrong."""
        levels: dict[str, Bump] = {"feat": Bump.MINOR}
        other = Bump.PATCH
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            name, colon, level = line.partition(":")
            name, level = name.strip().strip("'\""), level.strip().strip("'\"").lower()
            if not colon or not name:
                raise ValueError(f"line {number} ({raw.strip()!r}) is not `type: bump`, e.g. "
                                 "`chore: none`")
            if name != OTHER and not _TYPE.match(name):
                raise ValueError(f"line {number}: {name!r} is not a commit type (letters, "
                                 "digits, '-' and '_', starting with a letter) nor `*`")
            if level not in {"major", "minor", "patch", "none"}:
                raise ValueError(f"line {number}: {level!r} is not a bump; use major, minor, "
                                 "patch or none")
            if name == OTHER:
                other = Bump.parse(level)
            else:
                levels[name.lower()] = Bump.parse(level)
        return cls(levels, other)

    def bump(self, kind: str) -> Bump:
        return self.levels.get(kind, self.other)

    def none_types(self) -> list[str]:
        return sorted(k for k, v in self.levels.items() if v is Bump.NONE)

    def describe(self) -> str:
        """``feat: minor, chore: none, *: patch``: the mapping in effect."""
        named = [f"{k}: {v}" for k, v in sorted(self.levels.items())]
        return ", ".join([*named, f"{OTHER}: {self.other}"])
