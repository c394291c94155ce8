"""Promote an image already in ECR to more tags: manifests only, blobs only where missing.

``plan`` reads (source manifest, the index's children when copying, the target's tags and, for a
copy, which blobs it lacks) and decides everything; ``apply`` writes in a safe order: blobs,
then child manifests, then one PutImage per tag that changes. A refusal raises before ``apply``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from release_kit.errors import NotFoundError
from release_kit.registry import blobs as blob_copy
from release_kit.registry.ecr import Repository
from release_kit.registry.manifests import Blob, Manifest
from release_kit.registry.plan import TagAction, TagChange, TagPlan, conflicting, plan_tags
from release_kit.registry.references import ImageRef
from release_kit.registry.tags import MovePolicy


@dataclass(frozen=True)
class Promotion:
    """Everything decided before the first write."""

    manifest: Manifest
    tags: TagPlan
    image: str  # <registry>/<repository>@<digest> in the target
    children: tuple[Manifest, ...] = ()  # child manifests the target lacks, put before the index
    blobs: tuple[Blob, ...] = ()  # blobs the target lacks

    @property
    def digest(self) -> str:
        return self.manifest.digest

    @property
    def changes(self) -> tuple[TagChange, ...]:
        return self.tags.changes


@dataclass
class Result:
    promotion: Promotion
    changes: list[TagChange] = field(default_factory=list)  # as applied
    bytes_copied: int = 0
    children_put: int = 0


def plan(
    source: Repository,
    target: Repository,
    ref: ImageRef,
    tags: list[str],
    policy: MovePolicy,
) -> Promotion:
    """Read what is needed and decide; raises on a missing source or a refused tag."""
    manifest = source.get_manifest(ref)
    if manifest is None:
        loc = source.location
        raise NotFoundError(
            f"Image {loc.repository}:{ref} was not found in account {source.account()}, "
            f"region {loc.region}.",
            hint="Check `source` (default sha-<commit>: was the image built and pushed for this "
                 "commit?), `repository`, `registry-id` and `aws-region`.")
    if not target.location.registry_id and source.location.registry_id:
        target.location = target.location.with_registry(source.location.registry_id)

    contents = target.contents()
    mutability = (target.mutability() if conflicting(tags, manifest.digest, contents.tags)
                  else None)
    tag_plan = plan_tags(tags, manifest.digest, contents.tags, policy, mutability)
    tag_plan.check(target.location.repository)

    children: list[Manifest] = []
    missing: list[Blob] = []
    if source.location != target.location and manifest.digest not in contents.digests:
        wanted = [d for d in manifest.children if d not in contents.digests]
        children = list(source.get_manifests(wanted).values()) if wanted else []
        missing = missing_blobs(target, [*children, manifest])
    return Promotion(manifest, tag_plan, target.location.image(manifest.digest),
                     tuple(children), tuple(missing))


def missing_blobs(target: Repository, manifests: list[Manifest]) -> list[Blob]:
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
    source: Repository,
    target: Repository,
    *,
    parallel: int = blob_copy.DEFAULT_PARALLEL,
    part_size: int = blob_copy.DEFAULT_PART_SIZE,
    opener: blob_copy.Opener = blob_copy.open_url,
) -> Result:
    """Write the plan: blobs, then child manifests, then the tags that change."""
    result = Result(promotion)
    result.bytes_copied = blob_copy.copy_blobs(
        source, target, promotion.blobs, parallel=parallel, part_size=part_size, opener=opener)
    result.children_put = sum(target.put(child) for child in promotion.children)
    for change in promotion.changes:
        if change.writes and not target.put(promotion.manifest, change.tag):
            # Someone put the same image under this tag between our look and our write.
            result.changes.append(TagChange(change.tag, TagAction.UNCHANGED))
        else:
            result.changes.append(change)
    return result
