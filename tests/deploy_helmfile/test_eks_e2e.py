"""EKS mode end to end: role chain and DescribeCluster against the moto server, the kubeconfig
helmfile gets, and its exec plugin (``release-kit eks-token``) run the way helm would run it.

moto's cluster is pointed at the sandbox's Kubernetes API (moto runs in this process), so the
action's own Kubernetes calls (the namespace, the URL) reach a server with the minted token.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import yaml
from moto.core import DEFAULT_ACCOUNT_ID
from moto.eks.models import eks_backends

from release_kit_sandbox.kube import FakeKubernetes
from tests.deploy_helmfile.fakes import FakeHelmfile
from tests.deploy_helmfile.scenario import Scenario

TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}'
REGION = "eu-central-1"


@pytest.fixture
def eks(sandbox, fake_kube: FakeKubernetes) -> tuple[str, str]:
    """Roles cicd -> helm and cluster ``apps``, whose endpoint is the sandbox Kubernetes API."""
    aws = {"endpoint_url": sandbox.aws_endpoint, "region_name": REGION,
           "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    iam = boto3.client("iam", **aws)
    cicd, helm = (iam.create_role(RoleName=n, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
                  for n in ("cicd", "helm"))
    boto3.client("eks", **aws).create_cluster(name="apps", roleArn=helm, resourcesVpcConfig={})
    cluster = eks_backends[DEFAULT_ACCOUNT_ID][REGION].clusters["apps"]
    cluster.endpoint, cluster.certificate_authority = fake_kube.url, {"data": ""}
    return cicd, helm


def run_eks(scenario: Scenario, eks: tuple[str, str], **env: str):  # type: ignore[no-untyped-def]
    cicd, helm = eks
    return scenario.run({"environment": "dev", "kubeconfig": "", "cluster": "apps",
                         "aws-region": REGION, "cicd-role-arn": cicd, "helm-role-arn": helm,
                         "url": "https://{environment}.example.com"},
                        ref="main", env={"FAKE_HELMFILE_RUN_EXEC": "1", **env})


def decode(token: str) -> dict[str, list[str]]:
    body = token.removeprefix("k8s-aws-v1.")
    url = urlsplit(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode())
    assert url.netloc == f"sts.{REGION}.amazonaws.com"
    return parse_qs(url.query)


def test_eks_deploy_uses_an_exec_plugin_kubeconfig(scenario: Scenario, fake_helmfile: FakeHelmfile,
                                                  fake_kube: FakeKubernetes, eks: tuple[str, str]) -> None:
    result = run_eks(scenario, eks)
    assert result.exit_code == 0, result
    call, _listing = fake_helmfile.calls
    assert call["kubeconfig_mode"] == "0o600"
    config = yaml.safe_load(call["kubeconfig"])
    assert config["clusters"][0]["cluster"]["server"] == fake_kube.url
    args = config["users"][0]["user"]["exec"]["args"]
    cache = Path(args[-1])
    assert args[args.index("eks-token"):] == [
        "eks-token", "--cluster", "apps", "--region", REGION, "--token-cache", str(cache)]
    assert cache.parent == Path(call["env"]["KUBECONFIG"]).parent  # the action's private folder
    assert "testing" not in call["kubeconfig"] and "k8s-aws-v1" not in call["kubeconfig"]
    assert not Path(call["env"]["KUBECONFIG"]).exists() and not cache.exists()  # removed after

    plugin = call["exec"]
    assert plugin["code"] == 0, plugin["stderr"]
    token = json.loads(plugin["stdout"])["status"]["token"]
    assert decode(token)["X-Amz-Expires"] == ["60"]
    assert plugin["stderr"] == ""  # the plugin mints nothing, so it has nothing to mask

    # every minted role credential was masked before use (3 per hop), and the token
    assert len(result.masks) >= 6 + 1 and token in result.masks
    # the action reached the cluster with it: its namespace, marked as release-kit's
    assert fake_kube.namespaces["dev"].labels == {"app.kubernetes.io/managed-by": "release-kit"}
    assert result.outputs["url"] == "https://dev.example.com"
    assert result.warnings == []


def test_every_token_helm_gets_was_masked_by_the_action_first(
        scenario: Scenario, fake_helmfile: FakeHelmfile, eks: tuple[str, str]) -> None:
    """helmfile swallowing the plugin's stderr (as `helmfile list` does) masks nothing away."""
    result = run_eks(scenario, eks, FAKE_HELMFILE_SWALLOW_EXEC_STDERR="1")
    assert result.exit_code == 0, result
    tokens = [json.loads(call["exec"]["stdout"])["status"]["token"] for call in fake_helmfile.calls]
    assert len(tokens) == 2  # apply and list each ran the plugin
    lines = result.stdout.splitlines()
    first_helmfile = next(i for i, line in enumerate(lines) if line.startswith("::group::helmfile"))
    for token in tokens:
        assert lines.index(f"::add-mask::{token}") < first_helmfile
        assert token not in "\n".join(lines[first_helmfile:])
