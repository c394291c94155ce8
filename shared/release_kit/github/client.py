"""The one way to get a GitHub client: a token or a GitHub App installation.

- Base URL from ``GITHUB_API_URL`` (GitHub Enterprise Server and the sandbox work unchanged).
- Retries: 5xx with exponential backoff; primary and secondary rate limits (403/429) honour
  ``retry-after``, then ``x-ratelimit-reset``, else wait at least 60 s (PyGithub's GithubRetry,
  extended to 429 and to a cap on ``retry-after``). Bounded: a number of attempts, and one wait
  never longer than ``max_rate_limit_wait``; when retries run out the last answer is raised as a
  typed error (``GitHubServiceError`` for a 5xx), never a hang.
- ``per_page=100`` everywhere.
- Every HTTP request is counted in ``API_CALLS`` (method, path, status), retried attempts included.

The retry policy can be tuned by ``connect(retry=retry_policy(...))`` or the environment:
``RELEASE_KIT_GITHUB_RETRIES`` (attempts after the first, default 6),
``RELEASE_KIT_GITHUB_BACKOFF`` (exponential backoff factor in seconds, default 0.5) and
``RELEASE_KIT_GITHUB_MAX_WAIT`` (longest single rate-limit wait in seconds, default 900).
"""

from __future__ import annotations

import os
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from github import Auth, Github, GithubIntegration, GithubRetry
from github.GithubException import GithubException, RateLimitExceededExceedsMaxWait
from github.Requester import (
    HTTPRequestsConnectionClass,
    HTTPSRequestsConnectionClass,
    Requester,
)
from urllib3 import Retry

from release_kit.action import commands
from release_kit.errors import InputError
from release_kit.github.errors import translate

PER_PAGE = 100
DEFAULT_API_URL = "https://api.github.com"


@dataclass
class ApiCalls:
    """Requests made by this process: ``(method, path, status)`` in order."""

    calls: list[tuple[str, str, int]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, method: str, url: str, status: int) -> None:
        path = urllib.parse.urlsplit(url).path
        with self._lock:
            self.calls.append((method.upper(), path, status))

    @property
    def total(self) -> int:
        return len(self.calls)

    @property
    def writes(self) -> int:
        return sum(1 for method, _, _ in self.calls if method not in {"GET", "HEAD"})

    def by_method(self) -> Counter[str]:
        return Counter(method for method, _, _ in self.calls)

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()


API_CALLS = ApiCalls()


def _record_response(verb: str, url: str, response: Any) -> None:
    """Count the attempts urllib3 retried (from the retry history), then the final answer."""
    retries = getattr(getattr(response.response, "raw", None), "retries", None)
    for attempt in getattr(retries, "history", ()):
        API_CALLS.record(attempt.method or verb, attempt.url or url, attempt.status or 0)
    API_CALLS.record(verb, url, response.status)


class _Counting:
    """Mixed into PyGithub's connection classes: records every response in ``API_CALLS``."""

    verb: str
    url: str

    def getresponse(self) -> Any:
        try:
            response = super().getresponse()  # type: ignore[misc]
        except GithubException as exc:  # a 403 the retry policy judged final raises from inside
            API_CALLS.record(self.verb, self.url, exc.status)
            raise
        _record_response(self.verb, self.url, response)
        return response


class _CountingHTTPS(_Counting, HTTPSRequestsConnectionClass):
    pass


class _CountingHTTP(_Counting, HTTPRequestsConnectionClass):
    pass


_installed = False


def _install_counting() -> None:
    """Route PyGithub through the counting connection classes (once per process)."""
    global _installed  # noqa: PLW0603
    if _installed:
        return
    Requester.injectConnectionClasses(_CountingHTTP, _CountingHTTPS)
    # injectConnectionClasses also turns off connection reuse (meant for test doubles);
    # these classes are the real ones plus a counter, so keep reusing connections.
    Requester._Requester__persist = True  # type: ignore[attr-defined]
    _installed = True


class BoundedGithubRetry(GithubRetry):
    """PyGithub's retry, plus what GitHub's rate-limit guidance asks for and it lacks.

    - 429 is a rate limit too: wait ``retry-after``, else until ``x-ratelimit-reset``, else at
      least ``secondary_rate_wait`` (60 s).
    - A ``retry-after`` longer than ``max_rate_limit_wait`` fails at once
      (``RateLimitExceededExceedsMaxWait``) instead of sleeping that long.
    - When retries run out, the last response is returned (``raise_on_status=False``) so PyGithub
      raises its usual ``GithubException`` with the status, which ``github_errors`` types.
    """

    def increment(  # type: ignore[override]
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> Retry:
        if response is not None and response.status in {403, 429}:
            retry_after = response.headers.get("Retry-After")
            if retry_after is not None:
                wait = self.parse_retry_after(retry_after)
                if self.max_rate_limit_wait is not None and wait > self.max_rate_limit_wait:
                    raise RateLimitExceededExceedsMaxWait(
                        response.status, None, dict(response.headers), wait=wait
                    )
            elif response.status == 429:
                retry = super().increment(method, url, response, error, _pool, _stacktrace)
                reset = self._reset_wait(response)
                wait = reset if reset is not None else self.secondary_rate_wait
                if self.max_rate_limit_wait is not None and wait > self.max_rate_limit_wait:
                    raise RateLimitExceededExceedsMaxWait(
                        response.status, None, dict(response.headers), wait=wait
                    )
                wait = max(wait, retry.get_backoff_time())
                retry.get_backoff_time = lambda: wait  # type: ignore[method-assign]
                return retry
        return super().increment(method, url, response, error, _pool, _stacktrace)

    @staticmethod
    def _reset_wait(response: Any) -> float | None:
        """Seconds until ``x-ratelimit-reset`` (+1: the reset happens during that second)."""
        value = str(response.headers.get("X-RateLimit-Reset", ""))
        return max(0.0, int(value) - time.time() + 1) if value.isdigit() else None


def retry_policy(
    total: int | None = None,
    backoff_factor: float | None = None,
    max_rate_limit_wait: float | None = None,
) -> GithubRetry:
    """The client's retry policy; unset arguments come from the environment (see module doc)."""
    env = os.environ
    return BoundedGithubRetry(
        total=int(env.get("RELEASE_KIT_GITHUB_RETRIES", "6")) if total is None else total,
        backoff_factor=(float(env.get("RELEASE_KIT_GITHUB_BACKOFF", "0.5"))
                        if backoff_factor is None else backoff_factor),
        backoff_max=30,
        max_rate_limit_wait=(float(env.get("RELEASE_KIT_GITHUB_MAX_WAIT", "900"))
                             if max_rate_limit_wait is None else max_rate_limit_wait),
        status_forcelist=[*range(500, 600), 429],
        raise_on_status=False,
    )


def api_url(environ: dict[str, str] | None = None) -> str:
    """The REST API base: ``RELEASE_KIT_GITHUB_API_URL``, else ``GITHUB_API_URL``, else github.com.

    Runners set ``GITHUB_API_URL`` themselves and a workflow cannot change it for later steps
    (GitHub-hosted runners and act both ignore it in ``$GITHUB_ENV``); the suite's own variable
    is the one a workflow can point at another endpoint, such as the sandbox.
    """
    env = os.environ if environ is None else environ
    for name in ("RELEASE_KIT_GITHUB_API_URL", "GITHUB_API_URL"):
        if value := env.get(name, "").strip():
            return value.rstrip("/")
    return DEFAULT_API_URL


def connect(
    token: str | None = None,
    *,
    app_id: str | None = None,
    app_private_key: str | None = None,
    repository: str | None = None,
    base_url: str | None = None,
    retry: GithubRetry | None = None,
) -> Github:
    """A PyGithub client for ``repository`` (``owner/name``), authenticated by token or App.

    With ``app_id`` and ``app_private_key`` an installation token is minted for the owner of
    ``repository`` (a central release repository can then reach its sibling repositories without
    a personal access token), and masked. Otherwise ``token`` is used. ``retry`` overrides the
    retry policy (see :func:`retry_policy`).
    """
    _install_counting()
    url = (base_url or api_url()).rstrip("/")
    policy = retry or retry_policy()
    if app_id or app_private_key:
        if not (app_id and app_private_key):
            missing = "app-private-key" if app_id else "app-id"
            raise InputError(missing, "app-id and app-private-key must be given together.")
        if not repository or "/" not in repository:
            raise InputError("app-id", "GitHub App auth needs the target repository (owner/name).")
        token = installation_token(app_id, app_private_key, repository, url, retry=policy)
    if not token:
        raise InputError(
            "github-token",
            "no GitHub token was given.",
            hint="Pass github-token (the default is ${{ github.token }}), or app-id and "
            "app-private-key; locally, export GITHUB_TOKEN.",
        )
    commands.add_mask(token)
    return Github(
        auth=Auth.Token(token),
        base_url=url,
        per_page=PER_PAGE,
        retry=policy,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


def installation_token(
    app_id: str,
    private_key: str,
    repository: str,
    base_url: str,
    *,
    retry: GithubRetry | None = None,
) -> str:
    """Mint an installation token of the App for the owner of ``repository`` (masked)."""
    owner, _, name = repository.partition("/")
    key = private_key.replace("\\n", "\n").strip()
    commands.add_mask(key)
    integration = GithubIntegration(
        auth=Auth.AppAuth(int(app_id) if app_id.isdigit() else app_id, key),
        base_url=base_url,
        retry=retry or retry_policy(),
    )
    try:
        installation = integration.get_repo_installation(owner, name)
        token = integration.get_access_token(installation.id).token
    except GithubException as exc:
        raise translate(exc, f"minting a GitHub App installation token for {repository}") from exc
    commands.add_mask(token)
    return token
