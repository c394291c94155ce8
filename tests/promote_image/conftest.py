"""Fixtures for promote-image: ECR in moto (in process), accounts, and write counting; real OCI
registries (``docker-registry`` on loopback) and skopeo."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from botocore.stub import Stubber

    from release_kit.registry.ecr import EcrRepository

REGION = "us-east-1"
SOURCE_ACCOUNT = "123456789012"
TARGET_ACCOUNT = "222222222222"
TARGET_ROLE = f"arn:aws:iam::{TARGET_ACCOUNT}:role/promoter"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials; no endpoint override (in-process moto intercepts boto3)."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def moto(aws_env: None) -> Iterator[None]:
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.fixture
def ecr(moto: None) -> Any:
    """An ECR client in the source account with repository acme/web."""
    import boto3

    client = boto3.client("ecr", region_name=REGION)
    client.create_repository(repositoryName="acme/web")
    return client


@pytest.fixture
def stubbed(aws_env: None) -> Iterator[tuple[EcrRepository, Stubber]]:
    """An ``EcrRepository`` (acme/web, source account) on a client whose answers are botocore
    ``Stubber``'s: ECR's documented responses where moto differs; all of them must be used."""
    import boto3
    from botocore.stub import Stubber

    from release_kit.registry.ecr import EcrRepository
    from release_kit.registry.references import Location

    client = boto3.client("ecr", region_name=REGION)
    with Stubber(client) as stub:
        yield EcrRepository(client, Location("acme/web", REGION, SOURCE_ACCOUNT)), stub
        stub.assert_no_pending_responses()


def client_for(role_arn: str, service: str = "ecr") -> Any:
    """A client with credentials of ``role_arn`` (moto maps them to the role's account)."""
    import boto3

    creds = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=role_arn, RoleSessionName="tests")["Credentials"]
    return boto3.client(service, region_name=REGION, aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])


@pytest.fixture
def ecr_writes(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts ECR write requests moto serves (in process or the sandbox's threaded server)."""
    from moto.ecr.responses import ECRResponse

    counts: Counter[str] = Counter()
    for name in ("put_image", "initiate_layer_upload", "upload_layer_part",
                 "complete_layer_upload", "batch_delete_image", "put_image_tag_mutability"):
        original = getattr(ECRResponse, name)

        def spy(self: Any, _original: Any = original, _name: str = name) -> Any:
            counts[_name] += 1
            return _original(self)

        monkeypatch.setattr(ECRResponse, name, spy)
    return counts


@pytest.fixture
def registries(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Start ``docker-registry`` processes (``auth``: none, htpasswd or token); all stopped at
    the end. A missing docker-registry/skopeo/htpasswd fails the test with how to install it."""
    from tests.promote_image.distribution import Registry, ToolMissing, require

    started: list[Registry] = []

    def start(auth: str = "none") -> Registry:
        try:
            require("skopeo")
            registry = Registry(tmp_path / f"registry-{len(started)}", auth)
            started.append(registry)
            return registry.start()
        except ToolMissing as exc:
            pytest.fail(str(exc), pytrace=False)

    yield start
    for registry in started:
        registry.stop()


@pytest.fixture
def docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty DOCKER_CONFIG folder, so no developer's ~/.docker/config.json is read."""
    folder = tmp_path / "docker-config"
    folder.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(folder))
    return folder
