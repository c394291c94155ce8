"""Releases: a draft has no tag; publishing creates the tag at ``target_commitish``."""

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
    body_text,
    boolean,
    get_repo,
    required,
    resolve,
    string,
)
from release_kit_sandbox.github.state import GitHubState, Release, Repo, now_iso

REPO = "/repos/{owner}/{repo}"
RELEASE = REPO + "/releases/{release_id:int}"


def _release(repo: Repo, req: Request) -> Release:
    rel = repo.releases.get(int(req.params["release_id"]))
    if rel is None:
        raise not_found()
    return rel


def _check_tag_free(repo: Repo, rel: Release) -> None:
    """422 ``already_exists`` when another published release owns the tag."""
    for other in repo.releases.values():
        if other.id != rel.id and not other.draft and other.tag_name == rel.tag_name:
            raise invalid("Release", "tag_name", "already_exists")


def _publish(repo: Repo, rel: Release) -> None:
    """Create the tag at ``target_commitish`` unless it exists, then stamp ``published_at``."""
    _check_tag_free(repo, rel)
    tag_ref = f"refs/tags/{rel.tag_name}"
    if repo.git.ref_target(tag_ref) is None:
        sha = resolve(repo, rel.target_commitish)
        if sha is None:
            raise invalid("Release", "target_commitish")
        repo.git.update_ref(tag_ref, sha, "0" * 40)
    rel.published_at = now_iso()


def _validate_tag(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or name.startswith("-") or ".." in name \
            or any(c in name for c in " ~^:?*[\\"):
        raise invalid("Release", "tag_name")
    return name


@route("POST", REPO + "/releases", permission=("contents", "write"))
def create_release(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    data = req.data()
    required(data, "Release", "tag_name")
    rel = Release(
        id=state.next_id(),
        tag_name=_validate_tag(data["tag_name"]),
        target_commitish=string(data, "Release", "target_commitish") or repo.default_branch,
        name=string(data, "Release", "name"),
        body=body_text(data, "release"),
        draft=boolean(data, "draft", False),
        prerelease=boolean(data, "prerelease", False),
        author=req.login,
        make_latest=str(data.get("make_latest", "true")),
    )
    if resolve(repo, rel.target_commitish) is None:
        raise invalid("Release", "target_commitish")
    if not rel.draft:
        _publish(repo, rel)
    repo.releases[rel.id] = rel
    body = render.release(state, repo, rel)
    return Response(201, body, {"Location": body["url"]})


def _newest_first(repo: Repo) -> list[Release]:
    return sorted(repo.releases.values(), key=lambda r: (r.created_at, r.id), reverse=True)


@route("GET", REPO + "/releases", permission=("contents", "read"))
def list_releases(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    return paginate(
        state.base_url, req, _newest_first(repo), lambda r: render.release(state, repo, r)
    )


@route("GET", REPO + "/releases/latest", permission=("contents", "read"))
def latest_release(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    candidates = [
        r
        for r in repo.releases.values()
        if not r.draft and not r.prerelease and r.make_latest != "false"
    ]
    if not candidates:
        raise not_found()
    best = max(candidates, key=lambda r: (r.published_at or "", r.id))
    return render.release(state, repo, best)


@route("GET", REPO + "/releases/tags/{tag:path}", permission=("contents", "read"))
def release_by_tag(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    tag = req.params["tag"]
    for rel in _newest_first(repo):
        if rel.tag_name == tag and not rel.draft:
            return render.release(state, repo, rel)
    raise not_found()


@route("GET", RELEASE, permission=("contents", "read"))
def get_release(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    return render.release(state, repo, _release(repo, req))


@route("PATCH", RELEASE, permission=("contents", "write"))
def update_release(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    rel = _release(repo, req)
    data = req.data()
    body = body_text(data, "release")  # refused before anything changes
    if "tag_name" in data:
        rel_tag = _validate_tag(data["tag_name"])
        if not rel.draft and rel_tag != rel.tag_name:
            old = rel.tag_name
            rel.tag_name = rel_tag
            try:
                _check_tag_free(repo, rel)
            except ApiError:
                rel.tag_name = old
                raise
            if repo.git.ref_target(f"refs/tags/{rel_tag}") is None:
                sha = resolve(repo, string(data, "Release", "target_commitish")
                              or rel.target_commitish)
                if sha is None:
                    raise invalid("Release", "target_commitish")
                repo.git.update_ref(f"refs/tags/{rel_tag}", sha, "0" * 40)
        rel.tag_name = rel_tag
    if target := string(data, "Release", "target_commitish"):
        if resolve(repo, target) is None:
            raise invalid("Release", "target_commitish")
        rel.target_commitish = target
    if "name" in data:
        rel.name = string(data, "Release", "name")
    if "body" in data:
        rel.body = body
    if "prerelease" in data:
        rel.prerelease = boolean(data, "prerelease", rel.prerelease)
    if "make_latest" in data:
        rel.make_latest = str(data["make_latest"])
    if "draft" in data:
        draft = boolean(data, "draft", rel.draft)
        if rel.draft and not draft:
            _publish(repo, rel)
            rel.draft = False
        elif draft and not rel.draft:
            rel.draft, rel.published_at = True, None
    return render.release(state, repo, rel)


@route("DELETE", RELEASE, permission=("contents", "write"))
def delete_release(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    rel = _release(repo, req)
    del repo.releases[rel.id]
    return Response(204)


@route("GET", RELEASE + "/assets", permission=("contents", "read"))
def list_release_assets(state: GitHubState, req: Request) -> Response:
    repo = get_repo(state, req)
    _release(repo, req)
    return paginate(state.base_url, req, [])
