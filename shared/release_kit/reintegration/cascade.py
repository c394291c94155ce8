"""The cascade: after a sync, the downstream branches that moved are rebuilt.

A target fast-forwarded to the source has new commits that no workflow built: a push made with
the job's token starts no ``push`` workflow (GitHub's rule), so its build is started by a
``workflow_dispatch`` (exempt from that rule). A target that got a pull request is rebuilt when
the pull request is merged (a person's push). :func:`to_dispatch` decides which; the dispatch
itself is :meth:`release_kit.github.reintegration.ReintegrationRepo.dispatch_workflow`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from release_kit.reintegration.report import TargetReport

WORKFLOW_FILE = re.compile(r"[A-Za-z0-9._-]+\.ya?ml")

Status = Literal["started", "unknown", "failed"]


@dataclass(frozen=True)
class Dispatch:
    """One branch's build, started (or not) by this run."""

    target: str
    workflow: str
    status: Status
    error: str = ""

    def command(self) -> str:
        """What a person runs to start it by hand."""
        return f"gh workflow run {self.workflow} --ref {self.target}"


def to_dispatch(outcomes: Sequence[TargetReport]) -> list[str]:
    """The targets this run fast-forwarded: their new head was built by nothing yet."""
    return [o.target for o in outcomes if o.result == "fast-forwarded"]


def workflow_problem(name: str) -> str:
    """Why ``name`` cannot be a workflow file of ``.github/workflows`` ("" when it can)."""
    if not WORKFLOW_FILE.fullmatch(name):
        return "name a workflow file of .github/workflows, e.g. build.yml"
    return ""
