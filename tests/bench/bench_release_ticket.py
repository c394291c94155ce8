"""Benchmark release-ticket: GitHub API calls per report, alone and with 20 concurrent writers.

- ``report`` without contention, the ticket given by number and found by release: one read (GET
  or the label listing, which carries the bodies), one write, one verifying read. The verifying
  read cannot be dropped: GitHub has no compare-and-swap on issue bodies, so reading back is the
  only way to learn that a concurrent writer erased the report.
- 20 reporters at once, as 20 processes through the harness (each an interpreter, as 20 jobs
  are): API calls per reporter (mean, max), writes in total, wall time, reports lost (must be 0).
  Then the same with 20 threads calling the entrypoint in one process (what the test does), and
  again with 100 ms added to every request (closer to GitHub's latency: longer windows between
  a writer's read and its write).
  Each reporter uses its own token, so the emulator's request log attributes every call.

    .venv/bin/python tests/bench/bench_release_ticket.py
"""

from __future__ import annotations

import contextlib
import io
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

from tests.release_ticket.helpers import RELEASE, TICKETS, setup, ticket_action  # noqa: E402
from tests.release_ticket.inprocess import parse_inputs, run_operation  # noqa: E402

from release_kit.tickets import parse  # noqa: E402
from release_kit_sandbox import Sandbox  # noqa: E402

WRITERS = 20
ALONE = 3
REPOS = [f"acme/svc-{i:02d}" for i in range(WRITERS)]
TOKENS = [f"ghs_writer{i:02d}" for i in range(WRITERS)]


def calls_of(box: Sandbox, run: object) -> int:
    before = len(box.github.requests)
    result = run()  # type: ignore[operator]
    if result.exit_code != 0:
        raise SystemExit(f"report failed:\n{result}")
    return len(box.github.requests) - before


def uncontended(box: Sandbox) -> None:
    for name, extra in (("by_number", {"ticket_number": 1}), ("by_release", {})):
        calls = [calls_of(box, lambda i=i, extra=extra: ticket_action(
            box, "report", repository="acme/web", run_id=str(10 + i), stage=f"s{i}",
            status="success", **extra)) for i in range(ALONE)]
        print(f"report_{name}_api_calls_mean: {statistics.mean(calls):.1f} calls")
        print(f"report_{name}_api_calls_max: {max(calls)} calls")


def contended(box: Sandbox, name: str, stage: str, report: Callable[[int], None]) -> None:
    """Run ``report(i)`` for the 20 writers at once and print the figures."""
    before = len(box.github.requests)
    started = time.perf_counter()
    # In-process runs log to stdout: keep them out of the figures.
    with ThreadPoolExecutor(WRITERS) as pool, contextlib.redirect_stdout(io.StringIO()):
        list(pool.map(report, range(WRITERS)))
    wall = time.perf_counter() - started
    requests = box.github.requests[before:]
    per_writer = Counter(r.login for r in requests)
    calls = [per_writer[f"writer{i:02d}"] for i in range(WRITERS)]
    state = parse(box.github.repo(TICKETS).issues[1].body)
    lost = sum(1 for repo in REPOS if state is None or state.cell(repo, stage) is None)
    writes = sum(1 for r in requests if r.method == "PATCH")
    print(f"report_20_{name}_api_calls_mean: {statistics.mean(calls):.1f} calls")
    print(f"report_20_{name}_api_calls_max: {max(calls)} calls")
    print(f"report_20_{name}_writes_total: {writes} calls")
    print(f"report_20_{name}_wall: {wall:.2f} s")
    print(f"report_20_{name}_lost: {lost} reports")


def processes(box: Sandbox) -> None:
    def report(i: int) -> None:
        result = ticket_action(box, "report", repository=REPOS[i], run_id=str(500 + i),
                               stage="build", status="success", github_token=TOKENS[i],
                               fail_on_error=True)
        if result.exit_code != 0:
            raise SystemExit(f"reporter {i} failed:\n{result}")

    contended(box, "processes", "build", report)


def threads(box: Sandbox, name: str = "threads", stage: str = "deploy") -> None:
    os.environ["GITHUB_API_URL"] = box.github.url
    inputs = [parse_inputs({
        "operation": "report", "release": RELEASE, "ticket-repo": TICKETS, "repository": repo,
        "stage": stage, "status": "success", "github-token": TOKENS[i],
        "fail-on-error": "true"}) for i, repo in enumerate(REPOS)]

    def report(i: int) -> None:
        run_operation(inputs[i], repository=REPOS[i], run_id=str(700 + i),
                      server_url=box.github.server_url)

    contended(box, name, stage, report)


def main() -> None:
    with Sandbox(aws=False) as box:
        box.reset()
        setup(box)
        if ticket_action(box, "open").exit_code != 0:
            raise SystemExit("open failed")
        uncontended(box)
        setup(box, *REPOS)
        for i, token in enumerate(TOKENS):
            box.github.add_user(f"writer{i:02d}")
            box.github.add_token(token, login=f"writer{i:02d}")
        processes(box)
        threads(box)
        box.github.inject_latency(0.1)
        threads(box, "threads_latency100ms", "production")
        box.github.clear_faults()


if __name__ == "__main__":
    main()
