"""Promote an image already in a registry to more tags: manifests only, blobs only where missing.

One mechanism for every registry: the adapters (``ecr.Repository`` for ECR's API,
``oci.Repository`` for any OCI distribution registry) only read and write; the decisions are
here and in ``plan``. ``plan`` reads (source manifest, the index's children when copying, the
target's tags and, for a copy, which blobs it lacks and which signatures/attestations are
attached) and decides everything; ``apply`` writes in a safe order: blobs, child manifests,
attached artifacts (after the image itself, untagged), then one manifest write per tag that
changes, moves first. A refusal raises before ``apply``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from release_kit.action import commands
from release_kit.registry import blobs as blob_copy
from release_kit.registry.manifests import Blob, Manifest
from release_kit.registry.plan import (
    Mutability,
    TagAction,
    TagChange,
    TagPlan,
    conflicting,
    plan_tags,
)
from release_kit.registry.references import ImageRef
from release_kit.registry.tags import MovePolicy


@dataclass(frozen=True)
class Contents:
    """What a repository holds among the tags and digests asked about (an adapter may answer
    with more): tag -> digest, and the manifest digests present."""

    tags: dict[str, str]
    digests: frozenset[str]


@dataclass(frozen=True)
class Attachment:
    """A signature, attestation or SBOM attached to an image digest (``subject``): found
    through the referrers API (``tag`` None) or under a cosign-style tag
    ``sha256-<hex>.sig|.att|.sbom`` (kept in the target)."""

    manifest: Manifest
    subject: str
    tag: str | None = None


class ImageRepository(blob_copy.BlobTarget, Protocol):
    """What promotion needs of a repository: ``ecr.Repository`` and ``oci.Repository``; the
    blob copy's target side is ``blobs.BlobTarget``'s."""

    api: str
    calls: Counter[str]
    location: Any

    @property
    def writes(self) -> int: ...
    def get_manifest(self, ref: ImageRef) -> Manifest | None: ...
    def get_manifests(self, digests: Sequence[str]) -> dict[str, Manifest]: ...
    def missing_image(self, ref: ImageRef) -> Exception: ...
    def contents(self, tags: Sequence[str] = (), digests: Sequence[str] = ()) -> Contents: ...
    def mutability(self) -> Mutability: ...
    def put(self, manifest: Manifest, tag: str | None = None) -> bool: ...
    def missing_blobs(self, digests: Sequence[str]) -> list[str]: ...
    def attachments(self, digests: Sequence[str]) -> list[Attachment]: ...
    def attach(self, attachment: Attachment) -> None: ...
    # the blob copy's source side (``blobs.BlobSource``): oci's stream is a RawIOBase, not IO
    def open_blob(self, digest: str) -> Any: ...


@dataclass(frozen=True)
class Promotion:
    """Everything decided before the first write."""

    manifest: Manifest
    tags: TagPlan
    image: str  # <registry>/<repository>@<digest> in the target
    children: tuple[Manifest, ...] = ()  # child manifests the target lacks, put before the index
    blobs: tuple[Blob, ...] = ()  # blobs the target lacks
    attachments: tuple[Attachment, ...] = ()  # signatures/attestations the target lacks

    @property
    def digest(self) -> str:
        return self.manifest.digest

    @property
    def changes(self) -> tuple[TagChange, ...]:
        return self.tags.changes


@dataclass
class PromotionResult:
    promotion: Promotion
    changes: list[TagChange] = field(default_factory=list)  # as applied
    bytes_copied: int = 0
    children_put: int = 0
    attachments_put: int = 0


def plan_promotion(
    source: ImageRepository,
    target: ImageRepository,
    ref: ImageRef,
    tags: list[str],
    policy: MovePolicy,
) -> Promotion:
    """Read what is needed and decide; raises on a missing source or a refused tag."""
    manifest = source.get_manifest(ref)
    if manifest is None:
        raise source.missing_image(ref)
    registry_id = getattr(source.location, "registry_id", None)
    if registry_id and getattr(target.location, "registry_id", registry_id) is None:
        target.location = target.location.with_registry(registry_id)

    copying = source.location != target.location
    contents = target.contents(tags, [manifest.digest, *manifest.children] if copying else [])
    mutability = (target.mutability() if conflicting(tags, manifest.digest, contents.tags)
                  else None)
    tag_plan = plan_tags(tags, manifest.digest, contents.tags, policy, mutability)
    tag_plan.check(target.location.repository)
    if not copying:
        return Promotion(manifest, tag_plan, target.location.image(manifest.digest))

    attachments = lacking_attachments(
        target, source.attachments([manifest.digest, *manifest.children]))
    children: list[Manifest] = []
    to_copy = [a.manifest for a in attachments]
    if manifest.digest not in contents.digests:
        wanted = [d for d in manifest.children if d not in contents.digests]
        children = list(source.get_manifests(wanted).values()) if wanted else []
        to_copy = [*children, manifest, *to_copy]
    return Promotion(manifest, tag_plan, target.location.image(manifest.digest),
                     tuple(children), tuple(missing_blobs(target, to_copy)), tuple(attachments))


def lacking_attachments(target: ImageRepository, found: list[Attachment]) -> list[Attachment]:
    """The attachments the target does not hold yet. A cosign-style tag the target already has
    on another digest belongs to the target (its own signatures): left alone, with a warning."""
    if not found:
        return []
    contents = target.contents([a.tag for a in found if a.tag],
                               [a.manifest.digest for a in found])
    lacking = []
    for attachment in found:
        if attachment.tag is None:
            if attachment.manifest.digest not in contents.digests:
                lacking.append(attachment)
            continue
        current = contents.tags.get(attachment.tag)
        if current is None:
            lacking.append(attachment)
        elif current != attachment.manifest.digest:
            commands.warning(
                f"Tag {attachment.tag} in {target.location.describe()} already points at "
                f"{current}, not at the source's {attachment.manifest.digest}; it was left as "
                "it is.", title="Attachment not copied")
    return lacking


def missing_blobs(target: ImageRepository, manifests: Sequence[Manifest]) -> list[Blob]:
    """Blobs of ``manifests`` the target lacks (each once)."""
    wanted: dict[str, Blob] = {}
    for manifest in manifests:
        for blob in manifest.blobs:
            wanted.setdefault(blob.digest, blob)
    if not wanted:
        return []
    absent = set(target.missing_blobs(list(wanted)))
    return [blob for digest, blob in wanted.items() if digest in absent]


def apply(
    promotion: Promotion,
    source: ImageRepository,
    target: ImageRepository,
    *,
    parallel: int = blob_copy.DEFAULT_PARALLEL,
    part_size: int = blob_copy.DEFAULT_PART_SIZE,
) -> PromotionResult:
    """Write the plan: blobs, child manifests, attachments, then the tags that change.

    Attachments go after the image is stored (untagged) and before any tag, so a tag never
    shows an image whose signatures are still missing. Moves are written before creations: a
    registry that enforces immutable tags on its own (the OCI API cannot be asked up front)
    then refuses the move before any new tag exists.
    """
    result = PromotionResult(promotion)
    result.bytes_copied = blob_copy.copy_blobs(
        source, target, promotion.blobs, parallel=parallel, part_size=part_size)
    result.children_put = sum(target.put(child) for child in promotion.children)
    if promotion.attachments:
        target.put(promotion.manifest)
        for attachment in promotion.attachments:
            target.attach(attachment)
        result.attachments_put = len(promotion.attachments)
    applied: dict[str, TagChange] = {}
    for change in sorted(promotion.changes, key=lambda c: c.action is not TagAction.MOVED):
        if change.writes and not target.put(promotion.manifest, change.tag):
            # Someone put the same image under this tag between our look and our write.
            applied[change.tag] = TagChange(change.tag, TagAction.UNCHANGED)
        else:
            applied[change.tag] = change
    result.changes = [applied[c.tag] for c in promotion.changes]
    return result
