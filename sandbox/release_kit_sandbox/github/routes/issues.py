"""Issues (pull requests share their number space), comments, labels and assignees."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from release_kit_sandbox.github import render
from release_kit_sandbox.github.http import (
    ApiError,
    Request,
    Response,
    forbidden_integration,
    invalid,
    not_found,
    paginate,
    route,
)
from release_kit_sandbox.github.routes._common import (
    assignable_users,
    body_text,
    get_repo,
    required,
    sort_items,
    string,
)
from release_kit_sandbox.github.state import Comment, GitHubState, Issue, Label, Repo, now_iso

REPO = "/repos/{owner}/{repo}"
ISSUE = REPO + "/issues/{number:int}"
STATE_REASONS = {"completed", "not_planned", "reopened", "duplicate"}


def get_issue(repo: Repo, req: Request) -> Issue:
    item = repo.issues.get(int(req.params["number"]))
    if item is None:
        raise not_found()
    return item


def require_write(req: Request, item: Issue | None, level: str = "write") -> None:
    """Issues need ``issues``; a pull request accepts ``issues`` or ``pull_requests``."""
    token = req.token
    assert token is not None
    if token.allows("issues", level):
        return
    if item is not None and item.pull is not None and token.allows("pull_requests", level):
        return
    raise forbidden_integration()


def label_name(given: Any) -> str:
    """The name in a label given as ``"name"`` or ``{"name": ...}``; 422 when there is none."""
    name = given.get("name") if isinstance(given, dict) else given
    if not isinstance(name, str) or not name.strip():
        raise invalid("Label", "name")
    return name


def ensure_labels(state: GitHubState, repo: Repo, names: list[Any]) -> list[str]:
    """Label names as stored, creating unknown ones (as GitHub does for writers); a bad name
    is refused before any label is created."""
    wanted = [label_name(given) for given in names]
    out: list[str] = []
    for name in wanted:
        label = repo.label(name) or _new_label(state, repo, name.strip())
        if label.name not in out:
            out.append(label.name)
    return out


def _new_label(
    state: GitHubState, repo: Repo, name: str, color: str = "ededed", description: str | None = None
) -> Label:
    label = Label(id=state.next_id(), name=name, color=color, description=description)
    repo.labels[name.lower()] = label
    return label


def set_state(item: Issue, state_value: str, reason: str | None, login: str) -> None:
    """Open or close ``item`` with GitHub's ``state_reason`` and ``closed_*`` bookkeeping."""
    if state_value not in {"open", "closed"}:
        raise invalid("Issue", "state")
    if reason is not None and reason not in STATE_REASONS:
        raise invalid("Issue", "state_reason")
    if state_value == "closed" and item.state != "closed":
        item.state, item.closed_at, item.closed_by = "closed", now_iso(), login
        item.state_reason = reason or "completed"
    elif state_value == "open" and item.state != "open":
        item.state, item.closed_at, item.closed_by = "open", None, None
        item.state_reason = "reopened"
    elif reason is not None:
        item.state_reason = reason


def issue_fields(
    state: GitHubState, repo: Repo, data: dict[str, Any]
) -> Callable[[Issue], None]:
    """Validate the fields shared by create and update (title, body, labels, assignees) and
    return the function that applies them: a refused request changes nothing."""
    title: str | None = None
    if "title" in data:
        title = string(data, "Issue", "title")
        if not title:
            raise invalid("Issue", "title", "missing_field")
    has_body = "body" in data
    body = body_text(data, "issue") if has_body else None
    labels: list[Any] | None = None
    if "labels" in data and data["labels"] is not None:
        labels = data["labels"]
        if not isinstance(labels, list):
            raise invalid("Issue", "labels")
        for given in labels:
            label_name(given)
    assignees: list[str] | None = None
    if "assignees" in data and data["assignees"] is not None:
        given = data["assignees"]
        if not isinstance(given, list):
            raise invalid("Issue", "assignees")
        users = assignable_users(state, repo, given, "Issue", "assignees")
        assignees = [u.login for u in users]
    elif "assignee" in data:
        given = [data["assignee"]] if data["assignee"] else []
        assignees = [u.login for u in assignable_users(state, repo, given, "Issue", "assignee")]

    def apply(item: Issue) -> None:
        if title is not None:
            item.title = title
        if has_body:
            item.body = body
        if labels is not None:
            item.labels = ensure_labels(state, repo, labels)
        if assignees is not None:
            item.assignees = list(dict.fromkeys(assignees))

    return apply


@route("POST", REPO + "/issues", permission=("issues", "write"))
def create_issue(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    data = req.data()
    required(data, "Issue", "title")
    apply = issue_fields(state, repo, data)
    item = Issue(
        id=state.next_id(),
        number=repo.next_number,
        title=string(data, "Issue", "title"),
        body=None,
        user=req.login,
    )
    apply(item)
    repo.next_number += 1
    repo.issues[item.number] = item
    body = render.issue(state, repo, item)
    return Response(201, body, {"Location": body["url"]})


def _filter_issues(repo: Repo, req: Request) -> list[Issue]:
    items = list(repo.issues.values())
    state_filter = req.arg("state") or "open"
    if state_filter != "all":
        items = [i for i in items if i.state == state_filter]
    if labels := req.arg("labels"):
        wanted = {n.strip().lower() for n in labels.split(",") if n.strip()}
        items = [i for i in items if wanted <= {n.lower() for n in i.labels}]
    if creator := req.arg("creator"):
        items = [i for i in items if i.user.lower() == creator.lower()]
    assignee = req.arg("assignee")
    if assignee == "none":
        items = [i for i in items if not i.assignees]
    elif assignee == "*":
        items = [i for i in items if i.assignees]
    elif assignee:
        items = [i for i in items if assignee.lower() in {a.lower() for a in i.assignees}]
    if mentioned := req.arg("mentioned"):
        items = [i for i in items if f"@{mentioned}".lower() in (i.body or "").lower()]
    if since := req.arg("since"):
        items = [i for i in items if i.updated_at >= since]
    return items


@route("GET", REPO + "/issues", permission=("issues", "read"))
def list_issues(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    items = sort_items(
        _filter_issues(repo, req),
        req,
        {"created": "created_at", "updated": "updated_at", "comments": "number"},
        "created",
    )
    if (req.arg("sort") or "") == "comments":
        counts = {n: 0 for n in repo.issues}
        for c in repo.comments.values():
            counts[c.issue_number] = counts.get(c.issue_number, 0) + 1
        items.sort(key=lambda i: (counts[i.number], i.id), reverse=req.arg("direction") != "asc")
    return paginate(state.base_url, req, items, lambda i: render.issue(state, repo, i))


# -- comments (register before /issues/{number}) --------------------------------------------------


def _comment(repo: Repo, req: Request) -> Comment:
    item = repo.comments.get(int(req.params["comment_id"]))
    if item is None:
        raise not_found()
    return item


@route("GET", REPO + "/issues/comments", permission=("issues", "read"))
def list_repo_comments(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    items = sorted(repo.comments.values(), key=lambda c: c.id)
    if req.arg("direction") == "desc":
        items.reverse()
    if since := req.arg("since"):
        items = [c for c in items if c.updated_at >= since]
    return paginate(state.base_url, req, items, lambda c: render.comment(state, repo, c))


@route("GET", REPO + "/issues/comments/{comment_id:int}", permission=("issues", "read"))
def get_comment(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    return render.comment(state, repo, _comment(repo, req))


@route("PATCH", REPO + "/issues/comments/{comment_id:int}")
def update_comment(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    item = _comment(repo, req)
    require_write(req, repo.issues.get(item.issue_number))
    data = req.data()
    required(data, "IssueComment", "body")
    item.body = body_text(data, "comment-edit") or ""
    item.updated_at = now_iso()
    return render.comment(state, repo, item)


@route("DELETE", REPO + "/issues/comments/{comment_id:int}")
def delete_comment(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    item = _comment(repo, req)
    require_write(req, repo.issues.get(item.issue_number))
    del repo.comments[item.id]
    return Response(204)


@route("GET", ISSUE + "/comments")
def list_comments(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    item = get_issue(repo, req)
    require_write(req, item, "read")  # a PR's comments: issues or pull_requests, as on GitHub
    items = sorted(
        (c for c in repo.comments.values() if c.issue_number == item.number), key=lambda c: c.id
    )
    if since := req.arg("since"):
        items = [c for c in items if c.updated_at >= since]
    return paginate(state.base_url, req, items, lambda c: render.comment(state, repo, c))


@route("POST", ISSUE + "/comments")
def create_comment(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    item = get_issue(repo, req)
    require_write(req, item)
    data = req.data()
    required(data, "IssueComment", "body")
    comment = Comment(
        id=state.next_id(),
        issue_number=item.number,
        body=body_text(data, "comment") or "",
        user=req.login,
    )
    repo.comments[comment.id] = comment
    item.updated_at = now_iso()
    body = render.comment(state, repo, comment)
    return Response(201, body, {"Location": body["url"]})


# -- issues by number ---------------------------------------------------------------------------


@route("GET", ISSUE, permission=("issues", "read"))
def get_issue_route(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    return render.issue(state, repo, get_issue(repo, req))


@route("PATCH", ISSUE)
def update_issue(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    item = get_issue(repo, req)
    require_write(req, item)
    data = req.data()
    apply = issue_fields(state, repo, data)
    if "state" in data or "state_reason" in data:
        set_state(  # validates before it changes anything
            item,
            string(data, "Issue", "state") or item.state,
            string(data, "Issue", "state_reason"),
            req.login,
        )
    apply(item)
    item.updated_at = now_iso()
    return render.issue(state, repo, item)


@route("PUT", ISSUE + "/lock")
def lock_issue(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    item = get_issue(repo, req)
    require_write(req, item)
    item.locked = True
    return Response(204)


# -- labels -------------------------------------------------------------------------------------


def _label_names(data: Any) -> list[Any]:
    """``{"labels": [...]}`` or a bare list, as GitHub accepts both."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        labels = data.get("labels", [])
        if isinstance(labels, list):
            return labels
    raise invalid("Label", "labels")


@route("GET", REPO + "/labels", permission=("issues", "read"))
def list_labels(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    items = sorted(repo.labels.values(), key=lambda lab: lab.name.lower())
    return paginate(state.base_url, req, items, lambda lab: render.label(state, repo, lab))


@route("POST", REPO + "/labels", permission=("issues", "write"))
def create_label(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    data = req.data()
    required(data, "Label", "name")
    name = string(data, "Label", "name").strip()
    if repo.label(name):
        raise invalid("Label", "name", "already_exists")
    color = (string(data, "Label", "color") or "ededed").lstrip("#").lower()
    if len(color) != 6 or any(c not in "0123456789abcdef" for c in color):
        raise invalid("Label", "color")
    label = _new_label(state, repo, name, color, string(data, "Label", "description"))
    body = render.label(state, repo, label)
    return Response(201, body, {"Location": body["url"]})


def _label(repo: Repo, req: Request) -> Label:
    """The label named in the path, or 404."""
    label = repo.label(req.params["name"])
    if label is None:
        raise not_found()
    return label


@route("GET", REPO + "/labels/{name:path}", permission=("issues", "read"))
def get_label(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    label = _label(repo, req)
    return render.label(state, repo, label)


@route("PATCH", REPO + "/labels/{name:path}", permission=("issues", "write"))
def update_label(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    label = _label(repo, req)
    data = req.data()
    if new_name := string(data, "Label", "new_name"):
        if new_name.lower() != label.name.lower() and repo.label(new_name):
            raise invalid("Label", "name", "already_exists")
        del repo.labels[label.name.lower()]
        for item in repo.issues.values():
            item.labels = [new_name if n == label.name else n for n in item.labels]
        label.name = new_name
        repo.labels[new_name.lower()] = label
    if color := string(data, "Label", "color"):
        label.color = color.lstrip("#").lower()
    if "description" in data:
        label.description = string(data, "Label", "description")
    return render.label(state, repo, label)


@route("DELETE", REPO + "/labels/{name:path}", permission=("issues", "write"))
def delete_label(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    label = _label(repo, req)
    del repo.labels[label.name.lower()]
    for item in repo.issues.values():
        item.labels = [n for n in item.labels if n != label.name]
    return Response(204)


def _issue_labels(state: GitHubState, repo: Repo, item: Issue) -> list[Any]:
    return [render.label(state, repo, lab) for n in item.labels if (lab := repo.label(n))]


@route("GET", ISSUE + "/labels", permission=("issues", "read"))
def list_issue_labels(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    return paginate(state.base_url, req, _issue_labels(state, repo, get_issue(repo, req)))


@route("POST", ISSUE + "/labels")
def add_issue_labels(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    item = get_issue(repo, req)
    require_write(req, item)
    names = ensure_labels(state, repo, _label_names(req.json()))
    item.labels = list(dict.fromkeys(item.labels + names))
    item.updated_at = now_iso()
    return _issue_labels(state, repo, item)


@route("PUT", ISSUE + "/labels")
def set_issue_labels(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    item = get_issue(repo, req)
    require_write(req, item)
    item.labels = ensure_labels(state, repo, _label_names(req.json()))
    item.updated_at = now_iso()
    return _issue_labels(state, repo, item)


@route("DELETE", ISSUE + "/labels")
def clear_issue_labels(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    item = get_issue(repo, req)
    require_write(req, item)
    item.labels = []
    item.updated_at = now_iso()
    return Response(204)


@route("DELETE", ISSUE + "/labels/{name:path}")
def remove_issue_label(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    item = get_issue(repo, req)
    require_write(req, item)
    name = req.params["name"].lower()
    if name not in {n.lower() for n in item.labels}:
        raise ApiError(404, "Label does not exist")
    item.labels = [n for n in item.labels if n.lower() != name]
    item.updated_at = now_iso()
    return _issue_labels(state, repo, item)


# -- assignees ----------------------------------------------------------------------------------


@route("GET", REPO + "/assignees", permission=("issues", "read"))
def list_assignees(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    users = state.assignees(repo)
    return paginate(state.base_url, req, users, lambda u: render.simple_user(state, u.login))


@route("GET", REPO + "/assignees/{login}", permission=("issues", "read"))
def check_assignee(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    if state.assignable(repo, req.params["login"]) is None:
        raise not_found()
    return Response(204)


@route("POST", ISSUE + "/assignees")
def add_assignees(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    item = get_issue(repo, req)
    require_write(req, item)
    logins = req.data().get("assignees") or []
    # GitHub ignores logins that cannot be assigned here rather than failing.
    found = (state.assignable(repo, x) for x in logins if isinstance(x, str))
    valid = [u.login for u in found if u is not None]
    item.assignees = list(dict.fromkeys(item.assignees + valid))
    item.updated_at = now_iso()
    return Response(201, render.issue(state, repo, item))


@route("DELETE", ISSUE + "/assignees")
def remove_assignees(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    item = get_issue(repo, req)
    require_write(req, item)
    drop = {x.lower() for x in (req.data().get("assignees") or []) if isinstance(x, str)}
    item.assignees = [a for a in item.assignees if a.lower() not in drop]
    item.updated_at = now_iso()
    return render.issue(state, repo, item)
