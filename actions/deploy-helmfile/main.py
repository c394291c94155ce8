"""deploy-helmfile: deploy, destroy or diff a service with helmfile; plan environments from labels.

Reads like the README: check every input, the event and the kubeconfig (nothing is written
before that), refuse untrusted triggers of preview/QA deploys, get cluster access (kubeconfig,
or role chain -> EKS with a token minted and masked here), check that the namespace is
release-kit's, record a GitHub deployment, create the namespace, run helmfile, find the URL or
explain the failure, write outputs. Once the deployment exists, every way out (an error, a
crash, a timeout, a cancelled run) gives it its last status. ``plan`` only reads the PR event
and its deployments.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, SecretStr, model_validator

from release_kit.action import (
    ActionInputs,
    Bool,
    Context,
    Lines,
    Runtime,
    YamlMapping,
    commands,
    run,
)
from release_kit.action.cancel import Cancelled, cancelled, shielded
from release_kit.action.inputs import parse_yaml_mapping
from release_kit.aws import validate_role_arn
from release_kit.environments.bookkeeping import (
    DestroyDecision,
    Requester,
    active_environments,
    destroy_decision,
    replacement_comment,
    replacements,
    reusable,
)
from release_kit.environments.kinds import Environment, classify
from release_kit.environments.namespaces import Admission, admit, marks, removal
from release_kit.environments.naming import namespace_for
from release_kit.environments.plan import (
    DEFAULT_ENV_LABELS,
    PullRequest,
    assumed_active,
    parse_env_labels,
    plan,
)
from release_kit.environments.triggers import check_trigger
from release_kit.environments.urls import choose_url
from release_kit.errors import ExternalServiceError, InputError, ReleaseKitError
from release_kit.helmfile import runner as helmfile_runner
from release_kit.helmfile.argv import (
    Invocation,
    Operation,
    image_values,
    parse_set_lines,
)
from release_kit.kube.config import read_kubeconfig
from release_kit.templates import render
from release_kit.text import markdown_table

if TYPE_CHECKING:
    from release_kit.github.deployments import DeploymentStore
    from release_kit.kube.api import Kube

# action.yml's default of env-labels, as text
ENV_LABELS_TEXT = "\n".join(f"{env}: {label}" for env, label in DEFAULT_ENV_LABELS.items())


class Inputs(ActionInputs):
    operation: Literal["deploy", "destroy", "diff", "plan"] = "deploy"
    environment: str = ""
    cluster: str = ""
    aws_region: str = ""
    cicd_role_arn: str = ""
    helm_role_arn: str = ""
    kubeconfig: str = ""
    helmfile: str = "deploy/helmfile.yaml"
    namespace: str = ""
    image: str = ""
    image_tag: str = ""
    values: YamlMapping = {}
    state_values: Lines = Field(default=[], alias="set")
    url: str = ""
    url_annotation: str = "outputs.webapp-url"
    github_deployment: Bool = True
    adopt_namespace: Bool = False
    confirm_destroy: str = ""
    env_labels: str = ENV_LABELS_TEXT
    timeout: int = Field(default=600, gt=0)
    helmfile_args: Lines = []
    github_token: SecretStr = SecretStr("")

    @model_validator(mode="after")
    def _consistent(self) -> Inputs:
        """Checks across inputs that need no context (the rest are in ``prepare``)."""
        env_labels(self)
        parse_set_lines(self.state_values)
        if self.operation == "plan":
            return self
        if not self.environment:
            raise InputError("environment", f"required for operation {self.operation}.",
                             hint="Set environment: preview, qa<N>, dev, staging, production, "
                             "hotfix or another name.")
        if not self.kubeconfig:
            for name, value in (("cluster", self.cluster), ("aws-region", self.aws_region)):
                if not value:
                    raise InputError(name, "cluster access is not configured.",
                                     hint="Set cluster and aws-region (EKS), or kubeconfig.")
        for name, arn in (("cicd-role-arn", self.cicd_role_arn),
                          ("helm-role-arn", self.helm_role_arn)):
            if arn:
                validate_role_arn(arn, name)
        return self

    @property
    def role_arns(self) -> list[str]:
        return [arn for arn in (self.cicd_role_arn, self.helm_role_arn) if arn]


def env_labels(inputs: Inputs) -> dict[str, str]:
    """``env-labels`` parsed and checked: environment -> PR label."""
    try:
        mapping = parse_yaml_mapping(inputs.env_labels)
    except ValueError as exc:
        raise InputError("env-labels", str(exc),
                         hint="Write one 'environment: label' per line.") from None
    assert isinstance(mapping, dict)
    return parse_env_labels(mapping)


@dataclass(frozen=True)
class Job:
    """Everything a deploy/destroy/diff needs, checked before anything is written."""

    operation: Operation
    environment: Environment
    namespace: str
    helmfile: Path
    who: Requester
    label: str
    template_url: str
    kubeconfig: Path | None


def requester(ctx: Context) -> Requester:
    """The ref and commit being deployed: a PR's head, else the pushed branch or tag."""
    pr = PullRequest.from_event(ctx.event_name, ctx.event)
    if pr is not None and pr.head_ref:
        return Requester(pr.head_ref, pr.head_sha or ctx.sha, pr.number or None)
    return Requester(ctx.head_ref or ctx.ref_name, ctx.sha)


def workspace_file(value: str, input_name: str, workspace: Path) -> Path:
    """An existing file inside the workspace (relative paths are relative to it)."""
    root = workspace.resolve()
    path = (root / value).resolve()
    if not path.is_relative_to(root):
        raise InputError(input_name, f"{value!r} is outside the workspace ({root}).",
                         hint="Give a path inside the repository checkout.")
    if not path.is_file():
        raise InputError(input_name, f"{value!r} does not exist in the workspace ({root}).",
                         hint="Check the path, and that the repository is checked out "
                         "(actions/checkout) before this step.")
    return path


def prepare(inputs: Inputs, ctx: Context) -> Job:
    """Every check that needs the run's context, in the order a reader would ask them."""
    environment = classify(inputs.environment)
    who = requester(ctx)  # the event payload is read (and checked) here
    if environment.transient:  # the PR's own helmfile runs with the cluster's credentials
        check_trigger(ctx.event_name, ctx.event, ctx.repository,
                      f"A {environment.name} {inputs.operation}")
    needs_ref = environment.per_branch or (inputs.github_deployment
                                           and inputs.operation == "deploy")
    if needs_ref and not who.ref:
        raise InputError(
            "environment", f"{environment.name} needs the branch being deployed, and this run "
            "names none (no pull request head, GITHUB_HEAD_REF or GITHUB_REF_NAME).",
            hint="Run it on a pull_request or push event, or set GITHUB_HEAD_REF locally.")
    if inputs.operation == "destroy" and environment.fixed \
            and inputs.confirm_destroy != environment.name:
        given = f" (got {inputs.confirm_destroy!r})" if inputs.confirm_destroy else ""
        raise InputError(
            "confirm-destroy", f"destroying the fixed environment {environment.name} removes "
            f"this helmfile's releases from it and needs confirmation{given}.",
            hint=f"Set confirm-destroy: {environment.name} to destroy them (its namespace is "
            "kept either way).")
    namespace = namespace_for(environment, who.ref, inputs.namespace)
    template_url = ""
    if inputs.url:
        template_url = render(inputs.url, {
            "namespace": namespace, "environment": environment.name, "branch": who.ref,
            "sha": who.sha, "sha7": who.sha[:7], "pr": who.pull_request or "",
        }, "url")
    kubeconfig = None
    if inputs.kubeconfig:
        kubeconfig = Path(inputs.kubeconfig).expanduser()
        if not kubeconfig.is_absolute():
            kubeconfig = ctx.workspace / kubeconfig
        if not kubeconfig.is_file():
            raise InputError("kubeconfig", f"{inputs.kubeconfig!r} does not exist.",
                             hint="Give the path of a kubeconfig file, or leave it empty and "
                             "set cluster and aws-region.")
        read_kubeconfig(kubeconfig)
    return Job(
        operation={"deploy": Operation.APPLY, "destroy": Operation.DESTROY,
                   "diff": Operation.DIFF}[inputs.operation],
        environment=environment,
        namespace=namespace,
        helmfile=workspace_file(inputs.helmfile, "helmfile", ctx.workspace),
        who=who,
        label=env_labels(inputs).get(environment.name, ""),
        template_url=template_url,
        kubeconfig=kubeconfig,
    )


@dataclass
class Access:
    """How helmfile (a kubeconfig file) and this process (a Kube client) reach the cluster."""

    kubeconfig: Path
    connect: Callable[[], Kube]


@contextmanager
def cluster_access(inputs: Inputs, job: Job, ctx: Context, tmp: Path) -> Iterator[Access]:
    """The kubeconfig as given, or EKS: roles, DescribeCluster, a token minted and masked in
    this process and served to helm through a private cache file (see ``eks.token``)."""
    from release_kit.kube.api import Kube  # noqa: PLC0415

    if job.kubeconfig is not None:
        path = job.kubeconfig
        yield Access(path, lambda: Kube.from_kubeconfig(path))
        return
    from release_kit.aws import assume_role_chain, session_name  # noqa: PLC0415
    from release_kit.eks import kubeconfig  # noqa: PLC0415
    from release_kit.eks.token import Token, TokenCache, get_token  # noqa: PLC0415

    name = session_name(ctx.repository, ctx.run_id)
    with commands.group(f"EKS access to {inputs.cluster} ({inputs.aws_region})"):
        session = assume_role_chain(inputs.aws_region, inputs.role_arns, name)
        cluster = kubeconfig.describe_cluster(session, inputs.cluster, inputs.aws_region)
        sessions = [session]

        def mint() -> Token:  # later tokens re-assume the chain: role sessions expire too
            current = sessions.pop() if sessions else assume_role_chain(
                inputs.aws_region, inputs.role_arns, name)
            return get_token(current, cluster.name, cluster.region)

        cache = TokenCache(tmp / "eks-token.json", cluster.name, mint)
        path = kubeconfig.write(kubeconfig.render(cluster, inputs.role_arns, name, job.namespace,
                                                  token_cache=cache.path), str(tmp))
        commands.info(f"endpoint {cluster.endpoint}; kubeconfig {path} (exec: release-kit "
                      "eks-token, serving the token this process minted and masked)")

    with cache.kept_fresh():
        yield Access(path, lambda: Kube.from_token(cluster.endpoint,
                                                   cluster.certificate_authority,
                                                   cache.current().value))


def helmfile_invocation(inputs: Inputs, job: Job, tmp: Path) -> Invocation:
    """State values go through private files (0600) that vanish with the temporary folder."""
    import json  # noqa: PLC0415

    files = []
    for name, data in (("values", inputs.values),
                       ("image", image_values(inputs.image, inputs.image_tag))):
        path = tmp / f"state-{name}.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        path.chmod(0o600)
        if data or name == "image":
            files.append(path)
    return Invocation(job.operation, job.helmfile, job.environment.name, job.namespace,
                      files, parse_set_lines(inputs.state_values), inputs.helmfile_args)


def diagnose(access: Access, namespace: str, rt: Runtime) -> str:
    """Pods not ready and the last warning events: into the summary, and one line back."""
    from release_kit.kube import diagnostics  # noqa: PLC0415

    try:
        kube = access.connect()
        pods = diagnostics.pod_problems(kube.pods(namespace))
        events = diagnostics.warning_events(kube.events(namespace))
    except ReleaseKitError as exc:
        return f"(could not inspect namespace {namespace}: {exc})"
    rt.summary.write(diagnostics.summary_markdown(namespace, pods, events))
    return diagnostics.one_line(pods, events)


def find_url(access: Access, inputs: Inputs, job: Job, tmp: Path) -> str:
    """The URL from the Ingresses of this helmfile's releases (the namespace may be shared)."""
    releases: list[str] | None
    try:
        releases = helmfile_runner.list_releases(helmfile_invocation(inputs, job, tmp),
                                                 access.kubeconfig, inputs.timeout)
    except ReleaseKitError as exc:
        commands.notice(f"Could not tell which Ingresses are this helmfile's: {exc}",
                        title="Environment URL")
        releases = None
    try:
        ingresses = access.connect().ingresses(job.namespace)
    except ReleaseKitError as exc:
        commands.warning(f"Could not list the Ingresses of {job.namespace} for the URL: {exc}")
        ingresses = []
    choice = choose_url(ingresses, inputs.url_annotation, job.template_url, releases)
    if choice.guessed:
        commands.notice(choice.reason, title="Environment URL")
    else:
        commands.debug(f"Environment URL: {choice.reason}")
    return choice.url


def deployments(inputs: Inputs, ctx: Context) -> DeploymentStore | None:
    if not inputs.github_deployment:
        return None
    from release_kit.github.client import connect  # noqa: PLC0415
    from release_kit.github.deployments import DeploymentStore  # noqa: PLC0415

    repository = ctx.require_repository()
    return DeploymentStore(connect(inputs.github_token.get_secret_value() or None,
                                   repository=repository), repository)


def run_identity(ctx: Context) -> str:
    """What marks the deployments of this run (found again after a lost answer)."""
    import uuid  # noqa: PLC0415

    return f"{ctx.run_id}/{ctx.run_attempt}" if ctx.run_id else f"local/{uuid.uuid4()}"


class Record:
    """The GitHub deployment of one deploy, from its creation to its last status.

    Once the deployment exists, leaving the ``with`` block any way but through :meth:`succeed`
    gives it its last status: ``failure`` for a deploy that failed (helmfile, the cluster, a
    refused namespace: a ReleaseKitError), ``error`` for a crash or a cancelled run. A cancelled
    run has seconds before SIGKILL, so that last write is shielded from a second signal and tries
    briefly. Without ``github-deployment`` every method does nothing.
    """

    def __init__(self, store: DeploymentStore | None, job: Job, ctx: Context) -> None:
        self.store, self.job, self.ctx = store, job, ctx
        self.run = run_identity(ctx)
        self.id: int | None = None
        self.settled = False

    def __enter__(self) -> Record:
        return self

    def start(self) -> None:
        """Create (or, on a re-run, reuse) the deployment; take the environment over."""
        store, env, who = self.store, self.job.environment, self.job.who
        if store is None:
            return
        existing = store.find(environment=env.name, ref=who.ref if env.per_branch else None,
                              until_inactive=True)
        try:
            dep = reusable(existing, env.name, who) or store.create(env, who, self.job.namespace,
                                                                    self.run)
        except BaseException:  # cancelled mid-request: the deployment may exist all the same
            with contextlib.suppress(Exception), self._briefly():
                self.id = store.created_by(env, who, self.run)
            raise
        self.id = dep.id
        store.set_state(dep.id, "in_progress", log_url=self.ctx.run_url,
                        description=f"deploying {who.ref} to {self.job.namespace}")
        for replaced in replacements(existing, env, who, dep.id):
            pr = replaced.notify_pull_request
            if pr:
                store.tell_replaced(pr, replaced.deployment.id, replacement_comment(env.name, who))
            store.deactivate([replaced.deployment], f"replaced by {who.describe()}"[:140])
            if pr and self.job.label:
                store.remove_label(pr, self.job.label)

    def succeed(self, url: str, description: str) -> None:
        if self.store is not None and self.id is not None:
            self.store.set_state(self.id, "success", log_url=self.ctx.run_url,
                                 environment_url=url, description=description)
        self.settled = True

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: object) -> Literal[False]:
        if exc is None or self.settled or self.store is None or self.id is None:
            return False
        if isinstance(exc, ReleaseKitError):
            state, why = "failure", str(exc)
        elif isinstance(exc, Cancelled):
            state, why = "error", f"cancelled: the run {exc}"
        else:
            state, why = "error", f"release-kit crashed ({type(exc).__name__})"
        try:
            with shielded(), self._briefly():
                self.store.set_state(self.id, state, log_url=self.ctx.run_url,
                                     description=why[:140])
        except Exception as failed:  # the original error is what the step reports
            commands.warning(f"Could not mark deployment {self.id} {state}: {failed}",
                             title="Deployment status")
        return False

    @contextmanager
    def _briefly(self) -> Iterator[None]:
        """After a cancellation, GitHub calls get one quick retry (SIGKILL is seconds away)."""
        if self.store is None or not cancelled():
            yield
            return
        import dataclasses  # noqa: PLC0415

        api = self.store.api
        saved = api.policy
        api.policy = dataclasses.replace(saved, retries=1, backoff=0.2, max_wait=1.0,
                                         timeout=2.0, write_spacing=0.0)
        try:
            yield
        finally:
            api.policy = saved


def ensure_namespace(access: Access, job: Job, admission: Admission, *, adopt: bool) -> None:
    """Create the namespace, marked as release-kit's (``CREATE``), before helmfile runs."""
    if admission is Admission.ADOPT:
        commands.notice(f"Deploying into namespace {job.namespace}, which release-kit did not "
                        "create (adopt-namespace: true): it is left unmarked and release-kit "
                        "never deletes it.", title="Namespace adopted")
    if admission is not Admission.CREATE:
        return
    kube = access.connect()
    labels, annotations = marks(job.environment, job.who.ref)
    if kube.create_namespace(job.namespace, labels, annotations):
        commands.info(f"namespace {job.namespace} created (managed by release-kit)")
        return
    # someone created it in the meantime (409): it must pass the same test
    state = kube.namespace(job.namespace)
    if state is None:
        raise ExternalServiceError(f"namespace {job.namespace} appeared and vanished while "
                                   "release-kit created it.", hint="Re-run the job.")
    admit(state, job.environment, job.who.ref, adopt=adopt)


def deploy(inputs: Inputs, job: Job, access: Access, tmp: Path, rt: Runtime) -> None:
    admission = admit(access.connect().namespace(job.namespace), job.environment, job.who.ref,
                      adopt=inputs.adopt_namespace)  # refused here, before anything is written
    with Record(deployments(inputs, rt.context), job, rt.context) as record:
        record.start()
        rt.outputs.set("deployment-id", record.id or "")
        ensure_namespace(access, job, admission, adopt=inputs.adopt_namespace)
        outcome = helmfile_runner.run_invocation(helmfile_invocation(inputs, job, tmp),
                                                 access.kubeconfig, inputs.timeout)
        if outcome.failure:
            diagnosis = diagnose(access, job.namespace, rt)
            rt.outputs.set("result", "failed")
            raise ExternalServiceError(f"{outcome.failure}. {diagnosis}",
                                       hint="See the step summary for every pod and event.",
                                       title=f"Deploy to {job.environment.name} failed")
        url = find_url(access, inputs, job, tmp)
        result = "deployed" if outcome.changed else "unchanged"
        record.succeed(url, f"{job.who.ref} runs in {job.namespace}")
    rt.outputs.update({"url": url, "result": result})
    rt.summary.write(f"## deploy-helmfile: {job.environment.name}\n\n" + markdown_table(
        ["environment", "namespace", "ref", "url", "deployment", "result"],
        [[job.environment.name, job.namespace, job.who.ref, url or "-",
          str(record.id) if record.id else "-", result]]))


def destroy(inputs: Inputs, job: Job, access: Access, tmp: Path, rt: Runtime) -> None:
    kube = access.connect()
    state = kube.namespace(job.namespace)
    if state is not None:  # never destroy in a namespace that is not this environment's
        admit(state, job.environment, job.who.ref, adopt=inputs.adopt_namespace)
    store = deployments(inputs, rt.context)
    existing = (store.find(environment=job.environment.name,
                           ref=job.who.ref if job.environment.per_branch else None,
                           until_inactive=not job.environment.per_branch) if store else [])
    decision = (destroy_decision(existing, job.environment, job.who) if store
                else DestroyDecision([], True))
    result, notes = "unchanged", []
    remaining: list[str] = []
    if not decision.run_helmfile:
        commands.warning(decision.reason, title=f"{job.environment.name} left running")
        notes.append(decision.reason)
    elif state is None:
        notes.append(f"Nothing to destroy: namespace {job.namespace} does not exist.")
        commands.notice(notes[-1], title="Nothing to destroy")
    else:
        before = set(kube.helm_releases(job.namespace))
        outcome = helmfile_runner.run_invocation(helmfile_invocation(inputs, job, tmp),
                                                 access.kubeconfig, inputs.timeout)
        if outcome.failure:
            rt.outputs.set("result", "failed")
            raise ExternalServiceError(outcome.failure,
                                       title=f"Destroy of {job.environment.name} failed")
        kube = access.connect()  # a fresh token after a long helmfile run
        remaining = kube.helm_releases(job.namespace)
        gone = sorted(before - set(remaining))
        if gone:
            result = "destroyed"
            notes.append(f"Helm releases {', '.join(gone)} removed.")
        else:
            notes.append(f"Nothing to destroy: no Helm release of this helmfile was in "
                         f"{job.namespace}.")
            commands.notice(notes[-1], title="Nothing to destroy")
    if store:  # the releases are gone: record it before the namespace clean-up can fail
        store.deactivate(decision.deactivate,
                         f"destroyed by {rt.context.run_url or 'release-kit'}"[:140])
        if job.who.pull_request and job.label:
            store.remove_label(job.who.pull_request, job.label)
    if state is not None and decision.run_helmfile:
        gone_too = removal(kube.namespace(job.namespace), job.environment, job.who.ref,
                           remaining)
        if gone_too.delete:
            kube.delete_namespace(job.namespace)
        notes.append(gone_too.reason)
    rt.outputs.set("result", result)
    rt.summary.write(f"## deploy-helmfile: destroy {job.environment.name}\n\n"
                     f"Namespace `{job.namespace}`: {result}. {' '.join(notes)}\n")


def diff(inputs: Inputs, job: Job, access: Access, tmp: Path, rt: Runtime) -> None:
    outcome = helmfile_runner.run_invocation(helmfile_invocation(inputs, job, tmp),
                                             access.kubeconfig, inputs.timeout)
    if outcome.failure:
        rt.outputs.set("result", "failed")
        raise ExternalServiceError(outcome.failure, title=f"Diff of {job.environment.name} failed")
    rt.outputs.set("result", "changed" if outcome.changed else "unchanged")


def plan_environments(inputs: Inputs, rt: Runtime) -> None:
    mapping = env_labels(inputs)
    pr = PullRequest.from_event(rt.context.event_name, rt.context.event)
    check_trigger(rt.context.event_name, rt.context.event, rt.context.repository,
                  "The label controller (plan)")
    store = deployments(inputs, rt.context) if pr else None
    if pr is None:
        active: set[str] = set()
    elif store is not None:
        active = active_environments(store.find(ref=pr.head_ref), pr.head_ref)
    else:
        active = assumed_active(pr, mapping)
    result = plan(pr, mapping, active)
    rt.outputs.update({"deploy-environments": result.deploy,
                       "destroy-environments": result.destroy})
    rows = [[env, label, "deploy" if env in result.deploy else
             "destroy" if env in result.destroy else "-"] for env, label in mapping.items()]
    what = f"#{pr.number} ({'open' if pr.open else 'closed'})" if pr else rt.context.event_name
    rt.summary.write(f"## deploy-helmfile plan for {what}\n\n"
                     + markdown_table(["environment", "label", "action"], rows))


OPERATIONS: dict[Operation, Callable[[Inputs, Job, Access, Path, Runtime], None]] = {
    Operation.APPLY: deploy, Operation.DESTROY: destroy, Operation.DIFF: diff,
}


def main(inputs: Inputs, rt: Runtime) -> None:
    if inputs.operation == "plan":
        plan_environments(inputs, rt)
        return
    job = prepare(inputs, rt.context)
    helmfile_runner.find_helmfile()  # before any write: no deployment left behind without it
    rt.outputs.set("namespace", job.namespace)
    # RUNNER_TEMP is the runner's host path, which a Docker action's container does not have
    # (actions/runner#1984): the system's temporary directory then.
    base = os.environ.get("RUNNER_TEMP") or None
    if base and not os.path.isdir(base):
        base = None
    with tempfile.TemporaryDirectory(prefix="deploy-helmfile-", dir=base) as tmp, \
            cluster_access(inputs, job, rt.context, Path(tmp)) as access:
        OPERATIONS[job.operation](inputs, job, access, Path(tmp), rt)


if __name__ == "__main__":
    raise SystemExit(run(Inputs, main))
