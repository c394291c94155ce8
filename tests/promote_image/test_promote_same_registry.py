"""Promotion within one registry against moto (in process): manifests only, exact bytes."""

from __future__ import annotations

from typing import Any

import pytest

from release_kit.errors import ConflictError, NotFoundError
from release_kit.registry import promotion
from release_kit.registry.ecr import EcrRepository, open_repository
from release_kit.registry.manifests import DOCKER_MANIFEST, OCI_INDEX
from release_kit.registry.references import ImageRef, Location
from release_kit.registry.tags import MovePolicy
from tests.promote_image.conftest import REGION, SOURCE_ACCOUNT
from tests.promote_image.images import docker_image, image, index, push, tags_of

LATEST = MovePolicy.parse(["latest"])


def repo() -> EcrRepository:
    return open_repository(Location("acme/web", REGION))


def promote(tags: list[str], source: str = "sha-abc",
            policy: MovePolicy = LATEST) -> tuple[promotion.PromotionResult, EcrRepository]:
    r = repo()
    plan = promotion.plan_promotion(r, r, ImageRef.parse(source, "source"), tags, policy)
    return promotion.apply(plan, r, r), r


def stored(ecr: Any, tag: str) -> dict[str, Any]:
    images = ecr.batch_get_image(repositoryName="acme/web", imageIds=[{"imageTag": tag}])
    return dict(images["images"][0])


def test_single_arch_image_gets_every_tag_with_the_same_bytes(ecr: Any) -> None:
    img = docker_image(1)
    push(ecr, "acme/web", img, "sha-abc")
    result, r = promote(["1.4.0", "1.4", "1"])
    assert [(c.tag, str(c.action)) for c in result.changes] == [
        ("1.4.0", "created"), ("1.4", "created"), ("1", "created")]
    assert result.promotion.digest == img.digest
    assert result.promotion.image == (
        f"{SOURCE_ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/acme/web@{img.digest}")
    for tag in ("1.4.0", "1.4", "1"):
        got = stored(ecr, tag)
        assert got["imageManifest"].encode() == img.manifest.data
        assert got["imageManifestMediaType"] == DOCKER_MANIFEST
    assert tags_of(ecr, "acme/web") == dict.fromkeys(["sha-abc", "1.4.0", "1.4", "1"], img.digest)
    assert result.bytes_copied == 0
    assert r.calls == {"BatchGetImage": 1, "DescribeImages": 1, "PutImage": 3}


def test_oci_index_is_promoted_as_is(ecr: Any) -> None:
    children = [image(1), image(2), image(3)]
    idx = index(*children)
    push(ecr, "acme/web", idx, "sha-abc")
    result, r = promote(["1.4.0"])
    assert result.promotion.digest == idx.digest
    got = stored(ecr, "1.4.0")
    assert got["imageManifest"].encode() == idx.manifest.data
    assert got["imageManifestMediaType"] == OCI_INDEX
    for child in children:  # still referenced by digest, untouched
        found = ecr.batch_get_image(repositoryName="acme/web",
                                    imageIds=[{"imageDigest": child.digest}])["images"]
        assert found[0]["imageManifest"].encode() == child.manifest.data
    assert r.calls["PutImage"] == 1  # only the tag: no child is re-put


def test_promote_by_digest(ecr: Any) -> None:
    img = image(5)
    push(ecr, "acme/web", img, "sha-abc")
    result, _ = promote(["1.0.0"], source=img.digest)
    assert tags_of(ecr, "acme/web")["1.0.0"] == img.digest
    assert result.changes[0].action == "created"


def test_rerun_is_all_unchanged_and_writes_nothing(ecr: Any) -> None:
    push(ecr, "acme/web", image(1), "sha-abc")
    promote(["1.4.0", "1.4", "latest"])
    result, r = promote(["1.4.0", "1.4", "latest"])
    assert {str(c.action) for c in result.changes} == {"unchanged"}
    assert r.writes == 0
    assert r.calls == {"BatchGetImage": 1, "DescribeImages": 1}


def test_latest_moves(ecr: Any) -> None:
    old, new = image(1), image(2)
    push(ecr, "acme/web", old, "latest")
    push(ecr, "acme/web", new, "sha-abc")
    result, _ = promote(["1.5.0", "latest"])
    assert [(c.tag, str(c.action), c.previous) for c in result.changes] == [
        ("1.5.0", "created", None), ("latest", "moved", old.digest)]
    assert tags_of(ecr, "acme/web")["latest"] == new.digest


def test_release_tag_is_not_moved_and_nothing_is_written(ecr: Any) -> None:
    old, new = image(1), image(2)
    push(ecr, "acme/web", old, "1.4.0")
    push(ecr, "acme/web", new, "sha-abc")
    before = tags_of(ecr, "acme/web")
    r = repo()
    with pytest.raises(ConflictError) as err:
        promotion.plan_promotion(r, r, ImageRef(tag="sha-abc"), ["latest", "1.4.0"], LATEST)
    assert old.digest in err.value.message and new.digest in err.value.message
    assert "allow-move" in str(err.value.hint)
    assert tags_of(ecr, "acme/web") == before
    assert r.writes == 0


def test_immutable_repository_refuses_before_writing(ecr: Any) -> None:
    ecr.create_repository(repositoryName="acme/locked", imageTagMutability="IMMUTABLE")
    old, new = image(1), image(2)
    push(ecr, "acme/locked", old, "latest")
    push(ecr, "acme/locked", new, "sha-abc")
    r = open_repository(Location("acme/locked", REGION))
    with pytest.raises(ConflictError) as err:
        promotion.plan_promotion(r, r, ImageRef(tag="sha-abc"), ["1.0.0", "latest"],
                       MovePolicy.parse(["*"]))
    assert "immutable" in err.value.message
    assert r.writes == 0
    assert "1.0.0" not in tags_of(ecr, "acme/locked")


def test_immutable_repository_accepts_new_and_unchanged_tags(ecr: Any) -> None:
    ecr.create_repository(repositoryName="acme/locked", imageTagMutability="IMMUTABLE")
    img = image(1)
    push(ecr, "acme/locked", img, "sha-abc")
    r = open_repository(Location("acme/locked", REGION))
    for expected in ("created", "unchanged"):
        plan = promotion.plan_promotion(r, r, ImageRef(tag="sha-abc"), ["1.0.0"], LATEST)
        assert str(promotion.apply(plan, r, r).changes[0].action) == expected


def test_missing_source_names_image_account_and_region(ecr: Any) -> None:
    push(ecr, "acme/web", image(1), "sha-abc")
    r = repo()
    with pytest.raises(NotFoundError) as err:
        promotion.plan_promotion(r, r, ImageRef(tag="sha-nope"), ["1.0.0"], LATEST)
    assert "acme/web:sha-nope" in err.value.message
    assert f"account {SOURCE_ACCOUNT}" in err.value.message
    assert REGION in err.value.message
    assert "`source`" in str(err.value.hint)


def test_missing_repository(ecr: Any) -> None:
    r = open_repository(Location("acme/nothing", REGION))
    with pytest.raises(NotFoundError) as err:
        promotion.plan_promotion(r, r, ImageRef(tag="sha-abc"), ["1.0.0"], LATEST)
    assert "acme/nothing" in err.value.message


