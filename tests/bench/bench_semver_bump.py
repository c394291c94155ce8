"""Benchmark semver-bump on large histories: labels with its draft release, then against its peers.

A synthetic repository with 10,000 commits and 2,000 merged PRs since the last tag (1,000 merged
with merge commits of 8 branch commits each, 1,000 squashed), built with ``git fast-import``, and
the PRs (plus 500 older ones, before the tag) put straight into the emulator's state. Then one
run of the action, as the runner runs it, is measured: wall time and GitHub API calls.

Targets: API calls <= ceil(PRs / 100) + 5, wall time <= 3 s.

Then conventional commits against commitizen and python-semantic-release at 10,000 and 50,000
commits (``tests/bench/semver_peers.py``, which says how): the ratios beside their targets.

    .venv/bin/python tests/bench/bench_semver_bump.py
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

from tests.bench import semver_peers  # noqa: E402
from tests.harness import github_env, run_action  # noqa: E402
from tests.sandbox.gitutil import ENV  # noqa: E402
from tests.semver_bump.flow import add_merged_pulls  # noqa: E402

from release_kit_sandbox import Sandbox  # noqa: E402

MERGED_PRS = 1_000  # merge commits, each bringing BRANCH_COMMITS commits
BRANCH_COMMITS = 8
SQUASHED_PRS = 1_000
OLD_PRS = 500  # merged before the tag: the listing must stop before reading them all
TAG_TIME = 1_700_000_000
LABELS = ["feature", "bug", "docs", "chore", "enhancement"]


def iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fast_import_stream() -> tuple[bytes, list[tuple[int, str, int]]]:
    """The history as a fast-import stream, and the PRs ``(number, kind, epoch)`` it merged."""
    out: list[bytes] = []
    mark = 0

    def commit(ref: str, message: str, when: int, parents: list[int], path: str) -> int:
        nonlocal mark
        mark += 1
        msg = message.encode()
        content = f"{mark}\n".encode()
        out.append(f"commit {ref}\nmark :{mark}\n"
                   f"committer Dev <dev@example.com> {when} +0000\n"
                   f"data {len(msg)}\n".encode() + msg + b"\n")
        if parents:
            out.append(f"from :{parents[0]}\n".encode())
        for extra in parents[1:]:
            out.append(f"merge :{extra}\n".encode())
        out.append(f"M 644 inline {path}\ndata {len(content)}\n".encode() + content + b"\n")
        return mark

    main = commit("refs/heads/main", "Initial commit", TAG_TIME, [], "README.md")
    out.append(f"reset refs/tags/v1.0.0\nfrom :{main}\n\n".encode())
    prs: list[tuple[int, str, int]] = []
    when = TAG_TIME
    number = OLD_PRS
    for i in range(MERGED_PRS + SQUASHED_PRS):
        number += 1
        when += 60
        if i % 2 == 0:  # a PR merged with a merge commit
            tip = main
            for j in range(BRANCH_COMMITS):
                tip = commit("refs/heads/scratch", f"Work {j} on PR {number}", when,
                             [tip], f"src/pr{number % 97}/f{j}.txt")
            body = f"Merge pull request #{number} from acme/pr-{number}\n\nPR title {number}"
            main = commit("refs/heads/main", body, when, [main, tip], "MERGES.txt")
            prs.append((number, "merge", when))
        else:  # a squashed PR
            main = commit("refs/heads/main", f"PR title {number} (#{number})", when, [main],
                          f"src/sq{number % 89}.txt")
            prs.append((number, "squash", when))
    return b"".join(out), prs


def build_repository(path: Path) -> list[tuple[int, str, int]]:
    subprocess.run(["git", "init", "--quiet", "--bare", "-b", "main", str(path)], check=True,
                   env=ENV)
    stream, prs = fast_import_stream()
    subprocess.run(["git", "-C", str(path), "fast-import", "--quiet"], input=stream, check=True,
                   env=ENV)
    # The PR branches' commits were written on one scratch branch, only to be merged.
    subprocess.run(["git", "-C", str(path), "update-ref", "-d", "refs/heads/scratch"],
                   check=True, env=ENV)
    return prs


def insert_pulls(sandbox: Sandbox, prs: list[tuple[int, str, int]]) -> None:
    """The merged PRs (and older ones, before the tag) straight into the emulator's state."""
    old = [(n, TAG_TIME - 86_400 + n) for n in range(1, OLD_PRS + 1)]
    add_merged_pulls(sandbox.github, "acme/web", [
        (number, f"PR title {number}", ("alice", "bob", "carol")[number % 3],
         [LABELS[number % len(LABELS)]], iso(when))
        for number, when in old + [(n, w) for n, _, w in prs]
    ])


def main() -> int:
    labels = labels_bench()
    peers = semver_peers.main()
    return labels or peers


def labels_bench() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-semver-") as tmp, Sandbox(aws=False) as box:
        tmpdir = Path(tmp)
        started = time.perf_counter()
        source = tmpdir / "source.git"
        prs = build_repository(source)
        repo = box.github.create_repo("acme/web", source=source)
        insert_pulls(box, prs)
        workspace = tmpdir / "ws"
        subprocess.run(["git", "clone", "--quiet", str(repo.git_dir), str(workspace)],
                       check=True, env=ENV)
        commits = int(subprocess.run(["git", "-C", str(workspace), "rev-list", "--count",
                                      "v1.0.0..HEAD"], check=True, capture_output=True,
                                     text=True).stdout)
        setup = time.perf_counter() - started
        head = subprocess.run(["git", "-C", str(workspace), "rev-parse", "HEAD"], check=True,
                              capture_output=True, text=True).stdout.strip()
        context = github_env(sha=head)
        env = {k: context[k] for k in ("GITHUB_REPOSITORY", "GITHUB_SHA", "GITHUB_REF",
                                       "GITHUB_REF_NAME")}

        before = len(box.github.requests)
        started = time.perf_counter()
        result = run_action("semver-bump", {"strategy": "labels", "draft-release": True},
                            sandbox=box, env=env, workspace=workspace)
        wall = time.perf_counter() - started
        calls = box.github.requests[before:]

        if result.exit_code != 0:
            print(result, file=sys.stderr)
            return 1
        entries = result.outputs["changelog"].count("\n- ")
        budget = math.ceil(len(prs) / 100) + 5
        print(f"semver_bump_setup_time: {setup:.2f} s")
        print(f"semver_bump_commits_since_tag: {commits} commits")
        print(f"semver_bump_merged_prs: {len(prs)} PRs")
        print(f"semver_bump_changelog_entries: {entries} entries")
        print(f"semver_bump_api_calls: {len(calls)} calls")
        print(f"semver_bump_api_call_budget: {budget} calls")
        print(f"semver_bump_wall_time: {wall:.2f} s")
        print(f"semver_bump_version: {result.outputs['version']} ({result.outputs['bump']})")
        # Figures from a shared 2-core machine are only comparable at a similar load.
        print(f"semver_bump_load_average: {os.getloadavg()[0]:.1f} runnable")
        print(f"semver_bump_wall_time_target_met: {'yes' if wall <= 3.0 else 'no'} (<= 3 s)",
              flush=True)
        # API calls and completeness are deterministic; wall time depends on the machine's load.
        if len(calls) > budget or entries != len(prs):
            print("semver-bump benchmark missed its API-call budget or lost PRs", file=sys.stderr)
            return 1
        return 0

if __name__ == "__main__":
    raise SystemExit(main())
