"""Image manifests as the registry returns them: exact bytes, media type, digest, references.

The digest of a manifest is the sha256 of its bytes, so the bytes are never re-serialised: a
promotion writes back exactly what it read. An index (OCI image index or Docker manifest list)
references its per-platform manifests by digest; an image manifest references blobs (config and
layers) by digest and declared size.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
ACCEPTED_MEDIA_TYPES = (DOCKER_MANIFEST, DOCKER_LIST, OCI_MANIFEST, OCI_INDEX)
INDEX_TYPES = frozenset({DOCKER_LIST, OCI_INDEX})


class ManifestError(ValueError):
    """The bytes are not a manifest this tool can promote."""


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Blob:
    """A config or layer blob referenced by a manifest."""

    digest: str
    size: int


@dataclass(frozen=True)
class Manifest:
    """One manifest: the bytes exactly as stored, and the media type they were stored with."""

    data: bytes
    media_type: str

    @classmethod
    def from_registry(cls, text: str, media_type: str | None) -> Manifest:
        """From a BatchGetImage ``imageManifest`` (a string) and ``imageManifestMediaType``.

        ECR stores manifests as UTF-8 JSON, so encoding the string gives the pushed bytes back.
        A missing media type falls back to the manifest's own ``mediaType`` field.
        """
        return cls.from_bytes(text.encode("utf-8"), media_type)

    @classmethod
    def from_bytes(cls, data: bytes, media_type: str | None) -> Manifest:
        """From the bytes a registry returned and its media type (a ``Content-Type``, whose
        parameters are dropped); without one, the manifest's own ``mediaType`` field."""
        kind = (media_type or "").split(";", 1)[0].strip()
        if not kind:
            kind = str(cls(data, "").document.get("mediaType") or "")
        if kind not in ACCEPTED_MEDIA_TYPES:
            raise ManifestError(f"unsupported manifest media type {kind or '(none)'!r}")
        return cls(data, kind)

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")

    @cached_property
    def digest(self) -> str:
        return sha256_digest(self.data)

    @cached_property
    def document(self) -> dict[str, Any]:
        try:
            doc = json.loads(self.data)
        except ValueError as exc:
            raise ManifestError(f"manifest is not JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise ManifestError("manifest is not a JSON object")
        return doc

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES

    @property
    def children(self) -> list[str]:
        """Digests of the manifests an index references (empty for an image manifest)."""
        if not self.is_index:
            return []
        return _unique(str(_descriptor(m)["digest"]) for m in self.document.get("manifests", []))

    @property
    def blobs(self) -> list[Blob]:
        """Config and layers of an image manifest (empty for an index)."""
        if self.is_index:
            return []
        descriptors = [self.document.get("config") or {}, *self.document.get("layers", [])]
        seen: dict[str, Blob] = {}
        for raw in descriptors:
            desc = _descriptor(raw)
            digest = str(desc["digest"])
            seen.setdefault(digest, Blob(digest, int(desc.get("size", 0))))
        return list(seen.values())

    @property
    def declared_size(self) -> int:
        return sum(blob.size for blob in self.blobs)


def _descriptor(raw: object) -> dict[str, Any]:
    if not isinstance(raw, dict) or not isinstance(raw.get("digest"), str):
        raise ManifestError("a descriptor in the manifest has no digest")
    return raw


def _unique(items: Any) -> list[str]:
    return list(dict.fromkeys(items))
