"""GitHub deployments: fetches and writes what ``release_kit.environments.bookkeeping`` decides.

Deployments are created with ``auto_merge: false`` (never touch the branch) and
``required_contexts: []`` (the very run that deploys is still a pending check). Statuses are
posted with ``auto_inactive: false``: which deployments stop being active is decided by
``bookkeeping`` (preview runs one per branch; a shared environment's previous holder is told).

Identity, for the retry of a create whose answer was lost: a deployment carries the run that
made it in its payload (``release_kit.run``); a status is the latest one with the same state and
description.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice
from typing import Any

from release_kit.environments.bookkeeping import INACTIVE, Deployment, Requester
from release_kit.environments.kinds import Environment
from release_kit.github.issues import Issues
from release_kit.github.rest import GitHubApi
from release_kit.markers import marker

TASK = "deploy"
# Deployments this action replaced are already inactive, so the newest ones tell what runs; each
# needs its own statuses request, so older history is not read.
NEWEST = 30


def _pull_request(payload: Any) -> int | None:
    number = payload.get("pull_request") if isinstance(payload, dict) else None
    return number if isinstance(number, int) and number > 0 else None


def _run_of(payload: Any) -> str:
    mine = payload.get("release_kit") if isinstance(payload, dict) else None
    return str(mine.get("run") or "") if isinstance(mine, dict) else ""


class DeploymentStore:
    """Deployments and statuses of one repository."""

    def __init__(self, api: GitHubApi, repository: str) -> None:
        self.api = api
        self.repository = repository
        self.path = f"/repos/{repository}/deployments"
        self.issues = Issues(api, repository)

    def _listing(self, **filters: str) -> Iterable[dict[str, Any]]:
        params = {"task": TASK, **{k: v for k, v in filters.items() if v}}
        return self.api.paginate(self.path, params=params,
                                 doing=f"listing deployments of {self.repository}")

    def latest_status(self, deployment_id: int) -> dict[str, Any] | None:
        rows = self.api.get(f"{self.path}/{deployment_id}/statuses", params={"per_page": 1},
                            doing=f"reading the statuses of deployment {deployment_id}")
        return dict(rows[0]) if rows else None

    def find(self, *, environment: str | None = None, ref: str | None = None,
             sha: str | None = None, newest: int = NEWEST, until_inactive: bool = False
             ) -> list[Deployment]:
        """The newest deployments matching the filters, with their latest status.

        Each status costs a request. Within one environment every deploy deactivates the ones
        before it, so ``until_inactive`` stops after the first inactive deployment: everything
        older is inactive too (``bookkeeping.reusable`` keeps it so).
        """
        found = []
        for row in islice(self._listing(environment=environment or "", ref=ref or "",
                                        sha=sha or ""), newest):
            latest = self.latest_status(int(row["id"]))
            found.append(Deployment(
                id=int(row["id"]), environment=str(row["environment"]), ref=str(row["ref"]),
                sha=str(row["sha"]), state=str(latest["state"]) if latest else "",
                pull_request=_pull_request(row.get("payload")),
            ))
            if until_inactive and found[-1].state == INACTIVE:
                break
        return found

    def create(self, environment: Environment, who: Requester, namespace: str,
               run: str) -> Deployment:
        """Create a deployment of ``who`` to ``environment``, once per ``run`` (its identity)."""
        body = {
            "ref": who.ref,
            "task": TASK,
            "auto_merge": False,
            "required_contexts": [],
            "payload": {"namespace": namespace, "pull_request": who.pull_request or 0,
                        "release_kit": {"run": run}},
            "environment": environment.name,
            "description": f"{who.ref} to {environment.name} ({namespace})"[:140],
            "transient_environment": environment.transient,
            "production_environment": environment.production,
        }

        def find() -> dict[str, Any] | None:
            return self._created_by(environment.name, who.ref, run)

        data = self.api.create(self.path, body, doing=f"creating a deployment of {who.ref} to "
                               f"{environment.name}", find=find)
        return Deployment(int(data["id"]), str(data["environment"]), str(data["ref"]),
                          str(data["sha"]), "", who.pull_request)

    def _created_by(self, environment: str, ref: str, run: str) -> dict[str, Any] | None:
        return next((row for row in islice(self._listing(environment=environment, ref=ref),
                                           NEWEST)
                     if _run_of(row.get("payload")) == run), None)

    def created_by(self, environment: Environment, who: Requester, run: str) -> int | None:
        """The id of the deployment ``run`` created (for a create whose answer never came)."""
        row = self._created_by(environment.name, who.ref, run)
        return int(row["id"]) if row else None

    def set_state(self, deployment_id: int, state: str, *, log_url: str = "",
                  environment_url: str = "", description: str = "") -> None:
        body: dict[str, Any] = {"state": state, "description": description[:140],
                                "auto_inactive": False}
        if log_url:
            body["log_url"] = body["target_url"] = log_url
        if environment_url:
            body["environment_url"] = environment_url

        def find() -> dict[str, Any] | None:
            latest = self.latest_status(deployment_id)
            same = latest is not None and latest.get("state") == state and \
                (latest.get("description") or "") == body["description"]
            return latest if same else None

        self.api.create(f"{self.path}/{deployment_id}/statuses", body,
                        doing=f"setting deployment {deployment_id} to {state}", find=find)

    def deactivate(self, deployments: Iterable[Deployment], description: str) -> None:
        for dep in deployments:
            if dep.state != INACTIVE:
                self.set_state(dep.id, INACTIVE, description=description)

    def tell_replaced(self, pull_request: int, deployment_id: int, text: str) -> None:
        """Comment once on the PR whose deployment ``deployment_id`` was replaced."""
        self.issues.ensure_comment(pull_request,
                                   mark=marker("deployment-replaced", str(deployment_id)),
                                   body=text)

    def remove_label(self, pull_request: int, label: str) -> None:
        """Take ``label`` off the PR; already gone is fine."""
        self.issues.remove_label(pull_request, label)

