"""EKS access against moto: the role chain, DescribeCluster, the token, the kubeconfig, the tool."""

from __future__ import annotations

import base64
import io
import json
import os
import stat
from contextlib import redirect_stdout
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import yaml
from moto import mock_aws

from release_kit.aws import assume_role_chain
from release_kit.eks import kubeconfig
from release_kit.eks import token as eks_token_module
from release_kit.eks.token import (
    PREFIX,
    Token,
    TokenCache,
    eks_token,
    get_token,
    read_cached,
    write_cached,
)
from release_kit.errors import NotFoundError

TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}'
REGION = "eu-west-1"


def decode(token: str) -> tuple[str, dict[str, list[str]]]:
    assert token.startswith(PREFIX)
    body = token[len(PREFIX):]
    assert "=" not in body and "+" not in body and "/" not in body  # unpadded base64url
    url = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    parts = urlsplit(url)
    return parts.netloc, parse_qs(parts.query)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        iam = boto3.client("iam", region_name=REGION)
        roles = [iam.create_role(RoleName=n, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
                 for n in ("cicd", "helm")]
        eks = boto3.client("eks", region_name=REGION)
        eks.create_cluster(name="apps", roleArn=roles[1], resourcesVpcConfig={})
        yield roles


def test_token_is_a_presigned_regional_get_caller_identity(aws: list[str]) -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        session = assume_role_chain(REGION, aws, "acme@web-1")
        now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        token = get_token(session, "apps", REGION, now=now)
    host, query = decode(token.value)
    assert host == "sts.eu-west-1.amazonaws.com"
    assert query["Action"] == ["GetCallerIdentity"] and query["X-Amz-Expires"] == ["60"]
    assert "x-k8s-aws-id" in query["X-Amz-SignedHeaders"][0].split(";")
    creds = session.get_credentials()
    # signed with the second role's credentials (the chain's end), not the runner's
    assert query["X-Amz-Credential"][0].startswith(creds.access_key + "/")
    assert creds.access_key != "testing"
    assert f"::add-mask::{token.value}" in out.getvalue().splitlines()
    credential = token.exec_credential()
    assert credential["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    assert credential["status"] == {"expirationTimestamp": "2026-01-02T03:18:05Z", "token": token.value}


def test_role_chain_second_role_uses_first_roles_credentials(aws: list[str]) -> None:
    with redirect_stdout(io.StringIO()):
        first = assume_role_chain(REGION, aws[:1], "s1")
        chained = assume_role_chain(REGION, aws, "s1")
    arn = chained.client("sts", region_name=REGION).get_caller_identity()["Arn"]
    assert arn.endswith(":assumed-role/helm/s1")
    assert first.client("sts", region_name=REGION).get_caller_identity()["Arn"].endswith(
        ":assumed-role/cicd/s1")


def test_describe_cluster_and_private_kubeconfig(aws: list[str], tmp_path: Path) -> None:
    cluster = kubeconfig.describe_cluster(boto3.Session(region_name=REGION), "apps", REGION)
    assert cluster.endpoint.startswith("https://") and cluster.certificate_authority
    path = kubeconfig.write(kubeconfig.render_kubeconfig(cluster, aws, "acme@web-1", "qa2"), str(tmp_path))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    doc = yaml.safe_load(path.read_text())
    assert doc["clusters"][0]["cluster"] == {"server": cluster.endpoint,
                                             "certificate-authority-data": cluster.certificate_authority}
    assert doc["contexts"][0]["context"]["namespace"] == "qa2"
    exec_ = doc["users"][0]["user"]["exec"]
    assert exec_["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    assert Path(exec_["command"]).is_absolute()
    assert exec_["args"] == ["-m", "release_kit", "eks-token", "--cluster", "apps", "--region", REGION,
                             "--role-arn", aws[0], "--role-arn", aws[1], "--session-name", "acme@web-1"]
    text = path.read_text()
    assert "testing" not in text and "token" not in text.replace("eks-token", "")


def test_missing_cluster_is_not_found(aws: list[str]) -> None:
    with pytest.raises(NotFoundError) as info:
        kubeconfig.describe_cluster(boto3.Session(region_name=REGION), "nope", REGION)
    assert "nope" in str(info.value)


def test_eks_token_tool_prints_only_the_exec_credential(aws: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code = eks_token(["--cluster", "apps", "--region", REGION, "--role-arn", aws[0],
                      "--role-arn", aws[1], "--session-name", "acme@web-9"])
    out, err = capsys.readouterr()
    assert code == 0
    credential = json.loads(out)  # stdout is exactly one JSON document
    host, query = decode(credential["status"]["token"])
    assert host == "sts.eu-west-1.amazonaws.com"
    assert query["X-Amz-Expires"] == ["60"]
    assert "::add-mask::" + credential["status"]["token"] in err.splitlines()


def test_eks_token_tool_fails_readably_without_credentials(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    code = eks_token(["--cluster", "apps", "--region", REGION])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert "No AWS credentials" in err


# -- the token cache: minted and masked in the action, served by the plugin ----------------------


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def minting(clock: Clock):  # type: ignore[no-untyped-def]
    count = iter(range(1, 1000))

    def mint() -> Token:
        return Token(f"{PREFIX}token-{next(count)}", clock.now + timedelta(minutes=14))
    return mint


def test_token_cache_masks_a_token_before_any_file_holds_it(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    real_write = eks_token_module.write_cached

    def write_after_mask(path: Path, cluster: str, token: Token) -> None:
        assert f"::add-mask::{token.value}" in out.getvalue().splitlines()
        real_write(path, cluster, token)

    monkeypatch.setattr(eks_token_module, "write_cached", write_after_mask)
    clock = Clock()
    cache = TokenCache(tmp_path / "eks-token.json", "apps", minting(clock), now=clock)
    with redirect_stdout(out):
        token = cache.current()
    assert token.value == f"{PREFIX}token-1"
    assert stat.S_IMODE(os.stat(cache.path).st_mode) == 0o600
    assert read_cached(cache.path, "apps", now=clock.now) == token
    assert [p.name for p in tmp_path.iterdir()] == ["eks-token.json"]  # no temporary left


def test_token_cache_replaces_the_token_before_it_runs_out(tmp_path: Path) -> None:
    clock = Clock()
    cache = TokenCache(tmp_path / "eks-token.json", "apps", minting(clock), now=clock)
    with redirect_stdout(io.StringIO()) as out:
        first = cache.current()
        clock.now += timedelta(minutes=8)  # 6 minutes left: still served
        assert cache.current() == first and cache.minted == 1
        clock.now += timedelta(minutes=2)  # 4 minutes left: replaced
        second = cache.current()
    assert second != first and cache.minted == 2
    assert read_cached(cache.path, "apps", now=clock.now) == second
    assert f"::add-mask::{second.value}" in out.getvalue().splitlines()


def test_kept_fresh_refreshes_in_a_thread_and_stops(tmp_path: Path) -> None:
    import time

    clock = Clock()
    cache = TokenCache(tmp_path / "eks-token.json", "apps", minting(clock), now=clock)
    with redirect_stdout(io.StringIO()):
        with cache.kept_fresh(every=0.02):
            assert cache.minted == 1  # a token before the body starts
            clock.now += timedelta(minutes=12)
            deadline = time.monotonic() + 5
            while cache.minted < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert cache.minted == 2
        clock.now += timedelta(minutes=12)
        time.sleep(0.1)
    assert cache.minted == 2  # the thread stopped with the block


def test_plugin_serves_the_cached_token_and_never_mints(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "eks-token.json"
    now = datetime.now(UTC)
    fresh = Token(f"{PREFIX}fresh", now + timedelta(minutes=10))
    write_cached(path, "apps", fresh)
    assert eks_token(["--cluster", "apps", "--region", REGION, "--token-cache", str(path)]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["status"]["token"] == fresh.value and err == ""

    # stale (under a minute left), missing, another cluster's, garbage: refused, nothing minted
    write_cached(path, "apps", Token(f"{PREFIX}stale", now + timedelta(seconds=30)))
    other = tmp_path / "other.json"
    write_cached(other, "db", fresh)
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    for cache_file in (path, tmp_path / "missing.json", other, garbage):
        assert eks_token(["--cluster", "apps", "--region", REGION,
                          "--token-cache", str(cache_file)]) == 1
        out, err = capsys.readouterr()
        assert out == "" and "mints none" in err and "::add-mask::" not in err
