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

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from release_kit.action import commands
from release_kit.action.runner import Runtime
from release_kit.deploy.access import ClusterAccess, cluster_access
from release_kit.deploy.inputs import DeployInputs
from release_kit.deploy.job import Job, prepare
from release_kit.deploy.record import DeploymentRecord, deployment_store
from release_kit.environments.bookkeeping import (
    DestroyDecision,
    active_environments,
    destroy_decision,
)
from release_kit.environments.namespaces import Admission, admit, marks, removal
from release_kit.environments.plan import LabelledPullRequest, assumed_active, plan_environments
from release_kit.environments.triggers import check_trigger
from release_kit.environments.urls import choose_url
from release_kit.errors import ExternalServiceError, ReleaseKitError
from release_kit.helmfile import runner as helmfile_runner
from release_kit.helmfile.argv import Invocation, Operation, image_values, parse_set_lines
from release_kit.kube import diagnostics
from release_kit.text import markdown_table


def deploy_helmfile(inputs: DeployInputs, rt: Runtime) -> None:
    """The action: ``plan``, or one deploy, destroy or diff of an environment."""
    if inputs.operation == "plan":
        plan_operation(inputs, rt)
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
        run = HelmfileRun(inputs, job, access, helmfile_invocation(inputs, job, Path(tmp)), rt)
        {Operation.APPLY: run.deploy, Operation.DESTROY: run.destroy,
         Operation.DIFF: run.diff}[job.operation]()


def helmfile_invocation(inputs: DeployInputs, job: Job, tmp: Path) -> Invocation:
    """State values go through private files (0600) that vanish with the temporary folder."""
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


@dataclass
class HelmfileRun:
    """One deploy, destroy or diff: the checked job, cluster access and helmfile's argv."""

    inputs: DeployInputs
    job: Job
    access: ClusterAccess
    invocation: Invocation
    rt: Runtime

    def helmfile(self) -> helmfile_runner.HelmfileOutcome:
        return helmfile_runner.run_invocation(self.invocation, self.access.kubeconfig,
                                              self.inputs.timeout)

    def deploy(self) -> None:
        job, access, rt = self.job, self.access, self.rt
        adopt = self.inputs.adopt_namespace
        admission = admit(access.connect().namespace(job.namespace), job.environment,
                          job.who.ref, adopt=adopt)  # refused here, before anything is written
        with DeploymentRecord(deployment_store(self.inputs, rt.context), job,
                              rt.context) as record:
            record.start()
            rt.outputs.set("deployment-id", record.id or "")
            self.ensure_namespace(admission)
            outcome = self.helmfile()
            if outcome.failure:
                diagnosis = self.diagnose()
                rt.outputs.set("result", "failed")
                raise ExternalServiceError(f"{outcome.failure}. {diagnosis}",
                                           hint="See the step summary for every pod and event.",
                                           title=f"Deploy to {job.environment.name} failed")
            url = self.find_url()
            result = "deployed" if outcome.changed else "unchanged"
            record.succeed(url, f"{job.who.ref} runs in {job.namespace}")
        rt.outputs.update({"url": url, "result": result})
        rt.summary.write(f"## deploy-helmfile: {job.environment.name}\n\n" + markdown_table(
            ["environment", "namespace", "ref", "url", "deployment", "result"],
            [[job.environment.name, job.namespace, job.who.ref, url or "-",
              str(record.id) if record.id else "-", result]]))

    def destroy(self) -> None:
        job, rt = self.job, self.rt
        kube = self.access.connect()
        state = kube.namespace(job.namespace)
        if state is not None:  # never destroy in a namespace that is not this environment's
            admit(state, job.environment, job.who.ref, adopt=self.inputs.adopt_namespace)
        store = deployment_store(self.inputs, rt.context)
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
            outcome = self.helmfile()
            if outcome.failure:
                rt.outputs.set("result", "failed")
                raise ExternalServiceError(outcome.failure,
                                           title=f"Destroy of {job.environment.name} failed")
            kube = self.access.connect()  # a fresh token after a long helmfile run
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

    def diff(self) -> None:
        outcome = self.helmfile()
        if outcome.failure:
            self.rt.outputs.set("result", "failed")
            raise ExternalServiceError(outcome.failure,
                                       title=f"Diff of {self.job.environment.name} failed")
        self.rt.outputs.set("result", "changed" if outcome.changed else "unchanged")

    def ensure_namespace(self, admission: Admission) -> None:
        """Create the namespace, marked as release-kit's (``CREATE``), before helmfile runs."""
        job = self.job
        if admission is Admission.ADOPT:
            commands.notice(f"Deploying into namespace {job.namespace}, which release-kit did "
                            "not create (adopt-namespace: true): it is left unmarked and "
                            "release-kit never deletes it.", title="Namespace adopted")
        if admission is not Admission.CREATE:
            return
        kube = self.access.connect()
        labels, annotations = marks(job.environment, job.who.ref)
        if kube.create_namespace(job.namespace, labels, annotations):
            commands.info(f"namespace {job.namespace} created (managed by release-kit)")
            return
        # someone created it in the meantime (409): it must pass the same test
        state = kube.namespace(job.namespace)
        if state is None:
            raise ExternalServiceError(f"namespace {job.namespace} appeared and vanished while "
                                       "release-kit created it.", hint="Re-run the job.")
        admit(state, job.environment, job.who.ref, adopt=self.inputs.adopt_namespace)

    def diagnose(self) -> str:
        """Pods not ready and the last warning events: into the summary, and one line back."""
        namespace = self.job.namespace
        try:
            kube = self.access.connect()
            pods = diagnostics.pod_problems(kube.pods(namespace))
            events = diagnostics.warning_events(kube.events(namespace))
        except ReleaseKitError as exc:
            return f"(could not inspect namespace {namespace}: {exc})"
        self.rt.summary.write(diagnostics.summary_markdown(namespace, pods, events))
        return diagnostics.one_line(pods, events)

    def find_url(self) -> str:
        """The URL from the Ingresses of this helmfile's releases (the namespace may be
        shared)."""
        releases: list[str] | None
        try:
            releases = helmfile_runner.list_releases(self.invocation, self.access.kubeconfig,
                                                     self.inputs.timeout)
        except ReleaseKitError as exc:
            commands.notice(f"Could not tell which Ingresses are this helmfile's: {exc}",
                            title="Environment URL")
            releases = None
        try:
            ingresses = self.access.connect().ingresses(self.job.namespace)
        except ReleaseKitError as exc:
            commands.warning(f"Could not list the Ingresses of {self.job.namespace} for the "
                             f"URL: {exc}")
            ingresses = []
        choice = choose_url(ingresses, self.inputs.url_annotation, self.job.template_url,
                            releases)
        if choice.guessed:
            commands.notice(choice.reason, title="Environment URL")
        else:
            commands.debug(f"Environment URL: {choice.reason}")
        return choice.url


def plan_operation(inputs: DeployInputs, rt: Runtime) -> None:
    """``plan``: which environments this pull request event deploys and destroys."""
    mapping = inputs.labels
    pr = LabelledPullRequest.from_event(rt.context.event_name, rt.context.event)
    check_trigger(rt.context.event_name, rt.context.event, rt.context.repository,
                  "The label controller (plan)")
    store = deployment_store(inputs, rt.context) if pr else None
    if pr is None:
        active: set[str] = set()
    elif store is not None:
        active = active_environments(store.find(ref=pr.head_ref), pr.head_ref)
    else:
        active = assumed_active(pr, mapping)
    result = plan_environments(pr, mapping, active)
    rt.outputs.update({"deploy-environments": result.deploy,
                       "destroy-environments": result.destroy})
    rows = [[env, label, "deploy" if env in result.deploy else
             "destroy" if env in result.destroy else "-"] for env, label in mapping.items()]
    what = f"#{pr.number} ({'open' if pr.open else 'closed'})" if pr else rt.context.event_name
    rt.summary.write(f"## deploy-helmfile plan for {what}\n\n"
                     + markdown_table(["environment", "label", "action"], rows))
