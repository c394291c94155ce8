"""Fidelity contract: every JSON response the emulator serves must match GitHub's REST
description, as compiled into githubkit's generated pydantic models.

:data:`CONTRACT` maps each registered route (method + pattern) to the model of its success
response; :func:`problems` validates recorded responses (errors against ``BasicError`` /
``ValidationError``). A route registered without an entry here fails ``test_contract``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

from pydantic import TypeAdapter, ValidationError

from release_kit_sandbox.github.server import RequestRecord

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        from githubkit_schemas.latest import models as m
    except ImportError:  # older githubkit layouts
        from githubkit.versions.latest import models as m  # type: ignore[no-redef]

R = "/repos/{owner}/{repo}"
NO_BODY = None  # 204 endpoints

# (method, route pattern) -> model (or list[model]) of the success body.
CONTRACT: dict[tuple[str, str], Any] = {
    ("GET", "/user"): m.PrivateUser,
    ("GET", "/users/{login}"): m.PublicUser,
    ("GET", "/rate_limit"): m.RateLimitOverview,
    ("GET", R): m.FullRepository,
    ("GET", R + "/branches"): list[m.ShortBranch],
    ("GET", R + "/branches/{branch:path}"): m.BranchWithProtection,
    ("GET", R + "/tags"): list[m.Tag],
    ("GET", R + "/commits"): list[m.Commit],
    ("GET", R + "/commits/{ref:path}"): m.Commit,
    ("GET", R + "/compare/{basehead:path}"): m.CommitComparison,
    ("POST", R + "/merges"): m.Commit,
    ("GET", R + "/git/ref/{ref:path}"): m.GitRef,
    ("GET", R + "/git/matching-refs"): list[m.GitRef],
    ("GET", R + "/git/matching-refs/{ref:path}"): list[m.GitRef],
    ("GET", R + "/git/refs"): list[m.GitRef],
    ("GET", R + "/git/refs/{ref:path}"): m.GitRef | list[m.GitRef],
    ("POST", R + "/git/refs"): m.GitRef,
    ("PATCH", R + "/git/refs/{ref:path}"): m.GitRef,
    ("DELETE", R + "/git/refs/{ref:path}"): NO_BODY,
    ("POST", R + "/git/tags"): m.GitTag,
    ("GET", R + "/git/tags/{sha}"): m.GitTag,
    ("GET", R + "/git/commits/{sha}"): m.GitCommit,
    ("GET", R + "/contents"): list[m.ContentDirectoryItems],
    ("GET", R + "/contents/{path:path}"): m.ContentFile | list[m.ContentDirectoryItems],
    ("PUT", R + "/contents/{path:path}"): m.FileCommit,
    ("DELETE", R + "/contents/{path:path}"): m.FileCommit,
    ("POST", R + "/issues"): m.Issue,
    ("GET", R + "/issues"): list[m.Issue],
    ("GET", R + "/issues/comments"): list[m.IssueComment],
    ("GET", R + "/issues/comments/{comment_id:int}"): m.IssueComment,
    ("PATCH", R + "/issues/comments/{comment_id:int}"): m.IssueComment,
    ("DELETE", R + "/issues/comments/{comment_id:int}"): NO_BODY,
    ("GET", R + "/issues/{number:int}/comments"): list[m.IssueComment],
    ("POST", R + "/issues/{number:int}/comments"): m.IssueComment,
    ("GET", R + "/issues/{number:int}"): m.Issue,
    ("PATCH", R + "/issues/{number:int}"): m.Issue,
    ("PUT", R + "/issues/{number:int}/lock"): NO_BODY,
    ("GET", R + "/labels"): list[m.Label],
    ("POST", R + "/labels"): m.Label,
    ("GET", R + "/labels/{name:path}"): m.Label,
    ("PATCH", R + "/labels/{name:path}"): m.Label,
    ("DELETE", R + "/labels/{name:path}"): NO_BODY,
    ("GET", R + "/issues/{number:int}/labels"): list[m.Label],
    ("POST", R + "/issues/{number:int}/labels"): list[m.Label],
    ("PUT", R + "/issues/{number:int}/labels"): list[m.Label],
    ("DELETE", R + "/issues/{number:int}/labels"): NO_BODY,
    ("DELETE", R + "/issues/{number:int}/labels/{name:path}"): list[m.Label],
    ("GET", R + "/assignees"): list[m.SimpleUser],
    ("GET", R + "/assignees/{login}"): NO_BODY,
    ("POST", R + "/issues/{number:int}/assignees"): m.Issue,
    ("DELETE", R + "/issues/{number:int}/assignees"): m.Issue,
    ("POST", R + "/pulls"): m.PullRequest,
    ("GET", R + "/pulls"): list[m.PullRequestSimple],
    ("GET", R + "/pulls/{number:int}"): m.PullRequest,
    ("PATCH", R + "/pulls/{number:int}"): m.PullRequest,
    ("GET", R + "/pulls/{number:int}/commits"): list[m.Commit],
    ("GET", R + "/pulls/{number:int}/files"): list[m.DiffEntry],
    ("GET", R + "/pulls/{number:int}/merge"): NO_BODY,
    ("PUT", R + "/pulls/{number:int}/merge"): m.PullRequestMergeResult,
    ("GET", R + "/pulls/{number:int}/requested_reviewers"): m.PullRequestReviewRequest,
    ("POST", R + "/pulls/{number:int}/requested_reviewers"): m.PullRequestSimple,
    ("DELETE", R + "/pulls/{number:int}/requested_reviewers"): m.PullRequestSimple,
    ("POST", R + "/releases"): m.Release,
    ("GET", R + "/releases"): list[m.Release],
    ("GET", R + "/releases/latest"): m.Release,
    ("GET", R + "/releases/tags/{tag:path}"): m.Release,
    ("GET", R + "/releases/{release_id:int}"): m.Release,
    ("PATCH", R + "/releases/{release_id:int}"): m.Release,
    ("DELETE", R + "/releases/{release_id:int}"): NO_BODY,
    ("GET", R + "/releases/{release_id:int}/assets"): list[m.ReleaseAsset],
    ("POST", R + "/deployments"): m.Deployment,
    ("GET", R + "/deployments"): list[m.Deployment],
    ("GET", R + "/deployments/{deployment_id:int}"): m.Deployment,
    ("DELETE", R + "/deployments/{deployment_id:int}"): NO_BODY,
    ("POST", R + "/deployments/{deployment_id:int}/statuses"): m.DeploymentStatus,
    ("GET", R + "/deployments/{deployment_id:int}/statuses"): list[m.DeploymentStatus],
    ("GET", R + "/deployments/{deployment_id:int}/statuses/{status_id:int}"):
        m.DeploymentStatus,
    ("POST", R + "/dispatches"): NO_BODY,
    ("GET", R + "/actions/workflows"): m.ReposOwnerRepoActionsWorkflowsGetResponse200,
    ("GET", R + "/actions/workflows/{workflow_id}"): m.Workflow,
    ("POST", R + "/actions/workflows/{workflow_id}/dispatches"): NO_BODY,
    ("GET", "/app"): m.Integration,
    ("GET", "/app/installations"): list[m.Installation],
    ("GET", "/app/installations/{installation_id:int}"): m.Installation,
    ("POST", "/app/installations/{installation_id:int}/access_tokens"): m.InstallationToken,
    ("GET", R + "/installation"): m.Installation,
    ("GET", "/orgs/{org}/installation"): m.Installation,
    ("GET", "/users/{org}/installation"): m.Installation,
    ("GET", "/installation/repositories"): m.InstallationRepositoriesGetResponse200,
}

# Success statuses whose body is not the resource (e.g. deployments' 202 auto-merge message).
MESSAGE_ONLY = {("POST", R + "/deployments", 202)}

_adapters: dict[Any, TypeAdapter[Any]] = {}


def _adapter(model: Any) -> TypeAdapter[Any]:
    if model not in _adapters:
        _adapters[model] = TypeAdapter(model)
    return _adapters[model]


def model_for(record: RequestRecord) -> Any:
    """The model a recorded response must satisfy (None: no JSON body expected)."""
    if record.status >= 400:
        if record.status == 422 and isinstance(record.response_json, dict) \
                and "errors" in record.response_json:
            return m.ValidationError
        return m.BasicError
    if (record.method, record.route, record.status) in MESSAGE_ONLY:
        return m.BasicError
    method = "GET" if record.method == "HEAD" else record.method
    return CONTRACT.get((method, record.route or ""), NO_BODY)


def problems(records: Iterable[RequestRecord]) -> list[str]:
    """One line per response that does not match GitHub's description."""
    out: list[str] = []
    for record in records:
        if record.status >= 500 or record.method == "HEAD":
            continue  # injected faults and emulator crashes are reported elsewhere
        model = model_for(record)
        if model is NO_BODY:
            if record.status == 204 and record.response_bytes:
                out.append(f"{record.method} {record.path}: 204 with a body")
            continue
        if record.status == 204:
            continue
        try:
            _adapter(model).validate_python(record.response_json)
        except ValidationError as exc:
            first = exc.errors()[:3]
            detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in first)
            out.append(f"{record.method} {record.path} -> {record.status}: {detail}")
    return out
