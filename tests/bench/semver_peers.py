"""semver-bump against its peers on the same repositories, in the same run (conventional commits).

The repositories: 10,000 and 50,000 Conventional Commits since ``v1.0.0`` (features, fixes,
chores, docs, ...), shaped like a squash-merging GitHub repository: seven in ten are squashed
pull requests (``title (#N)``; a PR of several commits lists them in the body, ``* fix: ...``,
sometimes with a ``Co-authored-by`` trailer; one of one commit keeps that commit's body), the
rest pushed directly, most with a paragraph or three. Written with ``git fast-import`` and kept
under ``.bench/`` (rebuilt when the generator changes). Each carries the
peers' configuration in its ``pyproject.toml`` and an ``origin`` remote (python-semantic-release
needs one).

The peers, at pinned versions in a virtual environment of their own (``.bench/peers``, never the
project's): commitizen ``cz bump --dry-run --yes`` and python-semantic-release ``semantic-release
version --print``, against ``release-kit semver-bump --strategy conventional-commits --dry-run``
run as a user runs it locally. All three must agree on the next version.

Timing: whole processes, semver-bump and the peer in turn (A B A B ...), after one untimed run
each (the one whose output says which version it found);
the wall-time ratio is taken pair by pair and its median printed, so that a drift of the shared
machine's speed hits both sides of a pair alike. The load average is printed with the figures.
Memory: the peak RSS of semver-bump's own process (its git children excluded), at both sizes.

Targets at 50,000 commits: wall <= 0.6x commitizen's, <= 0.05x python-semantic-release's, and
<= 1.0 s on a quiet machine.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import random
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".bench"
PEERS = {"commitizen": "4.19.3", "python-semantic-release": "10.7.0"}
SIZES = (10_000, 50_000)
TARGETS = {"commitizen": 0.6, "semantic-release": 0.05}
QUIET_WALL_TARGET = 1.0
TYPES = ["feat", "fix", "fix", "chore", "docs", "refactor", "test", "perf", "ci", "build"]
VERBS = ["add", "fix", "handle", "drop", "rename", "cache", "validate", "retry", "log", "speed up"]
NOUNS = ["login", "session", "config file", "API client", "parser", "export", "index", "queue"]
WORDS = ["the", "a", "request", "response", "user", "token", "cache", "retry", "timeout", "error",
         "config", "value", "list", "page", "field", "schema", "client", "server", "handler",
         "worker", "job", "build", "test", "docs", "when", "after", "before", "because", "so",
         "that", "now", "no", "longer", "still", "only", "every", "each"]
PYPROJECT = """\
[project]
name = "bench"
version = "1.0.0"

[tool.commitizen]
name = "cz_conventional_commits"
version = "1.0.0"
tag_format = "v$version"

[tool.semantic_release]
version_toml = ["pyproject.toml:project.version"]
tag_format = "v{version}"
commit_parser = "conventional"
"""


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1/5/15 min, {os.cpu_count()} cores)"


# -- the repositories ------------------------------------------------------------------------

def fast_import_stream(commits: int) -> bytes:
    """``commits`` Conventional Commits after a tagged first commit, one file changed each."""
    rng = random.Random(commits)
    out: list[bytes] = []
    when = 1_700_000_000

    def blob(data: bytes) -> bytes:
        return f"data {len(data)}\n".encode() + data + b"\n"

    out.append(b"commit refs/heads/main\nmark :1\n"
               + f"author Dev <dev@example.com> {when} +0000\n"
                 f"committer Dev <dev@example.com> {when} +0000\n".encode()
               + blob(b"chore: initial commit")
               + b"M 644 inline pyproject.toml\n" + blob(PYPROJECT.encode()))
    out.append(b"reset refs/tags/v1.0.0\nfrom :1\n\n")
    def header(n: int) -> str:
        scope = f"(mod{n % 13})" if n % 3 == 0 else ""
        return f"{TYPES[n % len(TYPES)]}{scope}: {rng.choice(VERBS)} {rng.choice(NOUNS)} {n}"

    def prose() -> str:
        paragraphs = [" ".join(rng.choice(WORDS) for _ in range(rng.randrange(8, 40)))
                      for _ in range(rng.randrange(1, 4))]
        return "\n\n".join(textwrap.fill(p.capitalize() + ".", 72) for p in paragraphs)

    for i in range(commits):
        when += 30
        message = header(i)
        if i % 10 < 7:
            # A squash-merged pull request, as GitHub writes it: the title and (#N); a PR of
            # several commits lists them in the body ("* fix: ..."), one of one commit keeps
            # that commit's body.
            message += f" (#{1000 + i})"
            count = rng.choice([1, 1, 1, 2, 2, 3, 4, 6])
            if count == 1:
                message += "\n\n" + prose() if rng.random() < 0.6 else ""
            else:
                listed = [rng.choice([header(i * 7 + k), "wip", "address review comments",
                                      "fix tests", f"{header(i * 7 + k)}\n\n{prose()}"])
                          for k in range(count)]
                message += "\n\n" + "\n\n".join(f"* {entry}" for entry in listed)
                if rng.random() < 0.3:
                    message += (f"\n\n---------\n\nCo-authored-by: Dev {i % 17} "
                                f"<dev{i % 17}@example.com>")
        elif i % 10 < 9:  # pushed directly, explained
            message += "\n\n" + prose()
        out.append(f"commit refs/heads/main\nmark :{i + 2}\n"
                   f"author Dev <dev@example.com> {when} +0000\n"
                   f"committer Dev <dev@example.com> {when} +0000\n".encode()
                   + blob(message.encode()) + f"from :{i + 1}\n".encode()
                   + f"M 644 inline src/file{i % 211}.txt\n".encode() + blob(f"{i}\n".encode()))
    return b"".join(out)


def repository(commits: int) -> Path:
    """The repository of ``commits`` commits, built once (and again if the generator changed)."""
    stamp = hashlib.sha256(inspect.getsource(fast_import_stream).encode() + PYPROJECT.encode()
                           + repr((TYPES, VERBS, NOUNS, WORDS)).encode()).hexdigest()[:12]
    path = CACHE / "repos" / f"conventional-{commits}-{stamp}"
    if (path / ".git" / "bench-ready").exists():
        return path
    if path.exists():
        subprocess.run(["rm", "-rf", str(path)], check=True)
    path.mkdir(parents=True)
    started = time.monotonic()
    git = ["git", "-C", str(path)]
    subprocess.run([*git, "init", "--quiet", "-b", "main"], check=True)
    subprocess.run([*git, "fast-import", "--quiet"], input=fast_import_stream(commits),
                   check=True)
    subprocess.run([*git, "checkout", "--quiet", "main"], check=True)
    subprocess.run([*git, "remote", "add", "origin", "https://github.com/acme/bench.git"],
                   check=True)
    (path / ".git" / "bench-ready").touch()
    print(f"# built {path.name} in {time.monotonic() - started:.1f} s", flush=True)
    return path


# -- the peers -------------------------------------------------------------------------------

def peers_venv() -> Path:
    """A virtual environment of the peers' own, at the pinned versions."""
    venv = CACHE / "peers"
    wanted = " ".join(f"{name}=={version}" for name, version in sorted(PEERS.items()))
    marker = venv / "installed.txt"
    if marker.exists() and marker.read_text() == wanted:
        return venv
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    proc = subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet",
                           "--disable-pip-version-check", *wanted.split()],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"installing the peers ({wanted}) failed:\n{proc.stderr[-2000:]}")
    marker.write_text(wanted)
    return venv


def local_env() -> dict[str, str]:
    """A developer's shell: no runner variables, no inputs."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("GITHUB_", "INPUT_", "RUNNER_"))}


def commands(venv: Path) -> dict[str, list[str]]:
    bin_dir = Path(sys.executable).parent
    return {
        "semver-bump": [str(bin_dir / "release-kit"), "semver-bump", "--strategy",
                        "conventional-commits", "--dry-run"],
        "commitizen": [str(venv / "bin" / "cz"), "bump", "--dry-run", "--yes"],
        "semantic-release": [str(venv / "bin" / "semantic-release"), "version", "--print"],
    }


def version_of(name: str, argv: Sequence[str], cwd: Path) -> str:
    """The next version the tool announces (an untimed run whose output is kept)."""
    proc = subprocess.run(argv, cwd=cwd, env=local_env(), capture_output=True, text=True,
                          check=False, timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed in {cwd}:\n{proc.stdout[-1500:]}\n{proc.stderr[-1500:]}")
    text = proc.stdout
    if name == "semver-bump":
        return next(line.split("=", 1)[1] for line in text.splitlines()
                    if line.startswith("version="))
    if name == "commitizen":
        return text.split("→", 1)[1].split()[0]
    return text.strip().splitlines()[-1].strip()


def timed(argv: Sequence[str], cwd: Path) -> float:
    """Wall seconds of one run (output discarded, as a pipe to nowhere)."""
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=local_env(), stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, check=False, timeout=900)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{argv[0]} exited {proc.returncode} in {cwd}")
    return wall


def paired(ours: Sequence[str], peer: Sequence[str], cwd: Path,
           pairs: int) -> tuple[list[float], list[float]]:
    """Walls of ``pairs`` runs each, in turn (the untimed version runs were the warm-up)."""
    a, b = [], []
    for _ in range(pairs):
        a.append(timed(ours, cwd))
        b.append(timed(peer, cwd))
    return a, b


# VmHWM, not getrusage's ru_maxrss: Linux folds the pre-exec size of the forking process (this
# benchmark, with the emulator's state) into ru_maxrss; VmHWM is the new process's own peak.
PEAK = """\
import json, sys
from release_kit.cli import main
code = main(sys.argv[1:])
peak = next(int(line.split()[1]) for line in open("/proc/self/status")
            if line.startswith("VmHWM:"))
print(json.dumps({"code": code, "peak_kib": peak}), file=sys.stderr)
"""


def peak_rss_mib(argv: Sequence[str], cwd: Path) -> float:
    """Peak RSS of semver-bump's own process (git's processes are their own)."""
    proc = subprocess.run([sys.executable, "-c", PEAK, *argv[1:]], cwd=cwd, env=local_env(),
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          check=False, timeout=600)
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    if report["code"] != 0:
        raise SystemExit(f"semver-bump failed in {cwd}")
    return float(report["peak_kib"]) / 1024


def main() -> int:
    venv = peers_venv()
    argv = commands(venv)
    print(f"semver_peers.load_average_at_start: {load()}", flush=True)
    print(f"semver_peers.peer_versions: {', '.join(f'{k} {v}' for k, v in PEERS.items())}")
    missed = []
    disagree = []
    peaks = {}
    for size in SIZES:
        path = repository(size)
        versions = {name: version_of(name, cmd, path) for name, cmd in argv.items()}
        agree = len(set(versions.values())) == 1
        print(f"semver_peers.{size}.next_version: {versions['semver-bump']} "
              f"({'all three agree' if agree else versions})", flush=True)
        if not agree:
            disagree.append(f"the versions differ at {size}: {versions}")
        pairs = {"commitizen": 9, "semantic-release": 3}
        ours_all: list[float] = []
        for peer, count in pairs.items():
            ours, theirs = paired(argv["semver-bump"], argv[peer], path, count)
            ours_all += ours
            ratio = statistics.median(a / b for a, b in zip(ours, theirs, strict=True))
            target = TARGETS[peer]
            print(f"semver_peers.{size}.{peer}_wall: {statistics.median(theirs):.2f} s "
                  f"(median of {count})")
            print(f"semver_peers.{size}.ratio_vs_{peer}: {ratio:.3f} "
                  f"(median of {count} pairs; target at 50,000: <= {target})", flush=True)
            if size == 50_000 and ratio > target:
                missed.append(f"ratio vs {peer} {ratio:.3f} > {target}")
        wall = statistics.median(ours_all)
        print(f"semver_peers.{size}.semver_bump_wall: {wall:.2f} s (median of {len(ours_all)}; "
              f"target at 50,000 on a quiet machine: <= {QUIET_WALL_TARGET} s)")
        peaks[size] = peak_rss_mib(argv["semver-bump"], path)
        print(f"semver_peers.{size}.semver_bump_peak_rss: {peaks[size]:.1f} MiB "
              "(its own process)", flush=True)
    growth = peaks[SIZES[-1]] - peaks[SIZES[0]]
    print(f"semver_peers.peak_rss_growth_10k_to_50k: {growth:.1f} MiB "
          "(flat: the notes are capped, the log streamed)")
    print(f"semver_peers.load_average_at_end: {load()}")
    # Ratios hold across load better than absolute times, but a busy machine still pushes them
    # towards the CPU-time ratios: a miss is printed, not fatal (rerun when quieter). Tools that
    # disagree on the version are a failure: the comparison would be meaningless.
    print(f"semver_peers.targets_met: {'no: ' + '; '.join(missed) if missed else 'yes'}",
          flush=True)
    if disagree:
        print("; ".join(disagree), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
