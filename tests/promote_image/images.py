"""Test images: real blob bytes, manifests with exact bytes, and seeding them into ECR (moto).

moto computes its own digests unless ``imageDigest`` is given, so every seeded manifest is put
with the sha256 of its bytes, as ECR itself would report it.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from typing import Any

from release_kit.registry.manifests import DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST, Manifest

OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
IN_TOTO = "application/vnd.in-toto+json"


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class SampleImage:
    manifest: Manifest
    blobs: dict[str, bytes] = field(default_factory=dict)  # digest -> bytes (image manifests)
    children: list[SampleImage] = field(default_factory=list)  # index only

    @property
    def digest(self) -> str:
        return self.manifest.digest

    def all_blobs(self) -> dict[str, bytes]:
        found = dict(self.blobs)
        for child in self.children:
            found.update(child.all_blobs())
        return found


def image(seed: int, layers: int = 2, layer_size: int = 300, *, media_type: str = OCI_MANIFEST,
          declared_sizes: list[int] | None = None, labels: dict[str, str] | None = None,
          config_type: str = OCI_CONFIG) -> SampleImage:
    """An image manifest with ``layers`` random layers; with ``declared_sizes`` the manifest
    declares those sizes (and digests of bytes that are never produced); ``labels`` go into the
    config as ``docker build --label`` puts them."""
    rng = random.Random(seed)
    body: dict[str, Any] = {"architecture": "amd64", "os": "linux", "seed": seed}
    if labels is not None:
        body["config"] = {"Labels": labels}
    config = json.dumps(body).encode()
    blobs = {digest_of(config): config}
    layer_descs = []
    for i in range(layers):
        data = rng.randbytes(layer_size)
        size = declared_sizes[i] if declared_sizes else len(data)
        blobs[digest_of(data)] = data
        layer_descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                            "digest": digest_of(data), "size": size})
    doc: dict[str, Any] = {
        "schemaVersion": 2, "mediaType": media_type,
        "config": {"mediaType": config_type, "digest": digest_of(config), "size": len(config)},
        "layers": layer_descs,
    }
    # Deliberately not json.dumps' default spacing, so re-serialising would change the digest.
    data = json.dumps(doc, indent=3).encode()
    return SampleImage(Manifest(data, media_type), blobs)


def index(*children: SampleImage, media_type: str = OCI_INDEX,
          attestations: tuple[SampleImage, ...] = ()) -> SampleImage:
    """An index of ``children`` (linux/amd64, linux/arm64/v8, linux/arm/v7), and of
    ``attestations`` the way buildx lists its provenance: platform unknown/unknown, annotated
    as an attestation manifest of the first child."""
    platforms = [("amd64", ""), ("arm64", "v8"), ("arm", "v7")]
    manifests: list[dict[str, Any]] = [
        {"mediaType": child.manifest.media_type, "digest": child.digest,
         "size": len(child.manifest.data),
         "platform": {"architecture": arch, "os": "linux", **({"variant": v} if v else {})}}
        for child, (arch, v) in zip(children, platforms, strict=False)]
    manifests += [
        {"mediaType": att.manifest.media_type, "digest": att.digest,
         "size": len(att.manifest.data),
         "platform": {"architecture": "unknown", "os": "unknown"},
         "annotations": {"vnd.docker.reference.type": "attestation-manifest",
                         "vnd.docker.reference.digest": children[0].digest}}
        for att in attestations]
    doc = {"schemaVersion": 2, "mediaType": media_type, "manifests": manifests}
    return SampleImage(Manifest(json.dumps(doc, indent=2).encode(), media_type),
                       children=[*children, *attestations])


def docker_image(seed: int) -> SampleImage:
    return image(seed, media_type=DOCKER_MANIFEST)


def upload_blob(client: Any, repository: str, data: bytes) -> None:
    upload_id = client.initiate_layer_upload(repositoryName=repository)["uploadId"]
    client.upload_layer_part(repositoryName=repository, uploadId=upload_id, partFirstByte=0,
                             partLastByte=len(data) - 1, layerPartBlob=data)
    client.complete_layer_upload(repositoryName=repository, uploadId=upload_id,
                                 layerDigests=[digest_of(data)])


def push(client: Any, repository: str, img: SampleImage, tag: str | None = None,
         *, blobs: bool = True) -> None:
    """Push ``img`` as a client would: blobs, then children, then the (tagged) manifest."""
    if blobs:
        for data in img.all_blobs().values():
            upload_blob(client, repository, data)
    for child in img.children:
        put(client, repository, child.manifest)
    put(client, repository, img.manifest, tag)


def put(client: Any, repository: str, manifest: Manifest, tag: str | None = None) -> None:
    client.put_image(repositoryName=repository, imageManifest=manifest.text,
                     imageManifestMediaType=manifest.media_type, imageDigest=manifest.digest,
                     **({"imageTag": tag} if tag else {}))


def tags_of(client: Any, repository: str, **ids: str) -> dict[str, str]:
    """tag -> digest, straight from DescribeImages."""
    found: dict[str, str] = {}
    for detail in client.describe_images(repositoryName=repository, **ids)["imageDetails"]:
        for tag in detail.get("imageTags") or []:
            found[tag] = detail["imageDigest"]
    return found
