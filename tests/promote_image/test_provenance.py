"""The revision check: the pure decision, and reading labels through ECR's documented API.

ECR's path: BatchGetImage and GetDownloadUrlForLayer answered by botocore's Stubber in ECR's
documented shapes (Stubber checks every request against ECR's model), the download URLs served
by a local HTTP server with the real config bytes. The OCI path runs against a real registry in
test_oci_registry.py; the whole action against the sandbox in test_action.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber

from release_kit.errors import (
    ConflictError,
    ExternalServiceError,
    NotFoundError,
    PermissionDeniedError,
)
from release_kit.registry import promotion
from release_kit.registry.ecr import EcrRepository
from release_kit.registry.provenance import (
    BUILT_BY,
    REVISION,
    ImageLabels,
    check_revision,
    read_labels,
)
from release_kit.registry.references import ImageRef
from release_kit.registry.tags import MovePolicy
from tests.promote_image.blobserver import BlobServer
from tests.promote_image.conftest import SOURCE_ACCOUNT
from tests.promote_image.images import IN_TOTO, SampleImage, image, index

SHA = "0123456789abcdef0123456789abcdef01234567"
OTHER = "fedcba9876543210fedcba9876543210fedcba98"
IMAGE = "acme/web:sha-x (sha256:...)"


def labelled(revision: str, platform: str = "linux/amd64") -> ImageLabels:
    return ImageLabels("sha256:" + "1" * 64, platform, {REVISION: revision})


# ---- the decision ------------------------------------------------------------------------------


def test_every_platform_on_the_commit_is_verified() -> None:
    check = check_revision([labelled(SHA), labelled(SHA.upper(), "linux/arm64/v8")], SHA,
                           image=IMAGE, required=True)
    assert check.verified and check.revision == SHA
    assert check.unlabelled == ()


def test_one_platform_from_another_commit_is_refused() -> None:
    with pytest.raises(ConflictError) as err:
        check_revision([labelled(SHA), labelled(OTHER, "linux/arm64/v8")], SHA, image=IMAGE)
    assert err.value.title == "Image revision mismatch"
    assert f"{OTHER} (linux/arm64/v8)" in err.value.message
    assert SHA in err.value.message and IMAGE in err.value.message
    assert "verify-revision: false" in str(err.value) and "revision" in str(err.value.hint)


def test_a_short_sha_label_is_not_the_commit() -> None:
    """The label build.yml writes is the full SHA; a prefix names no commit for sure."""
    with pytest.raises(ConflictError):
        check_revision([labelled(SHA[:7])], SHA, image=IMAGE)


def test_no_label_is_accepted_unless_required() -> None:
    bare = ImageLabels("sha256:" + "2" * 64, "linux/amd64", {BUILT_BY: "someone"})
    check = check_revision([bare, labelled(SHA, "linux/arm64")], SHA, image=IMAGE)
    assert not check.verified and check.unlabelled == (bare,) and check.revision == SHA
    with pytest.raises(NotFoundError) as err:
        check_revision([bare, labelled(SHA, "linux/arm64")], SHA, image=IMAGE, required=True)
    assert err.value.title == "Image revision missing"
    assert "linux/amd64" in err.value.message and "require-revision" in str(err.value)


def test_no_image_config_at_all_is_unverified() -> None:
    check = check_revision([], SHA, image=IMAGE)
    assert not check.verified and check.revision == ""
    with pytest.raises(NotFoundError, match="no image config found"):
        check_revision([], SHA, image=IMAGE, required=True)


def test_a_mismatch_wins_over_a_missing_label() -> None:
    with pytest.raises(ConflictError):
        check_revision([ImageLabels("sha256:" + "3" * 64, "", {}), labelled(OTHER)], SHA,
                       image=IMAGE, required=True)


# ---- reading through ECR's API -----------------------------------------------------------------


def ecr_image(img: SampleImage) -> dict[str, Any]:
    return {"registryId": SOURCE_ACCOUNT, "repositoryName": "acme/web",
            "imageId": {"imageDigest": img.digest}, "imageManifest": img.manifest.text,
            "imageManifestMediaType": img.manifest.media_type}


def expect_manifest(stub: Stubber, *images: SampleImage) -> None:
    stub.add_response("batch_get_image", {"images": [ecr_image(i) for i in images],
                                          "failures": []})


def expect_config(stub: Stubber, server: BlobServer, img: SampleImage) -> None:
    digest = img.manifest.blobs[0].digest
    stub.add_response("get_download_url_for_layer",
                      {"downloadUrl": server.url(digest), "layerDigest": digest},
                      {"registryId": SOURCE_ACCOUNT, "repositoryName": "acme/web",
                       "layerDigest": digest})


def test_ecr_every_platform_is_read_and_attestations_are_skipped(
        stubbed: tuple[EcrRepository, Stubber]) -> None:
    repo, stub = stubbed
    amd, arm = image(1, labels={REVISION: SHA}), image(2, labels={REVISION: OTHER})
    provenance = image(3, layers=1, config_type=IN_TOTO)
    idx = index(amd, arm, attestations=(provenance,))
    with BlobServer(idx.all_blobs()) as server:
        expect_manifest(stub, idx)
        expect_manifest(stub, amd, arm)  # one BatchGetImage for both; not the attestation
        expect_config(stub, server, amd)
        expect_config(stub, server, arm)
        manifest = repo.get_manifest(ImageRef(tag="sha-x"))
        assert manifest is not None
        found = read_labels(repo, manifest)
    assert [(f.platform, f.digest, f.revision) for f in found] == [
        ("linux/amd64", amd.digest, SHA), ("linux/arm64/v8", arm.digest, OTHER)]
    with pytest.raises(ConflictError, match="linux/arm64/v8"):
        check_revision(found, SHA, image="acme/web:sha-x")


def test_ecr_the_planned_manifest_is_the_one_checked(stubbed: tuple[EcrRepository, Stubber]) -> None:
    """The action checks the manifest the plan read (and will write), not a second read of the
    tag, which could have moved meanwhile: one BatchGetImage in all. (That nothing is written
    after a refusal is shown end to end in test_action.py.)"""
    repo, stub = stubbed
    img = image(4, labels={REVISION: OTHER})
    with BlobServer(img.all_blobs()) as server:
        expect_manifest(stub, img)
        stub.add_response("describe_images", {"imageDetails": []})
        expect_config(stub, server, img)
        plan = promotion.plan_promotion(repo, repo, ImageRef(tag="sha-x"), ["1.0.0"], MovePolicy.parse([]))
        with pytest.raises(ConflictError) as err:
            check_revision(read_labels(repo, plan.manifest, plan.children), SHA,
                           image="acme/web:sha-x")
    assert OTHER in err.value.message


def test_ecr_a_config_that_does_not_match_its_digest_is_an_error(
        stubbed: tuple[EcrRepository, Stubber]) -> None:
    repo, stub = stubbed
    img = image(5, labels={REVISION: SHA})
    with BlobServer(img.all_blobs()) as server:
        server.corrupt.add(img.manifest.blobs[0].digest)
        expect_config(stub, server, img)
        with pytest.raises(ExternalServiceError) as err:
            read_labels(repo, img.manifest)
    assert img.manifest.blobs[0].digest in err.value.message
    assert "does not match its digest" in err.value.message


def test_ecr_an_unreadable_config_is_an_error_not_a_pass(
        stubbed: tuple[EcrRepository, Stubber]) -> None:
    """Denied (the role lacks ecr:GetDownloadUrlForLayer), or the URL fails: the check cannot
    be made, so the promotion stops rather than pretend."""
    repo, stub = stubbed
    img = image(6, labels={REVISION: SHA})
    stub.add_client_error("get_download_url_for_layer", "AccessDeniedException",
                          "not authorized to perform: ecr:GetDownloadUrlForLayer", 400)
    with pytest.raises(PermissionDeniedError) as denied:
        read_labels(repo, img.manifest)
    assert denied.value.title == "Permission denied"
    assert "ecr:GetDownloadUrlForLayer" in str(denied.value.hint)
    assert "verify-revision: false" in str(denied.value.hint)
    with BlobServer({}) as server:  # the URL answers 404
        expect_config(stub, server, img)
        with pytest.raises(ExternalServiceError, match="404"):
            read_labels(repo, img.manifest)
