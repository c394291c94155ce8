"""Once deploy-helmfile has created a GitHub deployment, every way out leaves it ``failure`` or
``error``, never ``in_progress``: a deploy that fails, a crash, a helmfile timeout, and the
SIGTERM of a cancelled run (GitHub sends SIGKILL about 7.5 s later).
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import pytest

from release_kit_sandbox.kube import FakeKubernetes
from tests.deploy_helmfile.scenario import Scenario
from tests.harness import start_action

GRACE = 7.5  # seconds between GitHub's SIGTERM and its SIGKILL


def last_states(scenario: Scenario, environment: str) -> list[str]:
    [dep] = scenario.deployments(environment=environment)
    return scenario.states(dep)


def test_a_failure_after_the_deployment_exists_marks_it_failure(
        scenario: Scenario, fake_kube: FakeKubernetes) -> None:
    fake_kube.fail("POST", r"^/api/v1/namespaces$", 500)  # creating the namespace fails
    result = scenario.run({"environment": "qa1"}, pr=1)
    assert result.exit_code == 1, result
    [error] = result.errors
    assert "Kubernetes refused creating namespace qa1: 500" in error.message
    assert last_states(scenario, "qa1") == ["in_progress", "failure"]
    assert scenario.fake_helmfile.calls == []


def test_a_crash_after_the_deployment_exists_marks_it_error(
        scenario: Scenario, fake_kube: FakeKubernetes) -> None:
    # an Ingress whose rules are not objects: reading it for the URL is a bug in release-kit
    scenario.owned_namespace("dev")
    fake_kube.add("dev", "ingresses", {"metadata": {"name": "odd"}, "spec": {"rules": ["x"]}})
    result = scenario.run({"environment": "dev"}, ref="main")
    assert result.exit_code == 1, result
    [error] = result.errors
    assert error.title == "deploy-helmfile crashed" and "This is a bug" in error.message
    [dep] = scenario.deployments(environment="dev")
    assert scenario.states(dep) == ["in_progress", "error"]
    assert next(iter(dep.get_statuses())).description == "release-kit crashed (AttributeError)"


def start(scenario: Scenario, inputs: dict[str, Any], **kwargs: Any) -> Any:
    return start_action("deploy-helmfile", **scenario.run_args(inputs, **kwargs))


def wait_for(check: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except ValueError:  # the spy's log line read while it was being written
            pass
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize(("stage", "env"), [
    ("helmfile apply", {"FAKE_HELMFILE_SLEEP": "60"}),
    ("helmfile list (the URL)", {"FAKE_HELMFILE_SLEEP_LIST": "60"}),
])
def test_sigterm_of_a_cancelled_run_marks_the_deployment_error(
        scenario: Scenario, stage: str, env: dict[str, str]) -> None:
    subcommand = "list" if "list" in stage else "apply"
    with start(scenario, {"environment": "qa2"}, pr=1, env=env) as run:
        wait_for(lambda: subcommand in scenario.fake_helmfile.subcommands(), stage)
        time.sleep(0.5)  # well inside it
        sent = time.monotonic()
        run.proc.send_signal(signal.SIGTERM)
        result = run.wait(timeout=30)
        took = time.monotonic() - sent
    assert took < GRACE, f"{took:.1f} s: GitHub would have sent SIGKILL"
    assert result.exit_code == 128 + signal.SIGTERM, result
    [error] = result.errors
    assert error.title == "Cancelled"
    [dep] = scenario.deployments(environment="qa2")
    assert scenario.states(dep) == ["in_progress", "error"]
    assert next(iter(dep.get_statuses())).description == "cancelled: the run received SIGTERM"
    helmfile = scenario.fake_helmfile.calls[-1]["pid"]
    assert not alive(helmfile)  # its process group was killed, not left running


def test_a_second_sigterm_does_not_cut_the_clean_up_short(scenario: Scenario) -> None:
    with start(scenario, {"environment": "qa3"}, pr=1, env={"FAKE_HELMFILE_SLEEP": "60"}) as run:
        wait_for(lambda: scenario.fake_helmfile.calls, "helmfile apply")
        time.sleep(0.5)
        for _ in range(3):
            run.proc.send_signal(signal.SIGTERM)
            time.sleep(0.05)
        result = run.wait(timeout=30)
    # a signal that lands while the interpreter shuts down (handlers reset) ends it as -15:
    # either way the clean-up ran to its end
    assert result.exit_code in (128 + signal.SIGTERM, -signal.SIGTERM), result
    assert [e.title for e in result.errors] == ["Cancelled"]
    assert last_states(scenario, "qa3") == ["in_progress", "error"]


def test_sigterm_before_anything_was_written_leaves_nothing(scenario: Scenario,
                                                          fake_kube: FakeKubernetes) -> None:
    """Cancelled while reading the cluster (before the deployment): exit, nothing recorded."""
    scenario.sandbox.github.inject_latency(3, count=1, path=r"/deployments$")
    with start(scenario, {"environment": "qa4"}, pr=1) as run:
        wait_for(lambda: any(r.path.endswith("/deployments") for r in
                             scenario.sandbox.github.requests) or fake_kube.requests, "a request")
        run.proc.send_signal(signal.SIGTERM)
        result = run.wait(timeout=30)
    assert result.exit_code == 128 + signal.SIGTERM, result
    assert [e.title for e in result.errors] == ["Cancelled"]
    assert scenario.deployments() == []  # cancelled while looking: nothing was created
    assert scenario.fake_helmfile.calls == []
