"""GitHub access: one client factory, one REST layer (retries, pagination, idempotent creates),
typed errors, and the adapters of each action built on them."""

from release_kit.github.client import connect
from release_kit.github.errors import (
    ActionsCannotCreatePullRequests,
    GitHubNotFound,
    GitHubServiceError,
    GitHubValidationFailed,
    RateLimited,
    ResourceNotAccessible,
)
from release_kit.github.rest import API_CALLS, PER_PAGE, AmbiguousWrite, GitHubApi, RetryPolicy

__all__ = [
    "API_CALLS",
    "PER_PAGE",
    "ActionsCannotCreatePullRequests",
    "AmbiguousWrite",
    "GitHubApi",
    "GitHubNotFound",
    "GitHubServiceError",
    "GitHubValidationFailed",
    "RateLimited",
    "ResourceNotAccessible",
    "RetryPolicy",
    "connect",
]
