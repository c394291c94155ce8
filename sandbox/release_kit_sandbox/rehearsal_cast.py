"""The rehearsal's cast and stage: the repositories, the people, the versions, and the small
types every step passes around (a service's checkout, a workflow run's trigger, the story told).

:mod:`.rehearsal` (the story) and :mod:`.rehearsal_ops` (the release operations of issue 17)
both stand on it, so neither imports the other's module for its constants.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SERVICES = ("acme/web", "acme/api")
TICKET_REPO = "acme/releases"
DRIVER = "alice"  # the release driver: merges, publishes, is pinged on failures
DEVELOPERS = {"acme/web": "bob", "acme/api": "carol"}
FEATURE_BRANCH = "feature/login"
HOTFIX_BRANCH = "fix/login-timeout"
VERSION = "0.1.0"
HOTFIX_VERSION = "0.1.1"
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
FAILABLE_STAGES = ("staging", "production")


class RehearsalFailed(Exception):
    """A step did not do what the release process expects (not a requested failure)."""


@dataclass
class Service:
    full_name: str
    checkout: Path
    developer: str
    pulls: dict[str, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.full_name.split("/")[1]

    @property
    def image(self) -> str:
        return f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{self.full_name}"


@dataclass(frozen=True)
class Trigger:
    """The context of one workflow run: repository, commit, ref and event."""

    repository: str
    sha: str
    ref: str
    event_name: str
    event: Mapping[str, Any] = field(default_factory=dict)
    head_ref: str = ""
    base_ref: str = ""


class Story:
    """What happened, told in order even when the services' workflows run concurrently.

    Inside :meth:`collect`, lines are kept per thread and handed back, so that concurrent flows
    can be told one after the other.
    """

    def __init__(self, echo: Callable[[str], None]) -> None:
        self.echo = echo
        self.lines: list[str] = []
        self._local = threading.local()

    def chapter(self, title: str) -> None:
        self._say(f"\n== {title}")

    def event(self, text: str) -> None:
        self._say(f"  * {text}")

    def detail(self, text: str) -> None:
        self._say(f"      {text}")

    def check(self, ok: bool, text: str) -> bool:
        self._say(f"  {'ok  ' if ok else 'FAIL'} {text}")
        return ok

    @contextmanager
    def collect(self) -> Iterator[list[str]]:
        buffer: list[str] = []
        self._local.buffer = buffer
        try:
            yield buffer
        finally:
            del self._local.buffer

    def tell(self, lines: list[str]) -> None:
        for line in lines:
            self._say(line)

    def _say(self, text: str) -> None:
        buffer = getattr(self._local, "buffer", None)
        if buffer is not None:
            buffer.append(text)
            return
        self.lines.append(text)
        self.echo(text)
