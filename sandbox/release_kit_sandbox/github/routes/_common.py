"""Helpers shared by the handlers: repository lookup, ref resolution, body validation."""

from __future__ import annotations

from typing import Any

from release_kit_sandbox.github.http import (
    ApiError,
    Request,
    invalid,
    not_found,
    validation_failed,
)
from release_kit_sandbox.github.state import GitHubState, Repo, User


def get_repo(state: GitHubState, req: Request) -> Repo:
    repo = state.repo(req.params["owner"], req.params["repo"])
    if repo is None:
        raise not_found()
    return repo


def safe_ref(ref: str) -> str:
    """Refuse what git could read as an option or a revision expression."""
    if not ref or ref.startswith("-") or ".." in ref or any(c in ref for c in " ~^:?*[\\\0"):
        raise not_found()
    return ref


def resolve(repo: Repo, ref: str) -> str | None:
    """Commit sha of a branch, tag, sha or ``refs/...`` name, like GitHub's ``{ref}``."""
    return repo.git.resolve_name(safe_ref(ref))


def resolve_or_404(repo: Repo, ref: str, message: str = "Not Found") -> str:
    sha = resolve(repo, ref)
    if sha is None:
        raise ApiError(404, message) if message != "Not Found" else not_found()
    return sha


def branch_sha(repo: Repo, branch: str) -> str | None:
    safe_ref(branch)
    return repo.git.resolve(f"refs/heads/{branch}")


def required(data: dict[str, Any], resource: str, *names: str) -> None:
    """422 ``missing_field`` for the first absent field, as GitHub reports it."""
    for name in names:
        if data.get(name) in (None, ""):
            raise invalid(resource, name, "missing_field")


def string(data: dict[str, Any], resource: str, name: str, default: Any = None) -> Any:
    value = data.get(name, default)
    if value is not None and not isinstance(value, str):
        raise ApiError(
            422,
            f"Invalid request.\n\nFor '{name}', {value!r} is not a string.",
        )
    return value


def boolean(data: dict[str, Any], name: str, default: bool) -> bool:
    value = data.get(name, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ApiError(422, f"Invalid request.\n\nFor '{name}', {value!r} is not a boolean.")
    return value


def assignable_users(
    state: GitHubState, repo: Repo, logins: list[Any], resource: str, field_name: str
) -> list[User]:
    """Users for ``logins``; 422 ``invalid`` naming the first one that cannot be assigned in
    ``repo`` (unknown, a bot, or without push access), with GitHub's ``value``."""
    users = []
    for login in logins:
        if not isinstance(login, str):
            raise invalid(resource, field_name)
        user = state.assignable(repo, login)
        if user is None:
            raise invalid(resource, field_name, value=login)
        users.append(user)
    return users


# GitHub's bodies are capped; the 422 differs by resource (and, for comments, by verb). Shapes as
# GitHub answers them: (resource, code, field, message, maximum).
ISSUE_BODY_MAX = 65536
RELEASE_BODY_MAX = 125000
BODY_TOO_LONG = {
    "issue": ("Issue", "custom", "body", "body is too long (maximum is {max} characters)",
              ISSUE_BODY_MAX),
    "comment": ("IssueComment", "unprocessable", "data",
                "Body is too long (maximum is {max} characters)", ISSUE_BODY_MAX),
    "comment-edit": ("IssueComment", "custom", "body",
                     "body is too long (maximum is {max} characters)", ISSUE_BODY_MAX),
    "release": ("Release", "custom", "body", "body is too long (maximum is {max} characters)",
                RELEASE_BODY_MAX),
}


def body_text(data: dict[str, Any], kind: str) -> str | None:
    """``data["body"]`` (a string or null); 422 as GitHub answers a body over its maximum.

    ``kind``: ``issue`` (issues and pull requests), ``comment`` (create), ``comment-edit``,
    ``release``. Characters are counted as code points.
    """
    resource, code, field_name, message, maximum = BODY_TOO_LONG[kind]
    value: str | None = string(data, resource, "body")
    if value is not None and len(value) > maximum:
        raise validation_failed({"resource": resource, "code": code, "field": field_name,
                                 "message": message.format(max=maximum)})
    return value


def author_identity(state: GitHubState, login: str) -> tuple[str, str]:
    """(name, noreply email) git identity of ``login``."""
    user = state.user(login)
    uid = user.id if user else 0
    name = (user.name if user else None) or login
    email = (user.email if user else None) or f"{uid}+{login}@users.noreply.github.com"
    return name, email


def sort_items(items: list[Any], req: Request, keys: dict[str, str], default: str) -> list[Any]:
    """Sort by ``?sort=`` (one of ``keys``: name -> attribute) and ``?direction=``."""
    sort = req.arg("sort") or default
    attr = keys.get(sort, keys[default])
    direction = req.arg("direction") or "desc"
    return sorted(items, key=lambda i: (getattr(i, attr), i.id), reverse=direction != "asc")
