"""Which branch move the reintegration needs: none, create, fast-forward, or merge the source in.

The PR's head is an intermediate branch ``<prefix><source>``, never the release branch itself:
resolving conflicts in the GitHub UI merges the target into the head branch, and deleting head
branches after merge deletes it, neither of which may happen to ``release/<version>``. The
intermediate branch only ever moves forward: people may push conflict resolutions to it, so a
re-run merges the source into it instead of resetting it (their commits are never discarded).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from release_kit.refnames import prefix_problem as ref_prefix_problem
from release_kit.reintegration.model import Comparison

BranchAction = Literal["create", "fast-forward", "merge-source", "keep"]


@dataclass(frozen=True)
class BranchStep:
    """One move of the intermediate branch (``keep`` writes nothing)."""

    action: BranchAction
    branch: str
    source: str
    source_sha: str

    @property
    def writes(self) -> bool:
        return self.action != "keep"

    def describe(self) -> str:
        short = self.source_sha[:7]
        return {
            "create": f"created `{self.branch}` at `{self.source}` ({short})",
            "fast-forward": f"fast-forwarded `{self.branch}` to `{self.source}` ({short})",
            "merge-source": f"merged `{self.source}` ({short}) into `{self.branch}`, "
            "which has commits of its own",
            "keep": f"`{self.branch}` already contains `{self.source}` ({short})",
        }[self.action]


def intermediate_branch(prefix: str, source: str, target: str | None = None) -> str:
    """``<prefix><source>``, or ``<prefix><source>-into-<target>`` for a further target.

    The first target keeps the name a single target always had (a re-run after more targets
    were listed finds its PR); each further target gets a branch of its own, so that resolving
    one target's conflicts on it never mixes that target into another target's PR.
    """
    name = f"{prefix}{source}"
    return f"{name}-into-{target}" if target else name


def plan_branch(
    branch: str, source: str, source_sha: str, source_vs_branch: Comparison | None
) -> BranchStep:
    """Decide the move of ``branch`` given ``compare source...branch`` (None: branch absent).

    In that comparison ``ahead_by`` counts commits of the intermediate branch the source lacks
    (pushed by people) and ``behind_by`` the source commits it does not have yet.
    """
    if source_vs_branch is None:
        action: BranchAction = "create"
    elif source_vs_branch.behind_by == 0:
        action = "keep"
    elif source_vs_branch.ahead_by == 0:
        action = "fast-forward"
    else:
        action = "merge-source"
    return BranchStep(action, branch, source, source_sha)


def branch_prefix_problem(prefix: str) -> str | None:
    """Why ``<prefix><any branch>`` cannot be a branch name, or None."""
    if not prefix:
        return "it is empty, so the PR's head would be the release branch itself"
    return ref_prefix_problem(prefix)
