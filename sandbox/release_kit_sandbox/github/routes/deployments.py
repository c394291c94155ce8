"""Deployments and deployment statuses (with ``auto_inactive`` and ``auto_merge``)."""

from __future__ import annotations

from typing import Any

from release_kit_sandbox.github import render
from release_kit_sandbox.github.http import (
    ApiError,
    Request,
    Response,
    invalid,
    not_found,
    paginate,
    route,
)
from release_kit_sandbox.github.routes._common import (
    author_identity,
    boolean,
    branch_sha,
    get_repo,
    required,
    resolve,
    string,
)
from release_kit_sandbox.github.state import (
    Deployment,
    DeploymentStatus,
    GitHubState,
    Repo,
    now_iso,
)

REPO = "/repos/{owner}/{repo}"
DEPLOYMENT = REPO + "/deployments/{deployment_id:int}"
STATES = {"error", "failure", "inactive", "in_progress", "queued", "pending", "success"}


def _deployment(repo: Repo, req: Request) -> Deployment:
    dep = repo.deployments.get(int(req.params["deployment_id"]))
    if dep is None:
        raise not_found()
    return dep


def _latest_state(dep: Deployment) -> str | None:
    return dep.statuses[-1].state if dep.statuses else None


def _auto_merge(state: GitHubState, req: Request, repo: Repo, ref: str) -> bool:
    """Merge the default branch into a behind ``ref`` branch, as GitHub's auto_merge does."""
    head = branch_sha(repo, ref) if ref != repo.default_branch else None
    default = branch_sha(repo, repo.default_branch)
    if head is None or default is None or repo.git.is_ancestor(default, head):
        return False
    tree = repo.git.merge_trees(head, default)
    if tree is None:
        raise ApiError(409, f"Conflict merging {repo.default_branch} into {ref}.")
    message = f"Auto-merged {repo.default_branch} into {ref} on deployment."
    sha = repo.git.commit_tree(tree, [head, default], message, author_identity(state, req.login))
    repo.git.update_ref(f"refs/heads/{ref}", sha, head)
    return True


@route("POST", REPO + "/deployments", permission=("deployments", "write"))
def create_deployment(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    data = req.data()
    required(data, "Deployment", "ref")
    ref = string(data, "Deployment", "ref")
    try:
        sha = resolve(repo, ref)
    except ApiError:
        sha = None
    if sha is None:
        raise ApiError(422, f"No ref found for: {ref}")
    if boolean(data, "auto_merge", True) and _auto_merge(state, req, repo, ref):
        return Response(
            202, {"message": f"Auto-merged {repo.default_branch} into {ref} on deployment."}
        )
    contexts = data.get("required_contexts")
    if contexts is not None and not isinstance(contexts, list):
        raise invalid("Deployment", "required_contexts")
    environment = string(data, "Deployment", "environment") or "production"
    payload = data.get("payload", {})
    if payload in ("", None):
        payload = {}
    dep = Deployment(
        id=state.next_id(),
        sha=sha,
        ref=ref,
        task=string(data, "Deployment", "task") or "deploy",
        payload=payload,
        environment=environment,
        original_environment=environment,
        description=string(data, "Deployment", "description") or "",
        creator=req.login,
        transient_environment=boolean(data, "transient_environment", False),
        production_environment=boolean(
            data, "production_environment", environment == "production"
        ),
    )
    repo.deployments[dep.id] = dep
    return Response(201, render.deployment(state, repo, dep))


@route("GET", REPO + "/deployments", permission=("deployments", "read"))
def list_deployments(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    items = sorted(repo.deployments.values(), key=lambda d: d.id, reverse=True)
    for name in ("sha", "ref", "task", "environment"):
        wanted = req.arg(name)
        if wanted:
            items = [d for d in items if getattr(d, name) == wanted]
    return paginate(state.base_url, req, items, lambda d: render.deployment(state, repo, d))


@route("GET", DEPLOYMENT, permission=("deployments", "read"))
def get_deployment(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    return render.deployment(state, repo, _deployment(repo, req))


@route("DELETE", DEPLOYMENT, permission=("deployments", "write"))
def delete_deployment(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    dep = _deployment(repo, req)
    same_env = [d for d in repo.deployments.values() if d.environment == dep.environment]
    if _latest_state(dep) != "inactive" and len(same_env) > 1:
        raise ApiError(
            422,
            "We cannot delete an active deployment unless it is the only deployment in a "
            "given environment.",
        )
    del repo.deployments[dep.id]
    return Response(204)


@route("POST", DEPLOYMENT + "/statuses", permission=("deployments", "write"))
def create_status(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    dep = _deployment(repo, req)
    data = req.data()
    required(data, "DeploymentStatus", "state")
    value = string(data, "DeploymentStatus", "state")
    if value not in STATES:
        raise invalid("DeploymentStatus", "state")
    environment = string(data, "DeploymentStatus", "environment") or dep.environment
    log_url = string(data, "DeploymentStatus", "log_url") or string(
        data, "DeploymentStatus", "target_url"
    ) or ""
    status = DeploymentStatus(
        id=state.next_id(),
        state=value,
        creator=req.login,
        description=(string(data, "DeploymentStatus", "description") or "")[:140],
        environment=environment,
        log_url=log_url,
        environment_url=string(data, "DeploymentStatus", "environment_url") or "",
    )
    dep.environment = environment
    dep.statuses.append(status)
    dep.updated_at = status.created_at
    if value == "success" and boolean(data, "auto_inactive", True):
        for other in repo.deployments.values():
            if (
                other.id < dep.id
                and other.environment == dep.environment
                and _latest_state(other) == "success"
            ):
                other.statuses.append(
                    DeploymentStatus(
                        id=state.next_id(),
                        state="inactive",
                        creator=req.login,
                        description="",
                        environment=other.environment,
                        log_url=other.statuses[-1].log_url,
                        environment_url=other.statuses[-1].environment_url,
                    )
                )
                other.updated_at = now_iso()
    return Response(201, render.deployment_status(state, repo, dep, status))


@route("GET", DEPLOYMENT + "/statuses", permission=("deployments", "read"))
def list_statuses(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    dep = _deployment(repo, req)
    return paginate(
        state.base_url,
        req,
        list(reversed(dep.statuses)),
        lambda s: render.deployment_status(state, repo, dep, s),
    )


@route("GET", DEPLOYMENT + "/statuses/{status_id:int}", permission=("deployments", "read"))
def get_status(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    dep = _deployment(repo, req)
    for status in dep.statuses:
        if status.id == int(req.params["status_id"]):
            return render.deployment_status(state, repo, dep, status)
    raise not_found()
