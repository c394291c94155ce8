"""Trigger hygiene: preview and QA deploys (and the label controller) refuse pull_request_target
events and pull requests whose head is a fork, before anything is written."""

from __future__ import annotations

from typing import Any

import pytest

from tests.deploy_helmfile.scenario import Scenario

TITLE = "Untrusted trigger refused"


def refused(scenario: Scenario, result: Any) -> str:
    assert result.exit_code == 1, result
    [error] = result.errors
    assert error.title == TITLE, error
    assert scenario.sandbox.github.writes() == []
    assert scenario.fake_helmfile.calls == []
    assert scenario.kube is not None and scenario.kube.requests == []
    return error.message


@pytest.mark.parametrize("inputs", [
    {"environment": "preview"}, {"environment": "qa2"},
    {"environment": "preview", "operation": "destroy"}, {"environment": "qa1", "operation": "diff"},
    {"operation": "plan", "kubeconfig": ""},
])
def test_pull_request_target_is_refused(scenario: Scenario, inputs: dict[str, str]) -> None:
    result = scenario.run(inputs, pr=1, env={"GITHUB_EVENT_NAME": "pull_request_target"})
    assert "pull_request_target events" in refused(scenario, result)


@pytest.mark.parametrize("inputs", [
    {"environment": "preview"}, {"environment": "qa3"}, {"operation": "plan", "kubeconfig": ""},
])
def test_a_fork_head_is_refused(scenario: Scenario, inputs: dict[str, str]) -> None:
    fork = scenario.pr_event(1, "labeled", ("deploy",), head_repo="mallory/web")
    result = scenario.run(inputs, pr=1, event=fork)
    assert "comes from the fork mallory/web" in refused(scenario, result)
    gone = scenario.pr_event(1, "labeled", ("deploy",))
    gone["pull_request"]["head"]["repo"] = None  # a deleted fork
    assert "head repository is unknown" in refused(scenario, scenario.run(inputs, pr=1, event=gone))


def test_a_branch_of_the_repository_itself_is_deployed(scenario: Scenario) -> None:
    same = scenario.pr_event(1, "labeled", ("deploy",), head_repo="ACME/web")  # names are not case-sensitive
    result = scenario.run({"environment": "preview"}, pr=1, event=same)
    assert result.exit_code == 0, result


def test_fixed_environments_are_not_the_label_controllers(scenario: Scenario) -> None:
    """dev and the release environments are deployed by push and release flows, not PR labels:
    the check is for the PR-driven preview and QA environments only."""
    result = scenario.run({"environment": "dev"}, ref="main",
                          env={"GITHUB_EVENT_NAME": "workflow_dispatch"})
    assert result.exit_code == 0, result
