"""Every bad input: one ::error naming the input, exit 1, no deployment, helmfile never ran."""

from __future__ import annotations

from pathlib import Path

import pytest

from release_kit.helmfile import HELMFILE_VERSION
from release_kit.sandbox.kube import FakeKubernetes
from tests.deploy_helmfile.fakes import FakeHelmfile
from tests.deploy_helmfile.scenario import BRANCHES, Scenario


@pytest.fixture
def scenario(sandbox, fake_helmfile: FakeHelmfile, fake_kube: FakeKubernetes, workspace: Path) -> Scenario:
    """No repository is needed: nothing may reach GitHub at all."""
    shas = {ref: f"{n:040x}" for n, ref in enumerate(("main", "v1.2.0", *BRANCHES), 1)}
    return Scenario(sandbox, fake_helmfile, workspace, shas=shas)


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
def test_bad_input(scenario: Scenario, input_name: str, inputs: dict[str, str]) -> None:
    (scenario.workspace.parent / "outside.yaml").write_text("releases: []\n")
    result = scenario.run(inputs, pr=1)
    assert result.exit_code == 1, result
    [error] = result.errors
    assert error.title == f"Invalid input '{input_name}'", error
    assert scenario.fake_helmfile.calls == []
    assert scenario.sandbox.github.requests == []  # no deployment: GitHub was never called


def test_missing_helmfile_binary_fails_before_any_write(scenario: Scenario) -> None:
    result = scenario.run({"environment": "dev"}, ref="main", env={"PATH": "/usr/bin:/bin"})
    assert result.exit_code == 1, result
    [error] = result.errors
    assert error.title == "helmfile not found"
    assert "action image provides it" in error.message and f"helmfile {HELMFILE_VERSION}" in error.message
    assert scenario.sandbox.github.requests == []
