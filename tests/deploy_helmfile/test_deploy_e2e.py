"""deploy-helmfile end to end: harness subprocess, GitHub emulator, helmfile spy, sandbox kube."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from release_kit_sandbox.kube import FakeKubernetes, helm_release_secret, ingress
from tests.deploy_helmfile.scenario import Scenario, Seed
from tests.harness import ActionResult

ANNOTATION = "outputs.webapp-url"


def test_preview_deploy_records_a_deployment_with_the_ingress_url(scenario: Scenario, fake_kube: FakeKubernetes) -> None:
    ns = scenario.owned_namespace("preview", "feat/a")  # the first deploy of this branch made it
    assert ns.startswith("preview-feat-a-")
    fake_kube.add(ns, "ingresses", ingress("web", "feat-a.preview.example.com", release="web",
                                           annotations={ANNOTATION: "https://feat-a.example.com/app"}))
    result = scenario.run({"environment": "preview", "image": "ecr/web", "image-tag": "sha-1",
                           "set": "replicas=1\ningress.enabled=true",
                           "values": "resources:\n  cpu: 100m\n"}, pr=1)
    assert result.exit_code == 0, result
    assert result.outputs["namespace"] == ns
    assert result.outputs["url"] == "https://feat-a.example.com/app"
    assert result.outputs["result"] == "deployed"
    [dep] = scenario.deployments(environment="preview")
    assert result.outputs["deployment-id"] == str(dep.id)
    assert (dep.ref, dep.sha, dep.transient_environment, dep.production_environment) == (
        "feat/a", scenario.shas["feat/a"], True, False)
    assert dep.payload == {"namespace": ns, "pull_request": 1,
                           "release_kit": {"run": "4242/1"}}  # the run is its identity
    assert scenario.states(dep) == ["in_progress", "success"]
    success = next(iter(dep.get_statuses()))
    assert success.environment_url == "https://feat-a.example.com/app"
    assert success.target_url.endswith("/acme/web/actions/runs/4242")

    call, listing = scenario.fake_helmfile.calls
    argv = call["argv"]
    assert argv[:6] == ["--file", str(scenario.workspace / "deploy/helmfile.yaml"),
                        "--environment", "preview", "--namespace", ns]
    assert argv[argv.index("apply"):] == ["apply", "--suppress-secrets", "--detailed-exitcode"]
    # the releases are asked of the same state: file, environment, namespace, state values
    assert listing["argv"] == [*argv[:argv.index("apply")], "list", "--output", "json"]
    assert argv.count("--state-values-set") == 2 and "ingress.enabled=true" in argv
    assert call["state_values"] == [{"resources": {"cpu": "100m"}},
                                    {"image": {"repository": "ecr/web", "tag": "sha-1"}}]
    assert call["env"]["KUBECONFIG"] == str(scenario.workspace / "kubeconfig")
    assert not [k for k in call["env"] if k.startswith("INPUT_")]  # the GitHub token stays here
    assert f"::group::helmfile apply ({ns})" in result.stdout


def url_notices(result: ActionResult) -> list[str]:
    return [n.message for n in result.commands("notice") if n.title == "Environment URL"]


def test_url_in_a_shared_namespace_is_this_services_own(scenario: Scenario,
                                                        fake_kube: FakeKubernetes) -> None:
    # acme/api already runs in dev, with its URL annotation; acme/web deploys release "web"
    scenario.owned_namespace("dev")
    fake_kube.add("dev", "ingresses", ingress("api", "api.dev.example.com", release="api",
                                              annotations={ANNOTATION: "https://api.example.com"}))
    result = scenario.run({"environment": "dev", "url": "https://{environment}.example.com"},
                          ref="main", env={"FAKE_HELMFILE_RELEASE": "web"})
    assert result.exit_code == 0, result
    assert result.outputs["url"] == "https://web.dev.example.com"
    [dep] = scenario.deployments(environment="dev")
    assert next(iter(dep.get_statuses())).environment_url == "https://web.dev.example.com"
    assert url_notices(result) == []
    assert sorted(i["metadata"]["name"] for i in fake_kube.items("dev", "ingresses")) == ["api", "web"]


def test_url_when_helmfile_cannot_list_its_releases(scenario: Scenario,
                                                    fake_kube: FakeKubernetes) -> None:
    scenario.owned_namespace("dev")
    fake_kube.add("dev", "ingresses", ingress("api", "api.dev.example.com", release="api"),
                  ingress("web", "web.dev.example.com", release="web"))
    result = scenario.run({"environment": "dev", "url": "https://{environment}.example.com"},
                          ref="main", env={"FAKE_HELMFILE_EXIT_LIST": "1"})
    assert result.exit_code == 0, result
    assert result.outputs["url"] == "https://dev.example.com"  # the template, not a guess
    listing, choice = url_notices(result)
    assert listing.startswith("Could not tell which Ingresses are this helmfile's: "
                              "helmfile list failed (exit 1)")
    assert "not guessing among Ingresses api, web" in choice


def test_rerun_reuses_the_deployment(scenario: Scenario) -> None:
    first = scenario.run({"environment": "qa1"}, pr=1)
    second = scenario.run({"environment": "qa1"}, pr=1)
    assert first.exit_code == second.exit_code == 0, second
    [dep] = scenario.deployments(environment="qa1")
    assert first.outputs["deployment-id"] == second.outputs["deployment-id"] == str(dep.id)
    assert scenario.states(dep) == ["in_progress", "success", "in_progress", "success"]
    assert second.outputs["url"] == ""  # no ingress, no template


def test_runner_temp_that_the_container_lacks(scenario: Scenario, tmp_path: Path) -> None:
    """A Docker action gets the runner's host RUNNER_TEMP, unmounted (actions/runner#1984)."""
    result = scenario.run({"environment": "qa1"}, pr=1,
                          env={"RUNNER_TEMP": str(tmp_path / "not-in-this-container")})
    assert result.exit_code == 0, result
    assert result.outputs["result"] == "deployed"
    assert not (tmp_path / "not-in-this-container").exists()


@pytest.mark.parametrize(("environment", "ref", "namespace", "transient", "production"), [
    ("dev", "main", "dev", False, False),
    ("staging", "v1.2.0", "staging", False, False),
    ("production", "v1.2.0", "production", False, True),
    ("hotfix", "hotfix/1.2.1", "hotfix", False, False),
    ("sandbox-eu", "main", "sandbox-eu", False, False),
])
def test_every_environment_kind(scenario: Scenario, environment: str, ref: str, namespace: str,
                                transient: bool, production: bool) -> None:
    result = scenario.run({"environment": environment, "url": "https://{namespace}.example.com/{sha7}"},
                          ref=ref)
    assert result.exit_code == 0, result
    assert result.outputs["namespace"] == namespace
    assert result.outputs["url"] == f"https://{namespace}.example.com/{scenario.shas[ref][:7]}"
    [dep] = scenario.deployments(environment=environment)
    assert (dep.ref, dep.transient_environment, dep.production_environment) == (ref, transient, production)
    assert scenario.fake_helmfile.calls[0]["argv"][3:6] == [environment, "--namespace", namespace]
    assert scenario.fake_helmfile.subcommands() == ["apply", "list"]


def test_dev_deploy_of_a_new_commit_inactivates_the_previous_one(scenario: Scenario) -> None:
    assert scenario.run({"environment": "dev"}, ref="main").exit_code == 0
    second = scenario.run({"environment": "dev"}, ref="hotfix/1.2.1")
    assert second.exit_code == 0, second
    old, new = sorted(scenario.deployments(environment="dev"), key=lambda d: d.id)
    assert scenario.states(old)[-1] == "inactive" and scenario.states(new)[-1] == "success"


def test_shared_qa_environment_replacement(scenario: Scenario) -> None:
    scenario.open_prs(("deploy/qa2",), ("deploy/qa2",))
    assert scenario.run({"environment": "qa2"}, pr=1).exit_code == 0
    taken = scenario.run({"environment": "qa2"}, pr=2)
    assert taken.exit_code == 0, taken
    old, new = sorted(scenario.deployments(environment="qa2"), key=lambda d: d.id)
    assert scenario.states(old)[-1] == "inactive" and old.ref == "feat/a"
    assert scenario.states(new) == ["in_progress", "success"]
    [comment] = scenario.comments(1)
    assert comment.startswith("qa2 now runs #2; your deployment was replaced")
    assert "deploy/qa2" not in scenario.labels(1) and "deploy/qa2" in scenario.labels(2)
    assert scenario.comments(2) == []
    again = scenario.run({"environment": "qa2"}, pr=2)  # re-run: nothing new to tell
    assert again.exit_code == 0 and len(scenario.comments(1)) == 1
    assert len(scenario.deployments(environment="qa2")) == 2


def test_destroy_of_a_shared_preview_namespace_waits_for_the_last_release(
        scenario: Scenario, fake_kube: FakeKubernetes, seed: Seed) -> None:
    ns = scenario.owned_namespace("preview", "feat/a")
    fake_kube.add(ns, "secrets", helm_release_secret("web"), helm_release_secret("api"))
    scenario.open_prs(("deploy",))
    assert scenario.run({"environment": "preview"}, pr=1).exit_code == 0
    closed = scenario.pr_event(1, "closed", ("deploy",), state="closed")
    result = scenario.run({"environment": "preview", "operation": "destroy"}, pr=1, event=closed,
                          env={"FAKE_HELMFILE_RELEASE": "web"})
    assert result.exit_code == 0, result
    assert result.outputs["result"] == "destroyed"
    assert ns in fake_kube.namespaces  # acme/api's release still runs there
    assert "Helm releases api still run" in result.summary
    [dep] = scenario.deployments(environment="preview")
    assert scenario.states(dep)[-1] == "inactive"
    assert "deploy" not in scenario.labels(1)
    assert scenario.fake_helmfile.calls[-1]["argv"][-1] == "destroy"

    # the other repository on the same branch leaves last: the namespace goes
    other = Scenario(scenario.sandbox, scenario.fake_helmfile, scenario.workspace,
                     repository="acme/api", kube=fake_kube).setup(seed)
    last = other.run({"environment": "preview", "operation": "destroy"}, pr=1,
                     event=other.pr_event(1, "closed", state="closed"),
                     env={"FAKE_HELMFILE_RELEASE": "api"})
    assert last.exit_code == 0, last
    assert ns not in fake_kube.namespaces
    assert ("DELETE", f"/api/v1/namespaces/{ns}") in fake_kube.requests


def test_destroy_leaves_a_shared_environment_that_moved_on(scenario: Scenario) -> None:
    scenario.seed_deployment("qa3", "feat/a", 1, "success", "inactive")  # replaced by #2
    scenario.seed_deployment("qa3", "feat/b", 2, "success")
    result = scenario.run({"environment": "qa3", "operation": "destroy"}, pr=1,
                          event=scenario.pr_event(1, "closed", state="closed"))
    assert result.exit_code == 0, result
    assert result.outputs["result"] == "unchanged"
    assert scenario.fake_helmfile.calls == []  # qa3 runs feat/b now: not destroyed
    assert [w.title for w in result.warnings] == ["qa3 left running"]


def test_failure_diagnostics(scenario: Scenario, fake_kube: FakeKubernetes) -> None:
    from tests.deploy_helmfile.test_kube import CRASHING, EVENTS, PULLING

    scenario.owned_namespace("qa1")
    fake_kube.add("qa1", "pods", CRASHING, PULLING)
    fake_kube.add("qa1", "events", *EVENTS)
    result = scenario.run({"environment": "qa1"}, pr=1, env={"FAKE_HELMFILE_EXIT_APPLY": "1"})
    assert result.exit_code == 1
    [error] = result.errors
    assert error.title == "Deploy to qa1 failed"
    assert "helmfile apply failed (exit 1)" in error.message
    assert "pod web-1: web: CrashLoopBackOff" in error.message
    assert "ImagePullBackOff" in error.message and "last warning: Pod/web-2 Failed" in error.message
    assert "| web-2 | Pending | web: ImagePullBackOff" in result.summary
    assert "Back-off restarting failed container" in result.summary
    assert result.outputs["result"] == "failed"
    [dep] = scenario.deployments(environment="qa1")
    assert scenario.states(dep) == ["in_progress", "failure"]


def test_timeout_kills_helmfile_and_fails_the_deployment(scenario: Scenario, fake_kube: FakeKubernetes) -> None:
    from tests.deploy_helmfile.test_kube import PULLING

    scenario.owned_namespace("dev")
    fake_kube.add("dev", "pods", PULLING)
    result = scenario.run({"environment": "dev", "timeout": "2"}, ref="main",
                          env={"FAKE_HELMFILE_SLEEP": "60"})
    assert result.exit_code == 1, result
    [error] = result.errors
    assert "helmfile apply did not finish within 2 s" in error.message
    assert "ImagePullBackOff" in error.message
    [dep] = scenario.deployments(environment="dev")
    assert scenario.states(dep) == ["in_progress", "failure"]


def test_diff_reports_changes_without_a_deployment(scenario: Scenario) -> None:
    result = scenario.run({"environment": "staging", "operation": "diff"}, ref="v1.2.0")
    assert result.exit_code == 0, result
    assert result.outputs["result"] == "changed"
    assert scenario.fake_helmfile.calls[0]["argv"][-3:] == ["diff", "--suppress-secrets", "--detailed-exitcode"]
    unchanged = scenario.run({"environment": "staging", "operation": "diff"}, ref="v1.2.0",
                             env={"FAKE_HELMFILE_EXIT_DIFF": "0"})
    assert unchanged.outputs["result"] == "unchanged"
    assert scenario.deployments() == []


def _plan(scenario: Scenario, event: dict) -> tuple[list[str], list[str]]:
    result = scenario.run({"operation": "plan", "kubeconfig": ""}, pr=event["number"], event=event)
    assert result.exit_code == 0, result
    return result.json_output("deploy-environments"), result.json_output("destroy-environments")


def test_plan_for_pull_request_events(scenario: Scenario) -> None:
    assert _plan(scenario, scenario.pr_event(1, "opened", ("deploy",))) == (["preview"], [])
    assert _plan(scenario, scenario.pr_event(1, "labeled", ("deploy", "deploy/qa2"))) == (
        ["preview", "qa2"], [])
    # what actually runs for feat/a: preview and qa2 (qa1 ran it once, then was destroyed)
    scenario.seed_deployment("preview", "feat/a", 1, "in_progress", "success")
    scenario.seed_deployment("qa2", "feat/a", 1, "success")
    scenario.seed_deployment("qa1", "feat/a", 1, "success", "inactive")
    unlabeled = scenario.pr_event(1, "unlabeled", ("deploy",), removed="deploy/qa2")
    assert _plan(scenario, unlabeled) == (["preview"], ["qa2"])
    closed = scenario.pr_event(1, "closed", ("deploy", "deploy/qa2"), state="closed")
    assert _plan(scenario, closed) == ([], ["preview", "qa2"])
    # PR 2 never deployed anything: closing it destroys nothing
    assert _plan(scenario, scenario.pr_event(2, "closed", ("deploy",), state="closed")) == ([], [])


def test_plan_for_other_events_is_empty(scenario: Scenario) -> None:
    result = scenario.run({"operation": "plan", "kubeconfig": ""}, ref="main")
    assert result.exit_code == 0, result
    assert (result.outputs["deploy-environments"], result.outputs["destroy-environments"]) == ("[]", "[]")
    assert json.loads(result.outputs["deploy-environments"]) == []
    assert scenario.sandbox.github.writes() == [] or all(
        "/pulls" in w.path for w in scenario.sandbox.github.writes())
