"""GitHub access: one client factory, retries, request counting and typed errors."""

from release_kit.github.client import API_CALLS, PER_PAGE, connect
from release_kit.github.errors import (
    ActionsCannotCreatePullRequests,
    GitHubNotFound,
    GitHubServiceError,
    GitHubValidationFailed,
    ResourceNotAccessible,
    github_errors,
    translate,
)

__all__ = [
    "API_CALLS",
    "PER_PAGE",
    "ActionsCannotCreatePullRequests",
    "GitHubNotFound",
    "GitHubServiceError",
    "GitHubValidationFailed",
    "ResourceNotAccessible",
    "connect",
    "github_errors",
    "translate",
]
