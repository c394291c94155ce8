"""Benchmark reintegrate-pr: GitHub API calls (and wall time) of its create and re-run paths.

A release branch with one hotfix PR, then with many: the action must make a constant number of
requests however many hotfix commits and PRs there are (one compare, one listing of the closed
PRs into the release branch, one user lookup per reviewer), never one per commit or PR.

    .venv/bin/python tests/bench/bench_reintegrate_pr.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

from tests.reintegrate_pr.world import World  # noqa: E402

from release_kit_sandbox import Sandbox  # noqa: E402

MANY_HOTFIXES = 25


def measure(world: World, name: str) -> str:
    """Run the action once and print its figures; returns the result output."""
    started = time.perf_counter()
    result = world.run()
    elapsed = time.perf_counter() - started
    if result.exit_code != 0:
        raise SystemExit(f"{name} failed:\n{result}")
    requests = world.requests_of_last_run()
    print(f"{name}_api_calls: {len(requests)} calls")
    print(f"{name}_writes: {len(world.writes_of_last_run())} calls")
    print(f"{name}_wall: {elapsed:.2f} s")
    return result.outputs["result"]


def main() -> None:
    with Sandbox() as box, tempfile.TemporaryDirectory() as tmp:
        box.reset()
        world = World(box, Path(tmp) / "one")
        world.hotfix("alice", "fix/crash", {2: "line 3 fixed"}, "Fix crash")
        assert measure(world, "create") == "created"
        assert measure(world, "rerun_unchanged") == "unchanged"
        world.hotfix("bob", "fix/login", {6: "line 7 fixed"}, "Fix login")
        assert measure(world, "rerun_update") == "updated"

        box.reset()
        world = World(box, Path(tmp) / "many")
        for n in range(MANY_HOTFIXES):
            author = ("alice", "bob")[n % 2]
            world.hotfix(author, f"fix/{n}", {10 + n: f"fix {n}"}, f"Fix number {n}")
        assert measure(world, f"create_{MANY_HOTFIXES}_hotfixes") == "created"


if __name__ == "__main__":
    main()
