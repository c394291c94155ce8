"""Namespaces release-kit owns, and only those (against the sandbox's Kubernetes API).

The API already holds ``argocd`` (someone else's, with a pod that is not Helm's) and
``feature-foo`` (a preview release-kit made for another branch).
"""

from __future__ import annotations

from typing import Any

import pytest

from release_kit.environments.namespaces import (
    BRANCH_ANNOTATION,
    ENVIRONMENT_ANNOTATION,
    KIND_ANNOTATION,
    MANAGED_BY_LABEL,
)
from release_kit.environments.naming import preview_namespace
from release_kit_sandbox.kube import FakeKubernetes, helm_release_secret
from tests.deploy_helmfile.scenario import Scenario

OWNED = {MANAGED_BY_LABEL: "release-kit"}
ARGOCD_POD = {"metadata": {"name": "argocd-server-0"}, "status": {"phase": "Running"}}


@pytest.fixture
def cluster(fake_kube: FakeKubernetes) -> FakeKubernetes:
    fake_kube.create_namespace("argocd", labels={"app.kubernetes.io/part-of": "argocd"})
    fake_kube.add("argocd", "pods", ARGOCD_POD)
    fake_kube.create_namespace("feature-foo", labels=OWNED, annotations={
        ENVIRONMENT_ANNOTATION: "preview", KIND_ANNOTATION: "preview",
        BRANCH_ANNOTATION: "feature/Foo-old"})
    fake_kube.add("feature-foo", "secrets", helm_release_secret("api"))
    fake_kube.requests.clear()
    return fake_kube


def writes_to(kube: FakeKubernetes, namespace: str) -> list[tuple[str, str]]:
    """Requests that change ``namespace`` or anything in it."""
    def target(path: str) -> str:
        parts = path.split("?", maxsplit=1)[0].split("/")
        return parts[parts.index("namespaces") + 1] if "namespaces" in parts[:-1] else ""
    return [(m, p) for m, p in kube.requests if m != "GET" and target(p) == namespace]


def preview(scenario: Scenario, branch: str, pr: int, operation: str = "deploy",
            **inputs: str) -> Any:
    event = scenario.pr_event(pr, "closed" if operation == "destroy" else "labeled", ("deploy",),
                              state="closed" if operation == "destroy" else "open", branch=branch)
    return scenario.run({"environment": "preview", "operation": operation, **inputs}, pr=pr,
                        branch=branch, event=event, env={"FAKE_HELMFILE_RELEASE": "web"})


def untouched(cluster: FakeKubernetes) -> None:
    assert cluster.namespaces["argocd"].labels == {"app.kubernetes.io/part-of": "argocd"}
    assert cluster.items("argocd", "pods") == [ARGOCD_POD | {"metadata": {
        "name": "argocd-server-0", "namespace": "argocd"}}]
    assert writes_to(cluster, "argocd") == []
    assert cluster.namespaces["feature-foo"].annotations[BRANCH_ANNOTATION] == "feature/Foo-old"
    assert writes_to(cluster, "feature-foo") == []


def test_a_preview_of_branch_argocd_never_deploys_into_or_deletes_argocd(
        scenario: Scenario, cluster: FakeKubernetes) -> None:
    deployed = preview(scenario, "argocd", 3)
    assert deployed.exit_code == 0, deployed
    ns = deployed.outputs["namespace"]
    assert ns == preview_namespace("argocd") and ns.startswith("preview-argocd-")
    assert cluster.namespaces[ns].labels == OWNED
    assert cluster.namespaces[ns].annotations == {
        ENVIRONMENT_ANNOTATION: "preview", KIND_ANNOTATION: "preview", BRANCH_ANNOTATION: "argocd"}
    # release-kit created it through the API before helmfile ran
    assert ("POST", "/api/v1/namespaces") in cluster.requests
    assert cluster.items(ns, "secrets")[0]["metadata"]["labels"]["name"] == "web"

    destroyed = preview(scenario, "argocd", 3, "destroy")
    assert destroyed.exit_code == 0, destroyed
    assert destroyed.outputs["result"] == "destroyed"
    assert ns not in cluster.namespaces and ("DELETE", f"/api/v1/namespaces/{ns}") in cluster.requests
    untouched(cluster)


def test_feature_slash_foo_and_feature_foo_get_namespaces_of_their_own(
        scenario: Scenario, cluster: FakeKubernetes) -> None:
    upper, lower = preview(scenario, "Feature/Foo", 4), preview(scenario, "feature-foo", 5)
    assert upper.exit_code == lower.exit_code == 0, (upper, lower)
    names = {upper.outputs["namespace"], lower.outputs["namespace"]}
    assert len(names) == 2 and "feature-foo" not in names
    assert {cluster.namespaces[n].annotations[BRANCH_ANNOTATION] for n in names} == {
        "Feature/Foo", "feature-foo"}

    # closing one PR removes its own environment only
    assert preview(scenario, "Feature/Foo", 4, "destroy").exit_code == 0
    assert upper.outputs["namespace"] not in cluster.namespaces
    assert [s["metadata"]["labels"]["name"] for s in
            cluster.items(lower.outputs["namespace"], "secrets")] == ["web"]
    untouched(cluster)


def test_an_existing_namespace_release_kit_did_not_create_is_refused(
        scenario: Scenario, cluster: FakeKubernetes) -> None:
    result = preview(scenario, "feat/a", 1, namespace="argocd")
    assert result.exit_code == 1, result
    [error] = result.errors
    assert error.title == "Namespace not created by release-kit"
    assert "argocd already exists" in error.message and "adopt-namespace: true" in error.message
    assert scenario.sandbox.github.writes() == []  # refused before the deployment was recorded
    assert scenario.fake_helmfile.calls == []
    # a destroy there is refused as well
    refused = preview(scenario, "feat/a", 1, "destroy", namespace="argocd")
    assert [e.title for e in refused.errors] == ["Namespace not created by release-kit"]
    assert scenario.fake_helmfile.calls == []
    untouched(cluster)


def test_adopt_namespace_deploys_there_but_never_marks_or_deletes_it(
        scenario: Scenario, cluster: FakeKubernetes) -> None:
    deployed = preview(scenario, "feat/a", 1, namespace="argocd", **{"adopt-namespace": "true"})
    assert deployed.exit_code == 0, deployed
    assert [n.title for n in deployed.commands("notice")] == ["Namespace adopted"]
    destroyed = preview(scenario, "feat/a", 1, "destroy", namespace="argocd",
                        **{"adopt-namespace": "true"})
    assert destroyed.exit_code == 0, destroyed
    assert destroyed.outputs["result"] == "destroyed"  # this helmfile's release is gone...
    assert "argocd" in cluster.namespaces  # ...the namespace is not
    assert "release-kit did not create it" in destroyed.summary
    assert cluster.namespaces["argocd"].labels == {"app.kubernetes.io/part-of": "argocd"}
    assert ("DELETE", "/api/v1/namespaces/argocd") not in cluster.requests


def test_a_namespace_release_kit_made_for_another_branch_is_refused(
        scenario: Scenario, cluster: FakeKubernetes) -> None:
    result = preview(scenario, "feat/a", 1, namespace="feature-foo")
    assert result.exit_code == 1, result
    [error] = result.errors
    assert error.title == "Namespace belongs to another environment"
    assert "preview of branch 'feature/Foo-old'" in error.message
    assert scenario.sandbox.github.writes() == [] and scenario.fake_helmfile.calls == []
    untouched(cluster)


def test_fixed_environments_destroy_only_when_confirmed_and_keep_their_namespace(
        scenario: Scenario, cluster: FakeKubernetes) -> None:
    env = {"FAKE_HELMFILE_RELEASE": "web"}
    assert scenario.run({"environment": "production"}, ref="v1.2.0", env=env).exit_code == 0
    refused = scenario.run({"environment": "production", "operation": "destroy"}, ref="v1.2.0",
                           env=env)
    assert [e.title for e in refused.errors] == ["Invalid input 'confirm-destroy'"]
    assert cluster.items("production", "secrets") != []
    confirmed = scenario.run({"environment": "production", "operation": "destroy",
                              "confirm-destroy": "production"}, ref="v1.2.0", env=env)
    assert confirmed.exit_code == 0, confirmed
    assert confirmed.outputs["result"] == "destroyed"
    assert cluster.items("production", "secrets") == []
    assert "production" in cluster.namespaces  # a fixed environment's namespace stays
    assert "production is a fixed environment" in confirmed.summary


def test_destroy_says_nothing_to_destroy_when_nothing_existed(scenario: Scenario,
                                                              cluster: FakeKubernetes) -> None:
    result = preview(scenario, "feat/b", 2, "destroy")
    assert result.exit_code == 0, result
    assert result.outputs["result"] == "unchanged"
    [notice] = result.commands("notice")
    assert notice.title == "Nothing to destroy"
    assert f"namespace {preview_namespace('feat/b')} does not exist" in notice.message
    assert scenario.fake_helmfile.calls == []
    # a namespace without this helmfile's release: helmfile runs, and the result says so
    scenario.owned_namespace("qa4")
    qa = scenario.run({"environment": "qa4", "operation": "destroy"}, pr=2,
                      event=scenario.pr_event(2, "closed", state="closed"))
    assert qa.exit_code == 0 and qa.outputs["result"] == "unchanged", qa
    assert "no Helm release of this helmfile was in qa4" in qa.commands("notice")[0].message
    untouched(cluster)


def test_a_redeploy_uses_the_namespace_it_created(scenario: Scenario, cluster: FakeKubernetes) -> None:
    assert scenario.run({"environment": "qa1"}, pr=1).exit_code == 0
    assert scenario.run({"environment": "qa1"}, pr=1).exit_code == 0
    assert cluster.requests.count(("POST", "/api/v1/namespaces")) == 1
    assert cluster.namespaces["qa1"].annotations == {ENVIRONMENT_ANNOTATION: "qa1",
                                                     KIND_ANNOTATION: "qa"}
