"""Repository contents: ``GET`` a file or directory, ``PUT`` / ``DELETE`` a file (real commits)."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import quote

from release_kit_sandbox.github import render
from release_kit_sandbox.github.http import ApiError, Request, Response, not_found, route
from release_kit_sandbox.github.routes._common import (
    author_identity,
    branch_sha,
    get_repo,
    required,
    resolve,
    string,
)
from release_kit_sandbox.github.state import GitHubState, Repo, now_iso

REPO = "/repos/{owner}/{repo}"


def _entry(  # noqa: PLR0917
    state: GitHubState, repo: Repo, ref: str, path: str, sha: str, kind: str, size: int
) -> dict[str, Any]:
    api, html = render.repo_urls(state, repo)
    q = quote(path)
    git_kind = "trees" if kind == "dir" else "blobs"
    web = "tree" if kind == "dir" else "blob"
    data = {
        "type": kind,
        "size": size,
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": sha,
        "url": f"{api}/contents/{q}?ref={quote(ref)}",
        "git_url": f"{api}/git/{git_kind}/{sha}",
        "html_url": f"{html}/{web}/{quote(ref)}/{q}",
        "download_url": (
            None if kind == "dir" else f"{html}/raw/{quote(ref)}/{q}"
        ),
    }
    data["_links"] = {"self": data["url"], "git": data["git_url"], "html": data["html_url"]}
    return data


def _encode(content: bytes) -> str:
    text = base64.b64encode(content).decode()
    return "".join(text[i : i + 60] + "\n" for i in range(0, len(text), 60))


@route("GET", REPO + "/contents", permission=("contents", "read"))
@route("GET", REPO + "/contents/{path:path}", permission=("contents", "read"))
def get_content(state: GitHubState, req: Request) -> Any:
    repo = get_repo(state, req)
    path = req.params.get("path", "").strip("/")
    ref = req.arg("ref") or repo.default_branch
    sha = resolve(repo, ref)
    if sha is None:
        raise ApiError(404, f"No commit found for the ref {ref}")
    blob = repo.git.read_blob(sha, path) if path else None
    if blob is not None:
        data = _entry(state, repo, ref, path, blob[0], "file", len(blob[1]))
        data["content"] = _encode(blob[1])
        data["encoding"] = "base64"
        return data
    tree = repo.git.list_tree(sha, path)
    if tree is None:
        raise not_found()
    kinds = {"blob": "file", "tree": "dir", "commit": "submodule"}
    return [
        _entry(state, repo, ref, e.path, e.sha, kinds.get(e.type, "file"), e.size) for e in tree
    ]


def _identity(data: dict[str, Any], key: str) -> tuple[str, str] | None:
    who = data.get(key)
    if isinstance(who, dict) and who.get("name") and who.get("email"):
        return str(who["name"]), str(who["email"])
    return None


def _write(state: GitHubState, req: Request, delete: bool) -> Response:
    repo = get_repo(state, req)
    path = req.params["path"].strip("/")
    data = req.data()
    required(data, "Content", "message")
    if not delete:
        required(data, "Content", "content")
    branch = string(data, "Content", "branch") or repo.default_branch
    head = branch_sha(repo, branch)
    if head is None:
        raise ApiError(404, f"Branch {branch} not found")
    existing = repo.git.read_blob(head, path)
    given_sha = string(data, "Content", "sha")
    if existing is not None and given_sha is None:
        raise ApiError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.')
    if existing is not None and given_sha != existing[0]:
        raise ApiError(409, f"{path} does not match {given_sha}")
    if existing is None and delete:
        raise not_found()
    content: bytes | None = None
    if not delete:
        try:
            content = base64.b64decode(string(data, "Content", "content"), validate=False)
        except (binascii.Error, ValueError) as exc:
            raise ApiError(422, "content is not valid Base64") from exc
    author = _identity(data, "author") or _identity(data, "committer") or author_identity(
        state, req.login
    )
    committer = _identity(data, "committer") or author
    sha = repo.git.commit_files(head, {path: content}, data["message"], author, committer)
    repo.git.update_ref(f"refs/heads/{branch}", sha, head)
    repo.updated_at = now_iso()
    commit = render.git_commit(state, repo, sha)
    if delete:
        return Response(200, {"content": None, "commit": commit})
    blob = repo.git.read_blob(sha, path)
    assert blob is not None
    entry = _entry(state, repo, branch, path, blob[0], "file", len(blob[1]))
    return Response(200 if existing else 201, {"content": entry, "commit": commit})


@route("PUT", REPO + "/contents/{path:path}", permission=("contents", "write"))
def put_content(state: GitHubState, req: Request) -> Response:
    return _write(state, req, delete=False)


@route("DELETE", REPO + "/contents/{path:path}", permission=("contents", "write"))
def delete_content(state: GitHubState, req: Request) -> Response:
    return _write(state, req, delete=True)
