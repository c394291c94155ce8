"""What one deploy, destroy or diff is about, checked before anything is written.

``prepare`` reads the run's context (the event, the workspace, a kubeconfig file) in the order a
reader would ask: which environment, whose branch, may this event deploy it, which namespace,
which URL template, which cluster access.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from release_kit.action.context import Context
from release_kit.deploy.inputs import DeployInputs
from release_kit.environments.bookkeeping import Requester
from release_kit.environments.kinds import Environment, classify
from release_kit.environments.naming import namespace_for
from release_kit.environments.plan import LabelledPullRequest
from release_kit.environments.triggers import check_trigger
from release_kit.errors import InputError
from release_kit.helmfile.argv import Operation
from release_kit.kube.config import read_kubeconfig
from release_kit.templates import render_template

OPERATIONS = {"deploy": Operation.APPLY, "destroy": Operation.DESTROY, "diff": Operation.DIFF}


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
    pr = LabelledPullRequest.from_event(ctx.event_name, ctx.event)
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


def prepare(inputs: DeployInputs, ctx: Context) -> Job:
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
        template_url = render_template(inputs.url, {
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
        operation=OPERATIONS[inputs.operation],
        environment=environment,
        namespace=namespace,
        helmfile=workspace_file(inputs.helmfile, "helmfile", ctx.workspace),
        who=who,
        label=inputs.labels.get(environment.name, ""),
        template_url=template_url,
        kubeconfig=kubeconfig,
    )
