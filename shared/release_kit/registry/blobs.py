"""Copy blobs between repositories without holding a blob in memory.

Each blob is streamed from the source (ECR: its pre-signed download URL; an OCI registry: a
blob GET) straight into the target's upload in parts (ECR: one UploadLayerPart per part; an OCI
registry: the parts streamed as the body of one PATCH): one part buffer per blob in flight, so
memory is bounded by the part size times the parallelism, never by the blob size. The sha256 is
computed while streaming and the upload is only completed when it matches the digest the
manifest promised; a corrupted download abandons the upload (ECR expires it; an OCI upload
session is cancelled) and leaves no blob.

A target that can take the blob without any bytes moving (an OCI registry mounting it from the
source's repository on the same registry) does so first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from typing import IO, Protocol

from release_kit.errors import ExternalServiceError
from release_kit.registry.manifests import Blob

MiB = 1024 * 1024
MAX_PART_SIZE = 20 * MiB  # UploadLayerPart's limit
DEFAULT_PART_SIZE = 8 * MiB
DEFAULT_PARALLEL = 3
DOWNLOAD_TIMEOUT = 60.0

class BlobSource(Protocol):
    def open_blob(self, digest: str) -> IO[bytes]: ...


class BlobTarget(Protocol):
    def mount(self, digest: str, source: object) -> bool: ...
    def start_upload(self) -> tuple[str, int | None]: ...
    def upload(self, upload_id: str, parts: Iterator[bytes | bytearray],
               size: int | None) -> None: ...
    def complete_upload(self, upload_id: str, digest: str) -> None: ...
    def abort_upload(self, upload_id: str) -> None: ...


def open_url(url: str) -> IO[bytes]:
    """GET a pre-signed URL as a stream (no credentials: the URL carries its own signature)."""
    import urllib.request  # noqa: PLC0415 - only a blob download pays for it

    return urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT)  # type: ignore[no-any-return]


def copy_blob(
    source: BlobSource,
    target: BlobTarget,
    blob: Blob,
    *,
    part_size: int = DEFAULT_PART_SIZE,
) -> int:
    """Put one blob of ``source`` into ``target``; returns the bytes that travelled (0 for a
    mount)."""
    if target.mount(blob.digest, source):
        return 0
    try:
        opened = source.open_blob(blob.digest)
    except OSError as exc:
        raise ExternalServiceError(f"Downloading blob {blob.digest} failed: {exc}",
                                   hint="Re-run the job; nothing was tagged.") from exc
    with opened as stream:
        declared = declared_size(stream)
        if blob.size and declared is not None and declared != blob.size:
            # Known before a byte is sent: no upload is started (a cut-off upload can leave
            # its partial bytes behind on some registries).
            raise ExternalServiceError(
                f"The download of blob {blob.digest} was corrupted: the source serves "
                f"{declared} bytes (expected {blob.size}). Nothing was uploaded.",
                hint="Re-run the job; if it persists, check the source image and any proxy.")
        upload_id, asked = target.start_upload()
        try:
            copied = _stream(stream, target, blob, upload_id, part_size=part_size, asked=asked)
        except BaseException:
            target.abort_upload(upload_id)
            raise
    target.complete_upload(upload_id, blob.digest)
    return copied


def declared_size(stream: IO[bytes]) -> int | None:
    """The length the server declared for a download (``Content-Length``), when it did."""
    headers = getattr(stream, "headers", None)
    value = headers.get("Content-Length") if headers is not None else None
    return int(value) if isinstance(value, str) and value.isdigit() else None


class _SourceEnded(Exception):
    """Raised into the target's upload when the source fails or does not match the declared
    size: the upload stops there (an HTTP body with a Content-Length is cut off)."""


def _stream(stream: IO[bytes], target: BlobTarget, blob: Blob, upload_id: str, *,
            part_size: int, asked: int | None) -> int:
    """Feed ``stream`` to the target's upload part by part, hashing the bytes on the way."""
    size = max(1, min(part_size, asked or part_size, MAX_PART_SIZE))
    hasher = hashlib.sha256()
    copied = 0
    failure: OSError | None = None

    def parts() -> Iterator[bytes | bytearray]:
        nonlocal copied, failure
        buffer = bytearray(size)
        try:
            while filled := _fill(stream, buffer):
                part = buffer if filled == size else buffer[:filled]
                hasher.update(part)
                copied += filled
                if blob.size and copied > blob.size:
                    raise _SourceEnded
                yield part
        except OSError as exc:
            failure = exc
            raise _SourceEnded from exc
        if blob.size and copied != blob.size:
            raise _SourceEnded

    try:
        target.upload(upload_id, parts(), blob.size or None)
    except _SourceEnded:
        if failure is not None:
            raise ExternalServiceError(f"Downloading blob {blob.digest} failed: {failure}",
                                       hint="Re-run the job; nothing was tagged.") from failure
    actual = "sha256:" + hasher.hexdigest()
    if actual != blob.digest or (blob.size and copied != blob.size):
        raise ExternalServiceError(
            f"The download of blob {blob.digest} was corrupted: got {copied} bytes with digest "
            f"{actual} (expected {blob.size} bytes). The upload was not completed.",
            hint="Re-run the job; if it persists, check the source image and any proxy.")
    return copied


def _fill(stream: IO[bytes], buffer: bytearray) -> int:
    """Read until ``buffer`` is full or the stream ends; the number of bytes read."""
    view = memoryview(buffer)
    filled = 0
    while filled < len(buffer):
        n = stream.readinto(view[filled:])  # type: ignore[attr-defined]
        if not n:
            break
        filled += n
    return filled


def copy_blobs(
    source: BlobSource,
    target: BlobTarget,
    blobs: Sequence[Blob],
    *,
    parallel: int = DEFAULT_PARALLEL,
    part_size: int = DEFAULT_PART_SIZE,
) -> int:
    """Copy ``blobs`` with at most ``parallel`` in flight; the first failure stops the rest."""
    if not blobs:
        return 0
    from concurrent.futures import (  # noqa: PLC0415 - only a copy pays for it (see oci._parallel)
        FIRST_EXCEPTION,
        ThreadPoolExecutor,
        wait,
    )

    with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(blobs))),
                            thread_name_prefix="blob-copy") as pool:
        futures = [pool.submit(copy_blob, source, target, blob, part_size=part_size)
                   for blob in blobs]
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        for future in pending:
            future.cancel()
        for future in done:
            error = future.exception()
            if error is not None:
                raise error
        return sum(f.result() for f in futures)
