"""Decisions about GitHub deployments around a deploy or destroy (pure; see github_deployments).

A deployment belongs to (environment, ref, sha); the PR that asked for it is kept in its payload.
"Active" means its latest status is anything but ``inactive``: a failed deploy may still have
left resources behind, so the label controller must still be able to destroy it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from release_kit.environments.kinds import Environment

INACTIVE = "inactive"


@dataclass(frozen=True)
class Deployment:
    id: int
    environment: str
    ref: str
    sha: str
    state: str = ""  # the latest status, "" when it has none yet
    pull_request: int | None = None

    @property
    def active(self) -> bool:
        return self.state != INACTIVE


@dataclass(frozen=True)
class Requester:
    """Who deploys now: a ref and commit, and the PR if the deploy came from one."""

    ref: str
    sha: str
    pull_request: int | None = None

    def describe(self) -> str:
        if self.pull_request:
            return f"#{self.pull_request}"
        return f"`{self.ref}` ({self.sha[:7]})" if self.sha else f"`{self.ref}`"


@dataclass(frozen=True)
class Replacement:
    """A deployment this deploy takes the environment away from, and whom to tell."""

    deployment: Deployment
    notify_pull_request: int | None


@dataclass(frozen=True)
class DestroyDecision:
    deactivate: list[Deployment]
    run_helmfile: bool
    reason: str = ""


def reusable(existing: Iterable[Deployment], environment: str, who: Requester) -> Deployment | None:
    """The environment's newest deployment, when it is this commit from this ref (a re-run).

    Only the newest: reviving an older one would put an active deployment behind inactive ones,
    and the history is read newest first until the first inactive deployment.
    """
    newest = max((d for d in existing if d.environment == environment), key=lambda d: d.id,
                 default=None)
    if newest is not None and newest.sha == who.sha and newest.ref == who.ref:
        return newest
    return None


def replacements(
    existing: Iterable[Deployment], environment: Environment, who: Requester, current_id: int
) -> list[Replacement]:
    """Active deployments that stop running once ``current_id`` takes the environment.

    A preview environment runs one deployment per branch, so only this branch's older ones are
    replaced. Every other environment runs one deployment; on a shared one (qa<N>, hotfix) the
    PR that held it hears about it.
    """
    replaced = []
    for dep in sorted(existing, key=lambda d: d.id):
        if dep.id == current_id or not dep.active or dep.environment != environment.name:
            continue
        if environment.per_branch and dep.ref != who.ref:
            continue
        other_pr = dep.pull_request if dep.pull_request != who.pull_request else None
        notify = other_pr if environment.shared and dep.ref != who.ref else None
        replaced.append(Replacement(dep, notify))
    return replaced


def replacement_comment(environment: str, who: Requester) -> str:
    return f"{environment} now runs {who.describe()}; your deployment was replaced."


def destroy_decision(
    existing: Sequence[Deployment], environment: Environment, who: Requester
) -> DestroyDecision:
    """Deactivate this ref's deployments; leave a shared environment alone if it moved on.

    A shared environment taken over by another ref must not be torn down by the ref that lost it
    (for example when that PR is closed later).
    """
    mine = [d for d in existing if d.environment == environment.name and d.ref == who.ref]
    deactivate = [d for d in mine if d.active]
    if environment.shared:
        holders = sorted({d.ref for d in existing if d.environment == environment.name
                          and d.active and d.ref != who.ref})
        if holders:
            return DestroyDecision(
                deactivate, False,
                f"{environment.name} now runs {', '.join(holders)}; not destroying it for "
                f"{who.ref}.",
            )
    return DestroyDecision(deactivate, True)


def active_environments(existing: Iterable[Deployment], ref: str) -> set[str]:
    """Environments that still run ``ref`` (input of the label controller)."""
    return {d.environment for d in existing if d.ref == ref and d.active}
