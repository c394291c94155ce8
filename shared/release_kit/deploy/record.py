"""The GitHub deployment of one deploy, from its creation to its last status."""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Literal

from release_kit.action import commands
from release_kit.action.cancel import Cancelled, cancelled, shielded
from release_kit.action.context import Context
from release_kit.deploy.inputs import DeployInputs
from release_kit.deploy.job import Job
from release_kit.environments.bookkeeping import replacement_comment, replacements, reusable
from release_kit.errors import ReleaseKitError

if TYPE_CHECKING:
    from release_kit.github.deployments import DeploymentStore


def deployment_store(inputs: DeployInputs, ctx: Context) -> DeploymentStore | None:
    """The repository's deployments, or None without ``github-deployment``."""
    if not inputs.github_deployment:
        return None
    # requests: only a run that records deployments pays for the GitHub client
    # requests: only a run that records deployments
    from release_kit.github.client import connect  # noqa: PLC0415
    from release_kit.github.deployments import DeploymentStore  # noqa: PLC0415 - as connect

    repository = ctx.require_repository()
    return DeploymentStore(connect(inputs.github_token.get_secret_value() or None,
                                   repository=repository), repository)


def run_identity(ctx: Context) -> str:
    """What marks the deployments of this run (found again after a lost answer)."""
    return f"{ctx.run_id}/{ctx.run_attempt}" if ctx.run_id else f"local/{uuid.uuid4()}"


class DeploymentRecord:
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

    def __enter__(self) -> DeploymentRecord:
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
        api = self.store.api
        saved = api.policy
        api.policy = dataclasses.replace(saved, retries=1, backoff=0.2, max_wait=1.0,
                                         timeout=2.0, write_spacing=0.0)
        try:
            yield
        finally:
            api.policy = saved
