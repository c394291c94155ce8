"""GitHub deployments: fetches and writes what ``release_kit.environments.bookkeeping`` decides.

Deployments are created with ``auto_merge: false`` (never touch the branch) and
``required_contexts: []`` (the very run that deploys is still a pending check). Statuses are
posted with ``auto_inactive: false``: which deployments stop being active is decided by
``bookkeeping`` (preview runs one per branch; a shared environment's previous holder is told).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from release_kit.environments.bookkeeping import INACTIVE, Deployment, Requester
from release_kit.environments.kinds import Environment
from release_kit.github.errors import GitHubNotFound, github_errors
from release_kit.github.issues import marker

if TYPE_CHECKING:
    from github.Repository import Repository

TASK = "deploy"
# Deployments this action replaced are already inactive, so the newest ones tell what runs; each
# needs its own statuses request, so older history is not read.
NEWEST = 30


def _pull_request(payload: Any) -> int | None:
    number = payload.get("pull_request") if isinstance(payload, dict) else None
    return number if isinstance(number, int) and number > 0 else None


class DeploymentStore:
    """Deployments and statuses of one repository."""

    def __init__(self, repo: Repository) -> None:
        self.repo = repo

    def find(self, *, environment: str | None = None, ref: str | None = None,
             sha: str | None = None, newest: int = NEWEST, until_inactive: bool = False
             ) -> list[Deployment]:
        """The newest deployments matching the filters, with their latest status.

        Each status costs a request. Within one environment every deploy deactivates the ones
        before it, so ``until_inactive`` stops after the first inactive deployment: everything
        older is inactive too (``bookkeeping.reusable`` keeps it so).
        """
        filters = {k: v for k, v in (("environment", environment), ("ref", ref), ("sha", sha))
                   if v}
        found = []
        with github_errors(f"listing deployments of {self.repo.full_name}"):
            for dep in islice(self.repo.get_deployments(task=TASK, **filters), newest):
                latest = next(iter(dep.get_statuses()), None)
                found.append(Deployment(
                    id=dep.id, environment=dep.environment, ref=dep.ref, sha=dep.sha,
                    state=latest.state if latest is not None else "",
                    pull_request=_pull_request(dep.payload),
                ))
                if until_inactive and found[-1].state == INACTIVE:
                    break
        return found

    def create(self, environment: Environment, who: Requester, namespace: str) -> Deployment:
        with github_errors(f"creating a deployment of {who.ref} to {environment.name}"):
            dep = self.repo.create_deployment(
                ref=who.ref,
                task=TASK,
                auto_merge=False,
                required_contexts=[],
                payload={"namespace": namespace, "pull_request": who.pull_request or 0},
                environment=environment.name,
                description=f"{who.ref} to {environment.name} ({namespace})",
                transient_environment=environment.transient,
                production_environment=environment.production,
            )
        return Deployment(dep.id, dep.environment, dep.ref, dep.sha, "", who.pull_request)

    def set_state(self, deployment_id: int, state: str, *, log_url: str = "",
                  environment_url: str = "", description: str = "") -> None:
        body: dict[str, Any] = {"state": state, "description": description[:140],
                                "auto_inactive": False}
        if log_url:
            body["log_url"] = body["target_url"] = log_url
        if environment_url:
            body["environment_url"] = environment_url
        url = f"{self.repo.url}/deployments/{deployment_id}/statuses"  # no GET of the deployment
        with github_errors(f"setting deployment {deployment_id} to {state}"):
            self.repo.requester.requestJsonAndCheck("POST", url, input=body)

    def deactivate(self, deployments: Iterable[Deployment], description: str) -> None:
        for dep in deployments:
            if dep.state != INACTIVE:
                self.set_state(dep.id, INACTIVE, description=description)

    def tell_replaced(self, pull_request: int, deployment_id: int, text: str) -> None:
        """Comment once on the PR whose deployment ``deployment_id`` was replaced."""
        mark = marker("deployment-replaced", str(deployment_id))
        with github_errors(f"commenting on #{pull_request}"):
            issue = self.repo.get_issue(pull_request)
            if any(mark in (c.body or "") for c in issue.get_comments()):
                return
            issue.create_comment(f"{text}\n\n{mark}")

    def remove_label(self, pull_request: int, label: str) -> None:
        """Take ``label`` off the PR; already gone is fine."""
        # PyGithub leaves "/" unescaped in the label ("deploy/qa2"), which GitHub would route as
        # a path; escape the whole name.
        url = f"{self.repo.url}/issues/{pull_request}/labels/{quote(label, safe='')}"
        try:
            with github_errors(f"removing label {label!r} from #{pull_request}"):
                self.repo.requester.requestJsonAndCheck("DELETE", url)
        except GitHubNotFound:
            return
