"""The cases measured in the issue about GitHub's failure modes, reproduced the way they were
found: the ``release-kit`` CLI against the standalone sandbox (``release-kit sandbox``), faults
injected through its HTTP endpoint (``POST /_sandbox/faults``), the state read back through the
GitHub API and the request log (``GET /_sandbox/requests``)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from release_kit.tickets import parse
from tests.faults.matrix import git, released_once

RELEASE_KIT = Path(sys.executable).parent / "release-kit"
QUICK = {"RELEASE_KIT_GITHUB_BACKOFF": "0.05", "RELEASE_KIT_GITHUB_SECONDARY_WAIT": "0.3"}


class Standalone:
    """``release-kit sandbox`` in its own process, and the CLI run against it."""

    def __init__(self, tmp: Path, *args: str) -> None:
        tmp.mkdir(parents=True, exist_ok=True)
        env_file = tmp / "sandbox.env"
        self.proc = subprocess.Popen([str(RELEASE_KIT), "sandbox", "--no-aws", *args,
                                      "--env-file", str(env_file)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while not (env_file.exists() and env_file.read_text().count("\n") >= 4):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                raise AssertionError(f"the sandbox did not start: {self.proc.communicate()[1]}")
            time.sleep(0.05)
        self.env: dict[str, str] = {}
        for line in env_file.read_text().splitlines():
            name, _, value = line.removeprefix("export ").partition("=")
            self.env[name] = shlex.split(value)[0]
        self.url = self.env["GITHUB_API_URL"]
        self.tmp = tmp

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def api(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        answer = requests.request(method, f"{self.url}{path}", json=body, timeout=30, headers={
            "Authorization": f"Bearer {token or self.env['GITHUB_TOKEN']}"})
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def fault(self, **fault: Any) -> None:
        requests.post(f"{self.url}/_sandbox/faults", json=fault, timeout=10).raise_for_status()

    def requests_log(self) -> list[dict[str, Any]]:
        return list(requests.get(f"{self.url}/_sandbox/requests", timeout=10).json())

    def cli(self, action: str, *args: str, repository: str = "acme/web", sha: str = "",
            ref: str = "refs/heads/main", workspace: Path | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        run_env = {k: v for k, v in os.environ.items()
                   if not k.startswith(("GITHUB_", "INPUT_", "RUNNER_"))}
        run_env.update(self.env)
        run_env.update(QUICK)
        run_env.update({"GITHUB_REPOSITORY": repository, "GITHUB_SHA": sha, "GITHUB_REF": ref,
                        "GITHUB_REF_NAME": ref.split("/", 2)[-1], "GITHUB_RUN_ID": "77",
                        "GITHUB_WORKSPACE": str(workspace or self.tmp)})
        run_env.update(env or {})
        return subprocess.run([str(RELEASE_KIT), action, *args], env=run_env, text=True, check=False,
                              capture_output=True, timeout=120, cwd=workspace or self.tmp)


@pytest.fixture
def seeded(tmp_path: Path) -> Path:
    """A repository with ``v1.0.0`` and a feature after it."""
    return released_once(tmp_path / "src")


@pytest.fixture
def box(tmp_path: Path, seeded: Path) -> Iterator[Standalone]:
    sandbox = Standalone(tmp_path, "--repo", f"acme/web={seeded}", "--repo", "acme/releases",
                         "--user", "alice", "--collaborators", "acme/releases=alice")
    yield sandbox
    sandbox.stop()


def workspace(box: Standalone) -> tuple[Path, str]:
    work = box.tmp / "ws"
    if not work.exists():
        git(box.tmp, "clone", "-q", str(box.tmp / "src"), str(work))
    return work, git(work, "rev-parse", "HEAD")


def ticket(box: Standalone, operation: str, *args: str) -> subprocess.CompletedProcess[str]:
    return box.cli("release-ticket", "--operation", operation, "--release", "2.0.0",
                   "--ticket-repo", "acme/releases", *args)


def body(box: Standalone, number: int = 1) -> str:
    return str(box.api("GET", f"/repos/acme/releases/issues/{number}")["body"])


def error_titles(result: subprocess.CompletedProcess[str]) -> list[str]:
    return re.findall(r"^::error title=([^:]*)::", result.stdout, re.MULTILINE)


# -- the cases -----------------------------------------------------------------------------------


def test_a_502_on_the_ticket_patch_is_retried(box: Standalone) -> None:
    assert ticket(box, "open", "--driver", "alice").returncode == 0
    box.fault(status=502, count=1, method="PATCH", path=r"^/repos/acme/releases/issues/1$")
    result = ticket(box, "report", "--stage", "build", "--status", "success")
    assert result.returncode == 0, result.stdout + result.stderr
    state = parse(body(box))
    assert state is not None and state.cell("acme/web", "build") is not None
    patches = [r["status"] for r in box.requests_log()
               if r["method"] == "PATCH" and r["path"] == "/repos/acme/releases/issues/1"]
    assert patches[:2] == [502, 200]


def test_a_502_after_the_draft_was_written_leaves_one_draft(box: Standalone) -> None:
    work, sha = workspace(box)
    box.fault(status=502, count=1, method="POST", path=r"^/repos/acme/web/releases$",
              when="after")
    result = box.cli("semver-bump", "--strategy", "conventional-commits", sha=sha,
                     workspace=work)
    assert result.returncode == 0, result.stdout + result.stderr
    drafts = [r for r in box.api("GET", "/repos/acme/web/releases") if r["draft"]]
    assert [d["tag_name"] for d in drafts] == ["v1.1.0"]


def test_a_502_after_the_ping_posts_one_comment(box: Standalone) -> None:
    assert ticket(box, "open", "--driver", "alice").returncode == 0
    box.fault(status=502, count=1, method="POST", path=r"/issues/1/comments$", when="after")
    result = ticket(box, "notify-failure", "--stage", "staging", "--message", "pods crash")
    assert result.returncode == 0, result.stdout + result.stderr
    pings = [c for c in box.api("GET", "/repos/acme/releases/issues/1/comments")
             if "ticket-event" in c["body"]]
    assert len(pings) == 1 and "@alice" in pings[0]["body"]


def test_a_hand_edited_block_does_not_erase_the_rows(box: Standalone) -> None:
    assert ticket(box, "open", "--driver", "alice").returncode == 0
    for stage in ("build", "dev"):
        assert ticket(box, "report", "--stage", stage, "--status", "success").returncode == 0
    damaged = body(box).replace('"attempt":1', '"attempt":"one"', 1)
    box.api("PATCH", "/repos/acme/releases/issues/1", {"body": damaged})
    result = ticket(box, "report", "--stage", "staging", "--status", "in_progress")
    assert result.returncode == 0, result.stdout + result.stderr
    state = parse(body(box))
    assert state is not None and {stage for _, stage in state.cells} == {
        "build", "dev", "staging"}
    assert "::warning title=Release ticket repaired::" in result.stdout


def test_a_crafted_future_time_does_not_pin_the_cell(box: Standalone) -> None:
    assert ticket(box, "open", "--driver", "alice").returncode == 0
    assert ticket(box, "report", "--stage", "build", "--status", "success").returncode == 0
    crafted = re.sub(r'"time":"[^"]+"', '"time":"2999-01-01T00:00:00.000000Z"', body(box))
    box.api("PATCH", "/repos/acme/releases/issues/1", {"body": crafted})
    failed = ticket(box, "report", "--stage", "build", "--status", "failure")
    assert failed.returncode == 0, failed.stdout + failed.stderr
    state = parse(body(box))
    assert state is not None and state.cell("acme/web", "build").status == "failure"  # type: ignore[union-attr]
    assert ticket(box, "close").returncode == 0
    assert box.api("GET", "/repos/acme/releases/issues/1")["state"] == "open"


def test_a_driver_who_is_not_a_collaborator_still_gets_the_ticket(box: Standalone) -> None:
    requests.post(f"{box.url}/_sandbox/users", json={"login": "bob"}, timeout=10)
    result = ticket(box, "open", "--driver", "bob")  # bob is not a collaborator of acme/releases
    assert result.returncode == 0, result.stdout + result.stderr
    issue = box.api("GET", "/repos/acme/releases/issues/1")
    assert issue["assignees"] == [] and "@bob" in issue["body"]
    assert "::warning title=Driver not assigned::" in result.stdout


def test_a_failing_release_call_leaves_no_tag_and_the_rerun_completes(
        box: Standalone, tmp_path: Path) -> None:
    git(tmp_path / "src", "checkout", "-qb", "release/1.0.0", "v1.0.0")
    (tmp_path / "src" / "fix.txt").write_text("fix")
    git(tmp_path / "src", "add", ".")
    git(tmp_path / "src", "commit", "-qm", "fix: hotfix")
    box.stop()
    hot = Standalone(tmp_path / "hot", "--repo", f"acme/web={tmp_path / 'src'}")
    try:
        work = tmp_path / "hot" / "ws"
        git(tmp_path, "clone", "-q", "-b", "release/1.0.0", str(tmp_path / "src"), str(work))
        sha = git(work, "rev-parse", "HEAD")
        args = ("--strategy", "conventional-commits", "--create-tags", "true")
        hot.fault(status=502, count=None, method="POST", path=r"^/repos/acme/web/releases$")
        failed = hot.cli("semver-bump", *args, sha=sha, ref="refs/heads/release/1.0.0",
                         workspace=work, env={"RELEASE_KIT_GITHUB_RETRIES": "1"})
        assert failed.returncode == 1
        tags = [r["ref"] for r in hot.api("GET", "/repos/acme/web/git/matching-refs/tags/v1.0.1")]
        assert tags == []  # the release first: no tag without it
        requests.delete(f"{hot.url}/_sandbox/faults", timeout=10)
        again = hot.cli("semver-bump", *args, sha=sha, ref="refs/heads/release/1.0.0",
                        workspace=work)
        assert again.returncode == 0, again.stdout + again.stderr
        drafts = [r["tag_name"] for r in hot.api("GET", "/repos/acme/web/releases")]
        assert drafts == ["v1.0.1"]
        assert hot.api("GET", "/repos/acme/web/git/ref/tags/v1.0.1")["ref"] == "refs/tags/v1.0.1"
    finally:
        hot.stop()


def test_a_hand_edited_draft_is_adopted_and_a_persons_draft_left_alone(box: Standalone) -> None:
    work, sha = workspace(box)
    first = box.cli("semver-bump", "--strategy", "conventional-commits", sha=sha, workspace=work)
    assert first.returncode == 0, first.stdout + first.stderr
    [ours] = box.api("GET", "/repos/acme/web/releases")
    box.api("PATCH", f"/repos/acme/web/releases/{ours['id']}", {"body": "Hand-written intro."})
    requests.post(f"{box.url}/_sandbox/users", json={"login": "carol"}, timeout=10)
    again = box.cli("semver-bump", "--strategy", "conventional-commits", sha=sha, workspace=work)
    assert again.returncode == 0, again.stdout + again.stderr
    releases = box.api("GET", "/repos/acme/web/releases")
    assert [r["id"] for r in releases] == [ours["id"]]
    assert releases[0]["body"].startswith("Hand-written intro.")
    assert "add b" in releases[0]["body"]


def test_a_wait_beyond_the_budget_fails_truthfully(box: Standalone) -> None:
    assert ticket(box, "open", "--driver", "alice").returncode == 0
    box.fault(status=403, count=None, rate_limit="secondary", method="PATCH",
              path=r"/issues/1$")
    result = box.cli(
        "release-ticket", "--operation", "report", "--release", "2.0.0", "--ticket-repo",
        "acme/releases", "--stage", "build", "--status", "success",
        env={"RELEASE_KIT_GITHUB_SECONDARY_WAIT": "1", "RELEASE_KIT_GITHUB_MAX_WAIT": "5"})
    assert result.returncode == 1
    message = result.stdout
    assert "attempts over" in message and "RELEASE_KIT_GITHUB_MAX_WAIT=5" in message
    assert "already attempted" not in message
    waits = [r for r in box.requests_log() if r["method"] == "PATCH"]
    assert 2 <= len(waits) <= 4  # 1 s, then 2 s; the next (4 s) would pass the 5 s budget
    assert json.dumps(waits[0]["fault"]).count("secondary") == 1
