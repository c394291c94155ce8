"""Manifests keep their exact bytes; media types; references of images and indexes."""

from __future__ import annotations

import json

import pytest

from release_kit.registry.manifests import (
    DOCKER_LIST,
    OCI_INDEX,
    OCI_MANIFEST,
    Manifest,
    ManifestError,
)
from tests.promote_image.images import digest_of, image, index


def test_digest_is_sha256_of_the_exact_bytes() -> None:
    img = image(1)
    text = img.manifest.text
    again = Manifest.from_registry(text, OCI_MANIFEST)
    assert again.data == img.manifest.data
    assert again.digest == digest_of(text.encode())
    # Re-serialising the same document would give another digest: the bytes must be kept.
    assert digest_of(json.dumps(json.loads(text)).encode()) != again.digest


def test_blobs_of_an_image_manifest() -> None:
    img = image(2, layers=3)
    blobs = img.manifest.blobs
    assert [b.digest for b in blobs] == list(img.blobs)
    assert [b.size for b in blobs] == [len(d) for d in img.blobs.values()]
    assert img.manifest.children == []
    assert img.manifest.declared_size == sum(len(d) for d in img.blobs.values())


def test_children_of_an_index() -> None:
    a, b = image(1), image(2)
    idx = index(a, b)
    assert idx.manifest.is_index
    assert idx.manifest.children == [a.digest, b.digest]
    assert idx.manifest.blobs == []


def test_media_type_falls_back_to_the_document() -> None:
    doc = {"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": []}
    assert Manifest.from_registry(json.dumps(doc), None).media_type == DOCKER_LIST
    assert Manifest.from_registry(json.dumps(doc), OCI_INDEX).media_type == OCI_INDEX


def test_unsupported_media_type() -> None:
    schema1 = "application/vnd.docker.distribution.manifest.v1+prettyjws"
    with pytest.raises(ManifestError):
        Manifest.from_registry("{}", schema1)
    with pytest.raises(ManifestError):
        Manifest.from_registry('{"schemaVersion": 1}', None)
