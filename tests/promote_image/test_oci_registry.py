"""promote-image against a real OCI registry: Debian's ``docker-registry`` (distribution 2.8) on
loopback, without authentication, with htpasswd basic auth and with bearer tokens from a token
server, checked with ``skopeo`` as an independent client.

The action runs as the runner runs it (``run_action``); the registry API requests it made are
read back from its "Registry API calls" log line, and the registry itself is asked (by skopeo
and by raw requests) what it holds afterwards.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from release_kit.errors import NotFoundError
from release_kit.registry import promotion
from release_kit.registry.auth import Credentials
from release_kit.registry.connect import Side, open_pair
from release_kit.registry.manifests import DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, Manifest
from release_kit.registry.provenance import REVISION
from release_kit.registry.references import ImageRef, OciLocation
from release_kit.registry.tags import MovePolicy
from tests.harness import ActionResult, run_action
from tests.promote_image.distribution import Registry, Skopeo
from tests.promote_image.images import IN_TOTO, SampleImage, image, index

SHA = "0123456789abcdef0123456789abcdef01234567"
RELEASE_TAGS = ["{version}", "{major}.{minor}", "{major}", "latest"]
Start = Callable[..., Registry]


def platforms() -> SampleImage:
    """A three-platform OCI index (amd64, arm64/v8, arm/v7), two layers each."""
    return index(image(1), image(2), image(3))


def credentials(registry: Registry, prefix: str = "") -> dict[str, str]:
    if registry.auth == "none":
        return {}
    name, password = registry.user
    return {f"{prefix}registry-username": name, f"{prefix}registry-password": password}


def promote(registry: Registry, docker_config: Path, *, env: dict[str, str] | None = None,
            **inputs: object) -> ActionResult:
    given: dict[str, object] = {"repository": f"{registry.host}/acme/web", "tags": RELEASE_TAGS,
                                "version": "1.4.0", **credentials(registry)}
    given.update({k.replace("_", "-"): v for k, v in inputs.items()})
    return run_action("promote-image", given,
                      env={"GITHUB_SHA": SHA, "DOCKER_CONFIG": str(docker_config), **(env or {})})


def actions(result: ActionResult) -> dict[str, str]:
    return {entry["tag"]: entry["action"] for entry in result.json_output("tags")}


def api_calls(result: ActionResult) -> dict[str, int]:
    """The action's own count of registry requests, from its log line."""
    [line] = [ln for ln in result.stdout.splitlines() if ln.startswith("Registry API calls:")]
    pairs = line.removeprefix("Registry API calls:").strip()
    return {k: int(v) for k, _, v in (p.rpartition("=") for p in pairs.split(", ") if p)}


def writes(result: ActionResult) -> dict[str, int]:
    return {k: n for k, n in api_calls(result).items()
            if k.startswith(("PUT", "POST", "PATCH", "DELETE"))}


def assert_complete(skopeo: Skopeo, repository: str, img: SampleImage, tags: list[str]) -> None:
    """skopeo reads every tag as the exact manifest, and every platform's manifest and blobs."""
    for tag in tags:
        assert skopeo.raw(repository, tag) == img.manifest.data, tag
    for child in img.children:
        assert skopeo.raw(repository, child.digest) == child.manifest.data
    for digest in img.all_blobs():
        assert skopeo.registry.has_blob(repository, digest), digest


@pytest.mark.parametrize("auth", ["none", "htpasswd", "token"])
def test_release_tags_by_manifest_only_with_every_platform(
        registries: Start, docker_config: Path, auth: str) -> None:
    registry = registries(auth)
    img = platforms()
    registry.push("acme/web", img, f"sha-{SHA}")

    result = promote(registry, docker_config)  # source defaults to sha-${{ github.sha }}
    assert result.exit_code == 0, result
    assert actions(result) == dict.fromkeys(["1.4.0", "1.4", "1", "latest"], "created")
    assert result.outputs["digest"] == img.digest
    assert result.outputs["image"] == f"{registry.host}/acme/web@{img.digest}"
    assert result.outputs["bytes-copied"] == "0"
    assert writes(result) == {"PUT manifest": 4}  # no blob written
    # The only blobs read are the three platforms' configs (their revision labels).
    assert {k: n for k, n in api_calls(result).items() if k.endswith("blob") or "upload" in k
            } == {"GET blob": 3}
    assert_complete(Skopeo(registry), "acme/web", img, ["1.4.0", "1.4", "1", "latest"])
    if auth != "none":
        name, password = registry.user
        assert password in result.masks
        assert password not in result.stdout.replace(f"::add-mask::{password}", "")
    if auth == "token":
        assert registry.token_server is not None
        [ours] = [r for r in registry.token_server.requests
                  if r["scopes"] == ["repository:acme/web:pull,push"]]
        assert ours["user"] == name and ours["service"] == "test-registry"
        assert ours["token"] in result.masks  # the minted token is masked

    again = promote(registry, docker_config)
    assert again.exit_code == 0, again
    assert set(actions(again).values()) == {"unchanged"}
    assert writes(again) == {}


def test_docker_media_types_keep_their_bytes(registries: Start, docker_config: Path) -> None:
    registry = registries()
    img = index(image(4, media_type=DOCKER_MANIFEST), image(5, media_type=DOCKER_MANIFEST),
                media_type=DOCKER_LIST)
    registry.push("acme/web", img, "build-7")
    result = promote(registry, docker_config, source="build-7", tags=["{version}"])
    assert result.exit_code == 0, result
    skopeo = Skopeo(registry)
    assert skopeo.raw("acme/web", "1.4.0") == img.manifest.data
    assert skopeo.digest("acme/web", "1.4.0") == img.digest


def test_moves_latest_refuses_a_release_tag_and_writes_nothing(
        registries: Start, docker_config: Path) -> None:
    registry = registries()
    old, new = image(1), image(2)
    registry.push("acme/web", old, "latest")
    registry.push("acme/web", new, f"sha-{SHA}")
    moved = promote(registry, docker_config, tags=["{version}", "latest"])
    assert moved.exit_code == 0, moved
    assert actions(moved) == {"1.4.0": "created", "latest": "moved"}
    assert f"moved (from `{old.digest}`)" in moved.summary
    skopeo = Skopeo(registry)
    assert skopeo.digest("acme/web", "latest") == new.digest

    registry.push("acme/web", old, "sha-old")
    refused = promote(registry, docker_config, source="sha-old", tags=["{version}", "latest"])
    assert refused.exit_code == 1
    [error] = refused.errors
    assert "'1.4.0'" in error.message and "allow-move" in error.message
    assert old.digest in error.message and new.digest in error.message
    assert skopeo.digest("acme/web", "latest") == new.digest  # nothing moved
    assert skopeo.digest("acme/web", "1.4.0") == new.digest


def test_dry_run_and_missing_source(registries: Start, docker_config: Path) -> None:
    registry = registries("htpasswd")
    missing = promote(registry, docker_config)
    assert missing.exit_code == 1
    [error] = missing.errors
    assert error.title == "Not found"
    assert f"{registry.host}/acme/web:sha-{SHA}" in error.message

    registry.push("acme/web", image(1), f"sha-{SHA}")
    dry = promote(registry, docker_config, dry_run=True)
    assert dry.exit_code == 0, dry
    assert writes(dry) == {}
    assert registry.tags("acme/web") == [f"sha-{SHA}"]


def test_copy_to_another_repository_mounts_only_the_missing_blobs(
        registries: Start, docker_config: Path) -> None:
    """Same registry (bearer tokens): blobs are mounted, never uploaded; one token covers the
    target's push and the source's pull, as a mount needs."""
    registry = registries("token")
    img = platforms()
    registry.push("acme/web", img, f"sha-{SHA}")
    present = dict(list(img.children[0].blobs.items()))  # the target already holds amd64's
    for data in present.values():
        registry.put_blob("prod/web", data)
    result = promote(registry, docker_config, target_repository="prod/web", tags=["{version}"])
    assert result.exit_code == 0, result
    missing = set(img.all_blobs()) - set(present)
    calls = api_calls(result)
    assert calls["POST mount"] == len(missing)
    assert "PATCH upload" not in calls
    assert calls["GET blob"] == 3  # the configs' labels (verify-revision), no layer
    assert result.outputs["bytes-copied"] == "0"
    assert result.outputs["image"] == f"{registry.host}/prod/web@{img.digest}"
    assert_complete(Skopeo(registry), "prod/web", img, ["1.4.0"])
    assert registry.token_server is not None
    scopes = [set(r["scopes"]) for r in registry.token_server.requests]
    assert {"repository:prod/web:pull,push", "repository:acme/web:pull"} in scopes


def test_copy_to_another_registry_streams_only_missing_blobs_in_chunks(
        registries: Start, docker_config: Path) -> None:
    """Across registries (source anonymous, target htpasswd): HEAD every blob, upload only the
    missing ones, each streamed in chunks of at most the part size, children before the
    index."""
    source, target = registries(), registries("htpasswd")
    img = platforms()
    source.push("acme/web", img, "sha-abc")
    for data in img.children[1].blobs.values():
        target.put_blob("acme/web", data)
    name, password = target.user
    src, dst = open_pair(
        Side(OciLocation(source.host, "acme/web")),
        Side(OciLocation(target.host, "acme/web"), credentials=Credentials(name, password)))
    plan = promotion.plan_promotion(src, dst, ImageRef(tag="sha-abc"), ["1.4.0", "latest"],
                          MovePolicy.parse(["latest"]))
    missing = set(img.all_blobs()) - set(img.children[1].blobs)
    assert {b.digest for b in plan.blobs} == missing
    assert {c.digest for c in plan.children} == {c.digest for c in img.children}
    assert dst.writes == 0  # planning only reads
    parts: list[int] = []
    upload = dst.upload

    def counted(upload_id: str, chunks: Iterator[bytes | bytearray], size: int | None) -> None:
        def each() -> Iterator[bytes | bytearray]:
            for chunk in chunks:
                parts.append(len(chunk))
                yield chunk
        upload(upload_id, each(), size)

    dst.upload = counted  # type: ignore[method-assign]
    result = promotion.apply(plan, src, dst, part_size=100)
    assert result.bytes_copied == sum(len(img.all_blobs()[d]) for d in missing)
    assert dst.calls["POST upload"] == dst.calls["PATCH upload"] == len(missing)
    assert len(parts) > len(missing) and max(parts) <= 100  # streamed in bounded chunks
    assert "POST mount" not in dst.calls  # another registry: nothing to mount from
    assert_complete(Skopeo(target), "acme/web", img, ["1.4.0", "latest"])

    rerun_src, rerun_dst = open_pair(
        Side(OciLocation(source.host, "acme/web")),
        Side(OciLocation(target.host, "acme/web"), credentials=Credentials(name, password)))
    again = promotion.plan_promotion(rerun_src, rerun_dst, ImageRef(tag="sha-abc"), ["1.4.0"],
                           MovePolicy.parse([]))
    assert again.blobs == () and again.children == ()
    assert [str(c.action) for c in promotion.apply(again, rerun_src, rerun_dst).changes] == [
        "unchanged"]
    assert rerun_dst.writes == 0


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_a_corrupted_source_blob_is_refused_and_nothing_is_tagged(
        registries: Start, docker_config: Path, damage: str) -> None:
    """The source registry's stored layer is altered on disk (it serves the bytes as they
    are): one byte flipped, or the file cut short (the upload, sent with the declared length,
    is cut off rather than left waiting). The copy sees the sha256 or the size differ, cancels
    the upload and writes no manifest."""
    source, target = registries(), registries()
    img = image(9, layers=1, layer_size=5000)
    source.push("acme/web", img, f"sha-{SHA}")
    layer = img.manifest.blobs[1].digest
    hexdigest = layer.removeprefix("sha256:")
    stored = (source.folder / "data/docker/registry/v2/blobs/sha256" / hexdigest[:2] / hexdigest
              / "data")
    data = bytearray(stored.read_bytes())
    data[100] ^= 0xFF
    stored.write_bytes(bytes(data) if damage == "flip" else bytes(data[:3000]))
    result = promote(source, docker_config, target_repository=f"{target.host}/acme/web",
                     tags=["{version}"])
    assert result.exit_code == 1
    [error] = result.errors
    assert layer in error.message and "corrupted" in error.message
    assert not target.has_blob("acme/web", layer)
    assert target.tags("acme/web") == []
    uploads = target.folder / "data/docker/registry/v2/repositories/acme/web/_uploads"
    # The upload was cancelled (DELETE): its bytes are gone. (distribution 2.8 leaves an empty
    # hashstates/ folder behind after a cancel; no data file.)
    assert uploads.is_dir() and list(uploads.rglob("data")) == []


def test_wrong_or_missing_credentials_are_one_clear_error(
        registries: Start, docker_config: Path) -> None:
    for auth in ("htpasswd", "token"):
        registry = registries(auth)
        registry.push("acme/web", image(1), f"sha-{SHA}")
        _name, password = registry.user
        wrong = promote(registry, docker_config, registry_password="not-" + password)
        assert wrong.exit_code == 1, wrong
        [error] = wrong.errors
        assert error.title == "Permission denied"
        assert "rejected the credentials" in error.message and registry.host in error.message
        assert "not-" + password in wrong.masks

        anonymous = promote(registry, docker_config, registry_username="",
                            registry_password="", tags=["{version}"])
        assert anonymous.exit_code == 1, anonymous
        [error] = anonymous.errors
        assert "requires credentials" in error.message, error
        assert "registry-username" in (error.message + str(error.properties))
        assert registry.tags("acme/web") == [f"sha-{SHA}"]


def test_credentials_from_the_docker_config(registries: Start, docker_config: Path) -> None:
    registry = registries("token")
    registry.push("acme/web", image(1), f"sha-{SHA}")
    name, password = registry.user
    import base64

    auth = base64.b64encode(f"{name}:{password}".encode()).decode()
    (docker_config / "config.json").write_text(json.dumps({"auths": {registry.host: {
        "auth": auth}}}))
    result = promote(registry, docker_config, registry_username="", registry_password="",
                     tags=["{version}"])
    assert result.exit_code == 0, result
    assert password in result.masks
    assert Skopeo(registry).digest("acme/web", "1.4.0") == image(1).digest

    (docker_config / "config.json").write_text("{not json")
    broken = promote(registry, docker_config, registry_username="", registry_password="",
                     tags=["{version}"])
    assert broken.exit_code == 1
    assert "config.json" in broken.errors[0].message


def signature(subject: SampleImage, seed: int) -> tuple[SampleImage, dict[str, bytes]]:
    """A cosign-style signature manifest (simple signing payload as its layer)."""
    payload = json.dumps({"critical": {"image": {"docker-manifest-digest": subject.digest}},
                          "seed": seed}).encode()
    config = json.dumps({"architecture": "", "os": "", "rootfs": {"type": "layers"}}).encode()
    blobs = {_digest(payload): payload, _digest(config): config}
    doc = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                      "digest": _digest(config), "size": len(config)},
           "layers": [{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                       "digest": _digest(payload), "size": len(payload),
                       "annotations": {"dev.cosignproject.cosign/signature": f"MEUC{seed}"}}]}
    manifest = Manifest(json.dumps(doc).encode(), "application/vnd.oci.image.manifest.v1+json")
    return SampleImage(manifest, blobs), blobs


def referrer(subject: SampleImage, artifact_type: str) -> SampleImage:
    """An OCI 1.1 artifact (empty config, one layer) whose ``subject`` is ``subject``."""
    empty = b"{}"
    body = json.dumps({"predicateType": artifact_type, "subject": subject.digest}).encode()
    doc = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
           "artifactType": artifact_type,
           "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": _digest(empty),
                      "size": 2},
           "layers": [{"mediaType": "application/vnd.in-toto+json", "digest": _digest(body),
                       "size": len(body)}],
           "subject": {"mediaType": subject.manifest.media_type, "digest": subject.digest,
                       "size": len(subject.manifest.data)},
           "annotations": {"org.opencontainers.image.created": "2026-01-01T00:00:00Z"}}
    manifest = Manifest(json.dumps(doc).encode(), "application/vnd.oci.image.manifest.v1+json")
    return SampleImage(manifest, {_digest(empty): empty, _digest(body): body})


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def fallback_index(*referrers: SampleImage) -> Manifest:
    """The referrers tag schema's index (``sha256-<hex>``), as a client pushing to a registry
    without the referrers API writes it."""
    doc = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": r.manifest.media_type, "digest": r.digest,
         "size": len(r.manifest.data), "artifactType": r.manifest.document["artifactType"]}
        for r in referrers]}
    return Manifest(json.dumps(doc).encode(), OCI_INDEX)


def test_signatures_and_attestations_follow_the_image_to_another_registry(
        registries: Start, docker_config: Path) -> None:
    """distribution 2.8 has no referrers API: the source holds a cosign ``.sig`` tag and an
    OCI 1.1 attestation listed in the fallback tag ``sha256-<hex>``; after the copy the target
    holds both, the signature under the same tag and the attestation in the target's own
    fallback index, all checked by skopeo."""
    source, target = registries(), registries("htpasswd")
    img = platforms()
    source.push("acme/web", img, f"sha-{SHA}")
    stem = img.digest.replace(":", "-")
    sig, _ = signature(img, 1)
    source.push("acme/web", sig, f"{stem}.sig")
    attestation = referrer(img, "application/vnd.in-toto+json")
    source.push("acme/web", attestation)
    source.push("acme/web", SampleImage(fallback_index(attestation)), stem, blobs=False)
    child_stem = img.children[0].digest.replace(":", "-")
    child_sig, _ = signature(img.children[0], 2)
    source.push("acme/web", child_sig, f"{child_stem}.sig")

    result = promote(source, docker_config, target_repository=f"{target.host}/acme/web",
                     tags=["{version}"], **credentials(target, "target-"))
    assert result.exit_code == 0, result
    assert "Signatures/attestations carried along: 3" in result.summary
    skopeo = Skopeo(target)
    assert_complete(skopeo, "acme/web", img, ["1.4.0"])
    assert skopeo.raw("acme/web", f"{stem}.sig") == sig.manifest.data
    assert skopeo.raw("acme/web", f"{child_stem}.sig") == child_sig.manifest.data
    assert skopeo.raw("acme/web", attestation.digest) == attestation.manifest.data
    listed = json.loads(skopeo.raw("acme/web", stem))["manifests"]
    assert [d["digest"] for d in listed] == [attestation.digest]
    assert listed[0]["artifactType"] == "application/vnd.in-toto+json"
    for data in [*sig.blobs.values(), *attestation.blobs.values()]:
        assert target.has_blob("acme/web", _digest(data))

    again = promote(source, docker_config, target_repository=f"{target.host}/acme/web",
                    tags=["{version}"], **credentials(target, "target-"))
    assert again.exit_code == 0, again
    assert writes(again) == {}


def test_a_target_signature_tag_of_its_own_is_left_alone(
        registries: Start, docker_config: Path) -> None:
    source, target = registries(), registries()
    img = image(1)
    source.push("acme/web", img, f"sha-{SHA}")
    stem = img.digest.replace(":", "-")
    ours, theirs = signature(img, 1)[0], signature(img, 2)[0]
    source.push("acme/web", ours, f"{stem}.sig")
    target.push("acme/web", theirs, f"{stem}.sig")
    result = promote(source, docker_config, target_repository=f"{target.host}/acme/web",
                     tags=["{version}"])
    assert result.exit_code == 0, result
    assert any("left as it is" in w.message for w in result.warnings)
    assert Skopeo(target).raw("acme/web", f"{stem}.sig") == theirs.manifest.data


@pytest.mark.parametrize(("inputs", "input_name", "says"), [
    ({"repository": "127.0.0.1:5000/Acme/Web"}, "repository", "not a repository name"),
    ({"repository": "acme/web"}, "aws-region", "ECR repository name"),
    ({"registry-password": "x", "registry-username": ""}, "registry-username", "empty"),
    ({"target-repository": "bad host!/x"}, "target-repository", ""),
])
def test_bad_registry_inputs(inputs: dict[str, Any], input_name: str, says: str,
                             docker_config: Path) -> None:
    given = {"repository": "127.0.0.1:5000/acme/web", "tags": ["{version}"], "version": "1.4.0",
             **inputs}
    result = run_action("promote-image", given,
                        env={"GITHUB_SHA": SHA, "DOCKER_CONFIG": str(docker_config)})
    assert result.exit_code == 1
    [error] = result.errors
    assert error.title == f"Invalid input '{input_name}'"
    assert says in error.message


def test_an_unreachable_registry_is_an_error_naming_it(docker_config: Path) -> None:
    from tests.promote_image.distribution import free_port

    host = f"127.0.0.1:{free_port()}"
    result = run_action("promote-image", {"repository": f"{host}/acme/web", "tags": ["1.0.0"]},
                        env={"GITHUB_SHA": SHA, "DOCKER_CONFIG": str(docker_config)})
    assert result.exit_code == 1
    [error] = result.errors
    assert f"Could not reach {host}" in error.message


def test_a_blob_missing_from_the_source_is_not_found(registries: Start) -> None:
    registry = registries()
    src, _ = open_pair(Side(OciLocation(registry.host, "acme/web")),
                       Side(OciLocation(registry.host, "acme/web")))
    with pytest.raises(NotFoundError) as err:
        src.open_blob("sha256:" + "0" * 64)
    assert "sha256:" + "0" * 64 in err.value.message


def test_referrers_api_on_either_side(registries: Start, docker_config: Path) -> None:
    """Where a registry has the OCI 1.1 referrers API (here a proxy adds it in front of
    distribution 2.8, which lacks it): read through the API on the source side; on the target
    side the registry indexes the subject itself (OCI-Subject), so no fallback tag is written.
    And back to a registry without the API, which gets the fallback tag."""
    from tests.promote_image.distribution import ReferrersProxy

    plain, fronted = registries(), registries()
    proxy = ReferrersProxy(fronted)
    try:
        img = platforms()
        plain.push("acme/web", img, f"sha-{SHA}")
        stem = img.digest.replace(":", "-")
        attestation = referrer(img, "application/vnd.in-toto+json")
        plain.push("acme/web", attestation)
        plain.push("acme/web", SampleImage(fallback_index(attestation)), stem, blobs=False)

        there = promote(plain, docker_config, target_repository=f"{proxy.host}/acme/web",
                        tags=["{version}"])
        assert there.exit_code == 0, there
        assert proxy.referrers[("acme/web", img.digest)][0]["digest"] == attestation.digest
        assert stem not in fronted.tags("acme/web")  # the target indexed it: no fallback tag
        assert Skopeo(fronted).raw("acme/web", attestation.digest) == attestation.manifest.data

        back = promote(plain, docker_config, repository=f"{proxy.host}/acme/web",
                       source="1.4.0", target_repository=f"{plain.host}/acme/copy",
                       tags=["{version}"])
        assert back.exit_code == 0, back
        assert img.digest in proxy.listed  # found through the API on the source side
        listed = json.loads(Skopeo(plain).raw("acme/copy", stem))["manifests"]
        assert [d["digest"] for d in listed] == [attestation.digest]
    finally:
        proxy.close()


def test_an_attached_index_is_skipped_with_a_warning(
        registries: Start, docker_config: Path) -> None:
    """An index under a cosign tag would need its children first: it is not copied, the
    promotion itself goes through."""
    source, target = registries(), registries()
    img = image(1)
    source.push("acme/web", img, f"sha-{SHA}")
    stem = img.digest.replace(":", "-")
    source.push("acme/web", index(image(7)), f"{stem}.sbom")
    result = promote(source, docker_config, target_repository=f"{target.host}/acme/web",
                     tags=["{version}"])
    assert result.exit_code == 0, result
    assert any("attached indexes are not copied" in w.message for w in result.warnings)
    assert target.tags("acme/web") == ["1.4.0"]


# ---- verify-revision ----------------------------------------------------------------------------

OTHER = "fedcba9876543210fedcba9876543210fedcba98"


def built_for(*revisions: str) -> SampleImage:
    """An index of one platform per revision, plus a buildx-style provenance attestation."""
    children = [image(20 + i, labels={REVISION: r}) for i, r in enumerate(revisions)]
    return index(*children, attestations=(image(29, layers=1, config_type=IN_TOTO),))


def test_every_platform_built_from_the_commit_is_promoted(
        registries: Start, docker_config: Path) -> None:
    registry = registries("token")
    img = built_for(SHA, SHA, SHA)
    registry.push("acme/web", img, f"sha-{SHA}")
    result = promote(registry, docker_config, tags=["{version}"])
    assert result.exit_code == 0, result
    assert result.outputs["revision"] == SHA
    assert api_calls(result)["GET blob"] == 3  # three configs; the attestation is not read
    assert f"Revision: `{SHA}`, the commit being released (`{REVISION}` on 3 platform(s))" \
        in result.summary
    assert result.commands("warning") == []
    assert registry.tags("acme/web") == sorted([f"sha-{SHA}", "1.4.0"])


def test_one_platform_of_another_commit_refuses_the_whole_index(
        registries: Start, docker_config: Path) -> None:
    registry = registries()
    img = built_for(SHA, OTHER, SHA)
    registry.push("acme/web", img, f"sha-{SHA}")
    result = promote(registry, docker_config)
    assert result.exit_code == 1
    [error] = result.errors
    assert error.title == "Image revision mismatch"
    assert f"{OTHER} (linux/arm64/v8)" in error.message
    assert registry.tags("acme/web") == [f"sha-{SHA}"]


def test_an_altered_config_is_refused(registries: Start, docker_config: Path) -> None:
    """The registry serves the config as stored; the stored bytes were changed (the revision
    label rewritten): its sha256 no longer matches the manifest, so the label is not trusted."""
    registry = registries()
    img = image(30, labels={REVISION: OTHER})
    registry.push("acme/web", img, f"sha-{SHA}")
    config = img.manifest.blobs[0].digest
    hexdigest = config.removeprefix("sha256:")
    stored = (registry.folder / "data/docker/registry/v2/blobs/sha256" / hexdigest[:2]
              / hexdigest / "data")
    stored.write_bytes(stored.read_bytes().replace(OTHER.encode(), SHA.encode()))
    result = promote(registry, docker_config)
    assert result.exit_code == 1
    [error] = result.errors
    assert config in error.message and "does not match its digest" in error.message
    assert registry.tags("acme/web") == [f"sha-{SHA}"]
