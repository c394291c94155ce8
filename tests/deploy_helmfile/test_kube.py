"""Diagnostics read from pod/event JSON, and the kube adapter against the sandbox API server."""

from __future__ import annotations

import urllib.error
from pathlib import Path

import pytest

from release_kit.errors import ExternalServiceError
from release_kit.kube.api import Kube
from release_kit.kube.config import read_kubeconfig
from release_kit.kube.diagnostics import one_line, pod_problems, summary_markdown, warning_events
from release_kit_sandbox.kube import FakeKubernetes, Helm, helm_release_secret, ingress


def pod(name: str, *, ready: bool = False, phase: str = "Running", **status: object) -> dict:
    return {"metadata": {"name": name}, "status": {
        "phase": phase,
        "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        **status}}


CRASHING = pod("web-1", containerStatuses=[{
    "name": "web", "ready": False,
    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting"}},
    "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}])
PULLING = pod("web-2", phase="Pending", containerStatuses=[{
    "name": "web", "ready": False, "state": {"waiting": {"reason": "ImagePullBackOff",
                                                         "message": "Back-off pulling image"}}}])
UNSCHEDULED = {"metadata": {"name": "web-3"}, "status": {"phase": "Pending", "conditions": [
    {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
     "message": "0/3 nodes are available: insufficient cpu"}]}}
EVENTS = [
    {"metadata": {"name": "web-1.1"}, "type": "Normal", "reason": "Pulled", "involvedObject": {"kind": "Pod", "name": "web-1"}},
    {"metadata": {"name": "web-1.2"}, "type": "Warning", "reason": "BackOff", "message": "Back-off restarting failed container",
     "involvedObject": {"kind": "Pod", "name": "web-1"}, "count": 7, "lastTimestamp": "2026-01-01T10:05:00Z"},
    {"metadata": {"name": "web-2.1"}, "type": "Warning", "reason": "Failed", "message": "Failed to pull image \"web:nope\"",
     "involvedObject": {"kind": "Pod", "name": "web-2"}, "lastTimestamp": "2026-01-01T10:06:00Z"},
]


def test_pod_problems_name_each_reason() -> None:
    problems = pod_problems([CRASHING, PULLING, UNSCHEDULED, pod("ok", ready=True),
                             pod("job", phase="Succeeded")])
    assert [p.pod for p in problems] == ["web-1", "web-2", "web-3"]
    assert problems[0].reasons == ["web: CrashLoopBackOff (last exit: OOMKilled (code 137))"]
    assert problems[1].reasons == ["web: ImagePullBackOff (Back-off pulling image)"]
    assert problems[2].reasons == ["Unschedulable (0/3 nodes are available: insufficient cpu)"]


def test_warning_events_newest_first_and_rendered() -> None:
    events = warning_events(EVENTS)
    assert [(e.object, e.reason) for e in events] == [("Pod/web-2", "Failed"), ("Pod/web-1", "BackOff")]
    problems = pod_problems([CRASHING])
    text = summary_markdown("qa2", problems, events)
    assert "CrashLoopBackOff" in text and "Failed to pull image" in text and "| pod |" in text
    line = one_line(problems, events)
    assert line.startswith("pod web-1: web: CrashLoopBackOff") and "last warning: Pod/web-2 Failed" in line
    assert one_line([], []) == "no unready pods or warning events found"


def test_adapter_against_fake_api(fake_kube: FakeKubernetes, workspace: Path) -> None:
    fake_kube.add("feat-a", "ingresses",
                  ingress("web", "feat-a.example.com", release="web",
                          annotations={"outputs.webapp-url": "https://x"}))
    fake_kube.add("feat-a", "pods", CRASHING, pod("ok", ready=True))
    fake_kube.add("feat-a", "events", *EVENTS)
    fake_kube.add("feat-a", "secrets", helm_release_secret("web"), helm_release_secret("api"),
                  {"metadata": {"name": "plain", "labels": {}}})
    kube = Kube.from_kubeconfig(workspace / "kubeconfig")
    [ing] = kube.ingresses("feat-a")
    assert ing.hosts == ["feat-a.example.com"] and ing.annotations["outputs.webapp-url"] == "https://x"
    assert ing.release == "web" and ing.labels["app.kubernetes.io/instance"] == "web"
    assert [p.pod for p in pod_problems(kube.pods("feat-a"))] == ["web-1"]
    assert {e["reason"] for e in kube.events("feat-a")} == {"BackOff", "Failed"}
    assert kube.helm_releases("feat-a") == ["api", "web"]
    assert kube.pods("missing") == [] and kube.helm_releases("missing") == []
    assert kube.delete_namespace("feat-a") is True
    assert kube.delete_namespace("feat-a") is False
    assert "feat-a" not in fake_kube.namespaces


def test_namespaces_through_the_adapter_as_the_real_api_answers(fake_kube: FakeKubernetes,
                                                                workspace: Path) -> None:
    kube = Kube.from_kubeconfig(workspace / "kubeconfig")
    assert kube.namespace("preview-x") is None  # 404
    labels, annotations = {"app.kubernetes.io/managed-by": "release-kit"}, {"release-kit/branch": "x"}
    assert kube.create_namespace("preview-x", labels, annotations) is True  # 201
    assert kube.create_namespace("preview-x", {}, {}) is False  # 409 AlreadyExists: nothing changed
    state = kube.namespace("preview-x")
    assert state is not None and state.ours and not state.terminating
    assert (dict(state.labels), dict(state.annotations)) == (labels, annotations)
    fake_kube.create_namespace("argocd")
    other = kube.namespace("argocd")
    assert other is not None and not other.ours
    assert kube.delete_namespace("preview-x") is True and kube.namespace("preview-x") is None


def test_objects_cannot_be_created_in_a_namespace_that_does_not_exist(fake_kube: FakeKubernetes) -> None:
    helm = Helm(fake_kube.url)
    # 404 (Helm._call reads it as None), and no namespace appears on the side
    assert helm._call("POST", "/api/v1/namespaces/nowhere/secrets", helm_release_secret("web")) is None
    assert "nowhere" not in fake_kube.namespaces
    with pytest.raises(urllib.error.HTTPError) as info:  # creating an existing namespace
        helm._call("POST", "/api/v1/namespaces", {"metadata": {"name": "argocd"}})
        helm._call("POST", "/api/v1/namespaces", {"metadata": {"name": "argocd"}})
    assert info.value.code == 409
    assert helm.install("somewhere", "web", image="i", host="h") is True  # --create-namespace
    assert fake_kube.namespaces["somewhere"].labels == {"name": "somewhere"}


def test_kubernetes_failures_are_named_errors(fake_kube: FakeKubernetes, workspace: Path) -> None:
    kube = Kube.from_kubeconfig(workspace / "kubeconfig")
    fake_kube.fail("GET", r"/namespaces/x$", 403)
    with pytest.raises(ExternalServiceError, match="Kubernetes refused reading namespace x: 403"):
        kube.namespace("x")
    fake_kube.fail("GET", r"/namespaces/x$", 200, body=b"<html>proxy login</html>")
    with pytest.raises(ExternalServiceError, match="not JSON"):
        kube.namespace("x")
    bad = workspace / "bad-kubeconfig"
    bad.write_text('{"current-context": "c"}')
    with pytest.raises(ExternalServiceError, match="cannot use the kubeconfig"):
        Kube.from_kubeconfig(bad)


def test_check_kubeconfig_accepts_what_kubectl_writes(workspace: Path, fake_kube: FakeKubernetes) -> None:
    summary = read_kubeconfig(workspace / "kubeconfig")
    assert (summary.context, summary.cluster, summary.server) == ("sandbox", "sandbox", fake_kube.url)
    kind = workspace / "kind"
    kind.write_text("""apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0t
    server: https://127.0.0.1:6443
  name: kind-e2e
contexts:
- context:
    cluster: kind-e2e
    user: kind-e2e
  name: kind-e2e
current-context: kind-e2e
kind: Config
preferences: {}
users:
- name: kind-e2e
  user:
    client-certificate-data: LS0t
""")
    assert read_kubeconfig(kind).server == "https://127.0.0.1:6443"
