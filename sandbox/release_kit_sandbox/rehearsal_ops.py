"""The rehearsal's release operations (issue 17): the ticket that starts the release, chat,
branch sync and cascade, composite images, the release train and security releases.

Each function plays one reusable workflow the way GitHub runs it, calling the actions through
the entrypoint the container runs (``Rehearsal.action``), for one service:

- :func:`start_release`: start-release.yml in the ticket repository (the ticket dispatches each
  service's workflow on ``main``);
- :func:`train_flow`: release-train.yml (a schedule, a dispatch on a branch, or main-branch's
  security release): semver-bump decides; a draft that goes out is published and the release
  flow dispatched on its tag (release-ticket's targets); a draft that waits is reported;
- :func:`release_flow`: release.yml, dispatched on the tag, reporting into the ticket named by
  the dispatch's JSON input, then :func:`sync_flow`;
- :func:`sync_flow`: sync.yml (reintegrate-pr over the downstream branches, fast-forward, the
  cascade) and :func:`downstream_build` (build.yml with a composite image-tag);
- :func:`main_branch`: main-branch.yml after a merge, with its security decision.

Every ticket report carries the run's start (``RELEASE_KIT_EVENT_TIME``), and the chat webhooks
of the sandbox's receiver (``/_sandbox/webhooks/<name>``) are given to every ticket step.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from release_kit.versioning.train import DAYS
from release_kit_sandbox.rehearsal_cast import (
    DRIVER,
    FAILABLE_STAGES,
    REGION,
    TICKET_REPO,
    RehearsalFailed,
    Service,
    Story,
    Trigger,
)

if TYPE_CHECKING:
    from pathlib import Path

    from release_kit_sandbox.github import GitHubEmulator
    from release_kit_sandbox.local_runner import ActionResult

WEBHOOKS = {"slack": "slack-webhook-url", "teams": "teams-webhook-url",
            "webhook": "webhook-url"}
RELEASE_WORKFLOW = "release-kit.yml"  # the service's caller workflow (examples/service)
CASCADE_WORKFLOW = "build-development.yml"  # the downstream branch's build
DOWNSTREAM = "development"
DOWNSTREAM_TAG = "{short_sha}-{short_sha:main}"  # build.yml image-tag of the development image
APP_ID = 4242  # the GitHub App of the reintegration and sync pull requests
APP_SLUG = "release-kit-rehearsal"


@dataclass
class Record:
    """What the operations saw, for the checks and the report."""

    dispatches: dict[str, str] = field(default_factory=dict)  # service -> "dispatched on <tag>"
    synced: list[tuple[str, str, str]] = field(default_factory=list)  # (source, target, result)
    cascades: list[str] = field(default_factory=list)  # images built by the cascade
    composite: dict[str, Any] = field(default_factory=dict)  # tag, contributors, promoted
    trains: list[tuple[str, str, str]] = field(default_factory=list)  # (repo, publish, reason)
    security: dict[str, str] = field(default_factory=dict)  # repo -> tag released at once
    ci_blocked: list[str] = field(default_factory=list)  # PRs whose checks would not start
    reruns: list[int] = field(default_factory=list)  # posts added by re-runs (0 expected)
    rerun_of: dict[str, Any] = field(default_factory=dict)  # the step a re-run repeats
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class Stage(Protocol):
    """What the operations use of the rehearsal (:class:`.rehearsal.Rehearsal`, which imports
    this module): its sandbox, its story and record, and the steps every flow shares."""

    fail: str | None
    story: Story
    record: Record
    app_key: str
    emu: GitHubEmulator
    services: list[Service]

    def action(self, name: str, inputs: Mapping[str, object], trigger: Trigger, *,
               workspace: Path | None = None, expect_failure: bool = False,
               env: Mapping[str, str] | None = None, run_id: str | None = None,
               attempt: int = 1) -> ActionResult: ...

    def git(self, service: Service, *args: str) -> str: ...

    def as_user(self, login: str) -> Any: ...

    def build_image(self, service: Service, sha: str, *, tag: str = "",
                    extra_labels: Mapping[str, str] | None = None) -> None: ...

    def deploy(self, service: Service, environment: str, image_tag: str, trigger: Trigger, *,
               operation: str = "deploy", env: Mapping[str, str] | None = None,
               expect_failure: bool = False) -> ActionResult: ...

    def push_run(self, service: Service, branch: str, sha: str) -> Trigger: ...

    def tell_promotion(self, promoted: ActionResult, sha: str) -> None: ...

    def new_run_id(self) -> str: ...


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def chat(r: Stage) -> dict[str, str]:
    """The webhook inputs of every ticket step (secrets of the caller, in a workflow)."""
    return {name: r.emu.webhook_url(receiver) for receiver, name in WEBHOOKS.items()}


def app_inputs(r: Stage) -> dict[str, str]:
    return {"app-id": str(APP_ID), "app-private-key": r.app_key}


# -- set-up ---------------------------------------------------------------------------------

def setup(r: Stage) -> None:
    """The services' release workflow (dispatchable with release-ticket's input), the
    development branch of acme/web and its build, the App, the chat receivers."""
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415

    r.record = Record()
    for service in r.services:
        r.emu.set_workflow(service.full_name, RELEASE_WORKFLOW, dispatch_inputs=["release-ticket"])
    web = r.services[0]
    r.emu.set_workflow(web.full_name, CASCADE_WORKFLOW, dispatch_inputs=[])
    r.git(web, "push", "-q", "origin", f"main:refs/heads/{DOWNSTREAM}")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    r.app_key = key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()).decode()
    r.emu.add_app(APP_ID, r.app_key, installations={"acme": 1}, slug=APP_SLUG)
    r.story.detail(f"{web.full_name} also has a {DOWNSTREAM} branch (a lower channel, synced "
                   f"from the production line; its build: {CASCADE_WORKFLOW})")
    r.story.detail("chat webhooks: " + ", ".join(r.emu.webhook_url(n) for n in WEBHOOKS))


# -- the ticket starts the release ------------------------------------------------------------

def start_release(r: Stage, release: str) -> int:
    """start-release.yml in the ticket repository: the ticket, and one dispatch per service."""
    run = Trigger(TICKET_REPO, "", "refs/heads/main", "workflow_dispatch")
    targets = [f"{s.full_name}:{RELEASE_WORKFLOW}@main" for s in r.services]
    opened = r.action("release-ticket", {
        "operation": "open", "release": release, "ticket-repo": TICKET_REPO, "driver": DRIVER,
        "targets": targets, **chat(r)}, run, env={"RELEASE_KIT_EVENT_TIME": now()}).outputs
    number = int(opened["ticket-number"])
    r.story.event(f"{TICKET_REPO}: @{DRIVER} starts release {release} (start-release.yml): "
                  f"ticket #{number}")
    for target in targets:
        r.story.detail(f"dispatched {target} (workflow_dispatch, input release-ticket)")
    return number


def dispatch_of(r: Stage, service: Service, ref: str) -> Any:
    """The newest dispatch of the service's release workflow on ``ref``."""
    found = [d for d in r.emu.dispatches
             if d.repo == service.full_name and d.workflow == RELEASE_WORKFLOW and d.ref == ref]
    if not found:
        raise RehearsalFailed(f"no dispatch of {RELEASE_WORKFLOW} on {ref} in "
                              f"{service.full_name}")
    return found[-1]


def ticket_of(dispatch: Any) -> dict[str, Any]:
    """The JSON input ``release-ticket`` of a dispatch (what release-ticket sends)."""
    return dict(json.loads(dispatch.inputs.get("release-ticket") or "{}"))


def on_main(r: Stage, service: Service) -> str:
    """The service's checkout at origin/main (actions/checkout, fetch-depth 0)."""
    r.git(service, "fetch", "-q", "--tags", "--force", "origin")
    r.git(service, "checkout", "-q", "-B", "main", "origin/main")
    return r.git(service, "rev-parse", "HEAD")


# -- release-train.yml ------------------------------------------------------------------------

def train_flow(r: Stage, service: Service, event_name: str, *, ticket: dict[str, Any],
               train_days: str = "*", event: dict[str, Any] | None = None) -> dict[str, str]:
    """decide (semver-bump train), then publish + dispatch on the tag, or report the wait."""
    started = now()
    sha = on_main(r, service)
    run = Trigger(service.full_name, sha, "refs/heads/main", event_name, event or {})
    r.story.event(f"{service.full_name}: release-train.yml ({event_name} on main)")
    decided = r.action("semver-bump", {"operation": "train", "train-days": train_days},
                       run, workspace=service.checkout).outputs
    publish = decided.get("publish") == "true"
    with r.record.lock:
        r.record.trains.append((service.full_name, decided.get("publish", ""),
                                decided.get("reason", "")))
    r.story.detail(f"release train ({event_name}): "
                   f"{'publish' if publish else 'skip'}: {decided.get('reason')}")
    release = ticket.get("release") or decided.get("version") or ""
    ticket_repo = ticket.get("ticket-repo") or TICKET_REPO
    common = {"release": release, "ticket-repo": ticket_repo, "driver": DRIVER, **chat(r)}
    env = {"RELEASE_KIT_EVENT_TIME": started}
    report = {"operation": "report", "stage": "train", "version": decided.get("version", ""),
              "message": decided.get("reason", ""), "repository": service.full_name}
    if publish:
        tag = decided["tag"]
        published = r.action("semver-bump", {"operation": "publish", "tag": tag}, run).outputs
        target = f"{service.full_name}:{RELEASE_WORKFLOW}@{tag}"
        r.action("release-ticket", {"operation": "open", "targets": target, **common}, run,
                 env=env)
        r.action("release-ticket", {**report, **common, "status": "success"}, run, env=env)
        r.story.detail(f"{tag} published ({published.get('sha', '')[:7]}); release flow "
                       f"dispatched on the tag: {target}")
    elif decided.get("tag"):
        r.action("release-ticket", {"operation": "open", **common}, run, env=env)
        r.action("release-ticket", {**report, **common, "status": "skipped"}, run, env=env)
        r.story.detail(f"ticket {release}: train skipped, and why")
    return decided


# -- release.yml, dispatched on the tag ----------------------------------------------------------

def release_flow(r: Stage, service: Service, tag: str, *, sync: bool = True) -> bool:
    """release.yml on the tag the train dispatched; False when a stage failed (--fail)."""
    dispatch = dispatch_of(r, service, tag)
    ticket = ticket_of(dispatch)
    repo = r.as_user(DRIVER).get_repo(service.full_name)
    sha = str(repo.get_git_ref(f"tags/{tag}").object.sha)
    version = tag.removeprefix("v")
    run = Trigger(service.full_name, sha, f"refs/tags/{tag}", "workflow_dispatch",
                  {"inputs": dispatch.inputs, "ref": f"refs/tags/{tag}",
                   "repository": repo.raw_data})
    started = now()
    run_id = r.new_run_id()  # one workflow run: every step shares its id (the chat's key)
    with r.record.lock:
        r.record.dispatches[service.full_name] = f"release flow dispatched on {tag}"
    r.story.event(f"{service.full_name}: release.yml runs on {tag} ({sha[:7]}), dispatched by "
                  f"the train for ticket {ticket.get('release')}")
    release = str(ticket.get("release") or version)
    common = {"release": release, "ticket-repo": ticket.get("ticket-repo"), "driver": DRIVER}
    r.action("release-ticket", {"operation": "open", **common}, run, run_id=run_id)
    ticket_step(r, service, run, started, release, stage="release", status="success",
                version=version, message=f"{tag} dispatched on the tag", run_id=run_id)
    branch = f"release/{version}"
    if branch not in {b.name for b in repo.get_branches()}:
        repo.create_git_ref(f"refs/heads/{branch}", sha)
    r.story.detail(f"branch {branch} created; ticket {release}: release published (chat)")
    promoted = r.action("promote-image", {
        "repository": service.full_name, "aws-region": REGION, "version": version,
        "tags": ["{version}", "latest"]}, run)
    r.tell_promotion(promoted, sha)
    ticket_step(r, service, run, started, release, stage="build", status="success",
                version=version, run_id=run_id)
    for stage in FAILABLE_STAGES:
        failing = r.fail == stage and service is r.services[-1]
        env = {"SIMULATED_HELMFILE_FAIL": stage} if failing else None
        result = r.deploy(service, stage, version, run, env=env, expect_failure=failing)
        if result.exit_code != 0:
            ticket_step(r, service, run, started, release, stage=stage, status="failure",
                        version=version, message=f"{stage} deploy of {version} failed; see "
                                                 "the run", run_id=run_id)
            r.story.detail(f"ticket: {stage} marked failed, @{DRIVER} pinged, chat told")
            return False
        ticket_step(r, service, run, started, release, stage=stage, status="success",
                    version=version, run_id=run_id)
    with r.record.lock:
        r.record.rerun_of.setdefault("step", (service, run, started, release, version, run_id))
    if sync and service is r.services[0]:
        sync_flow(r, service, branch, run)
    return True


def ticket_step(r: Stage, service: Service, run: Trigger, started: str, release: str, *,
                stage: str, status: str, version: str, message: str = "",
                run_id: str | None = None, attempt: int = 1) -> ActionResult:
    """One ticket step of the release flows: its run's start as the event time, chat on."""
    operation = "notify-failure" if status == "failure" else "report"
    inputs = {"operation": operation, "release": release, "ticket-repo": TICKET_REPO,
              "driver": DRIVER, "repository": service.full_name, "stage": stage,
              "status": status, "version": version, "sha": run.sha, "message": message,
              **chat(r)}
    return r.action("release-ticket", inputs, run, env={"RELEASE_KIT_EVENT_TIME": started},
                    run_id=run_id, attempt=attempt)


# -- sync.yml and the cascade ---------------------------------------------------------------------

def sync_flow(r: Stage, service: Service, source: str, run: Trigger) -> dict[str, Any]:
    """reintegrate-pr: the production line into the downstream branch (fast-forward, else a
    PR opened with the App's token), then the cascade's dispatch and the build it starts."""
    result = r.action("reintegrate-pr", {
        "source-branch": source, "target-branches": [DOWNSTREAM], "fast-forward": True,
        "title": "Sync {source} into {target}", "dispatch-workflow": CASCADE_WORKFLOW,
        **app_inputs(r)}, run)
    outcome = result.json_output("results")[DOWNSTREAM]
    with r.record.lock:
        r.record.synced.append((source, DOWNSTREAM, outcome["result"]))
        if outcome.get("ci-blocked"):
            r.record.ci_blocked.append(f"{DOWNSTREAM} #{outcome.get('pr-number')}")
    what = (f"fast-forwarded to {outcome['sha'][:7]}" if outcome["result"] == "fast-forwarded"
            else f"PR #{outcome['pr-number']} ({outcome['result']}, opened by {APP_SLUG}[bot]: "
                 "its checks run)" if outcome.get("pr-number") else outcome["result"])
    r.story.detail(f"sync {source} -> {DOWNSTREAM}: {what}")
    if json.loads(result.outputs.get("dispatched") or "[]"):
        r.story.detail(f"cascade: {CASCADE_WORKFLOW} dispatched on {DOWNSTREAM}")
        downstream_build(r, service)
    return dict(outcome)


def downstream_build(r: Stage, service: Service) -> str:
    """build.yml on the downstream branch: the identity job names the image after its own
    commit and main's, and lists both in its labels; then the image is pushed so."""
    sha = r.git(service, "ls-remote", "origin", f"refs/heads/{DOWNSTREAM}").split()[0]
    run = Trigger(service.full_name, sha, f"refs/heads/{DOWNSTREAM}", "workflow_dispatch")
    identity = r.action("promote-image", {
        "operation": "identity", "repository": service.full_name, "tags": DOWNSTREAM_TAG,
        "revision": sha}, run).outputs
    labels = dict(line.split("=", 1) for line in identity["labels"].splitlines() if line)
    r.build_image(service, sha, tag=identity["tag"], extra_labels=labels)
    with r.record.lock:
        r.record.cascades.append(identity["tag"])
    names = ", ".join(f"{c['repository']}@{c['ref'] or DOWNSTREAM} {c['revision'][:7]}"
                      + (f" ({c['version']})" if c["version"] else "")
                      for c in json.loads(identity["contributors"]))
    r.story.detail(f"{DOWNSTREAM} image {identity['tag']} built ({names})")
    return str(identity["tag"])


def promote_downstream(r: Stage, service: Service, tag: str) -> dict[str, Any]:
    """The development channel's moving tag, promoted from the composite image; promote-image
    reports what is inside it."""
    sha = r.git(service, "ls-remote", "origin", f"refs/heads/{DOWNSTREAM}").split()[0]
    run = Trigger(service.full_name, sha, f"refs/heads/{DOWNSTREAM}", "workflow_dispatch")
    promoted = r.action("promote-image", {
        "repository": service.full_name, "aws-region": REGION, "source": tag,
        "tags": [DOWNSTREAM], "allow-move": DOWNSTREAM, "revision": sha}, run)
    contributors = promoted.json_output("contributors")
    with r.record.lock:
        r.record.composite = {"tag": tag, "contributors": contributors,
                              "summary": promoted.summary}
    r.story.detail(f"promote-image {tag} -> {DOWNSTREAM}: contributors reported: "
                   + "; ".join(f"{c['repository']} {c['ref'] or '(own)'} {c['revision'][:7]}"
                               for c in contributors))
    return dict(promoted.outputs)


def push_change(r: Stage, service: Service, branch: str, start: str, *, file: str, text: str,
                message: str) -> str:
    """A developer's commit: ``branch`` from ``start``, ``file`` written with ``text``,
    committed and pushed; the commit's sha."""
    r.git(service, "checkout", "-q", "-B", branch, start)
    (service.checkout / file).write_text(text, encoding="utf-8")
    r.git(service, "add", "-A")
    r.git(service, "commit", "-q", "-m", message)
    r.git(service, "push", "-q", "origin", f"HEAD:refs/heads/{branch}")
    return r.git(service, "rev-parse", "HEAD")


def commit_downstream(r: Stage, service: Service) -> None:
    """A developer pushes a change of the development channel's own to it."""
    r.git(service, "fetch", "-q", "origin")
    push_change(r, service, DOWNSTREAM, f"origin/{DOWNSTREAM}", file="channel.txt",
                text="development settings\n", message="Development channel settings")
    r.story.event(f"{service.full_name}: @{service.developer} pushed a commit of "
                  f"{DOWNSTREAM}'s own")


def merge_sync_pr(r: Stage, service: Service, number: int) -> None:
    pull = r.as_user(DRIVER).get_repo(service.full_name).get_pull(number)
    merged = pull.merge(merge_method="merge")
    r.story.event(f"{service.full_name}: @{DRIVER} merged sync PR #{number} into {DOWNSTREAM} "
                  f"({str(merged.sha)[:7]}): the push builds it")


# -- main-branch.yml: a merge, its draft, its security decision ---------------------------------

def merge_pr(r: Stage, service: Service, title: str, *, labels: list[str], author: str,
             branch: str) -> str:
    """A developer's PR, labelled, merged by the driver (squash)."""
    r.git(service, "fetch", "-q", "origin")
    push_change(r, service, branch, "origin/main", file=f"{branch.replace('/', '-')}.txt",
                text=f"{title}\n", message=title)
    pull = r.as_user(author).get_repo(service.full_name).create_pull(
        base="main", head=branch, title=title, body=f"{title}.")
    pull.add_to_labels(*labels)
    merged = r.as_user(DRIVER).get_repo(service.full_name).get_pull(pull.number)
    sha = str(merged.merge(merge_method="squash").sha)
    r.story.event(f"{service.full_name}: @{DRIVER} merged PR #{pull.number} {title!r} "
                  f"(labels {', '.join(labels)}; {sha[:7]})")
    return sha


def main_branch(r: Stage, service: Service, sha: str) -> dict[str, str]:
    """main-branch.yml: build, dev, the draft, and the security decision (semver-bump train
    on the push, the draft not written again)."""
    r.build_image(service, sha)
    push = r.push_run(service, "main", sha)
    on_main(r, service)
    r.deploy(service, "dev", f"sha-{sha}", push)
    bump = r.action("semver-bump", {"strategy": "labels"}, push,
                    workspace=service.checkout).outputs
    security = r.action("semver-bump", {"operation": "train", "draft-release": False}, push,
                        workspace=service.checkout).outputs
    r.story.detail(f"draft release {bump.get('tag')} ({bump.get('bump')}); security "
                   f"decision: {'publish' if security.get('publish') == 'true' else 'wait'}: "
                   f"{security.get('reason')}")
    return security


# -- chat ------------------------------------------------------------------------------------------

def posts(r: Stage) -> dict[str, list[Any]]:
    return {name: r.emu.webhooks.delivered(name) for name in WEBHOOKS}


def duplicates(r: Stage) -> list[str]:
    """Events posted more than once: a dedupe key the JSON webhook received twice, or a
    webhook that received another number of posts than the others (each gets every event)."""
    keys = Counter(p.headers.get("idempotency-key", "") for p in r.emu.webhooks.of("webhook")
                   if 200 <= p.status < 300)
    found = [f"webhook: {key or '(no key)'} x{count}" for key, count in keys.items()
             if count > 1 or not key]
    counts = {name: len(items) for name, items in posts(r).items()}
    if len(set(counts.values())) > 1:
        found.append(f"posts per webhook differ: {counts}")
    return found


def chat_lines(r: Stage) -> list[str]:
    """One line per post of the JSON webhook (each event once), and the totals."""
    got = posts(r)
    lines = [f"{item.get('event')}: {item.get('text')}" for item in got["webhook"]]
    totals = ", ".join(f"{name} {len(items)}" for name, items in got.items())
    return [*lines, f"posts per webhook: {totals}"]


def rerun(r: Stage) -> int:
    """Re-run (attempt 2) the release-published and production steps of the first release
    run: each event is in the ticket's ledger, so nothing is posted again."""
    service, run, started, release, version, run_id = r.record.rerun_of["step"]
    before = sum(len(items) for items in posts(r).values())
    for stage in ("release", "production"):
        ticket_step(r, service, run, started, release, stage=stage, status="success",
                    version=version, run_id=run_id, attempt=2)
    added = sum(len(items) for items in posts(r).values()) - before
    r.record.reruns.append(added)
    r.story.event(f"{service.full_name}: run {run_id} re-run (attempt 2): its release and "
                  f"production steps report again; chat posts added: {added}")
    return added


# -- the release train and a security release (chapter 6) -------------------------------------

def train_chapter(r: Stage, service: Service) -> None:
    """acme/web: a feature merged, a freeze makes the train skip, lifted it publishes;
    acme/api: an empty train, then a security PR released at once."""
    today = DAYS[datetime.now(UTC).weekday()]
    schedule = {"schedule": "0 9 * * *"}
    if service is r.services[0]:
        sha = merge_pr(r, service, "Add the profile page", labels=["feature"],
                       author=service.developer, branch="feature/profile")
        main_branch(r, service, sha)
        repo = r.as_user(DRIVER).get_repo(service.full_name)
        freeze = repo.create_issue("Release freeze: conference week", labels=["release-freeze"])
        r.story.event(f"{service.full_name}: @{DRIVER} declares a freeze (issue #{freeze.number}"
                      ", label release-freeze)")
        train_flow(r, service, "schedule", ticket={}, train_days=today, event=schedule)
        freeze.edit(state="closed")
        r.story.event(f"{service.full_name}: @{DRIVER} lifts the freeze (closes "
                      f"#{freeze.number})")
        decided = train_flow(r, service, "schedule", ticket={}, train_days=today,
                             event=schedule)
        if decided.get("publish") == "true":
            release_flow(r, service, decided["tag"])
        return
    train_flow(r, service, "schedule", ticket={}, train_days=today, event=schedule)
    sha = merge_pr(r, service, "Escape the login error message", labels=["security"],
                   author=service.developer, branch="fix/escape-login-error")
    security = main_branch(r, service, sha)
    if security.get("publish") == "true":
        push = {"ref": "refs/heads/main", "after": sha}
        decided = train_flow(r, service, "push", ticket={}, event=push)
        if decided.get("publish") == "true":
            with r.record.lock:
                r.record.security[service.full_name] = decided["tag"]
            release_flow(r, service, decided["tag"])
