"""Which events may deploy a preview or a QA environment (pure).

A preview or QA deploy runs the pull request's own helmfile (its templates, hooks and values)
with the cluster credentials of the job. That is only acceptable when the code comes from a
branch of the repository itself, whose authors already have write access:

- ``pull_request_target`` runs in the context of the BASE repository (its secrets, a write
  token, OIDC for its roles) while the checkout people make is usually the PR head: whoever opens
  a PR would run their helmfile with the repository's cluster access. Refused outright.
- A PR from a fork (its head repository is not the base repository) gets no secrets on
  ``pull_request``, and must not get a cluster either. Refused, as is a head whose repository is
  unknown (a deleted fork: GitHub sends ``head.repo: null``).

The label controller (``plan``) is refused on the same events, so such a PR never reaches a
deploy job.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from release_kit.errors import ReleaseKitError

UNTRUSTED_EVENTS = frozenset({"pull_request_target"})


class UntrustedTriggerError(ReleaseKitError):
    title = "Untrusted trigger refused"


def _full_name(end: Any) -> str:
    repo = end.get("repo") if isinstance(end, Mapping) else None
    name = repo.get("full_name") if isinstance(repo, Mapping) else None
    return name if isinstance(name, str) else ""


def check_trigger(event_name: str, payload: Mapping[str, Any], repository: str,
                  what: str) -> None:
    """Refuse ``what`` (e.g. "a preview deploy") for ``pull_request_target`` and fork heads."""
    if event_name in UNTRUSTED_EVENTS:
        raise UntrustedTriggerError(
            f"{what} does not run on {event_name} events: they carry the base repository's "
            "credentials while the code deployed would come from the pull request.",
            hint="Trigger the workflow on pull_request (see the feature-branch flow).")
    pr = payload.get("pull_request")
    if not isinstance(pr, Mapping):
        return
    head, base = _full_name(pr.get("head")), _full_name(pr.get("base")) or repository
    if not head:
        raise UntrustedTriggerError(
            f"{what} is refused: the pull request's head repository is unknown (a deleted "
            "fork?).", hint="Push the branch to this repository and open the PR from there.")
    if head.lower() != base.lower():
        raise UntrustedTriggerError(
            f"{what} is refused: the pull request comes from the fork {head}, and a fork's "
            "helmfile must not run with this repository's cluster access.",
            hint="A maintainer can push the branch to this repository and open the PR from "
            "there.")
