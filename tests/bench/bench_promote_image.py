"""Benchmark promote-image: API calls, bytes moved, blobs copied, and memory while copying.

1. Within one registry, a 12-layer image of 2 GB (declared sizes) to 3 tags: ECR API calls and
   layer bytes moved (targets: <= 2 + 3 calls, 0 bytes); then the re-run (2 calls, 0 writes).
2. Cross-account with 10 of the 12 blobs already in the target: blobs copied (target: 2).
3. Peak RSS of a process copying one 512 MB blob (target: <= 64 MB). The blob is generated
   chunk by chunk by a local HTTP server (never held in memory) and uploaded into a moto server
   running in this (parent) process; the copying child reports its VmHWM.

ECR is moto in process for 1 and 2; moto has no GetDownloadUrlForLayer, so that one call is
answered by a handler pointing at the local blob server (see the README's moto notes).

    .venv/bin/python tests/bench/bench_promote_image.py
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

from tests.promote_image.blobserver import BlobServer  # noqa: E402
from tests.promote_image.images import image, push, upload_blob  # noqa: E402

from release_kit.registry import promotion  # noqa: E402
from release_kit.registry.ecr import EcrRepository, open_repository  # noqa: E402
from release_kit.registry.references import ImageRef, Location  # noqa: E402
from release_kit.registry.tags import MovePolicy  # noqa: E402

REGION = "us-east-1"
TARGET_ACCOUNT = "222222222222"
GB = 1024**3
MiB = 1024**2
BIG_BLOB = 512 * MiB
CHUNK = 1 * MiB


def env() -> None:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto server's request log
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION=REGION)
    os.environ.pop("AWS_ENDPOINT_URL", None)


def same_registry() -> None:
    import boto3
    from moto import mock_aws

    sizes = [2 * GB // 12] * 12
    img = image(1, layers=12, declared_sizes=sizes)
    with mock_aws():
        client = boto3.client("ecr", region_name=REGION)
        client.create_repository(repositoryName="acme/web")
        push(client, "acme/web", img, "sha-abc", blobs=False)
        for run in ("first", "rerun"):
            repo = open_repository(Location("acme/web", REGION))
            plan = promotion.plan_promotion(repo, repo, ImageRef(tag="sha-abc"), ["1.4.0", "1.4", "1"],
                                  MovePolicy.parse(["latest"]))
            result = promotion.apply(plan, repo, repo)
            calls = sum(repo.calls.values())
            print(f"same_registry.{run}.api_calls: {calls} calls "
                  f"({', '.join(f'{k}={v}' for k, v in sorted(repo.calls.items()))})")
            print(f"same_registry.{run}.writes: {repo.writes} calls")
            print(f"same_registry.{run}.layer_bytes_moved: {result.bytes_copied} bytes "
                  f"(image declares {img.manifest.declared_size} bytes)")


def cross_account() -> None:
    import boto3
    from botocore.awsrequest import AWSResponse
    from moto import mock_aws

    img = image(2, layers=12, layer_size=4096)
    digests = [b.digest for b in img.manifest.blobs]  # config + 12 layers
    with mock_aws(), BlobServer(img.all_blobs()) as server:
        source_client = boto3.client("ecr", region_name=REGION)
        source_client.create_repository(repositoryName="acme/web")
        push(source_client, "acme/web", img, "sha-abc")

        def download_url(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, str]]:
            digest = json.loads(params["body"])["layerDigest"]
            return AWSResponse("", 200, {}, None), {"downloadUrl": server.url(digest),
                                                    "layerDigest": digest}

        source_client.meta.events.register("before-call.ecr.GetDownloadUrlForLayer",
                                           download_url)
        creds = boto3.client("sts", region_name=REGION).assume_role(
            RoleArn=f"arn:aws:iam::{TARGET_ACCOUNT}:role/promoter",
            RoleSessionName="bench")["Credentials"]
        target_client = boto3.client(
            "ecr", region_name=REGION, aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
        target_client.create_repository(repositoryName="acme/web")
        for digest in digests[:11]:  # config + 10 layers present: 10 of 12 layers
            upload_blob(target_client, "acme/web", img.blobs[digest])

        source = EcrRepository(source_client, Location("acme/web", REGION))
        target = EcrRepository(target_client, Location("acme/web", REGION, TARGET_ACCOUNT))
        plan = promotion.plan_promotion(source, target, ImageRef(tag="sha-abc"), ["1.4.0"],
                              MovePolicy.parse([]))
        result = promotion.apply(plan, source, target)
        print(f"cross_account.blobs_copied: {len(server.fetched)} blobs "
              f"(of {len(img.manifest.blobs) - 1} layers, 10 already present)")
        print(f"cross_account.bytes_copied: {result.bytes_copied} bytes")
        print(f"cross_account.target_api_calls: {sum(target.calls.values())} calls")


def big_blob_chunks() -> Iterator[bytes]:
    """512 MB of deterministic, incompressible-looking bytes, one MiB at a time."""
    seed = hashlib.sha256(b"promote-image bench").digest()
    block = hashlib.sha256(seed).digest() * (CHUNK // 32)
    for i in range(BIG_BLOB // CHUNK):
        yield i.to_bytes(8, "big") + block[8:]


CHILD = """
import json, os, resource, sys, time
sys.path[:0] = [{shared!r}]
import runpy
# What the action's process holds: the runtime and every import of the entrypoint.
runpy.run_path({actions!r} + "/promote-image/main.py", run_name="bench")
from release_kit.registry.ecr import EcrRepository
from release_kit.registry.blobs import copy_blob, open_url
from release_kit.registry.manifests import Blob
from release_kit.registry.references import Location
import boto3

def vm(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) // 1024

class Source:
    def open_blob(self, digest):
        return open_url({url!r})

client = boto3.client("ecr", region_name="us-east-1", endpoint_url={endpoint!r})
target = EcrRepository(client, Location("acme/big", "us-east-1"))
before = vm("VmRSS:")
start = time.monotonic()
copied = copy_blob(Source(), target, Blob({digest!r}, {size}), part_size={part_size})
print(json.dumps({{"copied": copied, "before_mb": before, "peak_mb": vm("VmHWM:"),
                   "seconds": time.monotonic() - start,
                   "parts": target.calls["UploadLayerPart"]}}))
"""


def big_copy(part_size: int) -> None:
    import boto3
    from moto.server import ThreadedMotoServer

    hasher = hashlib.sha256()
    for chunk in big_blob_chunks():
        hasher.update(chunk)
    digest = "sha256:" + hasher.hexdigest()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    try:
        host, port = moto.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        boto3.client("ecr", region_name=REGION, endpoint_url=endpoint).create_repository(
            repositoryName="acme/big")
        with BlobServer({digest: big_blob_chunks}) as server:
            code = CHILD.format(shared=str(ROOT / "shared"), actions=str(ROOT / "actions"),
                                url=server.url(digest),
                                endpoint=endpoint, digest=digest, size=BIG_BLOB,
                                part_size=part_size)
            proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  check=False, env={**os.environ}, timeout=300)
        if proc.returncode:
            raise SystemExit(proc.stderr)
        report = json.loads(proc.stdout.strip().splitlines()[-1])
        check = boto3.client("ecr", region_name=REGION, endpoint_url=endpoint)
        present = check.batch_check_layer_availability(
            repositoryName="acme/big", layerDigests=[digest])["layers"]
    finally:
        moto.stop()
    mib = part_size // MiB
    print(f"big_blob.part_{mib}mib.bytes_copied: {report['copied']} bytes "
          f"({report['parts']} parts, verified in target: {bool(present)})")
    print(f"big_blob.part_{mib}mib.rss_before_copy: {report['before_mb']} MB")
    print(f"big_blob.part_{mib}mib.peak_rss: {report['peak_mb']} MB in the action's process "
          "(target <= 64)")
    print(f"big_blob.part_{mib}mib.rss_increase: {report['peak_mb'] - report['before_mb']} MB")
    print(f"big_blob.part_{mib}mib.seconds: {report['seconds']:.1f} s")


def main() -> None:
    env()
    started = time.monotonic()
    same_registry()
    cross_account()
    from release_kit.registry.blobs import DEFAULT_PART_SIZE

    big_copy(DEFAULT_PART_SIZE)
    print(f"bench.seconds: {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
