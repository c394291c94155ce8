"""The onboarding example (examples/service/): small, complete, and wired to the real flows.

What counts toward the 55-line budget (issue 8's 40, plus the five lines issue 12 adds: one role
per environment class and the production cluster, which have no fallback; plus the ten issue 17
adds: the release train's schedule and the ticket's workflow_dispatch (two triggers and the
flow's job), the security checks of pull requests (bandit, pip-audit) and the chat webhook):
every non-blank line that is not a comment, in every file under
examples/service/.github/workflows/ (the workflows a service needs to adopt all its flows).
examples/service/optional/deploy-manual.yml (only for plans without environment protection rules)
and the deploy/ folder are not workflow YAML of the five flows and are not counted.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.workflows.model import (
    EXAMPLE,
    FLOWS,
    WORKFLOWS,
    call_inputs,
    call_secrets,
    jobs,
    load,
    required_inputs,
    triggers,
)

BUDGET = 55
CALLER_DIR = EXAMPLE / ".github" / "workflows"
PLATFORM_WORKFLOW = re.compile(
    r"^acme-platform/github-actions/\.github/workflows/(?P<file>[a-z-]+\.yml)@v1$")
LEVEL = {"none": 0, "read": 1, "write": 2}


def counted_lines(path: Path) -> int:
    return sum(1 for line in path.read_text().splitlines()
               if line.strip() and not line.strip().startswith("#"))


def caller_files() -> list[Path]:
    return sorted(CALLER_DIR.glob("*.yml"))


def caller_jobs() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in caller_files():
        found.update(jobs(load(path)))
    return found


def called(job: dict[str, Any]) -> dict[str, Any]:
    match = PLATFORM_WORKFLOW.match(str(job.get("uses", "")))
    assert match, f"{job.get('uses')!r} is not a platform reusable workflow at @v1"
    return load(WORKFLOWS / match["file"])


def test_the_flows_fit_in_55_lines_of_workflow_yaml() -> None:
    total = sum(counted_lines(path) for path in caller_files())
    assert 0 < total <= BUDGET, f"{total} lines of workflow YAML (budget {BUDGET})"


def test_every_flow_is_called_once() -> None:
    files = sorted(PLATFORM_WORKFLOW.match(str(job["uses"]))["file"]  # type: ignore[index]
                   for job in caller_jobs().values())
    assert files == sorted(f"{flow}.yml" for flow in FLOWS)


@pytest.mark.parametrize("job_id", sorted(caller_jobs()))
def test_callers_pass_only_declared_inputs_and_secrets(job_id: str) -> None:
    job = caller_jobs()[job_id]
    flow = called(job)
    inputs, secrets = call_inputs(flow), call_secrets(flow)
    given = set(job.get("with") or {})
    assert given <= set(inputs), sorted(given - set(inputs))
    assert required_inputs(inputs) <= given, sorted(required_inputs(inputs) - given)
    passed = set(job.get("secrets") or {})
    assert passed <= set(secrets), sorted(passed - set(secrets))
    if secrets:
        assert "ticket-token" in passed, "the release flows report into the central ticket"


@pytest.mark.parametrize("job_id", sorted(caller_jobs()))
def test_callers_grant_what_the_flow_asks_for(job_id: str) -> None:
    """GitHub refuses a called job that asks for more than its caller grants."""
    job = caller_jobs()[job_id]
    granted = job.get("permissions") or {}
    for called_job_id, called_job in jobs(called(job)).items():
        for scope, level in (called_job.get("permissions") or {}).items():
            assert LEVEL[granted.get(scope, "none")] >= LEVEL[level], (
                f"{job_id} -> {called_job_id} needs {scope}: {level}")


def evaluate(expression: str, context: dict[str, str]) -> bool:
    """The subset of the expression language the example's `if:` uses: ==, &&, ||, startsWith."""
    python = re.sub(r"github(?:\.\w+)+", lambda m: f"_ctx[{m.group(0)!r}]", expression)
    python = re.sub(r"startsWith\((_ctx\[[^]]+\]), '([^']*)'\)", r"\1.startswith('\2')", python)
    python = python.replace("&&", " and ").replace("||", " or ")
    return bool(eval(python, {"__builtins__": {}}, {"_ctx": context}))


def event(name: str, ref: str, base_ref: str = "") -> dict[str, str]:
    ref_type = "tag" if ref.startswith("refs/tags/") else "branch"
    return {"github.event_name": name, "github.base_ref": base_ref, "github.ref": ref,
            "github.ref_type": ref_type}


# (flow, event): every event that runs it, and no other flow.
EVENTS = [
    ("feature-branch", event("pull_request", "refs/pull/7/merge", "main")),
    ("hotfix-pr", event("pull_request", "refs/pull/8/merge", "release/1.4.0")),
    ("main-branch", event("push", "refs/heads/main")),
    ("release", event("release", "refs/tags/v1.4.0")),
    ("release", event("workflow_dispatch", "refs/tags/v1.4.0")),  # started by the train
    ("hotfix-release", event("push", "refs/heads/release/1.4.0")),
    ("release-train", event("schedule", "refs/heads/main")),
    ("release-train", event("workflow_dispatch", "refs/heads/main")),  # by the ticket
]


@pytest.mark.parametrize(("flow", "context"), EVENTS,
                         ids=[f"{f}-{c['github.event_name']}" for f, c in EVENTS])
def test_each_event_runs_exactly_its_flow(flow: str, context: dict[str, str]) -> None:
    running = [job_id for job_id, job in caller_jobs().items()
               if evaluate(str(job["if"]), context)]
    assert running == [flow]


def test_every_flow_has_its_events() -> None:
    assert {flow for flow, _ in EVENTS} == set(FLOWS)


def test_the_triggers_cover_the_five_flows() -> None:
    (path,) = caller_files()
    on = triggers(load(path))
    assert set(on["pull_request"]["types"]) == {
        "opened", "synchronize", "reopened", "labeled", "unlabeled", "closed"}
    assert on["push"]["branches"] == ["main", "release/**"]
    assert on["release"]["types"] == ["published"]
    assert on["schedule"] == [{"cron": "0 9 * * 2"}]  # the release train: Tuesdays
    assert "release-ticket" in on["workflow_dispatch"]["inputs"]  # what release-ticket sends


def test_the_helmfile_declares_every_environment_of_the_process() -> None:
    helmfile = load(EXAMPLE / "deploy" / "helmfile.yaml")
    expected = {"preview", "qa1", "qa2", "qa3", "qa4", "dev", "hotfix", "staging", "production"}
    assert expected <= set(helmfile["environments"])
    (release,) = helmfile["releases"]
    assert (EXAMPLE / "deploy" / release["values"][0]).is_file()


def test_the_manual_deploy_entry_point_calls_deploy_manual() -> None:
    manual = load(EXAMPLE / "optional" / "deploy-manual.yml")
    assert set(triggers(manual)) == {"workflow_dispatch"}
    (job,) = jobs(manual).values()
    flow = called(job)
    assert set(job["with"]) <= set(call_inputs(flow))
    assert required_inputs(call_inputs(flow)) <= set(job["with"])
    assert job["permissions"] == jobs(flow)["deploy"]["permissions"]
