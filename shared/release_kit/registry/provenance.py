"""What an image says about where it comes from: the labels of its config, per platform.

build.yml marks every image it pushes with three labels (``MARKS``): the commit it was built
from (``org.opencontainers.image.revision``), the repository (``org.opencontainers.image.source``)
and release-kit's own ``dev.release-kit.built-by``. promote-image reads the revision back
before it tags a release: the labels live in each image's config blob, so every platform of an
index is read (attestation manifests, whose config is not an image config, are skipped), and
every config is checked against the digest its manifest names, so the labels read are those of
the manifest that is promoted.

``read_labels`` only reads (through the adapters' ``get_manifests`` and ``open_blob``);
``check_revision`` is the pure decision. Labels are claims made by whoever pushed the image,
not signatures: they catch an image built from another commit, or pushed by something other
than the build, not a forger with push rights (IAM and signatures are for that).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

from release_kit.errors import (
    ConflictError,
    ExternalServiceError,
    NotFoundError,
    ReleaseKitError,
)
from release_kit.registry.manifests import Manifest, sha256_digest

REVISION = "org.opencontainers.image.revision"
SOURCE = "org.opencontainers.image.source"
BUILT_BY = "dev.release-kit.built-by"
BUILT_BY_BUILD = "release-kit/build.yml"  # the value build.yml writes
IMAGE_CONFIGS = frozenset({"application/vnd.oci.image.config.v1+json",
                           "application/vnd.docker.container.image.v1+json"})
ATTESTATION = ("vnd.docker.reference.type", "attestation-manifest")  # buildx's annotation
MAX_CONFIG = 16 * 1024 * 1024  # bytes: a config is JSON metadata; more is not a config
READ_HINT = ("The image config is read for its revision label (verify-revision): ECR needs "
             "ecr:GetDownloadUrlForLayer on the source repository, another registry pull "
             "access. `verify-revision: false` skips the check. Nothing was written.")


class Source(Protocol):
    """What reading labels needs of a repository (``ecr.Repository``, ``oci.Repository``)."""

    def get_manifests(self, digests: Sequence[str]) -> dict[str, Manifest]: ...
    def open_blob(self, digest: str) -> IO[bytes]: ...


@dataclass(frozen=True)
class ImageLabels:
    """The labels of one platform's image: its manifest digest, platform and config labels."""

    digest: str
    platform: str  # "linux/arm64/v8"; "" when nothing says
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def revision(self) -> str:
        return self.labels.get(REVISION, "").strip()

    @property
    def name(self) -> str:
        return self.platform or self.digest


@dataclass(frozen=True)
class RevisionCheck:
    """The outcome of ``check_revision`` that did not refuse: every label found matches."""

    expected: str
    images: tuple[ImageLabels, ...]

    @property
    def revision(self) -> str:
        """The revision the labels name ("" when no image carries one)."""
        return next((i.revision for i in self.images if i.revision), "")

    @property
    def unlabelled(self) -> tuple[ImageLabels, ...]:
        return tuple(i for i in self.images if not i.revision)

    @property
    def verified(self) -> bool:
        return bool(self.images) and not self.unlabelled


def check_revision(images: Sequence[ImageLabels], expected: str, *, image: str,
                   required: bool = False) -> RevisionCheck:
    """Every platform whose config names a revision must name ``expected`` (a commit; compared
    without regard to case), else ``ConflictError``. A platform without the label is accepted
    unless ``required`` (then ``NotFoundError``); so is an image with no image config at all."""
    wanted = expected.strip().lower()
    wrong = [i for i in images if i.revision and i.revision.lower() != wanted]
    if wrong:
        found = ", ".join(f"{i.revision} ({i.name})" if len(images) > 1 else i.revision
                          for i in wrong)
        raise ConflictError(
            f"{image} was built from commit {found} (label {REVISION}), not from {expected}, "
            "the commit being released.",
            title="Image revision mismatch",
            hint="Promote the image built for this commit (source: sha-<commit>), or set "
                 "`revision` to the commit the image was built from; `verify-revision: false` "
                 "skips this check. Nothing was written.")
    check = RevisionCheck(expected, tuple(images))
    if required and not check.verified:
        which = ", ".join(i.name for i in check.unlabelled) or "no image config found"
        raise NotFoundError(
            f"{image} carries no {REVISION} label ({which}), and `require-revision` is true.",
            title="Image revision missing",
            hint="Build the image with `--label org.opencontainers.image.revision=<commit>` "
                 "(build.yml does), or set `require-revision: false` to accept unlabelled "
                 "images with a warning. Nothing was written.")
    return check


def read_labels(source: Source, manifest: Manifest,
                known: Sequence[Manifest] = ()) -> list[ImageLabels]:
    """The labels of every image ``manifest`` stands for: itself, or each platform of an index
    (child manifests in ``known`` are not read again)."""
    if not manifest.is_index:
        return [labels for labels in [_image_labels(source, manifest, "")] if labels]
    platforms: dict[str, str] = {}
    for descriptor in manifest.document.get("manifests", []):
        annotations = descriptor.get("annotations") or {}
        if annotations.get(ATTESTATION[0]) == ATTESTATION[1]:
            continue
        platforms.setdefault(str(descriptor["digest"]), _platform(descriptor.get("platform")))
    children = {m.digest: m for m in known if m.digest in platforms}
    wanted = [d for d in platforms if d not in children]
    if wanted:
        children.update(source.get_manifests(wanted))
    found = [_image_labels(source, children[d], platform) for d, platform in platforms.items()]
    return [labels for labels in found if labels]


def _image_labels(source: Source, manifest: Manifest, platform: str) -> ImageLabels | None:
    """The labels of one image manifest; None when its config is not an image config (an
    attestation, a signature, any other artifact)."""
    if manifest.is_index:
        return None
    descriptor = manifest.document.get("config") or {}
    if descriptor.get("mediaType") not in IMAGE_CONFIGS:
        return None
    config = _config(source, str(descriptor["digest"]), int(descriptor.get("size") or 0))
    labels = (config.get("config") or {}).get("Labels") or {}
    if not platform and config.get("os") and config.get("architecture"):
        platform = _platform(config)
    if not isinstance(labels, dict):
        labels = {}
    return ImageLabels(manifest.digest, platform,
                       {str(k): str(v) for k, v in labels.items() if isinstance(v, str)})


def _config(source: Source, digest: str, size: int) -> dict[str, Any]:
    """The config blob as JSON, checked against its digest."""
    limit = size if 0 < size <= MAX_CONFIG else MAX_CONFIG
    try:
        with source.open_blob(digest) as stream:
            data = _read(stream, limit + 1)
    except OSError as exc:
        raise ExternalServiceError(
            f"Downloading the image config {digest} failed: {exc}",
            hint="Re-run the job; nothing was written.") from exc
    except ReleaseKitError as exc:  # denied, not found: say why the config was wanted
        exc.hint = " ".join(filter(None, [exc.hint, READ_HINT]))
        raise
    if len(data) > limit or sha256_digest(data) != digest:
        raise ExternalServiceError(
            f"The image config {digest} the registry served does not match its digest "
            f"({len(data)} bytes read).",
            hint="The registry or a proxy altered the config; do not promote this image.")
    try:
        config = json.loads(data)
    except ValueError:
        config = None
    if not isinstance(config, dict):
        raise ExternalServiceError(f"The image config {digest} is not a JSON object.",
                                   hint="Only images with an OCI or Docker config are checked.")
    return config


def _read(stream: IO[bytes], limit: int) -> bytes:
    """Up to ``limit`` bytes (a raw stream may return less per read)."""
    chunks: list[bytes] = []
    total = 0
    while total < limit:
        chunk = stream.read(limit - total)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _platform(spec: object) -> str:
    if not isinstance(spec, dict):
        return ""
    parts = [spec.get("os"), spec.get("architecture"), spec.get("variant")]
    return "/".join(str(p) for p in parts if p)
