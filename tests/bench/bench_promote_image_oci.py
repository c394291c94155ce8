"""Benchmark promote-image on a real OCI registry, beside skopeo, same registries, same run.

``docker-registry`` (Debian's distribution 2.8) on loopback; an image of 12 layers, 512 MB of
incompressible bytes in all, pushed once, and an image of one 512 MB layer. Each piece of work is done by the action (its whole process, as the
runner starts it: ``python -m release_kit promote-image`` with ``INPUT_*``) and by
``skopeo copy``, in turn (A B A B ...), and the median wall times are compared:

1. retag: the image to one new tag in its repository, and to the four release tags
   ({version}, {major}.{minor}, {major}, latest; skopeo: four copies). Layer bytes moved.
2. copy to another repository of the same registry that already holds 10 of the 12 layers
   (and the config): blobs transferred.
3. copy to a second registry (a new, empty one for each run): the 12-layer image, and the
   image of one 512 MB layer; peak RSS of the action's process (target <= 64 MB).

skopeo runs with --preserve-digests (the same image arrives, as with promote-image; without it
skopeo may recompress layers and write another image).

The action's process runs with the product's modules byte-compiled, as in the image (the first,
uncounted run of each side compiles them; this environment's PYTHONDONTWRITEBYTECODE would
otherwise compile them on every run). ``startup.wall`` is the action's fixed cost (interpreter
and imports, no request), part of each of its wall times. ``retag.one_tag.floor`` is a bare
Python process doing only a retag's three requests with http.client (tests/bench/floor_retag.py):
the part of a one-tag retag that any Python action pays, beside skopeo's whole time. Figures print as ``name: value unit``. Wall times are medians of RUNS runs per side; the ratio
is the action's median over skopeo's (target <= 1).

    .venv/bin/python tests/bench/bench_promote_image_oci.py
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

from tests.promote_image.distribution import Registry, require  # noqa: E402
from tests.promote_image.images import SampleImage  # noqa: E402

from release_kit.action.inputs import env_name  # noqa: E402
from release_kit.action.metadata import ActionMetadata  # noqa: E402
from release_kit.registry.manifests import OCI_MANIFEST, Manifest  # noqa: E402

MiB = 1024 * 1024
TOTAL = 512 * MiB
LAYERS = 12
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
COPY_RUNS = int(os.environ.get("BENCH_COPY_RUNS", "3"))


@dataclass
class Run:
    seconds: float
    peak_rss_mb: float
    stdout: str
    outputs: dict[str, str]


def layer_bytes(seed: int, size: int) -> Iterator[bytes]:
    """Deterministic incompressible bytes, one MiB at a time (as a real gzip layer is: skopeo
    would otherwise compress a compressible "layer" on the way and move far fewer bytes)."""
    rng = random.Random(seed)
    for i in range(0, size, MiB):
        yield rng.randbytes(min(MiB, size - i))


def big_image(sizes: list[int], seed: int) -> tuple[SampleImage, list[Callable[[], Iterator[bytes]]]]:
    """An OCI image manifest with layers of ``sizes``, and a generator per layer."""
    config = json.dumps({"architecture": "amd64", "os": "linux", "seed": seed}).encode()
    layers, generators = [], []
    for i, size in enumerate(sizes):
        hasher = hashlib.sha256()
        for chunk in layer_bytes(seed * 100 + i, size):
            hasher.update(chunk)
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                       "digest": "sha256:" + hasher.hexdigest(), "size": size})
        generators.append(lambda s=seed * 100 + i, n=size: layer_bytes(s, n))
    doc = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                      "digest": "sha256:" + hashlib.sha256(config).hexdigest(),
                      "size": len(config)}, "layers": layers}
    manifest = Manifest(json.dumps(doc, indent=2).encode(), OCI_MANIFEST)
    return SampleImage(manifest, {doc["config"]["digest"]: config}), generators


def push_big(registry: Registry, repository: str, img: SampleImage,
             generators: list[Callable[[], Iterator[bytes]]], tag: str) -> None:
    import requests

    for data in img.blobs.values():
        registry.put_blob(repository, data)
    for generate, layer in zip(generators, img.manifest.document["layers"], strict=True):
        started = requests.post(f"{registry.url}/v2/{repository}/blobs/uploads/", timeout=10)
        location = requests.compat.urljoin(registry.url, started.headers["Location"])
        requests.put(location, params={"digest": layer["digest"]}, data=generate(),
                     timeout=600).raise_for_status()
    registry.put_manifest(repository, img.manifest, tag)


def mount(registry: Registry, repository: str, source: str, digest: str) -> None:
    import requests

    response = requests.post(f"{registry.url}/v2/{repository}/blobs/uploads/",
                             params={"mount": digest, "from": source}, timeout=10)
    assert response.status_code == 201, response.status_code


# Linux folds the forking process's own peak into a child's ru_maxrss (kept across exec): timed
# from this bench (tens of MB of its own), every process would show at least the bench's size.
# So each measured process is forked by a small launcher, which times it and reads its rusage;
# the launcher's own size (~10 MB, the same for both tools) is then the floor of the figure.
LAUNCHER = """\
import os, sys, time
report, argv = sys.argv[1], sys.argv[2:]
start = time.monotonic()
pid = os.fork()
if pid == 0:
    try:
        os.execvpe(argv[0], argv, os.environ)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
seconds = time.monotonic() - start
with open(report, "w") as out:
    out.write(f"{seconds} {usage.ru_maxrss}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Wall seconds and peak RSS (MB) of one process, from the kernel's accounting."""
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile("r") as report:
        code = subprocess.call([sys.executable, "-c", LAUNCHER, report.name, *argv], env=env,
                               stdout=out, stderr=subprocess.STDOUT)
        out.seek(0)
        text = out.read().decode(errors="replace")
        seconds, maxrss_kib = report.read().split()
    if code:
        raise SystemExit(f"{argv[:4]} failed ({code}):\n{text[-3000:]}")
    return float(seconds), int(maxrss_kib) / 1024, text


def python_env(folder: Path) -> dict[str, str]:
    """The environment of a Python process of the bench: the product on its path, its modules
    byte-compiled once into ``folder`` (as the image's are) and read from there afterwards."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("INPUT_", "GITHUB_")) and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(PYTHONPATH=str(ROOT / "shared"), PYTHONPYCACHEPREFIX=str(folder / "pycache"))
    return env


def promote(folder: Path, **inputs: object) -> Run:
    """The action's whole process, as the runner starts it."""
    metadata = ActionMetadata.load(ROOT / "actions/promote-image/action.yml")
    env = python_env(folder)
    files = {name: folder / name.lower() for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY")}
    for name, path in files.items():
        path.write_text("")
        env[name] = str(path)
    env.update(GITHUB_ACTIONS="true", GITHUB_SHA="0" * 40, GITHUB_WORKSPACE=str(folder),
               DOCKER_CONFIG=str(folder))
    given = {k.replace("_", "-"): "\n".join(v) if isinstance(v, list) else str(v)
             for k, v in inputs.items()}
    defaults = metadata.evaluated_defaults(env)
    for name in metadata.inputs:
        env[env_name(name)] = given.get(name, defaults.get(name, ""))
    seconds, rss, text = timed([sys.executable, "-m", "release_kit", "promote-image"], env)
    from release_kit_sandbox.local_runner import parse_file_command

    outputs = parse_file_command(files["GITHUB_OUTPUT"].read_text())
    return Run(seconds, rss, text, outputs)


def skopeo(policy: Path, source: str, target: str) -> Run:
    seconds, rss, text = timed([require("skopeo"), "--policy", str(policy), "copy", "--quiet",
                                "--preserve-digests",  # the same image, as promote-image keeps
                                "--src-tls-verify=false", "--dest-tls-verify=false",
                                "--src-no-creds", "--dest-no-creds",
                                f"docker://{source}", f"docker://{target}"])
    return Run(seconds, rss, text, {})


def floor(folder: Path, registry: str, repository: str, source: str, tag: str) -> Run:
    """The bare Python retag (floor_retag.py), byte-compiled like the action."""
    seconds, rss, text = timed([sys.executable, str(ROOT / "tests/bench/floor_retag.py"),
                                registry, repository, source, tag], python_env(folder))
    return Run(seconds, rss, text, {})


def calls(run: Run) -> dict[str, int]:
    [line] = [ln for ln in run.stdout.splitlines() if ln.startswith("Registry API calls:")]
    pairs = line.removeprefix("Registry API calls:").strip()
    return {k: int(v) for k, _, v in (p.rpartition("=") for p in pairs.split(", ") if p)}


def compare(name: str, ours: list[Run], theirs: list[Run], target: str = "target <= 1") -> None:
    a = statistics.median(r.seconds for r in ours)
    b = statistics.median(r.seconds for r in theirs)
    print(f"{name}.wall: {a:.3f} s (skopeo {b:.3f} s)")
    print(f"{name}.wall_ratio: {a / b:.2f} x skopeo ({target}; per-pair "
          f"{', '.join(f'{x.seconds / y.seconds:.2f}' for x, y in zip(ours, theirs, strict=True))})")


def alternate(runs: int, *sides: Callable[[int], Run],
              prepare: Callable[[int], None] | None = None) -> list[list[Run]]:
    """A B A B ... (or A B C A B C ...): each round under the same machine conditions; one
    warm-up round first. Side ``k`` of round ``i`` is called with ``len(sides) * i + k``."""
    results: list[list[Run]] = [[] for _ in sides]
    for i in range(runs + 1):
        for k, side in enumerate(sides):
            if prepare:
                prepare(len(sides) * i + k)
            run = side(len(sides) * i + k)
            if i:
                results[k].append(run)
    return results


def main() -> None:
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="rk-bench-oci-"))
    policy = work / "policy.json"
    policy.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
    one = Registry(work / "one").start()
    try:
        sizes = [TOTAL // LAYERS] * (LAYERS - 1) + [TOTAL - (TOTAL // LAYERS) * (LAYERS - 1)]
        img, generators = big_image(sizes, seed=1)
        push_big(one, "acme/web", img, generators, "sha-1")
        single, single_generators = big_image([TOTAL], seed=2)
        push_big(one, "acme/single", single, single_generators, "sha-1")
        src = f"{one.host}/acme/web"
        print(f"image: {LAYERS} layers, {sum(sizes)} bytes; single: 1 layer, {TOTAL} bytes")

        # 0. the fixed cost of the action's process: interpreter, runtime and entrypoint
        # imports (the inputs model, the OCI adapter and its transport), no request at all -
        code = ("import runpy; runpy.run_path(" + repr(str(ROOT / "actions/promote-image/main.py"))
                + ", run_name='bench'); from release_kit.registry import oci, references; "
                "oci.Client(references.oci_location('localhost:5000', 'acme/web', 'repository'))")
        env = python_env(work)
        starts = [timed([sys.executable, "-c", code], env)[0] for _ in range(RUNS + 1)][1:]
        print(f"startup.wall: {statistics.median(starts):.3f} s (the action's process before its "
              "first request; included in every wall time below)")

        print(f"peak_rss.floor: {timed(['true'])[1]:.1f} MB (a process forked by the launcher "
              "before it runs: part of every peak RSS below)")

        # 1. retag --------------------------------------------------------------------------
        ours, theirs, bare = alternate(
            RUNS, lambda i: promote(work, repository=src, source="sha-1", tags=[f"r{i}"]),
            lambda i: skopeo(policy, f"{src}:sha-1", f"{src}:r{i}"),
            lambda i: floor(work, one.host, "acme/web", "sha-1", f"r{i}"))
        compare("retag.one_tag", ours, theirs)
        compare("retag.one_tag.floor", bare, theirs, target="a peer: what any Python process pays")
        moved = {int(r.outputs["bytes-copied"]) for r in ours}
        blob_requests = {sum(n for k, n in calls(r).items() if "blob" in k or "upload" in k)
                         for r in ours}
        print(f"retag.layer_bytes_moved: {max(moved)} bytes (blob requests: {max(blob_requests)}; "
              f"image declares {sum(sizes)} bytes)")
        print(f"retag.requests: {sum(calls(ours[0]).values())} requests ({calls(ours[0])})")
        ours, theirs = alternate(
            RUNS, lambda i: promote(work, repository=src, source="sha-1", tags=release_tags(i)),
            lambda i: four(policy, src, i))
        compare("retag.release_4_tags", ours, theirs)

        # 2. copy to another repository of the same registry, 10 of 12 layers there ----------
        layer_digests = [layer["digest"] for layer in img.manifest.document["layers"]]
        config_digest = img.manifest.document["config"]["digest"]

        def prepare(i: int) -> None:
            for digest in [config_digest, *layer_digests[:10]]:
                mount(one, f"acme/copy{i}", "acme/web", digest)

        ours, theirs = alternate(
            RUNS, lambda i: promote(work, repository=src, source="sha-1",
                                    target_repository=f"acme/copy{i}", tags=["1.0.0"]),
            lambda i: skopeo(policy, f"{src}:sha-1", f"{one.host}/acme/copy{i}:1.0.0"),
            prepare=prepare)
        compare("copy_repository", ours, theirs)
        mounted = calls(ours[0]).get("POST mount", 0)
        uploads = calls(ours[0]).get("POST upload", 0)
        print(f"copy_repository.blobs_transferred: {mounted + uploads} blobs ({mounted} mounted, "
              f"{uploads} uploaded; bytes copied {ours[0].outputs['bytes-copied']}; 10 of 12 "
              "layers present)")

        # 3. copy to a second registry, a new one for every run (skopeo remembers where it
        # saw blobs and would mount them from an earlier run's repository) --------------------
        second: list[Registry] = []

        def fresh(i: int) -> None:
            while second:
                old = second.pop()
                old.stop()
                shutil.rmtree(old.folder, ignore_errors=True)
            second.append(Registry(work / f"second-{i}").start())

        for name, repository, declared in (("copy_registry", "acme/web", sum(sizes)),
                                           ("copy_registry_single_blob", "acme/single", TOTAL)):
            ours, theirs = alternate(
                COPY_RUNS,
                lambda i, r=repository: promote(
                    work, repository=f"{one.host}/{r}", source="sha-1",
                    target_repository=f"{second[0].host}/{r}", tags=["1.0.0"]),
                lambda i, r=repository: skopeo(
                    policy, f"{one.host}/{r}:sha-1", f"{second[0].host}/{r}:1.0.0"),
                prepare=fresh)
            compare(name, ours, theirs)
            copied = int(ours[0].outputs["bytes-copied"])
            print(f"{name}.bytes_copied: {copied} bytes (declared {declared})")
            print(f"{name}.peak_rss: {max(r.peak_rss_mb for r in ours):.1f} MB in the action's "
                  f"process (target <= 64; skopeo {max(r.peak_rss_mb for r in theirs):.1f} MB)")
            mb_s = declared / MiB / statistics.median(r.seconds for r in ours)
            print(f"{name}.throughput: {mb_s:.0f} MiB/s")
        for registry in second:
            registry.stop()
    finally:
        one.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"bench.seconds: {time.monotonic() - started:.1f} s")


def release_tags(i: int) -> list[str]:
    """What {version}, {major}.{minor}, {major} and latest give, all new in run ``i``."""
    return [f"{i}.0.0", f"{i}.0", f"{i}", f"latest{i}"]


def four(policy: Path, src: str, i: int) -> Run:
    """skopeo has no multi-tag copy: one copy per release tag."""
    runs = [skopeo(policy, f"{src}:sha-1", f"{src}:{tag}") for tag in release_tags(i)]
    return Run(sum(r.seconds for r in runs), max(r.peak_rss_mb for r in runs), "", {})


if __name__ == "__main__":
    try:
        require("docker-registry")
        require("skopeo")
    except Exception as exc:  # a clear failure, not a silent skip
        raise SystemExit(str(exc)) from None
    main()
