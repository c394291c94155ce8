"""Run every ``tests/bench/bench_*.py`` (``make bench``) and pass their figures through.

Each benchmark prints ``name: value unit`` lines; this runner adds one ``bench.<script>: N s``
line per script and fails if any script failed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"# {script.name}", flush=True)
        started = time.monotonic()
        proc = subprocess.run([sys.executable, str(script)], check=False)
        print(f"bench.{script.stem}: {time.monotonic() - started:.1f} s", flush=True)
        if proc.returncode != 0:
            failed.append(f"{script.name} (exit {proc.returncode})")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
