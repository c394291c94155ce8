"""The ECR adapter: read manifests and tags, write manifests and blobs, nothing else.

One ``Repository`` is one ECR repository seen through one boto3 client (so a cross-account copy
has two, each with its own credentials). Every call goes through ``aws_errors`` so failures reach
the user as typed errors; the few ECR error codes that mean "already there" are success here.
API calls are counted per operation (``calls``) for the step summary and the benchmark.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

from release_kit import aws
from release_kit.action import commands
from release_kit.aws import aws_errors
from release_kit.errors import ConflictError, ExternalServiceError, NotFoundError, ReleaseKitError
from release_kit.registry import blobs as blob_copy
from release_kit.registry import upload_body
from release_kit.registry.manifests import ACCEPTED_MEDIA_TYPES, Manifest, ManifestError
from release_kit.registry.plan import Mutability
from release_kit.registry.promotion import Attachment, Contents
from release_kit.registry.references import ImageRef, Location

BATCH = 100  # BatchGetImage imageIds and BatchCheckLayerAvailability layerDigests limit
WRITE_OPERATIONS = frozenset({"PutImage", "InitiateLayerUpload", "UploadLayerPart",
                              "CompleteLayerUpload"})
_ABSENT = {"ImageNotFound", "ImageTagDoesNotMatchDigest"}
_ALREADY_EXISTS = {"ImageAlreadyExistsException", "ImageTagAlreadyExistsException"}


class EcrRepository:
    """One ECR repository through one client."""

    api = "ECR API"

    def __init__(self, client: Any, location: Location) -> None:
        self.client = client
        self.location = location
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        client.meta.events.register("before-call.ecr", self._count)
        upload_body.install(client)

    def _count(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls[model.name] += 1

    @property
    def writes(self) -> int:
        return sum(n for op, n in self.calls.items() if op in WRITE_OPERATIONS)

    def _ids(self) -> dict[str, str]:
        ids = {"repositoryName": self.location.repository}
        if self.location.registry_id:
            ids["registryId"] = self.location.registry_id
        return ids

    def _doing(self, what: str) -> str:
        return f"{what} ({self.location.describe()})"

    # ---- manifests --------------------------------------------------------------------------

    def get_manifest(self, ref: ImageRef) -> Manifest | None:
        """The manifest ``ref`` names, bytes exactly as stored; None when there is none.

        Learns the registry id from the response when the location did not name one.
        """
        images, failures = self._batch_get([ref.image_id()])
        if not images:
            _raise_unexpected(failures, self._doing(f"reading image {ref}"))
            return None
        image = images[0]
        if not self.location.registry_id and image.get("registryId"):
            self.location = self.location.with_registry(str(image["registryId"]))
        manifest = self._manifest(image, str(ref))
        if ref.digest and manifest.digest != ref.digest:
            raise ExternalServiceError(
                f"ECR returned a manifest for {ref} whose sha256 is {manifest.digest}.",
                hint="The registry or a proxy altered the manifest; do not promote it.")
        return manifest

    def get_manifests(self, digests: Sequence[str]) -> dict[str, Manifest]:
        """Manifests by digest (an index's children), each checked against its digest."""
        found: dict[str, Manifest] = {}
        for chunk in chunks(digests):
            images, failures = self._batch_get([{"imageDigest": d} for d in chunk])
            _raise_unexpected(failures, self._doing("reading child manifests"))
            for image in images:
                manifest = self._manifest(image, "a child manifest")
                found[manifest.digest] = manifest
        missing = [d for d in digests if d not in found]
        if missing:
            raise NotFoundError(
                f"The index references {len(missing)} manifest(s) that "
                f"{self.location.describe()} does not hold, e.g. {missing[0]}.",
                hint="The source image is incomplete; rebuild and push it.")
        return found

    def _batch_get(self, image_ids: list[dict[str, str]]) -> tuple[list[Any], list[Any]]:
        with aws_errors(self._doing("reading images")):
            resp = self.client.batch_get_image(
                **self._ids(), imageIds=image_ids, acceptedMediaTypes=list(ACCEPTED_MEDIA_TYPES))
        return list(resp.get("images", [])), list(resp.get("failures", []))

    def _manifest(self, image: dict[str, Any], what: str) -> Manifest:
        try:
            manifest = Manifest.from_registry(
                str(image["imageManifest"]), image.get("imageManifestMediaType"))
            manifest.document  # noqa: B018 - parse now so a broken manifest fails here
        except ManifestError as exc:
            raise ExternalServiceError(
                f"Cannot promote {what} of {self.location.describe()}: {exc}.",
                hint="Only Docker v2 / OCI manifests and indexes can be promoted.") from None
        reported = (image.get("imageId") or {}).get("imageDigest")
        if reported and reported != manifest.digest:
            commands.warning(
                f"ECR reported digest {reported} for {what}, but the sha256 of its bytes is "
                f"{manifest.digest}; using the latter.", title="Digest mismatch")
        return manifest

    def account(self) -> str:
        """The registry's account id: the location's, else the caller's (DescribeRegistry)."""
        if not self.location.registry_id:
            with aws_errors(self._doing("reading the registry id")):
                registry_id = str(self.client.describe_registry()["registryId"])
            self.location = self.location.with_registry(registry_id)
        return str(self.location.registry_id)

    def missing_image(self, ref: ImageRef) -> NotFoundError:
        """The error for a source image that is not there, naming account and region."""
        return NotFoundError(
            f"Image {self.location.repository}:{ref} was not found in account "
            f"{self.account()}, region {self.location.region}.",
            hint="Check `source` (default sha-<commit>: was the image built and pushed for this "
                 "commit?), `repository`, `registry-id` and `aws-region`.")

    def contents(self, tags: Sequence[str] = (), digests: Sequence[str] = ()) -> Contents:
        """Every image's tags and digest (a superset of the ``tags`` and ``digests`` asked
        about): one paginated DescribeImages.

        DescribeImages with explicit imageIds fails as a whole when one tag is absent, so looking
        tags up one by one would cost a call per tag; the listing costs one call per 1000 images.
        """
        found: dict[str, str] = {}
        stored: set[str] = set()
        with aws_errors(self._doing("listing images")):
            pages = self.client.get_paginator("describe_images").paginate(
                **self._ids(), PaginationConfig={"PageSize": 1000})
            for page in pages:
                for detail in page.get("imageDetails", []):
                    digest = str(detail["imageDigest"])
                    stored.add(digest)
                    for tag in detail.get("imageTags") or []:
                        found[str(tag)] = digest
        return Contents(found, frozenset(stored))

    def tag_digest(self, tag: str) -> str | None:
        """The digest ``tag`` points at now, or None (one DescribeImages)."""
        try:
            with aws_errors(self._doing(f"looking up tag {tag}")):
                resp = self.client.describe_images(**self._ids(), imageIds=[{"imageTag": tag}])
        except NotFoundError as exc:
            if exc.code == "ImageNotFoundException":
                return None
            raise
        details = resp.get("imageDetails") or []
        return str(details[0]["imageDigest"]) if details else None

    def mutability(self) -> Mutability:
        with aws_errors(self._doing("reading the repository settings")):
            resp = self.client.describe_repositories(
                **({"registryId": self.location.registry_id} if self.location.registry_id else {}),
                repositoryNames=[self.location.repository])
        repo = resp["repositories"][0]
        filters = repo.get("imageTagMutabilityExclusionFilters") or []
        return Mutability(str(repo.get("imageTagMutability") or "MUTABLE"),
                          tuple(str(f["filter"]) for f in filters if f.get("filter")))

    def put(self, manifest: Manifest, tag: str | None = None) -> bool:
        """Store ``manifest`` (under ``tag``); False when ECR already had exactly that.

        ECR answers ``ImageAlreadyExistsException`` for "no change" and
        ``ImageTagAlreadyExistsException`` for an immutable tag; moto raises the former for both,
        and a writer racing us could have put this very image meanwhile. So either answer is
        settled by looking the tag up: on this digest it is success, otherwise a conflict.
        """
        params: dict[str, Any] = {
            **self._ids(), "imageManifest": manifest.text,
            "imageManifestMediaType": manifest.media_type, "imageDigest": manifest.digest,
        }
        if tag:
            params["imageTag"] = tag
        try:
            with aws_errors(self._doing(f"putting {tag or manifest.digest}")):
                self.client.put_image(**params)
        except ReleaseKitError as exc:
            if exc.code not in _ALREADY_EXISTS:
                raise
            current = self.tag_digest(tag) if tag else manifest.digest
            if current != manifest.digest:
                raise self._immutable(tag, current, manifest.digest) from exc
            return False
        return True

    def _immutable(self, tag: str | None, current: str | None, digest: str) -> ConflictError:
        now = f"points at {current}" if current else "is held by another image"
        return ConflictError(
            f"Tag '{tag}' in {self.location.describe()} {now} and the repository's tags are "
            f"immutable, so it cannot be moved to {digest}.",
            hint="Drop the tag from `tags`, or make the repository's tags mutable (or exclude "
                 "this tag with an imageTagMutabilityExclusionFilter).")

    # ---- blobs ------------------------------------------------------------------------------

    def missing_blobs(self, digests: Sequence[str]) -> list[str]:
        """The blobs among ``digests`` this repository does not hold."""
        available: set[str] = set()
        for chunk in chunks(digests):
            with aws_errors(self._doing("checking layer availability")):
                resp = self.client.batch_check_layer_availability(
                    **self._ids(), layerDigests=list(chunk))
            available.update(str(layer["layerDigest"]) for layer in resp.get("layers", [])
                             if layer.get("layerAvailability") == "AVAILABLE")
            odd = [f for f in resp.get("failures", [])
                   if f.get("failureCode") != "MissingLayerDigest"]
            if odd:
                raise ExternalServiceError(
                    f"ECR could not check blob {odd[0].get('layerDigest')} in "
                    f"{self.location.describe()}: {odd[0].get('failureReason')}")
        return [d for d in digests if d not in available]

    def open_blob(self, digest: str) -> IO[bytes]:
        """The blob's bytes, streamed from a download URL fetched right before."""
        return blob_copy.open_url(self.download_url(digest))

    def mount(self, digest: str, source: object) -> bool:
        """ECR's API has no cross-repository mount: blobs are always streamed."""
        return False

    def download_url(self, digest: str) -> str:
        with aws_errors(self._doing(f"getting a download URL for blob {digest}")):
            resp = self.client.get_download_url_for_layer(**self._ids(), layerDigest=digest)
        return str(resp["downloadUrl"])

    def start_upload(self) -> tuple[str, int | None]:
        """A new blob upload: its id and the part size ECR asks for (if it says)."""
        with aws_errors(self._doing("starting a blob upload")):
            resp = self.client.initiate_layer_upload(**self._ids())
        size = resp.get("partSize")
        return str(resp["uploadId"]), int(size) if size else None

    def upload(self, upload_id: str, parts: Iterable[bytes | bytearray],
               size: int | None = None) -> None:
        """One UploadLayerPart per part, in order."""
        first_byte = 0
        for part in parts:
            self.upload_part(upload_id, first_byte, part)
            first_byte += len(part)

    def upload_part(self, upload_id: str, first_byte: int, data: bytes | bytearray) -> None:
        """Upload one part; the body streams from ``data`` (see ``upload_body``)."""
        with aws_errors(self._doing("uploading a blob part")):
            self.client.upload_layer_part(
                **self._ids(), uploadId=upload_id, partFirstByte=first_byte,
                partLastByte=first_byte + len(data) - 1, layerPartBlob=data)

    def complete_upload(self, upload_id: str, digest: str) -> None:
        """Finish an upload; a blob that appeared meanwhile (``LayerAlreadyExists``) is fine."""
        try:
            with aws_errors(self._doing(f"completing the upload of blob {digest}")):
                resp = self.client.complete_layer_upload(
                    **self._ids(), uploadId=upload_id, layerDigests=[digest])
        except ReleaseKitError as exc:
            if exc.code == "LayerAlreadyExistsException":
                return
            raise
        stored = resp.get("layerDigest")
        if stored and stored != digest:
            raise ExternalServiceError(
                f"ECR stored blob {digest} under digest {stored}; the upload was corrupted.")


    def attachments(self, digests: Sequence[str]) -> list[Attachment]:
        """Signatures and attestations are not looked up through ECR's API (see the README)."""
        return []

    def attach(self, attachment: Attachment) -> None:
        self.put(attachment.manifest, attachment.tag)

    def abort_upload(self, upload_id: str) -> None:
        """ECR has no call to cancel an upload; an abandoned one expires on its own."""


def open_repository(
    location: Location, role_arn: str = "", session_name: str = "release-kit"
) -> EcrRepository:
    """A repository through the environment's credentials, or through ``role_arn`` assumed
    with them (session name from the repository and run id, for CloudTrail)."""
    session = aws.assume_role_chain(location.region, [role_arn] if role_arn else [], session_name)
    return EcrRepository(aws.client(session, "ecr", location.region), location)


def _raise_unexpected(failures: Iterable[dict[str, Any]], doing: str) -> None:
    """BatchGetImage reports per-image failures; only "not found" is an answer, not an error."""
    for failure in failures:
        code = str(failure.get("failureCode", ""))
        if code not in _ABSENT:
            raise ExternalServiceError(
                f"ECR failed while {doing}: {code}: {failure.get('failureReason', '')}",
                code=code)


def chunks(items: Sequence[str], size: int = BATCH) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
