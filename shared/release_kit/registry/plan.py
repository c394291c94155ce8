"""Which target tags a promotion creates, leaves alone, moves, or must refuse.

Pure: given the digest being promoted, the digests the target tags point at now, the move policy
and the repository's tag mutability, decide everything before the first write, so a refusal
leaves the registry untouched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from release_kit.errors import ConflictError
from release_kit.registry.tags import MovePolicy


class TagAction(StrEnum):
    CREATED = "created"
    UNCHANGED = "unchanged"
    MOVED = "moved"


@dataclass(frozen=True)
class Mutability:
    """A repository's ``imageTagMutability`` and its WILDCARD exclusion filters."""

    mode: str = "MUTABLE"
    exclusions: tuple[str, ...] = ()

    def is_immutable(self, tag: str) -> bool:
        excluded = any(_wildcard(f).fullmatch(tag) for f in self.exclusions)
        if self.mode == "IMMUTABLE":
            return True
        if self.mode == "IMMUTABLE_WITH_EXCLUSION":
            return not excluded
        if self.mode == "MUTABLE_WITH_EXCLUSION":
            return excluded
        return False


def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")))


@dataclass(frozen=True)
class TagChange:
    tag: str
    action: TagAction
    previous: str | None = None  # the digest a moved tag pointed at

    @property
    def writes(self) -> bool:
        return self.action is not TagAction.UNCHANGED


@dataclass(frozen=True)
class Refusal:
    tag: str
    current: str
    immutable: bool


@dataclass(frozen=True)
class TagPlan:
    digest: str
    changes: tuple[TagChange, ...]
    refusals: tuple[Refusal, ...] = ()

    @property
    def writes(self) -> list[TagChange]:
        return [c for c in self.changes if c.writes]

    def check(self, repository: str) -> None:
        """Raise one ConflictError describing every refused tag (nothing has been written)."""
        if not self.refusals:
            return
        lines = [f"'{r.tag}' points at {r.current}" for r in self.refusals]
        where = f"{repository}: " + "; ".join(lines) + f"; the promoted image is {self.digest}."
        if any(r.immutable for r in self.refusals):
            raise ConflictError(
                f"Repository {repository} has immutable tags, so existing tags cannot be moved: "
                + where,
                hint="Drop these tags from `tags`, or make the repository's tags mutable (or add "
                     "them to its imageTagMutabilityExclusionFilters).",
            )
        names = ", ".join(r.tag for r in self.refusals)
        raise ConflictError(
            f"Refusing to move existing tags in {where}",
            hint=f"Release tags are not moved by default. If {names} should follow new images, "
                 "add them to `allow-move` (one per line, or * for all); otherwise check `source` "
                 "and `version`.",
        )


def plan_tags(
    tags: Sequence[str],
    digest: str,
    existing: Mapping[str, str],
    policy: MovePolicy,
    mutability: Mutability | None = None,
) -> TagPlan:
    """Decide per tag: absent -> created, same digest -> unchanged, other digest -> moved when
    the policy allows it and the repository lets the tag move, else refused."""
    mutability = mutability or Mutability()
    changes: list[TagChange] = []
    refusals: list[Refusal] = []
    for tag in tags:
        current = existing.get(tag)
        if current is None:
            changes.append(TagChange(tag, TagAction.CREATED))
        elif current == digest:
            changes.append(TagChange(tag, TagAction.UNCHANGED))
        elif mutability.is_immutable(tag):
            refusals.append(Refusal(tag, current, immutable=True))
        elif policy.allows(tag):
            changes.append(TagChange(tag, TagAction.MOVED, previous=current))
        else:
            refusals.append(Refusal(tag, current, immutable=False))
    return TagPlan(digest, tuple(changes), tuple(refusals))


def conflicting(tags: Sequence[str], digest: str, existing: Mapping[str, str]) -> list[str]:
    """Tags that exist on another digest: only then does the repository's mutability matter."""
    return [t for t in tags if existing.get(t) not in (None, digest)]
