"""The one REST layer for GitHub: every request of every adapter goes through :class:`GitHubApi`.

One module owns the call, pagination, retries and the idempotency of creates, so that no adapter
can get them subtly different:

- **The call.** ``requests`` with a session per client (connections reused), a timeout, the
  token masked, GitHub's API version header, and ``per_page=100`` on listings.
- **Pagination.** :meth:`GitHubApi.paginate` follows ``Link: rel="next"`` and nothing else (never
  page numbers: GitHub's cursors are opaque), and only to the API's own host.
- **Retries, for every method.** 5xx, network failures and timeouts back off exponentially with
  full jitter. Rate limits (429, or a 403 that says so) wait ``retry-after``, else until
  ``x-ratelimit-reset`` when the primary limit is spent, else at least 60 s growing
  exponentially (GitHub's guidance for secondary limits). Mutating requests of one process are
  spaced by at least a second. Every call is bounded (attempts and total waiting); the final
  error says what was tried: attempts, the last answer, and how long it waited.
- **Creates are never blindly repeated.** A ``POST`` that creates something is not replayed after
  an ambiguous failure (a 5xx or a timeout: the object may exist even though the answer was an
  error). :meth:`GitHubApi.create` looks the object up by its identity first and adopts it if it
  landed; only then does it try again. A rate-limit refusal is not ambiguous (GitHub did nothing),
  so it is simply retried.

The policy is tuned by the environment (see :class:`RetryPolicy`); every attempt is recorded in
:data:`API_CALLS` (method, path, status).
"""

from __future__ import annotations

import email.utils
import os
import random
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests

from release_kit.action import commands
from release_kit.errors import InputError
from release_kit.github.errors import (
    GitHubServiceError,
    RateLimited,
    from_response,
)

PER_PAGE = 100
DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
READS = frozenset({"GET", "HEAD"})
USER_AGENT = "release-kit"

T = TypeVar("T")


# -- what was asked ---------------------------------------------------------------------------

@dataclass
class ApiCalls:
    """Requests made by this process: ``(method, path, status)`` in order, every attempt.

    A request that got no answer (network failure, timeout) is recorded with status 0.
    """

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
        return sum(1 for method, _, _ in self.calls if method not in READS)

    def by_method(self) -> Counter[str]:
        return Counter(method for method, _, _ in self.calls)

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()


API_CALLS = ApiCalls()


# -- the policy -------------------------------------------------------------------------------

_POLICY_ENV: dict[str, tuple[str, type]] = {
    "retries": ("RELEASE_KIT_GITHUB_RETRIES", int),
    "backoff": ("RELEASE_KIT_GITHUB_BACKOFF", float),
    "max_wait": ("RELEASE_KIT_GITHUB_MAX_WAIT", float),
    "secondary_wait": ("RELEASE_KIT_GITHUB_SECONDARY_WAIT", float),
    "write_spacing": ("RELEASE_KIT_GITHUB_WRITE_SPACING", float),
    "timeout": ("RELEASE_KIT_GITHUB_TIMEOUT", float),
}


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one request tries. Each field has an environment variable of its own.

    - ``retries`` (``RELEASE_KIT_GITHUB_RETRIES``, 6): attempts after the first.
    - ``backoff`` (``RELEASE_KIT_GITHUB_BACKOFF``, 1 s): the base of the exponential backoff after
      a 5xx or a network failure; each wait is uniform in ``[0, min(30 s, backoff * 2**n)]``
      (full jitter, so that the clients a failure hit together do not come back together).
    - ``secondary_wait`` (``RELEASE_KIT_GITHUB_SECONDARY_WAIT``, 60 s): the first wait after a
      secondary rate limit that names no time; doubled each time it happens again.
    - ``max_wait`` (``RELEASE_KIT_GITHUB_MAX_WAIT``, 900 s): the most one request waits in all;
      a wait that would go beyond it fails at once with an error that says so.
    - ``write_spacing`` (``RELEASE_KIT_GITHUB_WRITE_SPACING``, 1 s): the least time between two
      mutating requests of this process (GitHub asks for one second).
    - ``timeout`` (``RELEASE_KIT_GITHUB_TIMEOUT``, 30 s): how long one answer may take.
    """

    retries: int = 6
    backoff: float = 1.0
    backoff_cap: float = 30.0
    secondary_wait: float = 60.0
    max_wait: float = 900.0
    write_spacing: float = 1.0
    timeout: float = 30.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> RetryPolicy:
        """The policy with every variable that is set applied (a bad value is an input error)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, (variable, kind) in _POLICY_ENV.items():
            raw = env.get(variable, "").strip()
            if not raw:
                continue
            try:
                value = kind(raw)
            except ValueError:
                value = -1
            if value < 0:
                raise InputError(variable, f"{raw!r} is not a non-negative "
                                 f"{'integer' if kind is int else 'number'}.",
                                 hint="Unset it for the default.")
            values[name] = value
        return cls(**{**values, **overrides})

    def backoff_wait(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in ``[0, min(cap, backoff * 2**attempt)]``."""
        return rng.uniform(0, min(self.backoff_cap, self.backoff * 2.0 ** attempt))


def retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds GitHub asks us to wait (``retry-after``, seconds or an HTTP date), if it says."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - now)


def rate_limit_wait(headers: Mapping[str, str], secondary_seen: int, policy: RetryPolicy,
                    now: float) -> float:
    """How long a rate-limited request waits before it is tried again (GitHub's guidance).

    ``retry-after`` first; then, when the primary limit is spent (``x-ratelimit-remaining: 0``),
    until ``x-ratelimit-reset`` (plus a second: the reset happens during that second); else a
    secondary limit that names no time: at least ``secondary_wait``, doubling each time.
    """
    asked = retry_after(headers, now)
    if asked is not None:
        return asked
    reset = headers.get("x-ratelimit-reset", "").strip()
    if headers.get("x-ratelimit-remaining", "").strip() == "0" and reset.isdigit():
        return max(0.0, int(reset) - now + 1)
    return float(policy.secondary_wait * 2 ** secondary_seen)


# -- mutating requests are spaced ------------------------------------------------------------

class _Spacing:
    """At least ``interval`` seconds between the starts of mutating requests (process-wide)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = -float("inf")

    def wait(self, interval: float, sleep: Callable[[float], None],
             clock: Callable[[], float]) -> None:
        if interval <= 0:
            return
        with self._lock:
            pause = self._last + interval - clock()
            if pause > 0:
                sleep(pause)
            self._last = clock()


_WRITE_SPACING = _Spacing()


# -- answers ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    """What GitHub answered: status, headers (case-insensitive) and the decoded JSON body."""

    status: int
    headers: Mapping[str, str]
    data: Any

    def next_url(self) -> str | None:
        """The ``rel="next"`` link of a listing, if there is one."""
        for part in requests.utils.parse_header_links(self.headers.get("link", "")):
            if part.get("rel") == "next" and part.get("url"):
                return str(part["url"])
        return None


class AmbiguousWrite(GitHubServiceError):
    """A mutating request failed in a way that does not say whether it took effect.

    Raised for a non-replayable request (a ``POST`` that creates) after a 5xx, a timeout or a
    dropped connection: it is not retried blindly; :meth:`GitHubApi.create` looks first.
    """


def _never_sent(exc: requests.RequestException) -> bool:
    """Whether a network failure happened before the request reached GitHub."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    text = repr(exc)
    return isinstance(exc, requests.ConnectionError) and (
        "NewConnectionError" in text or "Connection refused" in text
        or "NameResolutionError" in text
    )


def _decode(response: requests.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


# -- the client -------------------------------------------------------------------------------

class GitHubApi:
    """One authenticated client of GitHub's REST API (see the module documentation).

    ``token`` is masked here; ``sleep``, ``clock`` and ``rng`` can be replaced in tests.
    """

    def __init__(self, token: str, *, base_url: str | None = None,
                 policy: RetryPolicy | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, rng: random.Random | None = None,
                 token_kind: str = "Bearer") -> None:
        commands.add_mask(token)
        self.base_url = (base_url or api_url()).rstrip("/")
        self.policy = policy or RetryPolicy.from_env()
        self._sleep, self._clock = sleep, clock
        self._rng = rng or random.Random()
        self._session = requests.Session()
        self._session.headers.update({
            "Authorization": f"{token_kind} {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": USER_AGENT,
        })
        host = urllib.parse.urlsplit(self.base_url)
        self._origin = (host.scheme, host.netloc)

    # -- one request, retried --------------------------------------------------------------

    def url(self, path: str) -> str:
        """An absolute URL on this API; absolute URLs (``Link`` headers) must stay on it."""
        if path.startswith(("http://", "https://")):
            parts = urllib.parse.urlsplit(path)
            if (parts.scheme, parts.netloc) != self._origin:
                raise GitHubServiceError(f"refusing to send the token to {parts.netloc} "
                                         f"(not {self._origin[1]}).", 0)
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def request(self, method: str, path: str, *, doing: str,
                params: Mapping[str, Any] | None = None, json: Any = None,
                replayable: bool | None = None,
                headers: Mapping[str, str] | None = None) -> Answer:
        """Send one request, retried per the policy; typed errors name ``doing``.

        ``replayable`` (default: every method but ``POST``) says whether sending the request
        twice does the same as once. A non-replayable request is still retried after a rate
        limit (GitHub did nothing), but an ambiguous failure raises :class:`AmbiguousWrite`.
        """
        method = method.upper()
        replayable = method != "POST" if replayable is None else replayable
        url = self.url(path)
        attempts, waited, secondary = 0, 0.0, 0
        while True:
            if method not in READS:
                _WRITE_SPACING.wait(self.policy.write_spacing, self._sleep, self._clock)
            attempts += 1
            try:
                response = self._session.request(
                    method, url, params=params, json=json, headers=headers,
                    timeout=(10, self.policy.timeout), allow_redirects=True,
                )
            except requests.RequestException as exc:
                API_CALLS.record(method, url, 0)
                last = f"no answer ({type(exc).__name__})"
                if not replayable and not _never_sent(exc):
                    raise AmbiguousWrite(
                        f"GitHub gave {last} while {doing}; it may or may not have happened.",
                        0) from exc
                wait = self.policy.backoff_wait(attempts - 1, self._rng)
                failure: Exception = GitHubServiceError(
                    f"Could not reach GitHub while {doing}: {type(exc).__name__}: {exc}", 0,
                    hint="Check GITHUB_API_URL (or RELEASE_KIT_GITHUB_API_URL) and the network.")
            else:
                API_CALLS.record(method, url, response.status_code)
                data = _decode(response)
                answer = Answer(response.status_code, response.headers, data)
                if response.status_code < 400:
                    return answer
                failure = from_response(response.status_code, data, response.headers, doing)
                last = f"{response.status_code} {response.reason or ''}".strip()
                if isinstance(failure, RateLimited):
                    wait = rate_limit_wait(response.headers, secondary, self.policy, time.time())
                    secondary += failure.secondary
                elif response.status_code >= 500:
                    if not replayable:
                        raise AmbiguousWrite(
                            f"GitHub answered {last} while {doing}; it may or may not have "
                            "happened.", response.status_code)
                    wait = self.policy.backoff_wait(attempts - 1, self._rng)
                else:
                    raise failure
            if attempts > self.policy.retries or waited + wait > self.policy.max_wait:
                raise self._gave_up(failure, doing, last, (attempts, waited, wait))
            self._sleep(wait)
            waited += wait

    def _gave_up(self, failure: Exception, doing: str, last: str,
                 tried_so_far: tuple[int, float, float]) -> GitHubServiceError:
        """The final error, saying truthfully what was tried: ``(attempts, waited, next wait)``."""
        attempts, waited, wait = tried_so_far
        tried = f"{attempts} attempt{'s' if attempts != 1 else ''} over {waited:.1f} s of waiting"
        if attempts > self.policy.retries:
            why = "no retries left (RELEASE_KIT_GITHUB_RETRIES)"
        else:
            why = (f"the next attempt would have waited {wait:.0f} s more, beyond "
                   f"RELEASE_KIT_GITHUB_MAX_WAIT={self.policy.max_wait:g} s in all")
        status = getattr(failure, "status", 0)
        hint = ("GitHub may be degraded, or this token is rate limited: re-run the job later "
                "(a re-run converges: nothing is done twice).")
        return GitHubServiceError(f"GitHub answered {last} while {doing}: {tried}; {why}.",
                                  status, hint=hint)

    # -- shapes of requests ----------------------------------------------------------------

    def get(self, path: str, *, doing: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("GET", path, doing=doing, params=params).data

    def paginate(self, path: str, *, doing: str, params: Mapping[str, Any] | None = None,
                 key: str | None = None) -> Iterator[Any]:
        """Every item of a listing, page by page (100 per page), following ``rel="next"``.

        ``key`` names the array in listings that wrap it (``{"workflow_runs": [...]}``).
        """
        url: str | None = path
        query: Mapping[str, Any] | None = {"per_page": PER_PAGE, **(params or {})}
        while url is not None:
            answer = self.request("GET", url, doing=doing, params=query)
            items = answer.data.get(key, []) if key and isinstance(answer.data, dict) \
                else answer.data
            yield from items or []
            url, query = answer.next_url(), None  # the next link carries the query

    def write(self, method: str, path: str, *, doing: str, json: Any = None,
              params: Mapping[str, Any] | None = None) -> Any:
        """A replayable write (``PATCH``, ``PUT``, ``DELETE``, or a ``POST`` that is idempotent:
        adding labels, requesting reviewers, merging)."""
        return self.request(method, path, doing=doing, json=json, params=params,
                            replayable=True).data

    def create(self, path: str, body: Any, *, doing: str, find: Callable[[], T | None],
               adopt: Callable[[T], Any] | None = None) -> Any:
        """``POST`` that creates one object, looked up by its identity after an ambiguous failure.

        ``find()`` returns the object if it already exists (by a hidden marker, tag name,
        head/base, ...). After a 5xx or a timeout the object is looked up: found, it is adopted
        (``adopt(found)``, or the found object itself, is returned); not found, the create is
        tried again after a backoff, within the policy's bounds.
        """
        attempts, waited = 0, 0.0
        while True:
            attempts += 1
            try:
                return self.request("POST", path, doing=doing, json=body, replayable=False).data
            except AmbiguousWrite as exc:
                found = find()
                if found is not None:
                    commands.debug(f"{doing}: GitHub answered an error, but the object exists: "
                                   "adopted, not created twice")
                    return adopt(found) if adopt is not None else found
                wait = self.policy.backoff_wait(attempts - 1, self._rng)
                if attempts > self.policy.retries or waited + wait > self.policy.max_wait:
                    raise self._gave_up(exc, doing, self._last_answer(exc),
                                        (attempts, waited, wait)) from exc
                self._sleep(wait)
                waited += wait

    @staticmethod
    def _last_answer(exc: AmbiguousWrite) -> str:
        return str(exc.status) if exc.status else "no answer"

    def close(self) -> None:
        self._session.close()


# -- where the API is -------------------------------------------------------------------------

def api_url(environ: Mapping[str, str] | None = None) -> str:
    """``RELEASE_KIT_GITHUB_API_URL``, else ``GITHUB_API_URL``, else github.com's API.

    Runners set ``GITHUB_API_URL`` themselves and ignore a value written to ``$GITHUB_ENV``;
    release-kit's own variable is the override they leave alone (the self-test's sandbox). A
    blank value counts as not given.
    """
    env = os.environ if environ is None else environ
    for name in ("RELEASE_KIT_GITHUB_API_URL", "GITHUB_API_URL"):
        value = env.get(name, "").strip()
        if value:
            return value.rstrip("/")
    return DEFAULT_API_URL
