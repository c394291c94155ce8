"""``repository_dispatch`` and workflow dispatch (recorded in ``GitHubState.dispatches``)."""

from __future__ import annotations

import json
from typing import Any

from release_kit_sandbox.github import render
from release_kit_sandbox.github.http import ApiError, Request, Response, not_found, route
from release_kit_sandbox.github.routes._common import get_repo, required, resolve, string
from release_kit_sandbox.github.state import Dispatch, GitHubState, Repo, Workflow

REPO = "/repos/{owner}/{repo}"


@route("POST", REPO + "/dispatches", permission=("contents", "write"))
def repository_dispatch(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    data = req.data()
    required(data, "Dispatch", "event_type")
    event_type = string(data, "Dispatch", "event_type")
    if len(event_type) > 100:
        raise ApiError(422, "event_type is too long (maximum is 100 characters)")
    payload = data.get("client_payload", {})
    if payload is not None and not isinstance(payload, dict):
        raise ApiError(422, "Invalid request.\n\nFor 'properties/client_payload', "
                            f"{json.dumps(payload)} is not an object.")
    if isinstance(payload, dict) and len(payload) > 10:
        raise ApiError(422, "client_payload: Maximum of 10 top-level properties allowed")
    state.dispatches.append(
        Dispatch(repo=repo.full_name, event_type=event_type, client_payload=payload or {},
                 actor=req.login)
    )
    return Response(204)


def _workflow(repo: Repo, ident: str) -> Workflow:
    for file, wf in repo.workflows.items():
        if ident in {file, str(wf.id), wf.path}:
            return wf
    raise not_found()


def _workflow_json(state: GitHubState, repo: Repo, wf: Workflow) -> dict[str, Any]:
    api, html = render.repo_urls(state, repo)
    return {
        "id": wf.id,
        "node_id": render.node_id("Workflow", wf.id),
        "name": wf.name,
        "path": wf.path,
        "state": "active",
        "created_at": wf.created_at,
        "updated_at": wf.created_at,
        "url": f"{api}/actions/workflows/{wf.id}",
        "html_url": f"{html}/blob/{repo.default_branch}/{wf.path}",
        "badge_url": f"{html}/workflows/{wf.name}/badge.svg",
    }


@route("GET", REPO + "/actions/workflows", permission=("actions", "read"))
def list_workflows(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    rows = [_workflow_json(state, repo, wf) for wf in repo.workflows.values()]
    return {"total_count": len(rows), "workflows": rows}


@route("GET", REPO + "/actions/workflows/{workflow_id}", permission=("actions", "read"))
def get_workflow(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    return _workflow_json(state, repo, _workflow(repo, req.params["workflow_id"]))


@route(
    "POST",
    REPO + "/actions/workflows/{workflow_id}/dispatches",
    permission=("actions", "write"),
)
def workflow_dispatch(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    wf = _workflow(repo, req.params["workflow_id"])
    data = req.data()
    required(data, "Dispatch", "ref")
    ref = string(data, "Dispatch", "ref")
    if wf.dispatch_inputs is None:
        raise ApiError(422, "Workflow does not have 'workflow_dispatch' trigger")
    try:
        found = resolve(repo, ref.removeprefix("refs/heads/").removeprefix("refs/tags/"))
    except ApiError:
        found = None
    if found is None:
        raise ApiError(422, f"No ref found for: {ref}")
    inputs = data.get("inputs") or {}
    if not isinstance(inputs, dict):
        raise ApiError(422, "Invalid request.\n\nFor 'properties/inputs', "
                            f"{json.dumps(inputs)} is not an object.")
    unexpected = sorted(set(inputs) - set(wf.dispatch_inputs))
    if unexpected:
        raise ApiError(422, f"Unexpected inputs provided: {json.dumps(unexpected)}")
    state.dispatches.append(
        Dispatch(repo=repo.full_name, event_type=None, client_payload=None,
                 workflow=wf.path.rsplit("/", 1)[-1], ref=ref, inputs=dict(inputs),
                 actor=req.login)
    )
    return Response(204)
