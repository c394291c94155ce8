"""Import cost of every action entrypoint, and the image's size and build time.

Per ``actions/<name>/main.py``: ``python -X importtime`` loads the entrypoint the way the CLI
does (module code runs, ``main()`` does not) and the cumulative microseconds of the top-level
imports are summed; the median of a few runs is printed, with the heavy libraries it pulled in
(an entrypoint imports only what it uses). ``import_time.baseline`` is the interpreter's own
start-up imports, included in every figure.

When a container engine works (see ``tests/container/engine.py``): the image is built from
scratch (``--no-cache``, as a runner builds it on each job) and its size and build time printed.

    .venv/bin/python tests/bench/bench_imports.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: make `tests.container.engine` importable

from tests.container.engine import build_args, find_engine, image_size  # noqa: E402

HEAVY = ("boto3", "botocore", "kubernetes", "github", "yaml")
RUNS = 3
BENCH_TAG = "localhost/release-kit-bench:latest"


def importtime(code: str) -> tuple[float, set[str]]:
    """Total top-level cumulative import time (ms) of ``python -c code``, and modules imported."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )
    total_us, modules = 0, set()
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        _, cumulative, name = (part for part in line.removeprefix("import time:").split("|"))
        module = name.rstrip()
        modules.add(module.strip())
        if not module.startswith("  "):  # nested imports are indented under their importer
            total_us += int(cumulative)
    return total_us / 1000, modules


def entrypoint_code(main: Path) -> str:
    return f"import runpy; runpy.run_path({str(main)!r}, run_name='bench')"


def heavy_modules(modules: set[str]) -> list[str]:
    tops = {module.split(".")[0] for module in modules}
    return [name for name in HEAVY if name in tops]


def bench_imports() -> None:
    baseline = statistics.median(importtime("import runpy")[0] for _ in range(RUNS))
    print(f"import_time.baseline: {baseline:.0f} ms")
    for main in sorted((ROOT / "actions").glob("*/main.py")):
        action = main.parent.name
        runs = [importtime(entrypoint_code(main)) for _ in range(RUNS)]
        median = statistics.median(ms for ms, _ in runs)
        heavy = heavy_modules(runs[0][1])
        print(f"import_time.{action}: {median:.0f} ms")
        print(f"heavy_imports.{action}: {','.join(heavy) or 'none'}")


def bench_image() -> None:
    engine, reason = find_engine()
    if engine is None:
        print(f"# image: skipped ({reason})")
        return
    argv = ["build", "--no-cache", "-t", BENCH_TAG]
    if engine.is_podman:
        argv += ["--format", "docker"]
    for key, value in build_args(engine).items():
        argv += ["--build-arg", f"{key}={value}"]
    started = time.monotonic()
    proc = engine.run(*argv, str(ROOT), timeout=900)
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"image build failed ({proc.returncode})")
    args = build_args(engine)
    print(f"# image: base {args.get('BASE_IMAGE', 'default')}, "
          f"INSTALL_HELM_TOOLS={args['INSTALL_HELM_TOOLS']}")
    print(f"image.build_time_no_cache: {seconds:.1f} s")
    print(f"image.size: {image_size(engine, BENCH_TAG) / 1e6:.0f} MB")
    engine.run("rmi", BENCH_TAG, timeout=120)


if __name__ == "__main__":
    bench_imports()
    bench_image()
