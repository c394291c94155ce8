"""The rehearsal: the whole release process of two services, end to end, in the sandbox.

``release-kit rehearse`` (``make rehearse``) starts the GitHub emulator, moto and a small
Kubernetes API, creates two service repositories and a central release-ticket repository, and
plays the release process as the reusable workflows run it, calling every action through the
entrypoint the container runs (``python -m release_kit <action>`` with the runner's contract):

1. feature PRs labelled ``deploy`` get a preview environment (one namespace per branch, shared by
   both services); ``deploy/qa1`` adds QA 1; each PR keeps one comment saying what it releases
   if merged now; closing a PR destroys its environments;
2. merges deploy ``dev`` and create the draft release (changelog from the merged PRs), which
   stays a draft until the release driver publishes it;
3. the release driver starts ``0.1.0`` from the ticket repository (start-release.yml): the
   ticket dispatches each service's workflow; each publishes its draft (release-train.yml) and
   runs the release flow on the tag: ``release/0.1.0``, the image built for that commit promoted
   (manifest only), ``staging`` then ``production``; the ticket records every stage, each with
   the time of its event; chat posts the release published and production deployed; the
   production line is synced into ``development`` (fast-forward) and the cascade rebuilds it;
4. a hotfix PR deploys to ``hotfix`` (its comment: a patch, ``0.1.1``); merging it releases
   ``0.1.1``, promotes it, deploys ``production``, publishes the release, opens the
   reintegration PR back to ``main`` (with an App's token: its checks run) and syncs
   ``development`` (which has a commit of its own: a PR); merged, it is built as a composite
   image ``<development>-<main>`` whose labels list both commits, and promote-image reports them;
5. the ticket ends all green and is closed;
6. the release train: a freeze issue makes it skip, once lifted it publishes ``0.2.0`` of
   ``acme/web``; ``acme/api``'s train has nothing to release; a PR labelled ``security``
   merged into ``acme/api`` is released at once (``0.1.1``), outside the train;
7. chat: every post recorded once, and a re-run of a step posts nothing again.

The two services' workflows run concurrently, as they would on GitHub. Deploys use a simulated
helmfile that says so in every line it prints (see ``release_kit_sandbox.kube``); ``--helmfile``
and ``--kubeconfig`` switch to real ones. ``--fail staging`` (or ``production``) makes that
stage fail for the second service to show the failure path: the ticket marks the stage failed
and pings the release driver, and the ticket stays open. The rehearsal checks every outcome it
expects and exits 1 when one is missing.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from release_kit_sandbox import rehearsal_ops as ops
from release_kit_sandbox.local_runner import ActionResult, github_env, run_action
from release_kit_sandbox.rehearsal_cast import (
    DEVELOPERS,
    DRIVER,
    FAILABLE_STAGES,
    FEATURE_BRANCH,
    HOTFIX_BRANCH,
    HOTFIX_VERSION,
    REGION,
    SERVICES,
    TICKET_REPO,
    VERSION,
    RehearsalFailed,
    Service,
    Story,
    Trigger,
)

HELMFILE = """\
# The service's helmfile (in the rehearsal, a simulated helmfile reads only the release name).
releases:
  - name: {name}
    chart: ./chart
    values:
      - image:
          repository: '{{{{ .StateValues.image.repository }}}}'
          tag: '{{{{ .StateValues.image.tag }}}}'
"""


class Rehearsal:
    """One run of the whole release process in a fresh sandbox."""

    def __init__(
        self,
        workdir: Path,
        *,
        fail: str | None = None,
        helmfile: Path | None = None,
        kubeconfig: Path | None = None,
        echo: Callable[[str], None] = print,
    ) -> None:
        self.workdir = workdir
        self.fail = fail
        self.real_helmfile = helmfile
        self.real_kubeconfig = kubeconfig
        self.story = Story(echo)
        self.runs: list[tuple[str, str, ActionResult]] = []
        self.bytes_moved = 0
        self.revisions: list[bool] = []  # per promotion: its label named the commit released
        self.ticket_number = 0
        self.record = ops.Record()
        self.app_key = ""
        self.started = time.monotonic()
        self._run_ids = itertools.count(1001)
        self._lock = threading.Lock()

    # -- the sandbox ------------------------------------------------------------------------

    @contextmanager
    def running(self) -> Iterator[None]:
        from release_kit_sandbox import Sandbox  # noqa: PLC0415
        from release_kit_sandbox.kube import (  # noqa: PLC0415
            FakeKubernetes,
            install_simulated_helmfile,
        )

        with ExitStack() as stack:
            self.sandbox = stack.enter_context(Sandbox())
            self.emu = self.sandbox.github
            self.bin = self.workdir / "bin"
            self.bin.mkdir(parents=True, exist_ok=True)
            self.kube: FakeKubernetes | None = None
            if self.real_helmfile and self.real_kubeconfig:
                (self.bin / "helmfile").symlink_to(self.real_helmfile.resolve())
                self.kubeconfig = self.real_kubeconfig.resolve()
            else:
                self.kube = stack.enter_context(FakeKubernetes())
                self.kubeconfig = self.kube.write_kubeconfig(self.workdir / "kubeconfig")
                install_simulated_helmfile(self.bin / "helmfile")
            yield

    def setup(self) -> None:
        import boto3  # noqa: PLC0415

        self.tokens: dict[str, str] = {}
        for login in (DRIVER, *DEVELOPERS.values()):
            self.emu.add_user(login)
            self.tokens[login] = f"ghp_rehearsal_{login}"
            self.emu.add_token(self.tokens[login], login=login)
        self.ecr = boto3.client(
            "ecr", region_name=REGION, endpoint_url=self.sandbox.aws_endpoint,
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )
        self.services: list[Service] = []
        for full_name in SERVICES:
            checkout = self.workdir / full_name.replace("/", "-")
            service = Service(full_name, checkout, DEVELOPERS[full_name])
            checkout.mkdir(parents=True)
            self.git(service, "init", "-q", "-b", "main")
            self.git(service, "config", "user.name", "Rehearsal")
            self.git(service, "config", "user.email", "rehearsal@example.com")
            (checkout / "README.md").write_text(f"# {service.name}\n", encoding="utf-8")
            (checkout / "deploy").mkdir()
            helmfile = HELMFILE.format(name=service.name)
            (checkout / "deploy" / "helmfile.yaml").write_text(helmfile, encoding="utf-8")
            self.git(service, "add", "-A")
            self.git(service, "commit", "-q", "-m", f"Start {service.name}")
            repo = self.emu.create_repo(full_name, source=checkout)
            self.git(service, "remote", "add", "origin", str(repo.git_dir))
            self.git(service, "fetch", "-q", "origin")
            self.ecr.create_repository(repositoryName=full_name)
            self.services.append(service)
        self.emu.create_repo(TICKET_REPO)
        where = f"Kubernetes API {self.kube.url}" if self.kube else f"kubeconfig {self.kubeconfig}"
        self.story.event(
            f"sandbox: GitHub emulator {self.emu.url}, moto {self.sandbox.aws_endpoint}, {where}"
        )
        self.story.detail(f"repositories {', '.join(SERVICES)}; release tickets in {TICKET_REPO}")
        if self.kube:
            self.story.detail("deploys use a SIMULATED helmfile "
                              "(--helmfile PATH --kubeconfig PATH for real ones)")
        ops.setup(self)

    # -- plumbing: git, the people, image builds, running an action --------------------------

    def git(self, service: Service, *args: str) -> str:
        proc = subprocess.run(["git", *args], cwd=service.checkout, capture_output=True,
                              text=True, check=False)
        if proc.returncode != 0:
            raise RehearsalFailed(f"git {' '.join(args)} in {service.full_name}: {proc.stderr}")
        return proc.stdout.strip()

    def as_user(self, login: str) -> Any:
        """A PyGithub client acting as ``login`` (the people of the story use the API)."""
        from github import Auth, Github  # noqa: PLC0415

        return Github(auth=Auth.Token(self.tokens[login]), base_url=self.emu.url, per_page=100,
                      seconds_between_requests=None, seconds_between_writes=None)

    def build_image(self, service: Service, sha: str, *, tag: str = "",
                    extra_labels: Mapping[str, str] | None = None) -> None:
        """The build job: push the image of ``sha`` as ``sha-<sha>`` (or ``tag``, the identity
        job's) (its config, labelled as build.yml labels it, and its manifest, in moto; the
        layer is only declared)."""
        config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Labels": {
            "org.opencontainers.image.revision": sha,
            "org.opencontainers.image.source": f"{self.emu.server_url}/{service.full_name}",
            "dev.release-kit.built-by": "release-kit/build.yml", **(extra_labels or {})}}})
        upload = self.ecr.initiate_layer_upload(repositoryName=service.full_name)["uploadId"]
        self.ecr.upload_layer_part(repositoryName=service.full_name, uploadId=upload,
                                   partFirstByte=0, partLastByte=len(config) - 1,
                                   layerPartBlob=config.encode())
        self.ecr.complete_layer_upload(
            repositoryName=service.full_name, uploadId=upload,
            layerDigests=["sha256:" + hashlib.sha256(config.encode()).hexdigest()])
        layer = hashlib.sha256(f"{service.name}-{sha}".encode()).hexdigest()
        manifest = json.dumps({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": "sha256:" + hashlib.sha256(config.encode()).hexdigest(),
                       "size": len(config)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                        "digest": f"sha256:{layer}", "size": 48_000_000}],
        })
        self.ecr.put_image(
            repositoryName=service.full_name, imageManifest=manifest,
            imageTag=tag or f"sha-{sha}",
            imageManifestMediaType="application/vnd.oci.image.manifest.v1+json",
            imageDigest="sha256:" + hashlib.sha256(manifest.encode()).hexdigest(),
        )

    def action(
        self,
        name: str,
        inputs: Mapping[str, object],
        trigger: Trigger,
        *,
        workspace: Path | None = None,
        expect_failure: bool = False,
        env: Mapping[str, str] | None = None,
        run_id: str | None = None,
        attempt: int = 1,
    ) -> ActionResult:
        """Run one action as the runner runs the step (a fresh run id per call, unless
        ``run_id`` names the run this is another attempt of)."""
        if run_id is None:
            with self._lock:
                run_id = str(next(self._run_ids))
        context = github_env(repository=trigger.repository, sha=trigger.sha, ref=trigger.ref,
                             event_name=trigger.event_name, run_id=run_id,
                             run_attempt=attempt)
        context.update(self.sandbox.env())
        context.update({"GITHUB_HEAD_REF": trigger.head_ref, "GITHUB_BASE_REF": trigger.base_ref})
        context.update(env or {})
        result = run_action(name, inputs, env=context, event=trigger.event, workspace=workspace,
                            extra_path=self.bin, timeout=300)
        with self._lock:
            self.runs.append((name, trigger.repository, result))
        if result.exit_code != 0 and not expect_failure:
            why = "; ".join(f"{e.title}: {e.message}" for e in result.errors)
            raise RehearsalFailed(f"{name} failed for {trigger.repository}: "
                                  f"{why or result.stderr[-2000:]}")
        return result

    def new_run_id(self) -> str:
        """The id of one simulated workflow run (its steps share it)."""
        with self._lock:
            return str(next(self._run_ids))

    def each(self, flow: Callable[[Service], bool | None]) -> list[bool | None]:
        """Run ``flow`` for every service concurrently; tell their stories in service order."""
        def told(service: Service) -> tuple[bool | None, list[str]]:
            with self.story.collect() as lines:
                return flow(service), lines

        with ThreadPoolExecutor(max_workers=len(self.services)) as pool:
            outcomes = list(pool.map(told, self.services))
        for _, lines in outcomes:
            self.story.tell(lines)
        return [outcome for outcome, _ in outcomes]

    # -- events as GitHub sends them ---------------------------------------------------------

    def pull_request_run(self, service: Service, number: int, action: str,
                         label: str | None = None) -> Trigger:
        repo = self.as_user(DRIVER).get_repo(service.full_name)
        pull = repo.get_pull(number)
        event: dict[str, Any] = {"action": action, "number": number,
                                 "pull_request": pull.raw_data, "repository": repo.raw_data,
                                 "sender": {"login": service.developer}}
        if label:
            event["label"] = {"name": label}
        return Trigger(service.full_name, pull.head.sha, f"refs/pull/{number}/merge",
                       "pull_request", event, head_ref=pull.head.ref, base_ref=pull.base.ref)

    def push_run(self, service: Service, branch: str, sha: str) -> Trigger:
        event = {"ref": f"refs/heads/{branch}", "after": sha,
                 "repository": {"full_name": service.full_name}}
        return Trigger(service.full_name, sha, f"refs/heads/{branch}", "push", event)

    # -- steps of the reusable workflows -----------------------------------------------------

    def deploy(self, service: Service, environment: str, image_tag: str, trigger: Trigger, *,
               operation: str = "deploy", env: Mapping[str, str] | None = None,
               expect_failure: bool = False) -> ActionResult:
        inputs = {
            "operation": operation, "environment": environment,
            "kubeconfig": str(self.kubeconfig), "helmfile": "deploy/helmfile.yaml",
            "image": service.image, "image-tag": image_tag,
        }
        result = self.action("deploy-helmfile", inputs, trigger, workspace=service.checkout,
                             env=env, expect_failure=expect_failure)
        outputs = result.outputs
        where = f"namespace {outputs.get('namespace')}"
        url = f" -> {outputs['url']}" if outputs.get("url") else ""
        self.story.detail(f"{environment}: {outputs.get('result')} in {where}{url}")
        for error in result.errors:  # the one ::error line a developer would read, wrapped
            for line in textwrap.wrap(f"{error.title}: {error.message}", 96):
                self.story.detail(f"  {line}")
        return result

    def ticket(self, service: Service, trigger: Trigger, *, stage: str, status: str,
               version: str, message: str = "", started: str = "") -> ActionResult:
        """The ticket steps of release.yml / hotfix-release.yml (chat on; the event time is
        the run's start)."""
        return ops.ticket_step(self, service, trigger, started or ops.now(), VERSION,
                               stage=stage, status=status, version=version, message=message)

    def label_controller(self, service: Service, trigger: Trigger) -> None:
        """feature-branch.yml: plan from the PR event, then the deploy and destroy matrices, and
        (unless the PR closed) the release preview."""
        plan = self.action("deploy-helmfile", {"operation": "plan"}, trigger,
                           workspace=service.checkout)
        for environment in plan.json_output("deploy-environments"):
            self.deploy(service, environment, f"sha-{trigger.sha}", trigger)
        for environment in plan.json_output("destroy-environments"):
            self.deploy(service, environment, "", trigger, operation="destroy")
        if trigger.event.get("action") != "closed":
            self.release_preview(service, trigger)

    def release_preview(self, service: Service, trigger: Trigger) -> ActionResult:
        """The release-preview job: semver-bump on the PR's merge (actions/checkout's default)."""
        number = int(trigger.event["number"])
        result = self.action("semver-bump", {"operation": "preview"}, trigger,
                             workspace=self.merge_checkout(service, trigger))
        outputs = result.outputs
        what = (f"{outputs.get('tag')} ({outputs.get('bump')})" if outputs.get("bump") != "none"
                else "no release")
        self.story.detail(f"release preview on #{number}: {what}, one comment kept up to date")
        return result

    def merge_checkout(self, service: Service, trigger: Trigger) -> Path:
        """refs/pull/N/merge as actions/checkout fetches it: the PR's head merged into its base."""
        path = self.workdir / f"{service.name}-pr-{trigger.event['number']}"
        run = Service(service.full_name, path, service.developer)
        if not path.exists():
            origin = self.git(service, "remote", "get-url", "origin")
            self.git(service, "clone", "-q", origin, str(path))
        self.git(run, "fetch", "-q", "--tags", "--force", "origin")
        base = self.git(run, "rev-parse", f"origin/{trigger.base_ref}")
        self.git(run, "checkout", "-q", "--detach", base)
        self.git(run, "-c", "user.name=GitHub", "-c", "user.email=noreply@github.com", "merge",
                 "-q", "--no-ff", "-m", f"Merge {trigger.sha} into {base}", trigger.sha)
        return path

    # -- the flows -----------------------------------------------------------------------------

    def open_feature_pr(self, service: Service) -> None:
        """A developer pushes a branch (the build job builds it) and opens a labelled PR."""
        title = f"Add the login {'page' if service.name == 'web' else 'API'}"
        self.build_image(service, ops.push_change(self, service, FEATURE_BRANCH, "origin/main",
                                                  file="login.txt", text=f"{title}\n",
                                                  message=title))
        repo = self.as_user(service.developer).get_repo(service.full_name)
        pull = repo.create_pull(base="main", head=FEATURE_BRANCH, title=title,
                                body=f"{title}, for the login feature.")
        service.pulls["feature"] = pull.number
        pull.add_to_labels("enhancement")
        self.story.event(f"{service.full_name}: @{service.developer} opened PR #{pull.number} "
                         f"{title!r} from {FEATURE_BRANCH}")
        self.add_label(service, "deploy")

    def add_label(self, service: Service, label: str) -> None:
        number = service.pulls["feature"]
        self.as_user(service.developer).get_repo(service.full_name).get_issue(number) \
            .add_to_labels(label)
        self.story.event(f"{service.full_name}: PR #{number} labelled {label!r}")
        self.label_controller(service, self.pull_request_run(service, number, "labeled", label))

    def merge_feature(self, service: Service) -> None:
        """The driver merges; the closed PR loses its environments; main deploys dev and drafts."""
        number = service.pulls["feature"]
        repo = self.as_user(DRIVER).get_repo(service.full_name)
        sha = str(repo.get_pull(number).merge(merge_method="squash").sha)
        self.story.event(f"{service.full_name}: @{DRIVER} squash-merged PR #{number} ({sha[:7]})")
        self.label_controller(service, self.pull_request_run(service, number, "closed"))
        self.build_image(service, sha)
        push = self.push_run(service, "main", sha)
        self.git(service, "fetch", "-q", "origin")
        self.git(service, "checkout", "-q", "-B", "main", "origin/main")
        self.deploy(service, "dev", f"sha-{sha}", push)
        bump = self.action("semver-bump", {"strategy": "labels"}, push,
                           workspace=service.checkout).outputs
        self.story.detail(f"draft release {bump.get('tag')} ({bump.get('bump')} bump from "
                          f"{bump.get('previous-version') or 'no release yet'})")

    def release(self, service: Service) -> bool:
        """The ticket's dispatch runs release-train.yml on main (a release on request): the
        draft is published and release.yml dispatched on its tag. False when a stage failed."""
        dispatch = ops.dispatch_of(self, service, "main")
        decided = ops.train_flow(self, service, "workflow_dispatch",
                                 ticket=ops.ticket_of(dispatch),
                                 event={"inputs": dispatch.inputs})
        if decided.get("publish") != "true":
            raise RehearsalFailed(f"{service.full_name}: the train did not publish on request: "
                                  f"{decided.get('reason')}")
        return ops.release_flow(self, service, decided["tag"])

    def tell_promotion(self, promoted: ActionResult, sha: str) -> None:
        moved = int(promoted.outputs.get("bytes-copied") or 0)
        built = promoted.outputs.get("revision", "")
        with self._lock:
            self.bytes_moved += moved
            self.revisions.append(built == sha)
        tags = ", ".join(f"{t['tag']} ({t['action']})" for t in promoted.json_output("tags"))
        self.story.detail(f"image promoted to {tags}; layer bytes moved: {moved}; its revision "
                          f"label: {built[:7] or 'none'}")

    def hotfix(self, service: Service) -> None:
        """hotfix-pr.yml on the PR, then hotfix-release.yml on the merge (the reintegration PR
        and the sync with the App's token), then the sync PR merged and the composite image."""
        base = f"release/{VERSION}"
        self.git(service, "fetch", "-q", "origin")
        self.build_image(service, ops.push_change(self, service, HOTFIX_BRANCH, f"origin/{base}",
                                                  file="timeout.txt", text="30s\n",
                                                  message="Fix the login timeout"))
        repo = self.as_user(service.developer).get_repo(service.full_name)
        pull = repo.create_pull(base=base, head=HOTFIX_BRANCH, title="Fix the login timeout",
                                body="Sessions expired after 3 s instead of 30 s.")
        pull.add_to_labels("bug", "deploy")
        self.story.event(f"{service.full_name}: @{service.developer} opened hotfix PR "
                         f"#{pull.number} to {base}, labelled deploy")
        service.pulls["hotfix"] = pull.number
        run = self.pull_request_run(service, pull.number, "labeled", "deploy")
        self.deploy(service, "hotfix", f"sha-{run.sha}", run)
        self.release_preview(service, run)

        merged = self.as_user(DRIVER).get_repo(service.full_name).get_pull(pull.number)
        sha = str(merged.merge(merge_method="squash").sha)
        self.story.event(f"{service.full_name}: @{DRIVER} merged hotfix PR #{pull.number} "
                         f"into {base} ({sha[:7]})")
        self.build_image(service, sha)
        self.git(service, "fetch", "-q", "origin")
        self.git(service, "checkout", "-q", "-B", base, f"origin/{base}")
        push = self.push_run(service, base, sha)
        started = ops.now()
        bump = self.action("semver-bump", {"create-tags": True}, push,
                           workspace=service.checkout).outputs
        version = bump["version"]
        self.story.detail(f"semver-bump: {bump.get('previous-version')} -> {version} "
                          f"(tag {bump.get('tag')} created, release drafted)")
        self.tell_promotion(self.action("promote-image", {
            "repository": service.full_name, "aws-region": REGION, "version": version,
            "tags": ["{version}", "latest"]}, push), sha)
        self.deploy(service, "production", version, push)
        self.ticket(service, push, stage="production", status="success", version=version,
                    started=started)  # deploy-manual's report: chat posts the deploy
        published = self.action("semver-bump", {"operation": "publish", "tag": bump["tag"]},
                                push).outputs
        self.ticket(service, push, stage="release", status="success", version=version,
                    message=published.get("release-url", ""), started=started)
        self.story.detail(f"release {published.get('tag')} published once production runs it "
                          f"({published.get('release-url')}); chat told")
        self.ticket(service, push, stage="hotfix", status="success", version=version,
                    started=started)
        back = self.action("reintegrate-pr", {"source-branch": base, "target-branch": "main",
                                              **ops.app_inputs(self)}, push)
        outcome = back.json_output("results")["main"]
        if outcome.get("ci-blocked"):
            self.record.ci_blocked.append(f"main #{outcome.get('pr-number')}")
        self.story.detail(f"reintegration PR #{back.outputs.get('pr-number')} "
                          f"({back.outputs.get('result')}): {base} -> main, opened by "
                          f"{ops.APP_SLUG}[bot] (App credentials): its checks run")
        synced = ops.sync_flow(self, service, base, push)
        if synced.get("pr-number"):
            ops.merge_sync_pr(self, service, int(synced["pr-number"]))
            tag = ops.downstream_build(self, service)
            ops.promote_downstream(self, service, tag)

    def close_ticket(self) -> ActionResult:
        run = Trigger(TICKET_REPO, "", "refs/heads/main", "workflow_dispatch")
        return self.action("release-ticket", {
            "operation": "close", "release": VERSION, "ticket-repo": TICKET_REPO,
            "ticket-number": self.ticket_number}, run, expect_failure=True)

    # -- the play and its checks ---------------------------------------------------------------

    def play(self) -> bool:
        """Run every flow and check the outcome; True when everything is as expected."""
        web = self.services[0]
        self.story.chapter("1. Feature branches: preview and QA environments from labels")
        self.each(self.open_feature_pr)
        self.add_label(web, "deploy/qa1")
        checks = [self.story.check(self.namespace_exists(FEATURE_BRANCH),
                                   "both services share the preview namespace of the branch")]

        checks.append(self.story.check(
            all(self.preview_comments(s, "feature", f"v{VERSION}") == 1 for s in self.services),
            f"each feature PR has one comment: merging it releases v{VERSION}"))

        self.story.chapter("2. Merges: environments destroyed, dev deployed, drafts written")
        self.each(self.merge_feature)
        checks.append(self.story.check(not self.namespace_exists(FEATURE_BRANCH),
                                       "the preview namespace is gone with the last PR"))
        checks.append(self.story.check(
            all(self.release_state(s, f"v{VERSION}") == "draft" for s in self.services),
            f"the v{VERSION} releases stay drafts until @{DRIVER} starts the release"))

        self.story.chapter(f"3. Release {VERSION}, started by the ticket: promote, staging, "
                           "production, sync")
        self.ticket_number = ops.start_release(self, VERSION)
        released = all(self.each(self.release))
        if not released:
            return self.failure_path_checks(checks)
        record = self.record
        checks += [
            self.story.check(set(record.dispatches) == set(SERVICES)
                             and self.ticket_dispatch_cells() == len(SERVICES),
                             "the ticket dispatched both services; each released on its tag"),
            self.story.check((f"release/{VERSION}", ops.DOWNSTREAM, "fast-forwarded")
                             in record.synced and bool(record.cascades),
                             f"{ops.DOWNSTREAM} fast-forwarded to release/{VERSION} and "
                             "rebuilt by the cascade"),
            self.story.check(ops.rerun(self) == 0,
                             "a re-run of the release run's steps posts nothing to chat again"),
        ]

        self.story.chapter(f"4. Hotfix {HOTFIX_VERSION} on release/{VERSION}")
        ops.commit_downstream(self, web)
        self.hotfix(web)
        composite = record.composite
        contributors = composite.get("contributors") or []
        checks += [
            self.story.check((f"release/{VERSION}", ops.DOWNSTREAM, "created") in record.synced,
                             f"after the hotfix a sync PR brings release/{VERSION} into "
                             f"{ops.DOWNSTREAM} (it has a commit of its own)"),
            self.story.check(not record.ci_blocked,
                             "the reintegration and sync PRs were opened with the App: their "
                             "checks run"),
            self.story.check(len(contributors) == 2 and composite.get("tag") == "-".join(
                c["revision"][:7] for c in contributors),
                             f"the {ops.DOWNSTREAM} image is tagged <own>-<main> and its "
                             "labels list both commits (promote-image reports them)"),
        ]

        self.story.chapter("5. The ticket")
        closed = self.close_ticket()
        issue = self.as_user(DRIVER).get_repo(TICKET_REPO).get_issue(self.ticket_number)
        self.story.event(f"ticket #{issue.number} is {issue.state}")
        checks += [
            self.story.check(closed.exit_code == 0 and issue.state == "closed",
                             "the ticket is all green and closed"),
            self.story.check(self.bytes_moved == 0, "promotion moved manifests only (0 bytes)"),
            self.story.check(bool(self.revisions) and all(self.revisions),
                             "every promoted image was built from the commit released"),
            self.story.check(self.tag_exists(web, f"v{HOTFIX_VERSION}"),
                             f"the hotfix is tagged v{HOTFIX_VERSION}"),
            self.story.check(self.preview_comments(web, "hotfix", f"v{HOTFIX_VERSION}") == 1,
                             f"the hotfix PR's comment says it releases v{HOTFIX_VERSION}"),
            self.story.check(self.release_state(web, f"v{HOTFIX_VERSION}") == "published",
                             f"the hotfix release v{HOTFIX_VERSION} is published once "
                             "production runs it"),
            self.story.check(self.open_pull(web, f"release/{VERSION}") is not None,
                             "a reintegration PR brings the hotfix back to main"),
        ]

        self.story.chapter("6. The release train, and a security release")
        self.each(lambda service: ops.train_chapter(self, service))
        api = self.services[1]
        checks += [
            self.story.check(any(repo == web.full_name and publish == "false"
                                 and "release freeze declared by issue" in reason
                                 for repo, publish, reason in record.trains),
                             "a train run skips while a freeze issue is open"),
            self.story.check(self.release_state(web, "v0.2.0") == "published",
                             "the next train run publishes v0.2.0 (and releases it)"),
            self.story.check(any(repo == api.full_name and "nothing to release" in reason
                                 for repo, _, reason in record.trains),
                             f"{api.full_name}'s train has nothing to release: skipped"),
            self.story.check(record.security.get(api.full_name) == "v0.1.1"
                             and self.release_state(api, "v0.1.1") == "published",
                             f"a PR labelled security is released at once: {api.full_name} "
                             "v0.1.1"),
        ]

        self.story.chapter("7. Chat: what the webhooks received")
        for line in ops.chat_lines(self):
            self.story.detail(line)
        got = ops.posts(self)
        duplicated = ops.duplicates(self)
        for line in duplicated:
            self.story.detail(f"DUPLICATE {line}")
        checks.append(self.story.check(
            all(got.values()) and not duplicated,
            "chat: each release published and production deploy posted once to each webhook "
            "(Slack, Teams, JSON)"))
        return all(checks)

    def ticket_dispatch_cells(self) -> int:
        """The ticket's dispatch cells that say started (one per service)."""
        from release_kit.tickets.render import parse  # noqa: PLC0415

        issue = self.as_user(DRIVER).get_repo(TICKET_REPO).get_issue(self.ticket_number)
        state = parse(issue.body or "")
        return 0 if state is None else sum(
            1 for report in state.cells.values()
            if report.stage == "dispatch" and report.status == "success")

    def failure_path_checks(self, checks: list[bool]) -> bool:
        self.story.chapter(f"The release stopped: {self.fail} failed (--fail {self.fail})")
        issue = self.as_user(DRIVER).get_repo(TICKET_REPO).get_issue(self.ticket_number)
        comments = [c.body for c in issue.get_comments()]
        refused = self.close_ticket()
        checks += [
            self.story.check(self.fail is not None, "the failure was the requested one"),
            self.story.check(self.ticket_marks_failure(issue.body or ""),
                             f"the ticket marks {self.fail} failed"),
            self.story.check(any(f"@{DRIVER}" in body for body in comments),
                             f"the ticket pings the release driver @{DRIVER}"),
            self.story.check(refused.exit_code != 0 or issue.state == "open",
                             "the ticket stays open"),
            self.story.check(any(post.get("event") == "failure"
                                 for post in ops.posts(self)["webhook"]),
                             f"chat is told that {self.fail} failed"),
        ]
        return all(checks)

    def namespace_exists(self, branch: str) -> bool:
        """The branch's preview namespace (named as deploy-helmfile names it) exists."""
        from release_kit.environments.naming import preview_namespace  # noqa: PLC0415

        if self.kube is None:
            return True  # a real cluster: not inspected
        return preview_namespace(branch) in self.kube.namespaces

    def preview_comments(self, service: Service, pull: str, says: str) -> int:
        """How many release-preview comments the PR has (one expected), counting only those
        that say ``says`` (the version it releases)."""
        from release_kit.release.preview import MARK  # noqa: PLC0415

        issue = self.as_user(DRIVER).get_repo(service.full_name).get_issue(service.pulls[pull])
        bodies = [c.body for c in issue.get_comments() if MARK in c.body]
        return len(bodies) if all(f"**{says}**" in body for body in bodies) else -1

    def release_state(self, service: Service, tag: str) -> str:
        """``draft``, ``published`` or ``missing``."""
        repo = self.as_user(DRIVER).get_repo(service.full_name)
        found = next((r for r in repo.get_releases() if r.tag_name == tag), None)
        return "missing" if found is None else "draft" if found.draft else "published"

    def tag_exists(self, service: Service, tag: str) -> bool:
        repo = self.as_user(DRIVER).get_repo(service.full_name)
        return any(t.name == tag for t in repo.get_tags())

    def open_pull(self, service: Service, head_suffix: str) -> Any:
        repo = self.as_user(DRIVER).get_repo(service.full_name)
        return next((p for p in repo.get_pulls(state="open", base="main")
                     if p.head.ref.endswith(head_suffix)), None)

    def ticket_marks_failure(self, body: str) -> bool:
        """The ticket's state (kept in its body) records the requested stage as failed."""
        from release_kit.tickets.render import parse  # noqa: PLC0415

        state = parse(body)
        return state is not None and any(
            report.stage == self.fail and report.status == "failure"
            for report in state.cells.values())

    # -- the report ------------------------------------------------------------------------------

    def ticket_table(self) -> list[str]:
        if not self.ticket_number:
            return ["(no ticket was opened)"]
        issue = self.as_user(DRIVER).get_repo(TICKET_REPO).get_issue(self.ticket_number)
        return [line for line in (issue.body or "").splitlines() if line.startswith("|")]

    def report(self, ok: bool) -> str:
        gh = self.as_user(DRIVER)
        outcome = "released" if self.fail is None else f"stopped by the requested {self.fail} fail"
        parts = [
            "# Rehearsal report\n",
            f"Outcome: {outcome}; checks {'passed' if ok else 'FAILED'}; {len(self.runs)} action "
            f"runs; layer bytes moved by promotion: {self.bytes_moved}; "
            f"{time.monotonic() - self.started:.1f} s.\n",
            "## Story\n\n```\n" + "\n".join(self.story.lines).strip() + "\n```\n",
        ]
        if self.ticket_number:
            issue = gh.get_repo(TICKET_REPO).get_issue(self.ticket_number)
            parts.append(f"## Release ticket {TICKET_REPO}#{issue.number} ({issue.state})\n\n"
                         f"{issue.body}\n")
            comments = list(issue.get_comments())
            if comments:
                parts.append("### Ticket comments\n\n"
                             + "\n\n".join(f"> {c.body}" for c in comments) + "\n")
        parts.append("## Chat posts (the sandbox's webhook receiver)\n\n"
                     + "".join(f"- {line}\n" for line in ops.chat_lines(self)))
        if self.record.composite:
            parts.append(f"## The {ops.DOWNSTREAM} image "
                         f"`{self.record.composite['tag']}` (promote-image)\n\n"
                         f"{self.record.composite['summary']}\n")
        for full_name in SERVICES:
            parts.append(self.repository_report(gh.get_repo(full_name)))
        return "\n".join(parts)

    @staticmethod
    def preview_report(repo: Any) -> str:
        """Each PR's release-preview comment, as the PR shows it."""
        from release_kit.release.preview import MARK  # noqa: PLC0415

        found = []
        for pull in repo.get_pulls(state="all"):
            for comment in repo.get_issue(pull.number).get_comments():
                if MARK in comment.body:
                    quoted = "\n".join(f"> {line}".rstrip()
                                       for line in comment.body.split(MARK)[0].strip().splitlines())
                    found.append(f"#### PR #{pull.number} {pull.title}\n\n{quoted}\n")
        return "### Release-preview comments\n\n" + ("\n".join(found) or "(none)\n")

    @staticmethod
    def repository_report(repo: Any) -> str:
        releases = "".join(f"| {r.tag_name} | {r.title} | {r.draft} | {r.target_commitish} |\n"
                           for r in repo.get_releases())
        tags = ", ".join(t.name for t in repo.get_tags())
        deployments = []
        for deployment in repo.get_deployments():
            latest = next(iter(deployment.get_statuses()), None)
            deployments.append(
                f"| {deployment.environment} | {deployment.ref} | {deployment.sha[:7]} "
                f"| {latest.state if latest else '-'} "
                f"| {(latest.environment_url if latest else '') or ''} |\n")
        pulls = "".join(
            f"| {p.number} | {p.title} | {'merged' if p.merged else p.state} "
            f"| {p.head.ref} -> {p.base.ref} | {', '.join(lb.name for lb in p.labels)} |\n"
            for p in repo.get_pulls(state="all"))
        return (f"## {repo.full_name}\n\n"
                f"### Releases\n\n| tag | name | draft | target |\n|---|---|---|---|\n{releases}\n"
                f"### Tags\n\n{tags}\n\n"
                "### Deployments\n\n| environment | ref | sha | state | url |\n"
                f"|---|---|---|---|---|\n{''.join(deployments)}\n"
                "### Pull requests\n\n| # | title | state | head -> base | labels |\n"
                f"|---|---|---|---|---|\n{pulls}\n"
                f"{Rehearsal.preview_report(repo)}")

    def run(self) -> tuple[bool, str]:
        with self.running():
            self.setup()
            ok = self.play()
            self.story.chapter("Release ticket")
            for line in self.ticket_table():
                self.story.detail(line)
            return ok, self.report(ok)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="release-kit rehearse", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fail", choices=FAILABLE_STAGES,
                        help="make this stage fail for the second service (the failure path)")
    parser.add_argument("--helmfile", type=Path, help="a real helmfile (default: simulated)")
    parser.add_argument("--kubeconfig", type=Path, help="the real cluster for --helmfile")
    parser.add_argument("--report", type=Path, default=Path("rehearsal-report.md"),
                        help="where to write the report (default: %(default)s)")
    args = parser.parse_args(argv)
    if bool(args.helmfile) != bool(args.kubeconfig):
        parser.error("--helmfile and --kubeconfig go together (a real helmfile needs a cluster)")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="rehearsal-") as tmp:
        rehearsal = Rehearsal(Path(tmp), fail=args.fail, helmfile=args.helmfile,
                              kubeconfig=args.kubeconfig)
        try:
            ok, report = rehearsal.run()
        except RehearsalFailed as exc:
            print(f"\nrehearsal FAILED: {exc}", file=sys.stderr)
            return 1
    args.report.write_text(report, encoding="utf-8")
    print(f"\n{'Rehearsal passed' if ok else 'Rehearsal FAILED'}: {len(rehearsal.runs)} action "
          f"runs in {time.monotonic() - started:.1f} s; report in {args.report}")
    return 0 if ok else 1
