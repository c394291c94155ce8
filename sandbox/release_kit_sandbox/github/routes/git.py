"""Git database: references (``/git/ref``, ``/git/refs``, ``/git/matching-refs``), tag objects
and commits. Backed directly by the bare repository."""

from __future__ import annotations

import re
from typing import Any

from release_kit_sandbox.github import render
from release_kit_sandbox.github.gitrepo import GitCommandError, parse_identity
from release_kit_sandbox.github.http import (
    ApiError,
    Request,
    Response,
    not_found,
    paginate,
    route,
    validation_failed,
)
from release_kit_sandbox.github.routes._common import author_identity, get_repo, required, string
from release_kit_sandbox.github.state import GitHubState, Repo, now_iso

REPO = "/repos/{owner}/{repo}"
_SHA = re.compile(r"^[0-9a-f]{40}$")
_BAD_REF = re.compile(r"(\.\.|[\s~^:?*\[\\]|@\{|//|\.lock(/|$)|/\.|^-)")


def _ref_json(state: GitHubState, repo: Repo, ref: str) -> Any:
    target = repo.git.ref_target(ref)
    if target is None:
        raise not_found()
    return render.git_ref(state, repo, ref, target, repo.git.object_type(target) or "commit")


def _matching(state: GitHubState, repo: Repo, prefix: str) -> list[Any]:
    return [
        render.git_ref(state, repo, ref, sha, kind)
        for ref, sha, kind in repo.git.refs("refs/")
        if ref.startswith(prefix)
    ]


def _valid_ref(ref: str) -> bool:
    return ref.startswith("refs/") and ref.count("/") >= 2 and not _BAD_REF.search(ref)


@route("GET", REPO + "/git/ref/{ref:path}", permission=("contents", "read"))
def get_ref(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    ref = "refs/" + req.params["ref"]
    if not _valid_ref(ref):
        raise not_found()
    return _ref_json(state, repo, ref)


@route("GET", REPO + "/git/matching-refs", permission=("contents", "read"))
def list_all_matching_refs(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    return paginate(state.base_url, req, _matching(state, repo, "refs/"))


@route("GET", REPO + "/git/matching-refs/{ref:path}", permission=("contents", "read"))
def list_matching_refs(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    return paginate(state.base_url, req, _matching(state, repo, "refs/" + req.params["ref"]))


@route("GET", REPO + "/git/refs", permission=("contents", "read"))
def list_refs(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    return paginate(state.base_url, req, _matching(state, repo, "refs/"))


@route("GET", REPO + "/git/refs/{ref:path}", permission=("contents", "read"))
def get_refs_legacy(state: GitHubState, req: Request) -> Any:
    """The legacy form: an exact ref as an object, else the refs under it as a list."""
    repo = get_repo(state, req)
    ref = "refs/" + req.params["ref"]
    if repo.git.ref_target(ref) and _valid_ref(ref):
        return _ref_json(state, repo, ref)
    matches = _matching(state, repo, ref.rstrip("/") + "/")
    if not matches:
        raise not_found()
    return paginate(state.base_url, req, matches)


@route("POST", REPO + "/git/refs", permission=("contents", "write"))
def create_ref(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    data = req.data()
    required(data, "Reference", "ref", "sha")
    ref, sha = string(data, "Reference", "ref"), string(data, "Reference", "sha")
    if not _valid_ref(ref):
        raise ApiError(422, "ref must be formatted as 'refs/heads/<branch name>'")
    if not _SHA.match(sha) or repo.git.object_type(sha) is None:
        raise ApiError(422, "Object does not exist")
    if repo.git.ref_target(ref) is not None:
        raise ApiError(422, "Reference already exists")
    if ref.startswith("refs/heads/") and repo.git.object_type(sha) != "commit":
        raise ApiError(422, "Object is not a commit")
    repo.git.update_ref(ref, sha, "0" * 40)
    repo.updated_at = now_iso()
    body = _ref_json(state, repo, ref)
    return Response(201, body, {"Location": body["url"]})


@route("PATCH", REPO + "/git/refs/{ref:path}", permission=("contents", "write"))
def update_ref(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    data = req.data()
    required(data, "Reference", "sha")
    ref = "refs/" + req.params["ref"]
    sha = string(data, "Reference", "sha")
    force = data.get("force", False) is True
    current = repo.git.ref_target(ref) if _valid_ref(ref) else None
    if current is None:
        raise ApiError(422, "Reference does not exist")
    if not _SHA.match(sha) or repo.git.object_type(sha) is None:
        raise ApiError(422, "Object does not exist")
    if not force and current != sha:
        old = repo.git.resolve(current) or current
        new = repo.git.resolve(sha) or sha
        if not repo.git.is_ancestor(old, new):
            raise ApiError(422, "Update is not a fast forward")
    try:
        repo.git.update_ref(ref, sha, current)
    except GitCommandError as exc:  # raced with another writer
        raise ApiError(422, "Reference cannot be updated") from exc
    repo.updated_at = now_iso()
    return _ref_json(state, repo, ref)


@route("DELETE", REPO + "/git/refs/{ref:path}", permission=("contents", "write"))
def delete_ref(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    ref = "refs/" + req.params["ref"]
    if not _valid_ref(ref) or repo.git.ref_target(ref) is None:
        raise ApiError(422, "Reference does not exist")
    repo.git.delete_ref(ref)
    return Response(204)


def _tag_json(state: GitHubState, repo: Repo, sha: str) -> Any:
    info = repo.git.tag_info(sha)
    api, _ = render.repo_urls(state, repo)
    tagger = info.get("tagger", "sandbox <sandbox@localhost> 0 +0000")
    who = parse_identity(tagger)
    kind = info.get("type", "commit")
    return {
        "node_id": render.node_id("Tag", sha),
        "tag": info.get("tag", ""),
        "sha": sha,
        "url": f"{api}/git/tags/{sha}",
        "message": info.get("message", ""),
        "tagger": {"name": who.name, "email": who.email, "date": who.date},
        "object": {"type": kind, "sha": info.get("object", ""),
                   "url": f"{api}/git/{kind}s/{info.get('object', '')}"},
        "verification": {"verified": False, "reason": "unsigned", "signature": None,
                         "payload": None, "verified_at": None},
    }


@route("POST", REPO + "/git/tags", permission=("contents", "write"))
def create_tag_object(state: GitHubState, req: Request) -> Response:
    """An annotated tag object; the ref is created separately with ``POST /git/refs``."""
    repo = get_repo(state, req)
    data = req.data()
    required(data, "Tag", "tag", "message", "object", "type")
    obj = string(data, "Tag", "object")
    if not _SHA.match(obj) or repo.git.object_type(obj) is None:
        raise validation_failed({"resource": "Tag", "code": "invalid", "field": "object"})
    tagger = data.get("tagger") or {}
    who = (
        (str(tagger["name"]), str(tagger["email"]))
        if isinstance(tagger, dict) and tagger.get("name") and tagger.get("email")
        else author_identity(state, req.login)
    )
    sha = repo.git.create_annotated_tag(string(data, "Tag", "tag"), obj,
                                        string(data, "Tag", "message"), who)
    return Response(201, _tag_json(state, repo, sha))


@route("GET", REPO + "/git/tags/{sha}", permission=("contents", "read"))
def get_tag_object(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    sha = req.params["sha"]
    if not _SHA.match(sha) or repo.git.object_type(sha) != "tag":
        raise not_found()
    return _tag_json(state, repo, sha)


@route("GET", REPO + "/git/commits/{sha}", permission=("contents", "read"))
def get_git_commit(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    sha = req.params["sha"]
    if not _SHA.match(sha) or repo.git.object_type(sha) != "commit":
        raise not_found()
    return render.git_commit(state, repo, sha)
