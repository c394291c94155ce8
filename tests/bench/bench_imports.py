"""Import cost of every action entrypoint (the image's figures: bench_image.py).

Per ``actions/<name>/main.py``: ``python -X importtime`` loads the entrypoint the way the CLI
does (module code runs, ``main()`` does not) and the cumulative microseconds of the top-level
imports are summed; the median of a few runs is printed, with the heavy libraries it pulled in
(an entrypoint imports only what it uses). ``import_time.baseline`` is the interpreter's own
start-up imports, included in every figure.

    .venv/bin/python tests/bench/bench_imports.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HEAVY = ("boto3", "botocore", "kubernetes", "github", "yaml")
RUNS = 3


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


if __name__ == "__main__":
    bench_imports()
