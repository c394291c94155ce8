"""The streamed UploadLayerPart body is byte for byte what botocore would have sent."""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from release_kit.registry.upload_body import Base64JsonBody, install

PREFIX = b'{"uploadId": "u", "layerPartBlob": "'


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=2000), sizes=st.lists(st.integers(1, 97), min_size=1, max_size=8))
def test_reads_in_any_chunking_give_the_encoded_document(data: bytes, sizes: list[int]) -> None:
    body = Base64JsonBody(PREFIX, bytearray(data), b'"}')
    expected = PREFIX + base64.b64encode(data) + b'"}'
    assert len(body) == len(expected)
    out = b""
    i = 0
    while chunk := body.read(sizes[i % len(sizes)]):
        out += chunk
        i += 1
    assert out == expected
    assert body.seek(3) == 3  # botocore seeks back after hashing, and on a retry
    assert body.read() == expected[3:]


def test_client_sends_the_part_as_a_stream(aws_env: None) -> None:
    """Through a real client: the request body is the stream and decodes to the part."""
    import boto3
    from botocore.awsrequest import AWSResponse

    client = boto3.client("ecr", region_name="us-east-1")
    install(client)
    install(client)  # two repositories on one client must not take the part twice
    seen: dict[str, Any] = {}

    def capture(request: Any, **_: Any) -> AWSResponse:
        seen["body"] = request.body
        seen["sent"] = request.body.read()
        return AWSResponse("", 200, {}, _Raw(b'{"uploadId": "u", "lastByteReceived": 4}'))

    client.meta.events.register("before-send.ecr.UploadLayerPart", capture)
    part = bytearray(b"\x00\x01layer")
    client.upload_layer_part(repositoryName="acme/web", uploadId="u", partFirstByte=0,
                             partLastByte=len(part) - 1, layerPartBlob=part)
    assert isinstance(seen["body"], Base64JsonBody)
    document = json.loads(seen["sent"])
    assert base64.b64decode(document["layerPartBlob"]) == bytes(part)
    assert document["uploadId"] == "u" and document["partLastByte"] == len(part) - 1


class _Raw:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Any:
        yield self.data
