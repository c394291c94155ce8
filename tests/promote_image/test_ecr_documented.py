"""ECR behaviour moto does not reproduce, with botocore's Stubber and ECR's documented responses.

moto raises ImageAlreadyExistsException where ECR raises ImageTagAlreadyExistsException (an
immutable tag on another digest), and it has no GetDownloadUrlForLayer; these tests pin what the
adapter does with ECR's real answers. Stubber also validates every request against the ECR model.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber

from release_kit.errors import ConflictError, ExternalServiceError, NotFoundError
from release_kit.registry.ecr import EcrRepository
from release_kit.registry.references import ImageRef, Location
from tests.promote_image.conftest import REGION, SOURCE_ACCOUNT
from tests.promote_image.images import image

IMG = image(7)
OTHER = "sha256:" + "e" * 64


def put_params(tag: str) -> dict[str, Any]:
    return {"registryId": SOURCE_ACCOUNT, "repositoryName": "acme/web",
            "imageManifest": IMG.manifest.text, "imageTag": tag,
            "imageManifestMediaType": IMG.manifest.media_type, "imageDigest": IMG.digest}


def describe_params(tag: str) -> dict[str, Any]:
    return {"registryId": SOURCE_ACCOUNT, "repositoryName": "acme/web",
            "imageIds": [{"imageTag": tag}]}


def detail(digest: str, tag: str) -> dict[str, Any]:
    return {"imageDetails": [{"registryId": SOURCE_ACCOUNT, "repositoryName": "acme/web",
                              "imageDigest": digest, "imageTags": [tag]}]}


def test_put_sends_exact_bytes_media_type_and_digest(stubbed: tuple[EcrRepository, Stubber]) -> None:
    repo, stub = stubbed
    stub.add_response("put_image", {"image": {"imageId": {"imageDigest": IMG.digest,
                                                          "imageTag": "1.0.0"}}},
                      put_params("1.0.0"))
    assert repo.put(IMG.manifest, "1.0.0") is True


def test_image_tag_already_exists_means_immutable(stubbed: tuple[EcrRepository, Stubber]) -> None:
    repo, stub = stubbed
    stub.add_client_error(
        "put_image", "ImageTagAlreadyExistsException",
        "The image tag '1.0.0' already exists in the 'acme/web' repository and cannot be "
        "overwritten because the repository is immutable.", 400, expected_params=put_params("1.0.0"))
    stub.add_response("describe_images", detail(OTHER, "1.0.0"), describe_params("1.0.0"))
    with pytest.raises(ConflictError) as err:
        repo.put(IMG.manifest, "1.0.0")
    assert "immutable" in err.value.message
    assert "'1.0.0'" in err.value.message and OTHER in err.value.message


def test_immutable_tag_already_on_this_image_is_success(
        stubbed: tuple[EcrRepository, Stubber]) -> None:
    """A concurrent run put the same image under the tag first."""
    repo, stub = stubbed
    stub.add_client_error("put_image", "ImageTagAlreadyExistsException", "immutable", 400,
                          expected_params=put_params("1.0.0"))
    stub.add_response("describe_images", detail(IMG.digest, "1.0.0"), describe_params("1.0.0"))
    assert repo.put(IMG.manifest, "1.0.0") is False


def test_image_already_exists_on_the_same_digest_is_success(
        stubbed: tuple[EcrRepository, Stubber]) -> None:
    repo, stub = stubbed
    stub.add_client_error(
        "put_image", "ImageAlreadyExistsException",
        "Image with digest and tag '1.0.0' already exists in the repository", 400,
        expected_params=put_params("1.0.0"))
    stub.add_response("describe_images", detail(IMG.digest, "1.0.0"), describe_params("1.0.0"))
    assert repo.put(IMG.manifest, "1.0.0") is False


def test_image_already_exists_on_another_digest_is_a_conflict(
        stubbed: tuple[EcrRepository, Stubber]) -> None:
    repo, stub = stubbed
    stub.add_client_error("put_image", "ImageAlreadyExistsException", "exists", 400,
                          expected_params=put_params("1.0.0"))
    stub.add_response("describe_images", detail(OTHER, "1.0.0"), describe_params("1.0.0"))
    with pytest.raises(ConflictError) as err:
        repo.put(IMG.manifest, "1.0.0")
    assert OTHER in err.value.message


def test_batch_get_image_failure_means_absent(stubbed: tuple[EcrRepository, Stubber]) -> None:
    repo, stub = stubbed
    stub.add_response("batch_get_image", {"images": [], "failures": [{
        "imageId": {"imageTag": "sha-x"}, "failureCode": "ImageNotFound",
        "failureReason": "Requested image not found"}]})
    assert repo.get_manifest(ImageRef(tag="sha-x")) is None


def test_batch_get_image_learns_the_registry_and_checks_the_digest(aws_env: None) -> None:
    import boto3

    client = boto3.client("ecr", region_name=REGION)
    repo = EcrRepository(client, Location("acme/web", REGION))
    with Stubber(client) as stub:
        stub.add_response("batch_get_image", {"images": [{
            "registryId": SOURCE_ACCOUNT, "repositoryName": "acme/web",
            "imageId": {"imageDigest": IMG.digest, "imageTag": "sha-x"},
            "imageManifest": IMG.manifest.text,
            "imageManifestMediaType": IMG.manifest.media_type}], "failures": []})
        manifest = repo.get_manifest(ImageRef(tag="sha-x"))
    assert manifest is not None and manifest.data == IMG.manifest.data
    assert repo.location.registry_id == SOURCE_ACCOUNT


def test_missing_tag_lookup(stubbed: tuple[EcrRepository, Stubber]) -> None:
    repo, stub = stubbed
    stub.add_client_error("describe_images", "ImageNotFoundException", "not found", 400,
                          expected_params=describe_params("1.0.0"))
    assert repo.tag_digest("1.0.0") is None
    stub.add_client_error("describe_images", "RepositoryNotFoundException", "no repo", 400,
                          expected_params=describe_params("1.0.0"))
    with pytest.raises(NotFoundError):
        repo.tag_digest("1.0.0")


def test_layer_already_exists_on_complete_is_success(stubbed: tuple[EcrRepository, Stubber]) -> None:
    """Another writer finished the same blob first: ECR says LayerAlreadyExistsException."""
    repo, stub = stubbed
    digest = IMG.manifest.blobs[0].digest
    stub.add_client_error(
        "complete_layer_upload", "LayerAlreadyExistsException",
        "The image layer already exists in the associated repository.", 400,
        expected_params={"registryId": SOURCE_ACCOUNT, "repositoryName": "acme/web",
                         "uploadId": "up-1", "layerDigests": [digest]})
    repo.complete_upload("up-1", digest)  # no exception: the blob is there, which is the goal
    stub.assert_no_pending_responses()  # and the documented call was really made


def test_invalid_layer_on_complete_is_an_error(stubbed: tuple[EcrRepository, Stubber]) -> None:
    repo, stub = stubbed
    stub.add_client_error("complete_layer_upload", "InvalidLayerException",
                          "The layer digest calculation performed by Amazon ECR upon receipt "
                          "of the image layer does not match the digest specified.", 400)
    with pytest.raises(ExternalServiceError) as err:
        repo.complete_upload("up-1", IMG.manifest.blobs[0].digest)
    assert err.value.code == "InvalidLayerException"


def test_initiate_upload_reports_the_part_size_ecr_asks_for(
        stubbed: tuple[EcrRepository, Stubber]) -> None:
    repo, stub = stubbed
    stub.add_response("initiate_layer_upload", {"uploadId": "up-1", "partSize": 10485760},
                      {"registryId": SOURCE_ACCOUNT, "repositoryName": "acme/web"})
    assert repo.start_upload() == ("up-1", 10485760)


def test_missing_blobs_from_batch_check(stubbed: tuple[EcrRepository, Stubber]) -> None:
    repo, stub = stubbed
    have, lack = (b.digest for b in IMG.manifest.blobs[:2])
    stub.add_response("batch_check_layer_availability", {
        "layers": [{"layerDigest": have, "layerAvailability": "AVAILABLE", "layerSize": 3}],
        "failures": [{"layerDigest": lack, "failureCode": "MissingLayerDigest",
                      "failureReason": "Layer not found"}]},
        {"registryId": SOURCE_ACCOUNT, "repositoryName": "acme/web",
         "layerDigests": [have, lack]})
    assert repo.missing_blobs([have, lack]) == [lack]
