"""Typed GitHub errors: the cases the actions must tell apart, translated from PyGithub's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from github.GithubException import GithubException, RateLimitExceededException

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
    """422 with GitHub's ``errors`` list (``already_exists``, ``custom`` messages, ...)."""

    def __init__(self, message: str, errors: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.errors = errors

    def has_code(self, code: str) -> bool:
        return any(e.get("code") == code for e in self.errors)

    def mentions(self, text: str) -> bool:
        haystack = [self.message] + [str(e.get("message", "")) for e in self.errors]
        return any(text.lower() in part.lower() for part in haystack)


class GitHubServiceError(ExternalServiceError):
    """Anything else GitHub answered with (5xx after retries, unexpected codes)."""

    def __init__(self, message: str, status: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.status = status


def _message(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    return str(data.get("message") or exc.message or f"HTTP {exc.status}")


def translate(exc: GithubException, doing: str) -> ReleaseKitError:
    """Turn a PyGithub exception into the typed error for ``doing`` (e.g. "creating the PR")."""
    message = _message(exc)
    data = exc.data if isinstance(exc.data, dict) else {}
    if isinstance(exc, RateLimitExceededException):
        wait = getattr(exc, "wait", None)
        waited = f" (the next attempt would have had to wait {wait:.0f} s)" if wait else ""
        return GitHubServiceError(
            f"GitHub rate limit exceeded while {doing}{waited}.",
            exc.status,
            hint="Re-run the job later, or use a GitHub App token (higher limits); "
            "RELEASE_KIT_GITHUB_MAX_WAIT raises the longest wait.",
        )
    if exc.status == 404:
        return GitHubNotFound(
            f"GitHub answered 404 Not Found while {doing}.",
            hint="Check the repository and names, and that the token can see the repository.",
        )
    if exc.status == 403 and ACTIONS_CANNOT_CREATE_PRS in message:
        return ActionsCannotCreatePullRequests(f"{message} (while {doing})")
    if exc.status == 403 and NOT_ACCESSIBLE in message:
        return ResourceNotAccessible(
            f"{message} while {doing}.",
            hint="Grant the job the permission it needs (the workflow's `permissions:` block), "
            "or use a token or GitHub App that has it.",
        )
    if exc.status == 401:
        return PermissionDeniedError(
            f"GitHub rejected the credentials (401 {message}) while {doing}.",
            hint="Check the github-token input (or app-id/app-private-key).",
        )
    if exc.status == 403:
        return PermissionDeniedError(f"GitHub answered 403 {message} while {doing}.")
    if exc.status == 422:
        errors = [e for e in data.get("errors", []) if isinstance(e, dict)]
        details = "; ".join(
            str(e.get("message") or f"{e.get('resource')}.{e.get('field')} {e.get('code')}")
            for e in errors
        )
        text = f"GitHub refused the request while {doing}: {message}"
        return GitHubValidationFailed(f"{text} ({details})" if details else text, errors)
    if exc.status == 409:
        return ConflictError(f"GitHub answered 409 Conflict while {doing}: {message}")
    return GitHubServiceError(
        f"GitHub answered {exc.status} {message} while {doing}.",
        exc.status,
        hint="GitHub may be degraded; re-run the job. Retries were already attempted.",
    )


@contextmanager
def github_errors(doing: str) -> Iterator[None]:
    """``with github_errors("creating the release"): ...`` raises typed errors.

    Network failures that outlast the retries (connection refused, timeouts) become
    ``GitHubServiceError`` with status 0.
    """
    try:
        yield
    except GithubException as exc:
        raise translate(exc, doing) from exc
    except requests.RequestException as exc:
        raise GitHubServiceError(
            f"Could not reach GitHub while {doing}: {type(exc).__name__}: {exc}",
            0,
            hint="Check GITHUB_API_URL and the network; retries were already attempted.",
        ) from exc
