"""Repository, branches, tags, commits, compare and merges (all computed by git)."""

from __future__ import annotations

from typing import Any

from release_kit_sandbox.github import render
from release_kit_sandbox.github.http import (
    ApiError,
    Request,
    Response,
    not_found,
    paginate,
    route,
)
from release_kit_sandbox.github.routes._common import (
    author_identity,
    branch_sha,
    get_repo,
    required,
    resolve,
    safe_ref,
    string,
)
from release_kit_sandbox.github.state import GitHubState, Repo, now_iso

REPO = "/repos/{owner}/{repo}"


@route("GET", REPO, permission=("metadata", "read"))
def get_repository(state: GitHubState, req: Request) -> Any:
    return render.repository(state, get_repo(state, req), req.token)


@route("GET", REPO + "/branches", permission=("contents", "read"))
def list_branches(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    rows = [
        render.branch_short(state, repo, ref.removeprefix("refs/heads/"), sha)
        for ref, sha, _ in repo.git.refs("refs/heads/")
    ]
    return paginate(state.base_url, req, rows)


@route("GET", REPO + "/branches/{branch:path}", permission=("contents", "read"))
def get_branch(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    name = req.params["branch"]
    sha = branch_sha(repo, name)
    if sha is None:
        raise ApiError(404, "Branch not found")
    return render.branch_full(state, repo, name, sha)


@route("GET", REPO + "/tags", permission=("contents", "read"))
def list_tags(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    refs = repo.git.refs("refs/tags/")
    rows = []
    for ref, _, _ in sorted(refs, key=lambda r: r[0], reverse=True):
        sha = repo.git.resolve(ref)
        if sha:
            rows.append(render.tag(state, repo, ref.removeprefix("refs/tags/"), sha))
    return paginate(state.base_url, req, rows)


@route("GET", REPO + "/commits", permission=("contents", "read"))
def list_commits(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    start = req.arg("sha") or repo.default_branch
    sha = resolve(repo, start)
    if sha is None:
        raise ApiError(404, f"No commit found for SHA: {start}")
    path = req.arg("path") or None
    shas = repo.git.rev_list(sha, path=path, since=req.arg("since"), until=req.arg("until"))
    if author := (req.arg("author") or "").lower():
        shas = [
            s
            for s in shas
            if author in {(i := repo.git.commit_info(s)).author.email.lower(),
                          i.author.name.lower()}
        ]
    return paginate(
        state.base_url, req, shas, lambda s: render.commit(state, repo, repo.git.commit_info(s))
    )


@route("GET", REPO + "/commits/{ref:path}", permission=("contents", "read"))
def get_commit(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    ref = req.params["ref"]
    try:
        sha = resolve(repo, ref)
    except ApiError:
        sha = None
    if sha is None:
        raise ApiError(422, f"No commit found for SHA: {ref}")
    info = repo.git.commit_info(sha)
    parent = info.parents[0] if info.parents else "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
    return render.commit(state, repo, info, repo.git.diff(parent, sha))


def _compare_side(repo: Repo, spec: str) -> str:
    if ":" in spec:
        owner, _, spec = spec.partition(":")
        if owner.lower() != repo.owner.lower():
            raise not_found()
    sha = resolve(repo, spec)
    if sha is None:
        raise not_found()
    return sha


def compare_data(state: GitHubState, repo: Repo, base_spec: str, head_spec: str) -> Any:
    """The ``commit-comparison`` of two refs; shared with pull requests."""
    base, head = _compare_side(repo, base_spec), _compare_side(repo, head_spec)
    merge_base = repo.git.merge_base(base, head)
    if merge_base is None:
        raise ApiError(404, f"No common ancestor between {base_spec} and {head_spec}.")
    ahead = repo.git.rev_list(head, f"^{merge_base}", reverse=True)
    behind = repo.git.rev_list(base, f"^{merge_base}")
    if base == head:
        status = "identical"
    elif not behind:
        status = "ahead"
    elif not ahead:
        status = "behind"
    else:
        status = "diverged"
    api, html = render.repo_urls(state, repo)
    spec = f"{base_spec}...{head_spec}"
    return {
        "url": f"{api}/compare/{spec}",
        "html_url": f"{html}/compare/{spec}",
        "permalink_url": f"{html}/compare/{repo.owner}:{base[:7]}...{repo.owner}:{head[:7]}",
        "diff_url": f"{html}/compare/{spec}.diff",
        "patch_url": f"{html}/compare/{spec}.patch",
        "base_commit": render.commit(state, repo, repo.git.commit_info(base)),
        "merge_base_commit": render.commit(state, repo, repo.git.commit_info(merge_base)),
        "status": status,
        "ahead_by": len(ahead),
        "behind_by": len(behind),
        "total_commits": len(ahead),
        "commits": [render.commit(state, repo, repo.git.commit_info(s)) for s in ahead[:250]],
        "files": [render.diff_entry(state, repo, head, f)
                  for f in repo.git.diff(merge_base, head)[:300]],
    }


@route("GET", REPO + "/compare/{basehead:path}", permission=("contents", "read"))
def compare(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    basehead = req.params["basehead"]
    if "..." in basehead:
        base, _, head = basehead.partition("...")
    elif ".." in basehead:
        base, _, head = basehead.partition("..")
    else:
        raise not_found()
    return compare_data(state, repo, base, head)


@route("POST", REPO + "/merges", permission=("contents", "write"))
def merge_branch(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    data = req.data()
    required(data, "Merge", "base", "head")
    base_name = string(data, "Merge", "base")
    head_spec = string(data, "Merge", "head")
    base = branch_sha(repo, base_name)
    if base is None:
        raise ApiError(404, "Base does not exist")
    head = resolve(repo, safe_ref(head_spec))
    if head is None:
        raise ApiError(404, "Head does not exist")
    if repo.git.is_ancestor(head, base):
        return Response(204)
    tree = repo.git.merge_trees(base, head)
    if tree is None:
        raise ApiError(409, "Merge conflict")
    message = string(data, "Merge", "commit_message") or f"Merge {head_spec} into {base_name}"
    sha = repo.git.commit_tree(tree, [base, head], message, author_identity(state, req.login))
    repo.git.update_ref(f"refs/heads/{base_name}", sha, base)
    repo.updated_at = now_iso()
    return Response(201, render.commit(state, repo, repo.git.commit_info(sha)))
