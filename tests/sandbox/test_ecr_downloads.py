"""The sandbox's moto answers ECR's GetDownloadUrlForLayer as ECR does (moto 5.2.5 has none)."""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from release_kit_sandbox import Sandbox


@pytest.fixture
def ecr(sandbox: Sandbox) -> Any:
    env = sandbox.env()
    client = boto3.client("ecr", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    client.create_repository(repositoryName="acme/web")
    client.create_repository(repositoryName="acme/other")
    return client


def upload(client: Any, repository: str, parts: list[bytes]) -> str:
    upload_id = client.initiate_layer_upload(repositoryName=repository)["uploadId"]
    first = 0
    for part in parts:
        client.upload_layer_part(repositoryName=repository, uploadId=upload_id,
                                 partFirstByte=first, partLastByte=first + len(part) - 1,
                                 layerPartBlob=part)
        first += len(part)
    digest = "sha256:" + hashlib.sha256(b"".join(parts)).hexdigest()
    client.complete_layer_upload(repositoryName=repository, uploadId=upload_id,
                                 layerDigests=[digest])
    return digest


def test_a_download_url_serves_the_uploaded_bytes(ecr: Any) -> None:
    digest = upload(ecr, "acme/web", [b"first part ", b"second part"])
    answer = ecr.get_download_url_for_layer(repositoryName="acme/web", layerDigest=digest)
    assert answer["layerDigest"] == digest
    with urllib.request.urlopen(answer["downloadUrl"], timeout=10) as response:
        data = response.read()
    assert hashlib.sha256(data).hexdigest() == digest.removeprefix("sha256:")
    assert data == b"first part second part"


def test_a_layer_the_repository_lacks_is_layers_not_found(ecr: Any) -> None:
    digest = upload(ecr, "acme/web", [b"only in acme/web"])
    for repository, layer in [("acme/other", digest), ("acme/web", "sha256:" + "0" * 64)]:
        with pytest.raises(ClientError) as err:
            ecr.get_download_url_for_layer(repositoryName=repository, layerDigest=layer)
        assert err.value.response["Error"]["Code"] == "LayersNotFoundException"
        assert repository in err.value.response["Error"]["Message"]


def test_a_url_that_was_never_issued_is_refused(ecr: Any) -> None:
    digest = upload(ecr, "acme/web", [b"bytes"])
    url = ecr.get_download_url_for_layer(repositoryName="acme/web",
                                         layerDigest=digest)["downloadUrl"]
    forged = url.rsplit("=", 1)[0] + "=forged"
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(forged, timeout=10)
    assert err.value.code == 403


def test_reset_forgets_the_layers(sandbox: Sandbox, ecr: Any) -> None:
    digest = upload(ecr, "acme/web", [b"before the reset"])
    sandbox.reset()
    ecr.create_repository(repositoryName="acme/web")
    with pytest.raises(ClientError) as err:
        ecr.get_download_url_for_layer(repositoryName="acme/web", layerDigest=digest)
    assert err.value.response["Error"]["Code"] == "LayersNotFoundException"


def test_the_urls_are_on_the_sandboxs_address_and_a_nested_sandbox_hands_back(
        sandbox: Sandbox, ecr: Any) -> None:
    """A client reaches the download URL wherever it reaches moto (a container on a bridge talks
    to a sandbox on the bridge's gateway): the URL names the address of the sandbox serving it.
    When a sandbox started inside another's life stops, the outer one answers again."""
    digest = upload(ecr, "acme/web", [b"config blob"])

    def url() -> str:
        return str(ecr.get_download_url_for_layer(repositoryName="acme/web",
                                                  layerDigest=digest)["downloadUrl"])

    assert url().startswith(f"http://{sandbox.host}:")
    with Sandbox(host="127.0.0.2"):
        inner_url = url()
        assert inner_url.startswith("http://127.0.0.2:")
        with urllib.request.urlopen(inner_url, timeout=10) as response:
            assert response.read() == b"config blob"
    outer_url = url()
    assert outer_url.startswith(f"http://{sandbox.host}:")
    with urllib.request.urlopen(outer_url, timeout=10) as response:
        assert response.read() == b"config blob"
