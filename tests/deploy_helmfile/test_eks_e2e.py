"""EKS mode end to end: role chain and DescribeCluster against the moto server, the kubeconfig
helmfile gets, and its exec plugin (``release-kit eks-token``) run the way helm would run it."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import yaml

from tests.deploy_helmfile.fakes import FakeHelmfile
from tests.deploy_helmfile.scenario import Scenario

TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}'
REGION = "eu-central-1"


def test_eks_deploy_uses_an_exec_plugin_kubeconfig(sandbox, scenario: Scenario,
                                                  fake_helmfile: FakeHelmfile) -> None:
    aws = {"endpoint_url": sandbox.aws_endpoint, "region_name": REGION,
           "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    iam = boto3.client("iam", **aws)
    cicd, helm = (iam.create_role(RoleName=n, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
                  for n in ("cicd", "helm"))
    boto3.client("eks", **aws).create_cluster(name="apps", roleArn=helm, resourcesVpcConfig={})

    result = scenario.run({"environment": "dev", "kubeconfig": "", "cluster": "apps",
                           "aws-region": REGION, "cicd-role-arn": cicd, "helm-role-arn": helm,
                           "url": "https://{environment}.example.com"},
                          ref="main", env={"FAKE_HELMFILE_RUN_EXEC": "1"})
    assert result.exit_code == 0, result
    call, _listing = fake_helmfile.calls
    assert call["kubeconfig_mode"] == "0o600"
    config = yaml.safe_load(call["kubeconfig"])
    assert config["clusters"][0]["cluster"]["server"].endswith(f".{REGION}.eks.amazonaws.com/")
    args = config["users"][0]["user"]["exec"]["args"]
    assert args[args.index("eks-token"):] == [
        "eks-token", "--cluster", "apps", "--region", REGION, "--role-arn", cicd, "--role-arn", helm,
        "--session-name", "acme@web-4242"]
    assert "testing" not in call["kubeconfig"] and "k8s-aws-v1" not in call["kubeconfig"]
    assert not Path(call["env"]["KUBECONFIG"]).exists()  # removed after the run

    plugin = call["exec"]
    assert plugin["code"] == 0, plugin["stderr"]
    credential = json.loads(plugin["stdout"])
    token = credential["status"]["token"]
    body = token.removeprefix("k8s-aws-v1.")
    url = urlsplit(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode())
    assert url.netloc == f"sts.{REGION}.amazonaws.com"
    assert parse_qs(url.query)["X-Amz-Expires"] == ["60"]
    assert f"::add-mask::{token}" in plugin["stderr"].splitlines()  # helm passes it to the log

    # every minted role credential was masked before use (3 per hop), and the in-process token
    assert len(result.masks) >= 1 + 6 + 1
    assert any(m.startswith("k8s-aws-v1.") for m in result.masks)
    # the cluster endpoint is not reachable here: the URL falls back to the template, with a warning
    assert result.outputs["url"] == "https://dev.example.com"
    assert result.warnings and "Ingresses" in result.warnings[0].message
