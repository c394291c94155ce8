"""The fault matrix: every writing operation of every action against GitHub's failure modes.

Each :class:`Operation` sets a scenario up in the sandbox, runs one action the way the runner
does, and can count the objects its write makes (so a duplicate shows) and say whether the
write landed (so a loss shows). Each :data:`FAULTS` entry is a fault as the standalone sandbox
takes it over HTTP (``POST /_sandbox/faults``), aimed at the operation's request.

A trial (:func:`trial`) injects the fault, runs the action, clears the faults, and, when the run
failed, checks the failure was a named error and runs it again. It is clean when the action
succeeded the first time; converged when the re-run did; in every case the objects are counted
(exactly one wanted) and the write must have landed.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from release_kit.tickets import parse
from release_kit_sandbox import Sandbox
from tests.harness import ActionResult, github_env, run_action
from tests.release_ticket.helpers import ticket_action

# Quick retries for the trials: the decisions are the production ones, the waits are short.
ENV = {
    "RELEASE_KIT_GITHUB_BACKOFF": "0.05",
    "RELEASE_KIT_GITHUB_SECONDARY_WAIT": "0.3",  # GitHub's guidance is 60 s; shortened here
    "RELEASE_KIT_MERGEABILITY_WAIT": "2",
}

FAULTS: dict[str, dict[str, Any]] = {
    "502 before x1": {"status": 502, "count": 1},
    "502 before x3": {"status": 502, "count": 3},
    "502 after": {"status": 502, "count": 1, "when": "after"},
    "429 retry-after": {"status": 429, "count": 1, "retry_after": 1},
    "secondary retry-after": {"status": 403, "count": 1, "rate_limit": "secondary",
                              "retry_after": 1},
    "secondary no headers": {"status": 403, "count": 1, "rate_limit": "secondary"},
    "500 ms latency": {"status": None, "count": None, "latency": 0.5},
}


@dataclass
class World:
    """What a scenario needs beside the sandbox: a scratch folder and what setup found out."""

    sandbox: Sandbox
    tmp: Path
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def emu(self) -> Any:
        return self.sandbox.github

    def api(self, method: str, path: str, body: Any = None) -> Any:
        answer = requests.request(method, f"{self.emu.url}{path}", json=body, timeout=30,
                                  headers={"Authorization": f"Bearer {self.emu.default_token}"})
        answer.raise_for_status()
        return answer.json() if answer.content else None


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    path: str  # regex on the request path
    setup: Callable[[World], None]
    run: Callable[[World], ActionResult]
    count: Callable[[World], int]  # how many objects the write made (1 wanted)
    landed: Callable[[World], bool]


# -- semver-bump --------------------------------------------------------------------------------

def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                          cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


def released_once(src: Path) -> Path:
    """A new repository at ``src`` with ``v1.0.0`` and a feature after it."""
    src.mkdir()
    git(src, "init", "-q", "-b", "main")
    (src / "a.txt").write_text("a")
    git(src, "add", ".")
    git(src, "commit", "-qm", "init")
    git(src, "tag", "v1.0.0")
    (src / "b.txt").write_text("b")
    git(src, "add", ".")
    git(src, "commit", "-qm", "feat: add b")
    return src


def semver_setup(world: World) -> None:
    src = released_once(world.tmp / "src")
    repo = world.emu.create_repo("acme/web", source=src)
    work = world.tmp / "ws"
    git(world.tmp, "clone", "-q", str(repo.git_dir), str(work))
    world.facts["ws"] = work
    world.facts["sha"] = git(work, "rev-parse", "HEAD")


def semver_run(world: World, extra: dict[str, object] | None = None) -> ActionResult:
    env = github_env(repository="acme/web", sha=world.facts["sha"])
    env = {k: env[k] for k in ("GITHUB_REPOSITORY", "GITHUB_SHA", "GITHUB_REF",
                               "GITHUB_REF_NAME")}
    return run_action("semver-bump", {"strategy": "conventional-commits", **(extra or {})},
                      sandbox=world.sandbox, env={**env, **ENV}, workspace=world.facts["ws"])


def drafts(world: World) -> list[Any]:
    return [r for r in world.emu.repo("acme/web").releases.values() if r.draft]


def semver_update_setup(world: World) -> None:
    semver_setup(world)
    first = semver_run(world)
    assert first.exit_code == 0, first
    work = world.facts["ws"]
    (work / "c.txt").write_text("c")
    git(work, "add", ".")
    git(work, "commit", "-qm", "fix: repair c")
    git(work, "push", "-q", "origin", "main")
    world.facts["sha"] = git(work, "rev-parse", "HEAD")


def hotfix_setup(world: World) -> None:
    semver_setup(world)
    work = world.facts["ws"]
    git(work, "checkout", "-qb", "release/1.0.0", "v1.0.0")
    (work / "fix.txt").write_text("fix")
    git(work, "add", ".")
    git(work, "commit", "-qm", "fix: hotfix")
    git(work, "push", "-q", "origin", "release/1.0.0")
    world.facts["sha"] = git(work, "rev-parse", "HEAD")


def hotfix_run(world: World) -> ActionResult:
    env = github_env(repository="acme/web", sha=world.facts["sha"],
                     ref="refs/heads/release/1.0.0")
    env = {k: env[k] for k in ("GITHUB_REPOSITORY", "GITHUB_SHA", "GITHUB_REF",
                               "GITHUB_REF_NAME")}
    return run_action("semver-bump", {"strategy": "conventional-commits", "create-tags": True},
                      sandbox=world.sandbox, env={**env, **ENV}, workspace=world.facts["ws"])


def tag_at(world: World, tag: str) -> str | None:
    bare = world.emu.repo("acme/web").git_dir
    try:
        return git(bare, "rev-parse", f"refs/tags/{tag}^{{commit}}")
    except subprocess.CalledProcessError:
        return None


# -- release-ticket -------------------------------------------------------------------------------

TICKETS = "acme/releases"


def ticket_setup(world: World, *, opened: bool = True) -> None:
    for name in (TICKETS, "acme/web"):
        world.emu.create_repo(name)
    world.emu.add_user("alice")
    if opened:
        result = ticket_action(world.sandbox, "open", driver="alice")
        assert result.exit_code == 0, result


def tickets(world: World, repo: str = TICKETS) -> list[Any]:
    return sorted(world.emu.repo(repo).issues.values(), key=lambda i: i.number)


def ticket_state(world: World) -> Any:
    return parse(tickets(world)[0].body)


def event_comments(world: World) -> int:
    return sum(1 for c in world.emu.repo(TICKETS).comments.values()
               if "release-kit:ticket-event" in c.body)


def report_landed(world: World, stage: str, status: str) -> bool:
    state = ticket_state(world)
    cell = state.cell("acme/web", stage) if state else None
    return cell is not None and cell.status == status


def closable_setup(world: World) -> None:
    """An open ticket whose every row is done."""
    ticket_setup(world)
    for stage in ("build", "production"):
        result = ticket_action(world.sandbox, "report", stage=stage, status="success")
        assert result.exit_code == 0, result


# -- deploy-helmfile ------------------------------------------------------------------------------

def deploy_setup(world: World) -> None:
    from release_kit_sandbox.kube import FakeKubernetes
    from tests.deploy_helmfile.fakes import FakeHelmfile, install_fake_helmfile

    src = world.tmp / "src"
    src.mkdir()
    git(src, "init", "-q", "-b", "main")
    (src / "README.md").write_text("web\n")
    git(src, "add", ".")
    git(src, "commit", "-qm", "init")
    world.emu.create_repo("acme/web", source=src)
    ws = world.tmp / "workspace"
    (ws / "deploy").mkdir(parents=True)
    (ws / "deploy" / "helmfile.yaml").write_text("releases:\n  - name: web\n    chart: ./c\n")
    kube = FakeKubernetes().__enter__()
    kube.write_kubeconfig(ws / "kubeconfig")
    install_fake_helmfile(world.tmp / "bin")
    world.facts.update(ws=ws, kube=kube, sha=git(src, "rev-parse", "HEAD"),
                       helmfile=FakeHelmfile(world.tmp / "bin", world.tmp / "calls.jsonl"))


def deploy_run(world: World) -> ActionResult:
    env = {"GITHUB_REPOSITORY": "acme/web", "GITHUB_REF": "refs/heads/main",
           "GITHUB_REF_NAME": "main", "GITHUB_SHA": world.facts["sha"],
           "GITHUB_EVENT_NAME": "push", **world.facts["helmfile"].env(), **ENV}
    return run_action("deploy-helmfile", {"environment": "dev", "kubeconfig": "kubeconfig"},
                      sandbox=world.sandbox, env=env, workspace=world.facts["ws"])


def deployments(world: World) -> list[Any]:
    return list(world.emu.repo("acme/web").deployments.values())


def success_statuses(world: World) -> int:
    return sum(1 for d in deployments(world) for s in d.statuses if s.state == "success")


# -- reintegrate-pr -------------------------------------------------------------------------------

HEAD = "reintegrate/release/1.4.0"


def reintegrate_setup(world: World) -> None:
    src = world.tmp / "src"
    src.mkdir()
    git(src, "init", "-q", "-b", "main")
    (src / "app.txt").write_text("v1\n")
    git(src, "add", ".")
    git(src, "commit", "-qm", "init")
    git(src, "checkout", "-qb", "release/1.4.0")
    (src / "app.txt").write_text("v1 fixed\n")
    git(src, "commit", "-qam", "fix: hotfix")
    world.emu.create_repo("acme/web", source=src)
    world.facts["source"] = git(src, "rev-parse", "release/1.4.0")


def reintegrate_run(world: World) -> ActionResult:
    env = {"GITHUB_REPOSITORY": "acme/web", "GITHUB_REF": "refs/heads/release/1.4.0",
           "GITHUB_REF_NAME": "release/1.4.0", **ENV}
    return run_action("reintegrate-pr", {}, sandbox=world.sandbox, env=env)


def open_pulls(world: World) -> list[Any]:
    return [i for i in world.emu.repo("acme/web").issues.values()
            if i.pull is not None and i.state == "open"]


def branch_at(world: World, branch: str) -> str | None:
    try:
        return git(world.emu.repo("acme/web").git_dir, "rev-parse", f"refs/heads/{branch}")
    except subprocess.CalledProcessError:
        return None


# -- the table ------------------------------------------------------------------------------------

OPERATIONS: list[Operation] = [
    Operation("semver-bump: create the draft release", "POST", r"^/repos/acme/web/releases$",
              semver_setup, semver_run, lambda w: len(drafts(w)),
              lambda w: bool(drafts(w)) and drafts(w)[0].tag_name == "v1.1.0"),
    Operation("semver-bump: update the draft release", "PATCH", r"^/repos/acme/web/releases/\d+$",
              semver_update_setup, semver_run, lambda w: len(drafts(w)),
              lambda w: bool(drafts(w)) and "repair c" in drafts(w)[0].body),
    Operation("semver-bump: tag the hotfix", "POST", r"^/repos/acme/web/git/refs$",
              hotfix_setup, hotfix_run,
              lambda w: 1 if tag_at(w, "v1.0.1") else 0,
              lambda w: tag_at(w, "v1.0.1") == w.facts["sha"]),
    Operation("release-ticket open: create the ticket", "POST", rf"^/repos/{TICKETS}/issues$",
              lambda w: ticket_setup(w, opened=False),
              lambda w: ticket_action(w.sandbox, "open", driver="alice", env=ENV),
              lambda w: len(tickets(w)), lambda w: ticket_state(w) is not None),
    Operation("release-ticket report: write the body", "PATCH", rf"^/repos/{TICKETS}/issues/1$",
              ticket_setup,
              lambda w: ticket_action(w.sandbox, "report", stage="dev", status="success", env=ENV),
              lambda w: len(tickets(w)), lambda w: report_landed(w, "dev", "success")),
    Operation("release-ticket notify-failure: the ping", "POST",
              rf"^/repos/{TICKETS}/issues/1/comments$", ticket_setup,
              lambda w: ticket_action(w.sandbox, "notify-failure", stage="staging", env=ENV),
              event_comments, lambda w: report_landed(w, "staging", "failure")),
    Operation("release-ticket notify-failure: the fallback issue", "POST",
              r"^/repos/acme/web/issues$", lambda w: ticket_setup(w, opened=False),
              lambda w: ticket_action(w.sandbox, "notify-failure", stage="staging", env=ENV),
              lambda w: len(tickets(w, "acme/web")),
              lambda w: bool(tickets(w, "acme/web"))),
    Operation("release-ticket close: close the ticket", "PATCH", rf"^/repos/{TICKETS}/issues/1$",
              closable_setup,
              lambda w: ticket_action(w.sandbox, "close", env=ENV),
              lambda w: len(tickets(w)), lambda w: tickets(w)[0].state == "closed"),
    Operation("deploy-helmfile: create the deployment", "POST",
              r"^/repos/acme/web/deployments$", deploy_setup, deploy_run,
              lambda w: len(deployments(w)), lambda w: success_statuses(w) == 1),
    Operation("deploy-helmfile: record the status", "POST",
              r"^/repos/acme/web/deployments/\d+/statuses$", deploy_setup, deploy_run,
              success_statuses, lambda w: success_statuses(w) == 1),
    Operation("reintegrate-pr: create the branch", "POST", r"^/repos/acme/web/git/refs$",
              reintegrate_setup, reintegrate_run,
              lambda w: 1 if branch_at(w, HEAD) else 0,
              lambda w: branch_at(w, HEAD) == w.facts["source"]),
    Operation("reintegrate-pr: open the pull request", "POST", r"^/repos/acme/web/pulls$",
              reintegrate_setup, reintegrate_run, lambda w: len(open_pulls(w)),
              lambda w: len(open_pulls(w)) == 1),
]


@dataclass
class Trial:
    operation: str
    fault: str
    first_exit: int
    named: bool  # a failure ended with one ::error naming what went wrong
    converged: bool | None  # after a failure: did the re-run succeed?
    objects: int
    landed: bool

    @property
    def clean(self) -> bool:
        return self.first_exit == 0 and self.objects == 1 and self.landed

    @property
    def duplicates(self) -> int:
        return max(0, self.objects - 1)

    @property
    def lost(self) -> bool:
        return not self.landed

    def as_json(self) -> dict[str, Any]:
        return {**self.__dict__, "clean": self.clean}


def inject(world: World, operation: Operation, fault: dict[str, Any]) -> None:
    """The fault, aimed at the operation's request, through the sandbox's HTTP endpoint."""
    body = dict(fault)
    if body.get("latency") is None:
        body.update(method=operation.method, path=operation.path)
    answer = requests.post(f"{world.emu.url}/_sandbox/faults", json=body, timeout=10)
    assert answer.status_code == 201, answer.text


def clear(world: World) -> None:
    requests.delete(f"{world.emu.url}/_sandbox/faults", timeout=10).raise_for_status()


def trial(world: World, operation: Operation, fault_name: str) -> Trial:
    operation.setup(world)
    inject(world, operation, FAULTS[fault_name])
    try:
        first = operation.run(world)
    finally:
        clear(world)
    named = converged = None
    if first.exit_code != 0:
        named = len(first.errors) == 1 and bool(first.errors[0].title) and \
            "This is a bug" not in first.errors[0].message
        again = operation.run(world)
        converged = again.exit_code == 0
    return Trial(operation.name, fault_name, first.exit_code, bool(named) or first.exit_code == 0,
                 converged, operation.count(world), operation.landed(world))


def tally(trials: list[Trial]) -> dict[str, int]:
    return {
        "trials": len(trials),
        "clean": sum(t.clean for t in trials),
        "converged on re-run": sum(bool(t.converged) for t in trials),
        "duplicates": sum(t.duplicates for t in trials),
        "lost": sum(t.lost for t in trials),
        "unnamed failures": sum(not t.named for t in trials),
    }


def record(path: Path | None, result: Trial) -> None:
    """Append a trial to ``path`` (JSON lines), for the benchmark's totals."""
    if path is not None:
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(result.as_json()) + "\n")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
