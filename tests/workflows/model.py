"""Read workflow and action files as plain data for the workflow tests.

PyYAML reads YAML 1.1, where the key ``on`` is the boolean True: :func:`triggers` hides that.
Anchors and aliases (the onboarding example uses them) are resolved by the loader.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONS = ROOT / "actions"
EXAMPLE = ROOT / "examples" / "service"

# The reusable flows a service calls (issue 8, section 1; the release train, issue 17), the units
# they are built from (sync: issue 17), and the flow of the ticket repository (issue 17).
FLOWS = ("feature-branch", "main-branch", "release", "hotfix-pr", "hotfix-release",
         "release-train")
UNITS = ("build", "deploy-manual", "sync")
TICKET_FLOWS = ("start-release",)
SELF_TEST = "test-actions"
OWNED = (*FLOWS, *UNITS, *TICKET_FLOWS, SELF_TEST)

SHA_PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
# This suite's own actions and reusable workflows, as the reusable workflows reference them
# (issue 8: `<owner>/github-actions/actions/<name>@<ref>`). `acme-platform` is the placeholder
# owner an installation replaces; `v1` is the release tag the suite's release process moves.
SUITE = "acme-platform/github-actions/"
SUITE_REF = "v1"
SUITE_ACTION = re.compile(
    rf"^(?:{re.escape(SUITE)}actions/(?P<name>[a-z0-9-]+)@{SUITE_REF}"
    r"|\./actions/(?P<checkout>[a-z0-9-]+))$")  # ./ only in the act self-test (its own checkout)
SUITE_WORKFLOW = re.compile(
    rf"^{re.escape(SUITE)}\.github/workflows/(?P<file>[a-z0-9-]+\.yml)@{SUITE_REF}$")


def load(path: Path) -> dict[str, Any]:
    """The parsed file (cached: the tests only read; a test that mutates must copy)."""
    return _load(path.resolve())


@functools.cache
def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path} is not a YAML mapping"
    return data


def workflow_path(name: str) -> Path:
    return WORKFLOWS / f"{name}.yml"


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    keys: Any = workflow  # YAML 1.1 turned the key `on` into True (not a str key)
    on = keys.get("on", keys.get(True))
    assert isinstance(on, dict), "expected `on:` to be a mapping of events"
    return on


def call_inputs(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return triggers(workflow)["workflow_call"].get("inputs") or {}


def call_secrets(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return triggers(workflow)["workflow_call"].get("secrets") or {}


@dataclass(frozen=True)
class Step:
    workflow: str
    job: str
    index: int
    data: dict[str, Any]

    @property
    def where(self) -> str:
        return f"{self.workflow}.yml jobs.{self.job}.steps[{self.index}]"

    @property
    def uses(self) -> str:
        return str(self.data.get("uses", ""))

    @property
    def with_(self) -> dict[str, Any]:
        return self.data.get("with") or {}


def jobs(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return workflow.get("jobs") or {}


def steps(name: str, workflow: dict[str, Any]) -> Iterator[Step]:
    for job_id, job in jobs(workflow).items():
        for index, step in enumerate(job.get("steps") or []):
            yield Step(name, job_id, index, step)


def action_metadata(name: str) -> dict[str, Any] | None:
    path = ACTIONS / name / "action.yml"
    return load(path) if path.is_file() else None


def suite_action(uses: str) -> str | None:
    """The name of the suite's action a step uses, or None for any other `uses:`."""
    match = SUITE_ACTION.match(uses)
    return (match["name"] or match["checkout"]) if match else None


def suite_workflow(uses: str) -> str | None:
    """The file of the suite's reusable workflow a job calls, or None for any other `uses:`."""
    match = SUITE_WORKFLOW.match(uses)
    return match["file"] if match else None


def required_inputs(inputs: dict[str, dict[str, Any]]) -> set[str]:
    return {name for name, spec in inputs.items()
            if (spec or {}).get("required") and "default" not in (spec or {})}
