"""Pull requests: create, get (lazy ``mergeable`` from git), list, update, merge, reviewers."""

from __future__ import annotations

from typing import Any

from release_kit_sandbox.github import render
from release_kit_sandbox.github.gitrepo import cherry_pick_tree
from release_kit_sandbox.github.http import (
    ApiError,
    Request,
    Response,
    invalid,
    not_found,
    paginate,
    route,
    validation_failed,
)
from release_kit_sandbox.github.routes._common import (
    assignable_users,
    author_identity,
    body_text,
    branch_sha,
    get_repo,
    sort_items,
    string,
)
from release_kit_sandbox.github.routes.issues import issue_fields
from release_kit_sandbox.github.state import GitHubState, Issue, PullInfo, Repo, now_iso

REPO = "/repos/{owner}/{repo}"
PULL = REPO + "/pulls/{number:int}"
NOT_PERMITTED = "GitHub Actions is not permitted to create or approve pull requests."


def _custom(message: str) -> ApiError:
    return validation_failed({"resource": "PullRequest", "code": "custom", "message": message})


def _split_head(repo: Repo, head: str) -> tuple[str, str]:
    owner, sep, branch = head.partition(":")
    if not sep:
        return repo.owner, head
    return owner, branch


def get_pull(repo: Repo, req: Request) -> tuple[Issue, PullInfo]:
    """The pull request of the path's number: its issue and its pull-request part."""
    item = repo.issues.get(int(req.params["number"]))
    if item is None or item.pull is None:
        raise not_found()
    return item, item.pull


def refresh(repo: Repo, item: Issue, heads: dict[str, str] | None = None) -> None:
    """An open PR follows its branches, as on GitHub (``heads``: a branch -> sha snapshot)."""
    pr = item.pull
    assert pr is not None
    if item.state != "open":
        return
    if heads is None:
        head, base = branch_sha(repo, pr.head_ref), branch_sha(repo, pr.base_ref)
    else:
        head, base = heads.get(pr.head_ref), heads.get(pr.base_ref)
    if head:
        pr.head_sha = head
    if base:
        pr.base_sha = base


def compute_mergeable(repo: Repo, item: Issue) -> None:
    """null on the first look after a change of head or base, then the answer from git."""
    pr = item.pull
    assert pr is not None
    if item.state != "open":
        pr.mergeable = None if not pr.merged else pr.mergeable
        return
    key = (pr.base_sha, pr.head_sha)
    if pr.mergeable_for != key:
        pr.mergeable_for, pr.mergeable = key, None
    elif pr.mergeable is None:
        pr.mergeable = repo.git.merge_trees(pr.base_sha, pr.head_sha) is not None


def _open_duplicate(repo: Repo, head_owner: str, head: str, base: str, skip: int = 0) -> bool:
    return any(
        i.pull is not None
        and i.number != skip
        and i.state == "open"
        and i.pull.head_ref == head
        and i.pull.base_ref == base
        and i.pull.head_owner.lower() == head_owner.lower()
        for i in repo.issues.values()
    )


@route("POST", REPO + "/pulls", permission=("pull_requests", "write"))
def create_pull(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    token = req.token
    assert token is not None
    if not token.can_create_pull_requests:
        raise ApiError(403, NOT_PERMITTED)
    data = req.data()
    for name in ("head", "base"):
        if not data.get(name):
            raise invalid("PullRequest", name, "missing_field")
    if not data.get("title") and not data.get("issue"):
        raise invalid("PullRequest", "title", "missing_field")
    head_owner, head = _split_head(repo, string(data, "PullRequest", "head"))
    base = string(data, "PullRequest", "base")
    if head_owner.lower() != repo.owner.lower():
        raise invalid("PullRequest", "head")
    base_sha = branch_sha(repo, base)
    if base_sha is None:
        raise invalid("PullRequest", "base")
    head_sha = branch_sha(repo, head)
    if head_sha is None:
        raise invalid("PullRequest", "head")
    if _open_duplicate(repo, head_owner, head, base):
        raise _custom(f"A pull request already exists for {repo.owner}:{head}.")
    if repo.git.is_ancestor(head_sha, base_sha):
        raise _custom(f"No commits between {base} and {head}")
    title = string(data, "PullRequest", "title") or ""
    body = body_text(data, "issue")  # a pull request's body is its issue's: resource "Issue"
    item = Issue(
        id=state.next_id(),
        number=repo.next_number,
        title=title,
        body=body,
        user=req.login,
        pull=PullInfo(
            head_ref=head,
            head_owner=repo.owner,
            base_ref=base,
            head_sha=head_sha,
            base_sha=base_sha,
            draft=data.get("draft") is True,
            maintainer_can_modify=data.get("maintainer_can_modify") is True,
        ),
    )
    repo.next_number += 1
    repo.issues[item.number] = item
    out = render.pull(state, repo, item)
    return Response(201, out, {"Location": out["url"]})


@route("GET", REPO + "/pulls", permission=("pull_requests", "read"))
def list_pulls(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    items = repo.pulls()
    heads = {ref.removeprefix("refs/heads/"): sha for ref, sha, _ in repo.git.refs("refs/heads/")}
    for item in items:
        refresh(repo, item, heads)
    wanted_state = req.arg("state") or "open"
    if wanted_state != "all":
        items = [i for i in items if i.state == wanted_state]
    if head := req.arg("head"):
        owner, branch = _split_head(repo, head)
        items = [
            i
            for i in items
            if i.pull and i.pull.head_ref == branch and i.pull.head_owner.lower() == owner.lower()
        ]
    if base := req.arg("base"):
        items = [i for i in items if i.pull and i.pull.base_ref == base]
    items = sort_items(
        items,
        req,
        {"created": "created_at", "updated": "updated_at", "popularity": "number",
         "long-running": "created_at"},
        "created",
    )
    # render only the page being served (listing 2,000 PRs must not be quadratic)
    return paginate(state.base_url, req, items, lambda i: render.pull(state, repo, i, full=False))


@route("GET", PULL, permission=("pull_requests", "read"))
def get_pull_route(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    item, _ = get_pull(repo, req)
    refresh(repo, item)
    compute_mergeable(repo, item)
    return render.pull(state, repo, item)


@route("PATCH", PULL, permission=("pull_requests", "write"))
def update_pull(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    item, pr = get_pull(repo, req)
    refresh(repo, item)
    data = req.data()
    # validate everything first: a refused update changes nothing
    apply = issue_fields(state, repo, {k: v for k, v in data.items() if k in {"title", "body"}})
    base = string(data, "PullRequest", "base")
    base_sha = None
    if base:
        base_sha = branch_sha(repo, base)
        if base_sha is None:
            raise invalid("PullRequest", "base")
        if base != pr.base_ref and _open_duplicate(repo, pr.head_owner, pr.head_ref, base,
                                                   item.number):
            raise _custom(f"A pull request already exists for {pr.head_owner}:{pr.head_ref}.")
    new_state = string(data, "PullRequest", "state")
    if new_state is not None and new_state not in {"open", "closed"}:
        raise invalid("PullRequest", "state")
    reopen = new_state == "open" and item.state == "closed"
    if reopen:
        if pr.merged:
            raise _custom("Cannot reopen a merged pull request")
        if _open_duplicate(repo, pr.head_owner, pr.head_ref, base or pr.base_ref, item.number):
            raise _custom(f"A pull request already exists for {pr.head_owner}:{pr.head_ref}.")
    apply(item)
    if base and base_sha:
        pr.base_ref, pr.base_sha = base, base_sha
    if "maintainer_can_modify" in data:
        pr.maintainer_can_modify = data["maintainer_can_modify"] is True
    if reopen:
        item.state, item.closed_at, item.closed_by = "open", None, None
        refresh(repo, item)
    elif new_state == "closed" and item.state == "open":
        item.state, item.closed_at, item.closed_by = "closed", now_iso(), req.login
    item.updated_at = now_iso()
    compute_mergeable(repo, item)
    return render.pull(state, repo, item)


def _pull_range(state: GitHubState, req: Request) -> tuple[Repo, str, str]:
    """``(repo, merge base, head sha)`` of the requested PR, its heads refreshed from git."""
    repo = get_repo(state, req)
    item, pr = get_pull(repo, req)
    refresh(repo, item)
    return repo, repo.git.merge_base(pr.base_sha, pr.head_sha) or pr.base_sha, pr.head_sha


@route("GET", PULL + "/commits", permission=("pull_requests", "read"))
def list_pull_commits(state: GitHubState, req: Request) -> Response:
    repo, base, head = _pull_range(state, req)
    shas = repo.git.rev_list(head, f"^{base}", reverse=True)
    return paginate(
        state.base_url, req, shas, lambda s: render.commit(state, repo, repo.git.commit_info(s))
    )


@route("GET", PULL + "/files", permission=("pull_requests", "read"))
def list_pull_files(state: GitHubState, req: Request) -> Response:
    repo, base, head = _pull_range(state, req)
    changes = repo.git.diff(base, head)
    rows = [render.diff_entry(state, repo, head, f) for f in changes]
    return paginate(state.base_url, req, rows)


@route("GET", PULL + "/merge", permission=("pull_requests", "read"))
def is_merged(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    _, pr = get_pull(repo, req)
    if not pr.merged:
        raise not_found()
    return Response(204)


def _commit_lines(repo: Repo, shas: list[str]) -> str:
    return "\n\n".join(f"* {repo.git.commit_info(s).message}" for s in shas)


@route("PUT", PULL + "/merge", permission=("contents", "write"))
def merge_pull(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    item, pr = get_pull(repo, req)
    refresh(repo, item)
    data = req.data()
    method = string(data, "PullRequest", "merge_method") or "merge"
    if method not in {"merge", "squash", "rebase"}:
        raise invalid("PullRequest", "merge_method")
    if item.state != "open" or pr.merged:
        raise ApiError(405, "Pull Request is not mergeable")
    expected = string(data, "PullRequest", "sha")
    if expected and expected != pr.head_sha:
        raise ApiError(409, "Head branch was modified. Review and try the merge again.")
    base, head = pr.base_sha, pr.head_sha
    tree = repo.git.merge_trees(base, head)
    if tree is None:
        pr.mergeable_for, pr.mergeable = (base, head), False
        raise ApiError(405, "Pull Request is not mergeable")
    who = author_identity(state, req.login)
    merge_base = repo.git.merge_base(base, head) or base
    shas = repo.git.rev_list(head, f"^{merge_base}", reverse=True)
    title = string(data, "PullRequest", "commit_title")
    message = string(data, "PullRequest", "commit_message")
    if method == "merge":
        subject = title or f"Merge pull request #{item.number} from {pr.head_owner}/{pr.head_ref}"
        text = f"{subject}\n\n{message if message is not None else item.title}"
        sha = repo.git.commit_tree(tree, [base, head], text.rstrip() + "\n", who)
    elif method == "squash":
        subject = title or f"{item.title} (#{item.number})"
        body = message if message is not None else _commit_lines(repo, shas)
        sha = repo.git.commit_tree(tree, [base], f"{subject}\n\n{body}".rstrip() + "\n", who)
    else:
        sha = base
        for commit in shas:
            info = repo.git.commit_info(commit)
            parent = info.parents[0] if info.parents else merge_base
            picked = cherry_pick_tree(repo.git, sha, commit, parent)
            if picked is None:
                pr.mergeable_for, pr.mergeable = (base, head), False
                raise ApiError(405, "This branch can't be rebased")
            sha = repo.git.commit_tree(
                picked, [sha], info.message + "\n", (info.author.name, info.author.email), who
            )
    repo.git.update_ref(f"refs/heads/{pr.base_ref}", sha, base)
    now = now_iso()
    item.state, item.closed_at, item.closed_by, item.updated_at = "closed", now, req.login, now
    pr.merged, pr.merged_at, pr.merged_by, pr.merge_commit_sha = True, now, req.login, sha
    pr.base_sha = sha
    repo.updated_at = now
    body = {"sha": sha, "merged": True, "message": "Pull Request successfully merged"}
    return Response(200, body)


# -- requested reviewers ------------------------------------------------------------------------


@route("GET", PULL + "/requested_reviewers", permission=("pull_requests", "read"))
def list_requested_reviewers(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    _, pr = get_pull(repo, req)
    return {"users": [render.simple_user(state, r) for r in pr.requested_reviewers], "teams": []}


@route("POST", PULL + "/requested_reviewers", permission=("pull_requests", "write"))
def request_reviewers(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    item, pr = get_pull(repo, req)
    data = req.data()
    logins = data.get("reviewers") or []
    if not isinstance(logins, list):
        raise invalid("PullRequest", "reviewers")
    if any(isinstance(x, str) and x.lower() == item.user.lower() for x in logins):
        raise ApiError(422, "Review cannot be requested from pull request author.")
    try:
        users = assignable_users(state, repo, logins, "PullRequest", "reviewers")
    except ApiError as exc:
        raise ApiError(
            422,
            "Reviews may only be requested from collaborators. One or more of the users or "
            f"teams you specified is not a collaborator of the {repo.full_name} repository.",
        ) from exc
    logins_now = pr.requested_reviewers + [u.login for u in users]
    pr.requested_reviewers = list(dict.fromkeys(logins_now))
    item.updated_at = now_iso()
    return Response(201, render.pull(state, repo, item, full=False))


@route("DELETE", PULL + "/requested_reviewers", permission=("pull_requests", "write"))
def remove_requested_reviewers(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    item, pr = get_pull(repo, req)
    drop = {x.lower() for x in (req.data().get("reviewers") or []) if isinstance(x, str)}
    pr.requested_reviewers = [r for r in pr.requested_reviewers if r.lower() not in drop]
    return render.pull(state, repo, item, full=False)
