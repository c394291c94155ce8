"""Cross-account promotion: only the blobs the target lacks move, as real bytes, verified.

The target is moto (account 222222222222 through an assumed role). moto has no
GetDownloadUrlForLayer, so the source side is a Stubber answering with ECR's documented
BatchGetImage and GetDownloadUrlForLayer responses, whose URLs point at a local HTTP server that
serves the real blob bytes. moto's CompleteLayerUpload hashes what it received, so a blob that
arrives altered would not be found under its digest afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

import pytest
from botocore.stub import Stubber

from release_kit.errors import ExternalServiceError
from release_kit.registry import promotion
from release_kit.registry.ecr import EcrRepository
from release_kit.registry.references import ImageRef, Location
from release_kit.registry.tags import MovePolicy
from tests.promote_image.blobserver import BlobServer
from tests.promote_image.conftest import (
    REGION,
    SOURCE_ACCOUNT,
    TARGET_ACCOUNT,
    TARGET_ROLE,
    client_for,
)
from tests.promote_image.images import SampleImage, image, index, push, tags_of, upload_blob

LATEST = MovePolicy.parse(["latest"])
PART = 100  # bytes: every test layer (300 bytes) moves in several parts


def ecr_image(img: SampleImage, tag: str | None = None) -> dict[str, Any]:
    """One entry of BatchGetImage's ``images``, as ECR documents it."""
    return {"registryId": SOURCE_ACCOUNT, "repositoryName": "acme/web",
            "imageId": {"imageDigest": img.digest, **({"imageTag": tag} if tag else {})},
            "imageManifest": img.manifest.text,
            "imageManifestMediaType": img.manifest.media_type}


@pytest.fixture
def source(aws_env: None) -> Iterator[tuple[EcrRepository, Stubber]]:
    import boto3

    client = boto3.client("ecr", region_name=REGION)
    with Stubber(client) as stub:
        yield EcrRepository(client, Location("acme/web", REGION)), stub
        stub.assert_no_pending_responses()


@pytest.fixture
def target(moto: None) -> tuple[EcrRepository, Any]:
    client = client_for(TARGET_ROLE)
    client.create_repository(repositoryName="acme/web")
    return EcrRepository(client, Location("acme/web", REGION, TARGET_ACCOUNT)), client


def expect_source_reads(stub: Stubber, img: SampleImage) -> None:
    stub.add_response("batch_get_image", {"images": [ecr_image(img, "sha-abc")], "failures": []})
    if img.children:
        stub.add_response("batch_get_image", {
            "images": [ecr_image(c) for c in img.children], "failures": []})


def expect_downloads(stub: Stubber, server: BlobServer, digests: list[str]) -> None:
    for digest in digests:
        stub.add_response("get_download_url_for_layer",
                          {"downloadUrl": server.url(digest), "layerDigest": digest},
                          {"repositoryName": "acme/web", "registryId": SOURCE_ACCOUNT,
                           "layerDigest": digest})


def assert_pullable(client: Any, img: SampleImage, tag: str) -> None:
    """The tag resolves to the exact manifest; every child manifest and blob is present."""
    got = client.batch_get_image(repositoryName="acme/web", imageIds=[{"imageTag": tag}])
    assert got["images"][0]["imageManifest"].encode() == img.manifest.data
    for child in img.children:
        found = client.batch_get_image(repositoryName="acme/web",
                                       imageIds=[{"imageDigest": child.digest}])["images"]
        assert found and found[0]["imageManifest"].encode() == child.manifest.data
    check = client.batch_check_layer_availability(repositoryName="acme/web",
                                                  layerDigests=list(img.all_blobs()))
    assert check["failures"] == []
    assert {layer["layerDigest"] for layer in check["layers"]} == set(img.all_blobs())


def test_copies_exactly_the_missing_blobs_then_children_then_tags(
    source: tuple[EcrRepository, Stubber], target: tuple[EcrRepository, Any]
) -> None:
    src, stub = source
    dst, client = target
    a, b = image(1, layers=3), image(2, layers=3)
    idx = index(a, b)
    for data in a.blobs.values():  # the target already holds the amd64 image's blobs
        upload_blob(client, "acme/web", data)
    missing = list(b.blobs)
    with BlobServer(idx.all_blobs()) as server:
        expect_source_reads(stub, idx)
        expect_downloads(stub, server, missing)
        seeded = dst.writes  # the blob uploads above went through the same client
        plan = promotion.plan_promotion(src, dst, ImageRef(tag="sha-abc"), ["1.4.0", "latest"], LATEST)
        assert [blob.digest for blob in plan.blobs] == missing
        assert {c.digest for c in plan.children} == {a.digest, b.digest}
        assert dst.writes == seeded  # planning (all a dry run does) only reads
        result = promotion.apply(plan, src, dst, parallel=1, part_size=PART)
        assert sorted(server.fetched) == sorted(missing)
    assert result.bytes_copied == sum(len(b.blobs[d]) for d in missing)
    assert result.children_put == 2
    assert [str(c.action) for c in result.changes] == ["created", "created"]
    assert result.promotion.image == (
        f"{TARGET_ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/acme/web@{idx.digest}")
    assert_pullable(client, idx, "1.4.0")
    assert tags_of(client, "acme/web") == {"1.4.0": idx.digest, "latest": idx.digest}
    assert dst.calls["UploadLayerPart"] > len(missing)  # several parts per blob


def test_rerun_copies_nothing_and_writes_nothing(
    source: tuple[EcrRepository, Stubber], target: tuple[EcrRepository, Any]
) -> None:
    src, stub = source
    dst, client = target
    img = image(3, layers=2)
    with BlobServer(img.all_blobs()) as server:
        expect_source_reads(stub, img)
        expect_downloads(stub, server, list(img.blobs))
        first = promotion.plan_promotion(src, dst, ImageRef(tag="sha-abc"), ["1.0.0"], LATEST)
        promotion.apply(first, src, dst, parallel=1, part_size=PART)
        assert_pullable(client, img, "1.0.0")

        rerun_target = EcrRepository(client, dst.location)
        expect_source_reads(stub, img)
        again = promotion.plan_promotion(src, rerun_target, ImageRef(tag="sha-abc"), ["1.0.0"], LATEST)
        result = promotion.apply(again, src, rerun_target)
        assert len(server.fetched) == len(img.blobs)  # nothing fetched the second time
    assert [str(c.action) for c in result.changes] == ["unchanged"]
    assert result.bytes_copied == 0
    assert rerun_target.writes == 0
    assert rerun_target.calls == {"DescribeImages": 1}  # the manifest is there: no blob checks


def test_corrupted_download_is_rejected_and_nothing_is_tagged(
    source: tuple[EcrRepository, Stubber], target: tuple[EcrRepository, Any]
) -> None:
    src, stub = source
    dst, client = target
    img = image(4, layers=1)
    layer = next(d for d in img.blobs if img.blobs[d] != img.manifest.data and
                 d != img.manifest.blobs[0].digest)
    with BlobServer(img.all_blobs()) as server:
        server.corrupt.add(layer)
        expect_source_reads(stub, img)
        expect_downloads(stub, server, [img.manifest.blobs[0].digest, layer])
        plan = promotion.plan_promotion(src, dst, ImageRef(tag="sha-abc"), ["1.0.0"], LATEST)
        with pytest.raises(ExternalServiceError) as err:
            promotion.apply(plan, src, dst, parallel=1, part_size=PART)
    assert layer in err.value.message and "corrupted" in err.value.message
    check = client.batch_check_layer_availability(repositoryName="acme/web", layerDigests=[layer])
    assert check["layers"] == []  # the upload was never completed
    assert tags_of(client, "acme/web") == {}
    assert dst.calls["PutImage"] == 0


def test_blobs_are_copied_in_parallel_within_the_bound(target: tuple[EcrRepository, Any]) -> None:
    """Source in moto (account 123456789012); only GetDownloadUrlForLayer, which moto lacks,
    is answered by a handler in ECR's documented shape, thread-safely, per requested digest."""
    import boto3
    from botocore.awsrequest import AWSResponse

    dst, client = target
    img = image(5, layers=5)
    src_client = boto3.client("ecr", region_name=REGION)
    src_client.create_repository(repositoryName="acme/web")
    push(src_client, "acme/web", img, "sha-abc")
    with BlobServer(img.all_blobs(), delay=0.2) as server:
        def download_url(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
            digest = json.loads(params["body"])["layerDigest"]
            return AWSResponse("", 200, {}, None), {"downloadUrl": server.url(digest),
                                                    "layerDigest": digest}

        src_client.meta.events.register("before-call.ecr.GetDownloadUrlForLayer", download_url)
        src = EcrRepository(src_client, Location("acme/web", REGION))
        plan = promotion.plan_promotion(src, dst, ImageRef(tag="sha-abc"), ["1.0.0"], LATEST)
        result = promotion.apply(plan, src, dst, parallel=3, part_size=PART)
        assert 2 <= server.max_active <= 3
    assert len(server.fetched) == 6  # config + 5 layers
    assert result.bytes_copied == sum(len(d) for d in img.blobs.values())
    assert_pullable(client, img, "1.0.0")


def test_failed_download_is_an_error_and_completes_nothing(
        target: tuple[EcrRepository, Any]) -> None:
    from release_kit.registry.blobs import copy_blob, open_url

    dst, client = target
    blob = image(6).manifest.blobs[0]

    class Source:
        def open_blob(self, digest: str) -> IO[bytes]:
            return open_url(server.url(digest))  # the server does not have it: 404

    with BlobServer({}) as server, pytest.raises(ExternalServiceError) as err:
        copy_blob(Source(), dst, blob, part_size=PART)
    assert blob.digest in err.value.message and "404" in err.value.message
    assert dst.calls["CompleteLayerUpload"] == 0
    check = client.batch_check_layer_availability(repositoryName="acme/web",
                                                  layerDigests=[blob.digest])
    assert check["layers"] == []
