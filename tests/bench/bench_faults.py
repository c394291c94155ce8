"""Benchmark GitHub's failure modes: the fault matrix totals and 20 writers under faults.

- The fault matrix (tests/faults): every writing operation of every action x {502 before x1,
  x3; 502 after the write; 429 with retry-after; secondary limit with and without retry-after;
  500 ms latency}. Totals: trials, clean, converged on re-run, duplicates, lost (targets: 0
  duplicates, 0 lost).
- 20 concurrent reporters (processes), every request 200 ms late, 3 secondary-limit 403s on the
  ticket's PATCH per trial, 10 trials: rows lost (target 0), and reports that exited non-zero.

    .venv/bin/python tests/bench/bench_faults.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

from tests.faults.matrix import Trial, tally  # noqa: E402
from tests.release_ticket.helpers import setup, ticket_action  # noqa: E402
from tests.release_ticket.test_concurrency import WRITERS, run_twenty_processes  # noqa: E402

from release_kit_sandbox import Sandbox  # noqa: E402

TRIALS = 10


def matrix() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tally.jsonl"
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        str(ROOT / "tests" / "faults")], cwd=ROOT, check=False,
                       env={**os.environ, "RELEASE_KIT_FAULT_TALLY": str(path)},
                       stdout=subprocess.DEVNULL)
        rows = [json.loads(line) for line in path.read_text().splitlines()]
    trials = [Trial(**{k: v for k, v in row.items() if k != "clean"}) for row in rows]
    totals = tally(trials)
    print(f"fault_matrix_wall: {time.monotonic() - started:.0f} s")
    for name, value in totals.items():
        target = {"duplicates": " (target 0)", "lost": " (target 0)",
                  "unnamed failures": " (target 0)"}.get(name, "")
        print(f"fault_matrix_{name.replace(' ', '_')}: {value}{target}")


def twenty_writers() -> None:
    with Sandbox(aws=False) as box:
        box.reset()
        repos = [f"acme/svc-{i:02d}" for i in range(WRITERS)]
        setup(box, *repos)
        if ticket_action(box, "open").exit_code != 0:
            raise SystemExit("open failed")
        lost = failed = 0
        started = time.monotonic()
        for trial in range(TRIALS):
            codes, missing = run_twenty_processes(box, f"t{trial:02d}", 3000 + 100 * trial)
            lost += missing
            failed += sum(1 for code in codes if code != 0)
        wall = time.monotonic() - started
    print(f"report_20_processes_faults_trials: {TRIALS}")
    print(f"report_20_processes_faults_rows_lost: {lost} (target 0)")
    print(f"report_20_processes_faults_nonzero_exits: {failed}")
    print(f"report_20_processes_faults_wall_per_trial: {wall / TRIALS:.1f} s")


if __name__ == "__main__":
    matrix()
    twenty_writers()
