"""The action image, measured in a real container engine (``make bench`` starts one if none answers,
see tools/docker-engine.sh; without any engine the figures are skipped with the reason).

What a job pays before an action's first line runs, on the main branch (the runner builds the
Dockerfile) and with a release (the runner pulls the published image by digest):

- ``image.build_time_no_cache``: ``build --no-cache`` with the base image present, as a runner
  builds a Dockerfile action at the start of every job that uses it (median of 3: each build
  downloads the dependencies from PyPI again; target <= 20 s).
- ``image.build_time_code_change``: a build with the layers of the no-cache build in the cache,
  of a copy of the build context where one module of the product changed: what a developer's
  rebuild (and act's, on a machine that built once) pays; the dependencies are not installed again.
- ``image.size``, and ``image.dependency_layer``: the layer of the locked dependencies (the part
  a code change neither rebuilds nor ships again; target <= 120 MB).
- ``image.compressed_size``: the bytes a pull downloads (the registry's layer and config sizes).
- ``image.pull_time``: the image pushed to a registry on loopback (Debian's docker-registry) and
  pulled by digest into an empty engine (a second dockerd with an empty data root), as a
  release's job pulls it: download, decompression and extraction of every layer, base included
  (target <= 15 s; root and dockerd needed, else skipped with the reason).
- ``image.run_to_exit``: ``docker run --rm <image> semver-bump --help`` from start to exit, the
  start-up every action step pays (median of 5, target <= 3 s).

The base is the engine's: the Dockerfile's pinned python:3.12-slim when it has it, else the
offline stand-in (Debian bookworm, larger than python:3.12-slim: its layers count in the size and
the pull). The header line says which, and the machine's load.

    .venv/bin/python tests/bench/bench_image.py
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: make `tests.*` importable

from tests.container.engine import (  # noqa: E402
    BUILD_INPUTS,
    Engine,
    build_args,
    find_engine,
    image_size,
)

BENCH_TAG = "localhost/release-kit-bench:latest"
DEPENDENCY_LAYER = "requirements/image.txt"  # the step that installs the lock
RUNS = 5
BUILDS = 3  # the dependencies come from PyPI each time: the network varies
BUILD_TARGET_S = 20
DEPENDENCY_TARGET_MB = 120
PULL_TARGET_S = 15
RUN_TARGET_S = 3.0


def engine_command() -> str:
    return shutil.which("docker") or "docker"


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def dependency_layer(engine: Engine, tag: str) -> int:
    """Bytes of the layer of the step that installs the locked dependencies."""
    proc = engine.run("history", "--no-trunc", "--human=false",
                      "--format", "{{.Size}}\t{{.CreatedBy}}", tag, timeout=60)
    proc.check_returncode()
    for line in proc.stdout.splitlines():
        size, _, created_by = line.partition("\t")
        if DEPENDENCY_LAYER in created_by and " install " in created_by:
            return int(size)
    raise SystemExit(f"no layer of the image installs {DEPENDENCY_LAYER}:\n{proc.stdout}")


def describe_base(engine: Engine, base: str) -> str:
    proc = engine.run("image", "inspect", base, "--format",
                      '{{index .Config.Labels "io.release-kit.stand-in"}}', timeout=60)
    if proc.stdout.strip() not in ("", "<no value>"):
        return f"{base} (the offline stand-in, tools/docker-engine.sh)"
    return base


@contextlib.contextmanager
def empty_engine() -> Iterator[str]:
    """A second dockerd with an empty data root of its own, no bridge and no iptables rules:
    yields its DOCKER_HOST; stopped (by its pid) and removed afterwards."""
    dockerd = shutil.which("dockerd")
    if os.geteuid() != 0 or dockerd is None:
        raise RuntimeError("an empty engine needs root and dockerd")
    base = Path(os.environ.get("RELEASE_KIT_DOCKER_DIR", "/var/tmp/release-kit-docker"))
    base.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="bench-empty-engine.", dir=base))
    host = f"unix://{folder}/docker.sock"
    log = (folder / "dockerd.log").open("wb")
    process = subprocess.Popen(
        [dockerd, "--data-root", str(folder / "data"), "--exec-root", str(folder / "exec"),
         "--pidfile", str(folder / "dockerd.pid"), "--host", host, "--bridge", "none",
         "--iptables=false", "--ip6tables=false"],
        stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        env = {**os.environ, "DOCKER_HOST": host}
        for _ in range(120):
            if subprocess.run([engine_command(), "info"], env=env, capture_output=True,
                              timeout=30, check=False).returncode == 0:
                break
            if process.poll() is not None:
                raise RuntimeError(f"dockerd exited: see {folder / 'dockerd.log'}")
            time.sleep(0.5)
        else:
            raise RuntimeError("the empty engine did not answer in 60 s")
        yield host
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()
        mounts = subprocess.run(["findmnt", "--raw", "--noheadings", "--output", "TARGET"],
                                capture_output=True, text=True, check=False).stdout.split()
        for target in sorted((m for m in mounts if m.startswith(f"{folder}/")), reverse=True):
            subprocess.run(["umount", target], capture_output=True, check=False)
        shutil.rmtree(folder, ignore_errors=True)


def code_change(engine: Engine, argv: list[str]) -> None:
    """Rebuild, with the cache, a copy of the context whose product changed by one line."""
    cached = [a for a in argv if a != "--no-cache"]
    with tempfile.TemporaryDirectory() as tmp:
        context = Path(tmp)
        for name in BUILD_INPUTS:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, context / name, symlinks=True,
                                ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
            else:
                shutil.copy2(source, context / name)
        module = context / "shared" / "release_kit" / "__init__.py"
        module.write_text(module.read_text(encoding="utf-8") + "# changed\n", encoding="utf-8")
        started = time.monotonic()
        proc = engine.run(*cached, str(context), timeout=900)
        seconds = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"the rebuild after a code change failed:\n{proc.stderr[-3000:]}")
    print(f"image.build_time_code_change: {seconds:.1f} s (one module changed, the dependency "
          "layer from the cache)")


def pull_figures(engine: Engine) -> None:
    """Push the image to a loopback registry, then pull it by digest into an empty engine."""
    from tests.promote_image.distribution import running  # docker-registry on loopback

    if engine.is_podman:
        print("# image.pull_time: skipped (measured with docker's engine only)")
        return
    with tempfile.TemporaryDirectory() as tmp, running(Path(tmp) / "registry") as registry:
        pushed = f"{registry.host}/release-kit/actions:bench"
        engine.run("tag", BENCH_TAG, pushed, timeout=60).check_returncode()
        try:
            push = engine.run("push", pushed, timeout=900)
            if push.returncode != 0:
                raise SystemExit(f"docker push failed:\n{push.stderr}")
            manifest = json.loads(subprocess.run(
                ["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{pushed}"],
                capture_output=True, check=True, timeout=120).stdout)
            compressed = manifest["config"]["size"] + sum(
                layer["size"] for layer in manifest["layers"])
            digests = engine.run("image", "inspect", "--format", "{{json .RepoDigests}}",
                                 pushed, timeout=60).stdout
            digest = next(d for d in json.loads(digests)
                          if d.startswith(f"{registry.host}/release-kit/actions@"))
        finally:
            engine.run("rmi", pushed, timeout=120)
        print(f"image.compressed_size: {compressed / 1e6:.0f} MB "
              f"({len(manifest['layers'])} layers, what a pull downloads)")
        try:
            with empty_engine() as host:
                env = {**os.environ, "DOCKER_HOST": host}
                started = time.monotonic()
                pull = subprocess.run([engine.command, "pull", "--quiet", digest], env=env,
                                      capture_output=True, text=True, timeout=900, check=False)
                seconds = time.monotonic() - started
                if pull.returncode != 0:
                    raise SystemExit(f"docker pull into the empty engine failed:\n{pull.stderr}")
        except RuntimeError as exc:
            print(f"# image.pull_time: skipped ({exc})")
            return
    print(f"image.pull_time: {seconds:.1f} s (by digest from a loopback registry into an empty "
          f"engine; target <= {PULL_TARGET_S} s: {verdict(seconds <= PULL_TARGET_S)})")


def main() -> int:
    engine, reason = find_engine()
    if engine is None:
        print(f"# image: skipped ({reason})")
        return 0
    args = build_args(engine)
    base = args.get("BASE_IMAGE", "the Dockerfile's default")
    if "BASE_IMAGE" in args and not engine.has_image(base):
        print(f"# image: skipped (base {base} is not in the engine: the no-cache figure would "
              "include pulling it; tools/docker-engine.sh start makes it)")
        return 0
    argv = ["build", "--no-cache", "-t", BENCH_TAG]
    if engine.is_podman:
        argv += ["--format", "docker"]
    for key, value in args.items():
        argv += ["--build-arg", f"{key}={value}"]
    load = os.getloadavg()[0]
    builds = []
    for _ in range(BUILDS):
        started = time.monotonic()
        proc = engine.run(*argv, str(ROOT), timeout=900)
        builds.append(time.monotonic() - started)
        if proc.returncode != 0:
            print(proc.stdout[-3000:], proc.stderr[-3000:], file=sys.stderr)
            raise SystemExit(f"image build failed ({proc.returncode})")
    build = statistics.median(builds)
    helm = "skipped" if "helm tools skipped" in proc.stdout else "installed"
    try:
        print(f"# image: engine {Path(engine.command).name}, base {describe_base(engine, base)}, "
              f"INSTALL_HELM_TOOLS={args.get('INSTALL_HELM_TOOLS', 'auto')} (helm tools {helm}), "
              f"load {load:.2f} before the build")
        print(f"image.build_time_no_cache: {build:.1f} s (median of {BUILDS}, min {min(builds):.1f}"
              f" s, max {max(builds):.1f} s; target <= {BUILD_TARGET_S} s: "
              f"{verdict(build <= BUILD_TARGET_S)})")
        print(f"image.size: {image_size(engine, BENCH_TAG) / 1e6:.0f} MB")
        layer = dependency_layer(engine, BENCH_TAG) / 1e6
        print(f"image.dependency_layer: {layer:.0f} MB "
              f"(target <= {DEPENDENCY_TARGET_MB} MB: {verdict(layer <= DEPENDENCY_TARGET_MB)})")
        runs = []
        for _ in range(RUNS):
            started = time.monotonic()
            run = engine.run("run", "--rm", BENCH_TAG, "semver-bump", "--help", timeout=120)
            runs.append(time.monotonic() - started)
            if run.returncode != 0 or "--strategy" not in run.stdout:
                raise SystemExit(f"semver-bump --help failed in the image:\n{run.stderr}")
        median = statistics.median(runs)
        print(f"image.run_to_exit: {median:.2f} s (semver-bump --help, median of {RUNS}, "
              f"min {min(runs):.2f} s; target <= {RUN_TARGET_S} s: "
              f"{verdict(median <= RUN_TARGET_S)})")
        code_change(engine, argv)
        pull_figures(engine)
    finally:
        engine.run("rmi", BENCH_TAG, timeout=120)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
