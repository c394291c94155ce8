"""Injected faults: one mechanism behind the Python API and ``POST /_sandbox/faults``.

A :class:`Fault` matches requests by method and a regex on the path and applies to the next
``count`` of them (None: every one). ``when="before"`` answers the error instead of running the
handler; ``when="after"`` runs the handler (its state change is committed) and then answers the
error, like a gateway that loses the response of a write that landed. ``latency`` delays the
answer at the same point. ``rate_limit`` shapes the error as GitHub's rate limits:

- ``"secondary"``: 403 (or 429) "You have exceeded a secondary rate limit...", the usual
  ``x-ratelimit-*`` headers with quota left, and ``retry-after`` only when ``retry_after`` is set
  (GitHub sends it on some secondary refusals and omits it on others).
- ``"primary"``: 403 (or 429) "API rate limit exceeded for ...", ``x-ratelimit-remaining: 0`` and
  ``x-ratelimit-reset`` ``reset`` seconds from now.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from release_kit_sandbox.github.http import ApiError

WHEN = ("before", "after")
RATE_LIMITS = ("primary", "secondary")
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
RATE_LIMIT = 5000
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID {request_id}."
)
SECONDARY_DOCS = (
    "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api"
    "#about-secondary-rate-limits"
)
PRIMARY_DOCS = (
    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
    "#about-primary-rate-limits"
)
DEFAULT_RESET = 60


class FaultSpecError(ValueError):
    """A fault description that cannot be applied; the message names the field and the fix."""


@dataclass
class Fault:
    """One injected fault; see the module docstring. ``id`` is assigned when it is added."""

    status: int | None = 502  # None: latency only
    count: int | None = 1  # None: every matching request
    method: str | None = None
    path: str | None = None  # regex, searched in the request path (no query string)
    when: str = "before"
    retry_after: int | None = None  # seconds, sent as ``Retry-After``
    latency: float = 0.0  # seconds
    rate_limit: str | None = None  # "primary" | "secondary"
    reset: int | None = None  # primary: ``x-ratelimit-reset`` this many seconds from now
    message: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    id: int = 0
    hits: int = 0  # requests it has applied to
    _regex: re.Pattern[str] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise :class:`FaultSpecError` naming the field that is wrong."""
        if self.rate_limit is not None and self.rate_limit not in RATE_LIMITS:
            raise FaultSpecError(f"rate_limit must be one of {', '.join(RATE_LIMITS)} or null, "
                                 f"got {self.rate_limit!r}")
        if self.rate_limit is not None and self.status is None:
            self.status = 403
        if self.status is not None and (
            isinstance(self.status, bool) or not isinstance(self.status, int)
            or not 400 <= self.status <= 599
        ):
            raise FaultSpecError(f"status must be an HTTP error status (400-599), "
                                 f"got {self.status!r}")
        if self.rate_limit is not None and self.status not in {403, 429}:
            raise FaultSpecError(f"a {self.rate_limit} rate limit answers 403 or 429, "
                                 f"got status {self.status}")
        if self.status is None and not self.latency:
            raise FaultSpecError("a fault needs a status, a rate_limit or a latency")
        if self.count is not None and (
            isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1
        ):
            raise FaultSpecError(f"count must be a positive integer or null (always), "
                                 f"got {self.count!r}")
        if self.method is not None:
            if not isinstance(self.method, str) or self.method.upper() not in METHODS:
                raise FaultSpecError(f"method must be one of {', '.join(METHODS)} or null, "
                                     f"got {self.method!r}")
            self.method = self.method.upper()
        if self.path is not None:
            if not isinstance(self.path, str):
                raise FaultSpecError(f"path must be a regular expression string, "
                                     f"got {self.path!r}")
            try:
                self._regex = re.compile(self.path)
            except re.error as exc:
                raise FaultSpecError(f"path is not a valid regular expression: {exc}") from exc
        if self.when not in WHEN:
            raise FaultSpecError(f"when must be 'before' or 'after', got {self.when!r}")
        for name in ("retry_after", "reset"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0
            ):
                raise FaultSpecError(f"{name} must be a whole number of seconds >= 0, "
                                     f"got {value!r}")
        if isinstance(self.latency, bool) or not isinstance(self.latency, int | float) \
                or self.latency < 0:
            raise FaultSpecError(f"latency must be a number of seconds >= 0, "
                                 f"got {self.latency!r}")
        if self.message is not None and not isinstance(self.message, str):
            raise FaultSpecError(f"message must be a string, got {self.message!r}")
        if not isinstance(self.headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.headers.items()
        ):
            raise FaultSpecError("headers must be an object of string values")

    @classmethod
    def from_json(cls, data: Any) -> Fault:
        """A fault from the JSON body of ``POST /_sandbox/faults`` (unknown keys refused)."""
        if not isinstance(data, dict):
            raise FaultSpecError("the body must be a JSON object")
        known = {"status", "count", "method", "path", "when", "retry_after", "latency",
                 "rate_limit", "reset", "message", "headers"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise FaultSpecError(f"unknown field(s) {', '.join(unknown)}; "
                                 f"known: {', '.join(sorted(known))}")
        args = dict(data)
        if "status" not in args and (args.get("rate_limit") or args.get("latency")):
            args["status"] = None  # latency only, or the rate limit's default status
        if args.get("latency") is None:
            args["latency"] = 0.0
        if args.get("when") is None:
            args["when"] = "before"
        if args.get("headers") is None:
            args["headers"] = {}
        return cls(**args)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "status": self.status, "count": self.count, "method": self.method,
            "path": self.path, "when": self.when, "retry_after": self.retry_after,
            "latency": self.latency, "rate_limit": self.rate_limit, "reset": self.reset,
            "message": self.message, "headers": dict(self.headers), "hits": self.hits,
        }

    def matches(self, method: str, path: str) -> bool:
        if self.count is not None and self.count <= 0:
            return False
        if self.method is not None and self.method != method:
            return False
        return self._regex is None or self._regex.search(path) is not None

    def error(self, request_id: str, login_id: int | None) -> ApiError:
        """The error this fault answers (``status`` must be set); its headers override the
        usual ``x-ratelimit-*`` ones."""
        assert self.status is not None
        headers: dict[str, str] = {}
        docs = "https://docs.github.com/rest"
        if self.rate_limit == "secondary":
            message = self.message or SECONDARY_MESSAGE.format(request_id=request_id)
            docs = SECONDARY_DOCS
        elif self.rate_limit == "primary":
            who = f"user ID {login_id}" if login_id is not None else "127.0.0.1"
            message = self.message or (
                f"API rate limit exceeded for {who}. If you reach out to GitHub Support for "
                f"help, please include the request ID {request_id}."
            )
            docs = PRIMARY_DOCS
            reset = DEFAULT_RESET if self.reset is None else self.reset
            headers.update({
                "X-RateLimit-Limit": str(RATE_LIMIT),
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Used": str(RATE_LIMIT),
                "X-RateLimit-Reset": str(int(time.time()) + reset),
            })
        else:
            message = self.message or _phrase(self.status)
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        headers.update(self.headers)
        return ApiError(self.status, message, headers=headers, documentation_url=docs)


def _phrase(status: int) -> str:
    if status in {500, 502}:
        return "Server Error"
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


@dataclass
class Hit:
    """What the faults matching one request do to it."""

    latency_before: float = 0.0
    latency_after: float = 0.0
    error: Fault | None = None  # the first matching fault with a status


class Faults:
    """The active faults of one emulator, thread-safe; consumed as requests match them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._ids = 0

    def add(self, fault: Fault) -> Fault:
        fault.validate()
        with self._lock:
            self._ids += 1
            fault.id = self._ids
            self._faults.append(fault)
        return fault

    def remove(self, fault_id: int) -> bool:
        with self._lock:
            kept = [f for f in self._faults if f.id != fault_id]
            found = len(kept) != len(self._faults)
            self._faults = kept
        return found

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def active(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, method: str, path: str) -> Hit:
        """Apply the faults matching ``method path``: every latency adds up, the first fault
        with a status answers; each of them uses one of its ``count``."""
        hit = Hit()
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method, path):
                    continue
                if fault.status is not None:
                    if hit.error is not None:
                        continue  # one error per request; later faults wait for later requests
                    hit.error = fault
                if fault.when == "after":
                    hit.latency_after += fault.latency
                else:
                    hit.latency_before += fault.latency
                fault.hits += 1
                if fault.count is not None:
                    fault.count -= 1
            self._faults = [f for f in self._faults if f.count is None or f.count > 0]
        return hit
