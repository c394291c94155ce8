"""Send UploadLayerPart without botocore's copies of the part.

ECR's API is JSON, so a layer part travels base64-encoded inside a JSON document. botocore
builds that body in memory: a base64 string, the JSON string and its encoded bytes, about six
times the part size at peak (a 20 MiB part costs ~130 MB). Here the blob parameter is swapped
for an empty one before serialisation and the body becomes a seekable stream that encodes the
caller's part buffer on the fly, so the only copy of the part is the caller's buffer. botocore
reads the stream once to sign it and once to send it (and seeks back for a retry).
"""

from __future__ import annotations

import binascii
import io
import json
from typing import Any

_PART = "release_kit.layer_part"


def install(client: Any) -> None:
    """Make ``client.upload_layer_part`` stream its ``layerPartBlob`` (idempotent per client)."""
    events = client.meta.events
    events.register("before-parameter-build.ecr.UploadLayerPart", _take_part,
                    unique_id=f"{_PART}.take")
    events.register("before-call.ecr.UploadLayerPart", _stream_body, unique_id=f"{_PART}.stream")


def _take_part(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context[_PART] = params["layerPartBlob"]
    params["layerPartBlob"] = b""


def _stream_body(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    part = context.pop(_PART, None)
    if part is None:
        return
    document = json.loads(params["body"])
    document.pop("layerPartBlob", None)
    head = json.dumps(document)[:-1] + (", " if document else "") + '"layerPartBlob": "'
    params["body"] = Base64JsonBody(head.encode(), part, b'"}')


class Base64JsonBody(io.RawIOBase):
    """``prefix + base64(data) + suffix``, encoded on demand; seekable, with a length."""

    def __init__(self, prefix: bytes, data: bytes | bytearray | memoryview, suffix: bytes):
        super().__init__()
        self._prefix = prefix
        self._data = memoryview(data).cast("B")
        self._suffix = suffix
        self._encoded = 4 * ((len(self._data) + 2) // 3)
        self._length = len(prefix) + self._encoded + len(suffix)
        self._pos = 0

    def __len__(self) -> int:
        return self._length

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._length}[whence]
        self._pos = max(0, min(self._length, base + offset))
        return self._pos

    def read(self, size: int | None = -1) -> bytes:
        end = self._length if size is None or size < 0 else min(self._length, self._pos + size)
        pieces = []
        while self._pos < end:
            piece = self._piece(self._pos, end)
            pieces.append(piece)
            self._pos += len(piece)
        return b"".join(pieces)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _piece(self, start: int, end: int) -> bytes:
        body_start = len(self._prefix)
        body_end = body_start + self._encoded
        if start < body_start:
            return self._prefix[start:min(end, body_start)]
        if start >= body_end:
            return self._suffix[start - body_end:end - body_end]
        first, last = start - body_start, min(end, body_end) - body_start
        group = first // 4  # 4 base64 characters encode 3 bytes
        raw = self._data[3 * group:3 * ((last + 3) // 4)]
        encoded = binascii.b2a_base64(raw, newline=False)
        return encoded[first - 4 * group:last - 4 * group]
