"""Typed GitHub errors: the cases the actions must tell apart, from GitHub's answers.

:func:`from_response` is the one place that reads an error answer (status, JSON body, headers);
adapters catch these types, never HTTP status codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from release_kit.errors import (
    ConflictError,
    ExternalServiceError,
    NotFoundError,
    PermissionDeniedError,
    ReleaseKitError,
)

ACTIONS_CANNOT_CREATE_PRS = "GitHub Actions is not permitted to create or approve pull requests."
NOT_ACCESSIBLE = "Resource not accessible by integration"


class GitHubNotFound(NotFoundError):
    """404: the resource does not exist, or the token cannot see it."""


class ResourceNotAccessible(PermissionDeniedError):
    """403 "Resource not accessible by integration": the token lacks a permission."""


class ActionsCannotCreatePullRequests(PermissionDeniedError):
    """403 from the repository setting that forbids workflows from creating PRs."""


class GitHubValidationFailed(ConflictError):
    """422 with GitHub's ``errors`` list (``already_exists``, ``invalid``, custom messages)."""

    def __init__(self, message: str, errors: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.errors = errors

    def has_code(self, code: str) -> bool:
        return any(e.get("code") == code for e in self.errors)

    def invalid_field(self, name: str) -> bool:
        """Whether GitHub refused the value of ``name`` (e.g. ``assignees``)."""
        return any(e.get("field") == name and e.get("code") in {"invalid", "missing"}
                   for e in self.errors)

    def mentions(self, text: str) -> bool:
        haystack = [self.message] + [str(e.get("message", "")) for e in self.errors]
        return any(text.lower() in part.lower() for part in haystack)


class GitHubConflict(ConflictError):
    """409: the request conflicts with the current state (a merge conflict, a stale blob sha)."""


class GitHubServiceError(ExternalServiceError):
    """Anything else GitHub answered with (5xx after retries, unexpected codes, no answer)."""

    def __init__(self, message: str, status: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.status = status


class RateLimited(GitHubServiceError):
    """429, or a 403 that is a rate limit (primary: the quota is spent; secondary: too fast)."""

    def __init__(self, message: str, status: int, *, secondary: bool, **kwargs: Any) -> None:
        super().__init__(message, status, **kwargs)
        self.secondary = secondary


def _message(data: Any, status: int) -> str:
    if isinstance(data, Mapping) and data.get("message"):
        return str(data["message"])
    return f"HTTP {status}"


def is_rate_limit(status: int, message: str, headers: Mapping[str, str]) -> bool:
    """429 always; a 403 when it says so (GitHub answers plain permission refusals with 403 too)."""
    if status == 429:
        return True
    return status == 403 and (
        "retry-after" in headers
        or headers.get("x-ratelimit-remaining", "").strip() == "0"
        or "rate limit" in message.lower()
    )


def from_response(status: int, data: Any, headers: Mapping[str, str],
                  doing: str) -> ReleaseKitError:
    """The typed error for an answer of ``status`` (>= 400) while ``doing`` something."""
    message = _message(data, status)
    body = data if isinstance(data, Mapping) else {}
    if is_rate_limit(status, message, headers):
        primary = headers.get("x-ratelimit-remaining", "").strip() == "0"
        return RateLimited(
            f"GitHub rate limit ({message}) while {doing}.", status,
            secondary=not primary,
            hint="Re-run the job later, or use a GitHub App token (higher limits).")
    if status == 404:
        return GitHubNotFound(
            f"GitHub answered 404 Not Found while {doing}.",
            hint="Check the repository and names, and that the token can see the repository.",
        )
    if status == 403 and ACTIONS_CANNOT_CREATE_PRS in message:
        return ActionsCannotCreatePullRequests(f"{message} (while {doing})")
    if status == 403 and NOT_ACCESSIBLE in message:
        return ResourceNotAccessible(
            f"{message} while {doing}.",
            hint="Grant the job the permission it needs (the workflow's `permissions:` block), "
            "or use a token or GitHub App that has it.",
        )
    if status == 401:
        return PermissionDeniedError(
            f"GitHub rejected the credentials (401 {message}) while {doing}.",
            hint="Check the github-token input (or app-id/app-private-key).",
        )
    if status == 403:
        return PermissionDeniedError(f"GitHub answered 403 {message} while {doing}.")
    if status == 422:
        errors = [e for e in body.get("errors", []) if isinstance(e, Mapping)]
        details = "; ".join(
            str(e.get("message") or f"{e.get('resource')}.{e.get('field')} {e.get('code')}")
            for e in errors
        )
        text = f"GitHub refused the request while {doing}: {message}"
        return GitHubValidationFailed(f"{text} ({details})" if details else text,
                                      [dict(e) for e in errors])
    if status == 409:
        return GitHubConflict(f"GitHub answered 409 Conflict while {doing}: {message}")
    return GitHubServiceError(f"GitHub answered {status} {message} while {doing}.", status)
