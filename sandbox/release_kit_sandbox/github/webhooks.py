"""A chat webhook receiver: named endpoints that record what is posted to them.

Stand-in for Slack's incoming webhooks, Teams' webhook triggers and any JSON webhook: a post to
``{GITHUB_API_URL}/_sandbox/webhooks/<name>`` is recorded (headers, body, the JSON it holds) and
answered ``200 ok`` (``text/plain``, as Slack answers). Failures can be armed per name ("chat is
down"): the next ``count`` posts answer ``status`` (and its ``body``, e.g. Slack's
``no_service``), optionally after ``latency`` seconds (longer than the client's timeout: a
timeout); a 2xx status with a latency is a slow post that lands. Posts that were answered an
error are recorded too, with the status they got.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
KEPT_HEADERS = ("content-type", "user-agent", "idempotency-key", "x-release-kit-event")


class WebhookSpecError(ValueError):
    """An armed failure that cannot be."""


@dataclass
class Post:
    seq: int
    time: float
    headers: dict[str, str]
    body: str
    status: int

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "time": self.time, "headers": self.headers, "body": self.body,
                "json": self.json(), "status": self.status}


@dataclass
class Failure:
    status: int = 503
    count: int | None = 1  # None: every post until cleared
    body: str = ""
    retry_after: int | None = None
    latency: float = 0.0

    @classmethod
    def from_json(cls, data: Any) -> Failure:
        if not isinstance(data, dict):
            raise WebhookSpecError("the body must be a JSON object")
        unknown = sorted(set(data) - {"status", "count", "body", "retry_after", "latency"})
        if unknown:
            raise WebhookSpecError(f"unknown field(s) {', '.join(unknown)}; known: body, count, "
                                   "latency, retry_after, status")
        failure = cls(**data)
        if not isinstance(failure.status, int) or not 200 <= failure.status <= 599:
            raise WebhookSpecError("status must be an HTTP status, 200-599 (2xx with a "
                                   "latency: a slow post that lands)")
        if failure.count is not None and (not isinstance(failure.count, int)
                                          or failure.count < 1):
            raise WebhookSpecError("count must be a positive integer, or null for every post")
        if not isinstance(failure.body, str):
            raise WebhookSpecError("body must be a string")
        if failure.retry_after is not None and (not isinstance(failure.retry_after, int)
                                                or failure.retry_after < 0):
            raise WebhookSpecError("retry_after must be whole seconds")
        if not isinstance(failure.latency, (int, float)) or not 0 <= failure.latency <= 60:
            raise WebhookSpecError("latency must be 0-60 seconds")
        return failure

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "count": self.count, "body": self.body,
                "retry_after": self.retry_after, "latency": self.latency}


@dataclass
class Webhooks:
    """Every named receiver: its posts and its armed failures."""

    posts: dict[str, list[Post]] = field(default_factory=dict)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _seq: int = 0

    def receive(self, name: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str],
                                                                                  bytes]:
        """Record one post and answer it (``200 ok``, or the next armed failure)."""
        with self._lock:
            armed = self.failures.get(name) or []
            failure = armed[0] if armed else None
            if failure is not None and failure.count is not None:
                failure.count -= 1
                if failure.count == 0:
                    armed.pop(0)
            self._seq += 1
            status = failure.status if failure else 200
            kept = {k.lower(): v for k, v in headers.items() if k.lower() in KEPT_HEADERS}
            self.posts.setdefault(name, []).append(
                Post(self._seq, time.time(), kept, body.decode("utf-8", "replace"), status))
        if failure is not None and failure.latency:
            time.sleep(failure.latency)
        answer_headers = {"Content-Type": "text/plain; charset=utf-8"}
        if failure is None or (200 <= failure.status < 300 and not failure.body):
            return status, answer_headers, b"ok"
        if failure.retry_after is not None:
            answer_headers["Retry-After"] = str(failure.retry_after)
        return failure.status, answer_headers, failure.body.encode()

    def arm(self, name: str, failure: Failure) -> Failure:
        with self._lock:
            self.failures.setdefault(name, []).append(failure)
        return failure

    def disarm(self, name: str) -> None:
        with self._lock:
            self.failures.pop(name, None)

    def of(self, name: str) -> list[Post]:
        with self._lock:
            return list(self.posts.get(name, []))

    def delivered(self, name: str) -> list[Any]:
        """The JSON bodies of the posts answered 2xx, oldest first."""
        return [post.json() for post in self.of(name) if 200 <= post.status < 300]

    def describe(self, name: str) -> dict[str, Any]:
        with self._lock:
            return {"name": name,
                    "posts": [p.to_json() for p in self.posts.get(name, [])],
                    "failures": [f.to_json() for f in self.failures.get(name, [])]}

    def names(self) -> dict[str, int]:
        with self._lock:
            return {name: len(posts) for name, posts in sorted(self.posts.items())}

    def clear(self, name: str | None = None) -> None:
        with self._lock:
            if name is None:
                self.posts.clear()
                self.failures.clear()
            else:
                self.posts.pop(name, None)
                self.failures.pop(name, None)
