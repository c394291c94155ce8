"""The one way to get a GitHub client: a token or a GitHub App installation.

- Base URL from ``GITHUB_API_URL`` (GitHub Enterprise Server and the sandbox work unchanged).
- Retries: 5xx with exponential backoff; primary and secondary rate limits (403/429) honour
  ``retry-after``, then ``x-ratelimit-reset``, else wait at least 60 s (PyGithub's GithubRetry),
  with the total wait for one request bounded.
- ``per_page=100`` everywhere.
- Every HTTP request is counted in ``API_CALLS`` (method, path, status).
"""

from __future__ import annotations

import os
import threading
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from github import Auth, Github, GithubIntegration, GithubRetry
from github.GithubException import GithubException
from github.Requester import (
    HTTPRequestsConnectionClass,
    HTTPSRequestsConnectionClass,
    Requester,
)

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


class _CountingHTTPS(HTTPSRequestsConnectionClass):
    def getresponse(self) -> Any:
        response = super().getresponse()
        API_CALLS.record(self.verb, self.url, response.status)
        return response


class _CountingHTTP(HTTPRequestsConnectionClass):
    def getresponse(self) -> Any:
        response = super().getresponse()
        API_CALLS.record(self.verb, self.url, response.status)
        return response


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


def retry_policy() -> GithubRetry:
    """GithubRetry with bounded waits.

    ``RELEASE_KIT_GITHUB_MAX_WAIT`` (seconds, default 900) caps one rate-limit wait; beyond it the
    request fails with a clear error instead of sleeping for an hour.
    """
    max_wait = float(os.environ.get("RELEASE_KIT_GITHUB_MAX_WAIT", "900"))
    return GithubRetry(total=6, backoff_factor=0.5, backoff_max=30, max_rate_limit_wait=max_wait)


def api_url(environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return (env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")


def connect(
    token: str | None = None,
    *,
    app_id: str | None = None,
    app_private_key: str | None = None,
    repository: str | None = None,
    base_url: str | None = None,
) -> Github:
    """A PyGithub client for ``repository`` (``owner/name``), authenticated by token or App.

    With ``app_id`` and ``app_private_key`` an installation token is minted for the owner of
    ``repository`` (a central release repository can then reach its sibling repositories without
    a personal access token), and masked. Otherwise ``token`` is used.
    """
    _install_counting()
    url = (base_url or api_url()).rstrip("/")
    if app_id or app_private_key:
        if not (app_id and app_private_key):
            missing = "app-private-key" if app_id else "app-id"
            raise InputError(missing, "app-id and app-private-key must be given together.")
        if not repository or "/" not in repository:
            raise InputError("app-id", "GitHub App auth needs the target repository (owner/name).")
        token = installation_token(app_id, app_private_key, repository, url)
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
        retry=retry_policy(),
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


def installation_token(app_id: str, private_key: str, repository: str, base_url: str) -> str:
    """Mint an installation token of the App for the owner of ``repository`` (masked)."""
    owner, _, name = repository.partition("/")
    key = private_key.replace("\\n", "\n").strip()
    commands.add_mask(key)
    integration = GithubIntegration(
        auth=Auth.AppAuth(int(app_id) if app_id.isdigit() else app_id, key),
        base_url=base_url,
        retry=retry_policy(),
    )
    try:
        installation = integration.get_repo_installation(owner, name)
        token = integration.get_access_token(installation.id).token
    except GithubException as exc:
        raise translate(exc, f"minting a GitHub App installation token for {repository}") from exc
    commands.add_mask(token)
    return token
