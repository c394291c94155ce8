"""Every bad input: one ::error naming the input, exit 1, no deployment, helmfile never ran."""

from __future__ import annotations

from pathlib import Path

import pytest

from release_kit.helmfile import HELMFILE_VERSION
from release_kit_sandbox.kube import FakeKubernetes
from tests.deploy_helmfile.fakes import FakeHelmfile
from tests.deploy_helmfile.scenario import BRANCHES, Scenario


@pytest.fixture
def scenario(sandbox, fake_helmfile: FakeHelmfile, fake_kube: FakeKubernetes, workspace: Path) -> Scenario:
    """No repository is needed: nothing may reach GitHub at all."""
    shas = {ref: f"{n:040x}" for n, ref in enumerate(("main", "v1.2.0", *BRANCHES), 1)}
    return Scenario(sandbox, fake_helmfile, workspace, shas=shas, kube=fake_kube)


BAD = [
    ("operation", {"operation": "upgrade", "environment": "dev"}),
    ("environment", {"environment": ""}),
    ("namespace", {"environment": "dev", "namespace": "Not_A_Label"}),
    ("namespace", {"environment": "dev", "namespace": "kube-system"}),
    ("environment", {"environment": "Team X"}),
    ("cluster", {"environment": "dev", "kubeconfig": "", "aws-region": "eu-west-1"}),
    ("aws-region", {"environment": "dev", "kubeconfig": "", "cluster": "apps"}),
    ("cicd-role-arn", {"environment": "dev", "cicd-role-arn": "arn:aws:iam::123456789012:user/bob"}),
    ("helm-role-arn", {"environment": "dev", "helm-role-arn": "helm"}),
    ("values", {"environment": "dev", "values": "- a\n- b\n"}),
    ("values", {"environment": "dev", "values": "a: [unclosed"}),
    ("set", {"environment": "dev", "set": "replicas=2\nnoequals"}),
    ("env-labels", {"environment": "dev", "env-labels": "qa1: [x]"}),
    ("env-labels", {"operation": "plan", "env-labels": "just text"}),
    ("helmfile", {"environment": "dev", "helmfile": "deploy/missing.yaml"}),
    ("helmfile", {"environment": "dev", "helmfile": "../outside.yaml"}),
    ("kubeconfig", {"environment": "dev", "kubeconfig": "nope/kubeconfig"}),
    ("url", {"environment": "dev", "url": "https://{nope}.example.com"}),
    ("timeout", {"environment": "dev", "timeout": "0"}),
    ("github-deployment", {"environment": "dev", "github-deployment": "yes"}),
]


@pytest.mark.parametrize(("input_name", "inputs"), BAD, ids=[f"{n}-{i}" for i, (n, _) in enumerate(BAD)])
def test_bad_input(scenario: Scenario, fake_kube: FakeKubernetes, input_name: str,
                   inputs: dict[str, str]) -> None:
    (scenario.workspace.parent / "outside.yaml").write_text("releases: []\n")
    result = scenario.run(inputs, pr=1)
    assert result.exit_code == 1, result
    [error] = result.errors
    assert error.title == f"Invalid input '{input_name}'", error
    assert scenario.fake_helmfile.calls == []
    assert scenario.sandbox.github.requests == []  # no deployment: GitHub was never called
    assert fake_kube.requests == []


def test_missing_helmfile_binary_fails_before_any_write(scenario: Scenario) -> None:
    result = scenario.run({"environment": "dev"}, ref="main", env={"PATH": "/usr/bin:/bin"})
    assert result.exit_code == 1, result
    [error] = result.errors
    assert error.title == "helmfile not found"
    assert "action image provides it" in error.message and f"helmfile {HELMFILE_VERSION}" in error.message
    assert scenario.sandbox.github.requests == []


# -- checked before the first write: the kubeconfig, the event, the branch, confirm-destroy ------

def _no_write(scenario: Scenario, result, title: str) -> str:  # type: ignore[no-untyped-def]
    """Exit 1, one ::error with ``title``, GitHub never called, helmfile never ran, and the
    Kubernetes API not touched; returns the error message."""
    assert result.exit_code == 1, result
    [error] = result.errors
    assert error.title == title, error
    assert "This is a bug" not in result.stdout
    assert scenario.sandbox.github.requests == []
    assert scenario.fake_helmfile.calls == []
    assert scenario.kube is not None and scenario.kube.requests == []
    return error.message


KUBECONFIGS = {
    "not YAML": ("garbage: [", "not valid YAML"),
    "clusters not a list": ('{"apiVersion": "v1", "current-context": "c", "contexts": [{"name": "c",'
                            ' "context": {"cluster": "k"}}], "clusters": {"k": {"server": "https://k"}}}',
                            "its clusters is a dict, not a list"),
    "no current-context": ('{"clusters": [{"name": "k", "cluster": {"server": "https://k"}}]}',
                           "names no current-context"),
    "context missing": ('{"current-context": "c", "contexts": [], "clusters": []}',
                        "current-context 'c' is not among its contexts"),
    "cluster missing": ('{"current-context": "c", "contexts": [{"name": "c", "context": '
                        '{"cluster": "k"}}], "clusters": [{"name": "other", "cluster": {"server": "x"}}]}',
                        "cluster 'k' (of context 'c') is not among its clusters"),
    "no server": ('{"current-context": "c", "contexts": [{"name": "c", "context": {"cluster": "k"}}], '
                  '"clusters": [{"name": "k", "cluster": {}}]}', "cluster 'k' has no server"),
    "a list": ("- a\n- b\n", "it is not a kubeconfig"),
    "binary": ("\udcff", "cannot be read"),
}


@pytest.mark.parametrize("case", sorted(KUBECONFIGS))
def test_a_kubeconfig_helm_could_not_use_is_an_input_error(scenario: Scenario, case: str) -> None:
    text, expected = KUBECONFIGS[case]
    path = scenario.workspace / "bad-kubeconfig"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    for operation in ("deploy", "destroy", "diff"):
        result = scenario.run({"environment": "qa1", "operation": operation,
                               "kubeconfig": "bad-kubeconfig"}, pr=1)
        assert expected in _no_write(scenario, result, "Invalid input 'kubeconfig'")


@pytest.mark.parametrize("payload", ["{not json", "[1, 2]", '"text"', "\xff\xfe"])
def test_an_event_payload_that_does_not_parse_is_an_input_error(scenario: Scenario,
                                                              payload: str) -> None:
    for inputs in ({"operation": "plan", "kubeconfig": ""}, {"environment": "qa1"},
                   {"environment": "dev"}):
        result = scenario.run(inputs, pr=1, event=payload)
        message = _no_write(scenario, result, "Invalid input 'GITHUB_EVENT_PATH'")
        assert "event payload" in message


@pytest.mark.parametrize(("field", "pull_request"), [
    ("pull_request.head", {"number": 1, "head": "feat/a"}),
    ("pull_request.labels", {"number": 1, "head": {"ref": "feat/a"}, "labels": "deploy"}),
    ("pull_request.number", {"number": "one", "head": {"ref": "feat/a"}}),
])
def test_an_event_payload_of_the_wrong_shape_names_the_field(scenario: Scenario, field: str,
                                                             pull_request: dict) -> None:
    result = scenario.run({"operation": "plan", "kubeconfig": ""}, pr=1,
                          event={"action": "labeled", "pull_request": pull_request})
    assert field in _no_write(scenario, result, "Invalid input 'GITHUB_EVENT_PATH'")


def test_a_preview_needs_a_branch(scenario: Scenario) -> None:
    """An empty ref derived preview-e3b0c442 and reported GitHub's 422 as "Conflict"."""
    event = scenario.pr_event(1)
    event["pull_request"]["head"]["ref"] = ""
    result = scenario.run({"environment": "preview"}, pr=1, event=event,
                          env={"GITHUB_HEAD_REF": "", "GITHUB_REF_NAME": ""})
    message = _no_write(scenario, result, "Invalid input 'environment'")
    assert "preview needs the branch being deployed" in message
    # a deployment of a fixed environment needs one too (GitHub refuses a deployment without)
    push = scenario.run({"environment": "dev"}, ref="main", env={"GITHUB_REF_NAME": ""})
    assert "dev needs the branch being deployed" in _no_write(scenario, push,
                                                              "Invalid input 'environment'")


@pytest.mark.parametrize("environment", ["dev", "staging", "production", "hotfix", "sandbox-eu"])
def test_destroying_a_fixed_environment_needs_confirm_destroy(scenario: Scenario,
                                                             environment: str) -> None:
    result = scenario.run({"environment": environment, "operation": "destroy"}, ref="main")
    message = _no_write(scenario, result, "Invalid input 'confirm-destroy'")
    assert f"Set confirm-destroy: {environment}" in message
    wrong = scenario.run({"environment": environment, "operation": "destroy",
                          "confirm-destroy": "yes"}, ref="main")
    assert "(got 'yes')" in _no_write(scenario, wrong, "Invalid input 'confirm-destroy'")
