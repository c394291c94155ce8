"""What an environment name means for namespaces and GitHub deployments.

``preview`` is one environment per PR branch; ``qa<N>`` and ``hotfix`` are shared by whoever
deployed last; ``dev``, ``staging`` and ``production`` follow the main and release flows. Any
other name is allowed and behaves like ``dev`` (one namespace of that name, one active deployment,
fixed: never deleted, destroyed only on confirmation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

QA = re.compile(r"^qa([1-9][0-9]*)$")


class Kind(Enum):
    PREVIEW = "preview"
    QA = "qa"
    DEV = "dev"
    STAGING = "staging"
    PRODUCTION = "production"
    HOTFIX = "hotfix"
    OTHER = "other"


@dataclass(frozen=True)
class Environment:
    name: str
    kind: Kind

    @property
    def per_branch(self) -> bool:
        """Several branches run side by side, each in its own namespace (only ``preview``)."""
        return self.kind is Kind.PREVIEW

    @property
    def shared(self) -> bool:
        """One slot that PRs take over from each other: the previous holder must be told."""
        return self.kind in {Kind.QA, Kind.HOTFIX}

    @property
    def transient(self) -> bool:
        """GitHub's ``transient_environment``: torn down when the PR goes away."""
        return self.kind in {Kind.PREVIEW, Kind.QA}

    @property
    def fixed(self) -> bool:
        """Long-lived (``dev``, ``staging``, ``production``, ``hotfix`` and other names): its
        namespace is never deleted, and destroying its releases needs ``confirm-destroy``."""
        return self.kind not in {Kind.PREVIEW, Kind.QA}

    @property
    def production(self) -> bool:
        """GitHub's ``production_environment``."""
        return self.kind is Kind.PRODUCTION


def classify(name: str) -> Environment:
    """``"qa2"`` -> Environment("qa2", Kind.QA); unknown names are ``Kind.OTHER``."""
    if QA.match(name):
        return Environment(name, Kind.QA)
    try:
        kind = Kind(name)
    except ValueError:
        kind = Kind.OTHER
    if kind is Kind.QA:  # the bare word "qa" is not a numbered QA slot
        kind = Kind.OTHER
    return Environment(name, kind)
