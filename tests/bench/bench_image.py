"""The action image, measured in a real container engine (``make bench`` starts one if none answers,
see tools/docker-engine.sh; without any engine the figures are skipped with the reason).

- ``image.build_time_no_cache``: ``build --no-cache`` with the base image present, as a runner
  builds a Dockerfile action at the start of every job that uses it (target <= 180 s).
- ``image.size``, and ``image.dependency_layer``: the layer of the pip install of the runtime
  dependencies (the part a code change does not rebuild).
- ``image.run_to_exit``: ``docker run --rm <image> semver-bump --help`` from start to exit, the
  start-up every action step pays (median of 5, target <= 3 s).

    .venv/bin/python tests/bench/bench_image.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: make `tests.container.engine` importable

from tests.container.engine import Engine, build_args, find_engine, image_size  # noqa: E402

BENCH_TAG = "localhost/release-kit-bench:latest"
DEPENDENCY_STEP = "pip install --no-cache-dir --requirement"
RUNS = 5
BUILD_TARGET_S = 180
RUN_TARGET_S = 3.0


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def dependency_layer(engine: Engine, tag: str) -> int:
    """Bytes of the layer whose instruction installs the requirements."""
    proc = engine.run("history", "--no-trunc", "--human=false",
                      "--format", "{{.Size}}\t{{.CreatedBy}}", tag, timeout=60)
    proc.check_returncode()
    for line in proc.stdout.splitlines():
        size, _, created_by = line.partition("\t")
        if DEPENDENCY_STEP in created_by:
            return int(size)
    raise SystemExit(f"no layer of the image ran {DEPENDENCY_STEP!r}:\n{proc.stdout}")


def describe_base(engine: Engine, base: str) -> str:
    proc = engine.run("image", "inspect", base, "--format",
                      '{{index .Config.Labels "io.release-kit.stand-in"}}', timeout=60)
    if proc.stdout.strip() == "true":
        return f"{base} (the local Debian stand-in, tools/docker-engine.sh)"
    return base


def main() -> int:
    engine, reason = find_engine()
    if engine is None:
        print(f"# image: skipped ({reason})")
        return 0
    args = build_args(engine)
    base = args.get("BASE_IMAGE", "python:3.12-slim")
    if not engine.has_image(base):
        print(f"# image: skipped (base {base} is not in the engine: the no-cache figure would "
              "include pulling it; tools/docker-engine.sh start makes it)")
        return 0
    argv = ["build", "--no-cache", "-t", BENCH_TAG]
    if engine.is_podman:
        argv += ["--format", "docker"]
    for key, value in args.items():
        argv += ["--build-arg", f"{key}={value}"]
    started = time.monotonic()
    proc = engine.run(*argv, str(ROOT), timeout=900)
    build = time.monotonic() - started
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"image build failed ({proc.returncode})")
    helm = "skipped" if "helm tools skipped" in proc.stdout else "installed"
    try:
        print(f"# image: engine {Path(engine.command).name}, base {describe_base(engine, base)}, "
              f"INSTALL_HELM_TOOLS={args.get('INSTALL_HELM_TOOLS', 'auto')} (helm tools {helm})")
        print(f"image.build_time_no_cache: {build:.1f} s "
              f"(target <= {BUILD_TARGET_S} s: {verdict(build <= BUILD_TARGET_S)})")
        print(f"image.size: {image_size(engine, BENCH_TAG) / 1e6:.0f} MB")
        print(f"image.dependency_layer: {dependency_layer(engine, BENCH_TAG) / 1e6:.0f} MB")
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
    finally:
        engine.run("rmi", BENCH_TAG, timeout=120)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
