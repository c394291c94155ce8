"""Workflow commands (``::name props::message``) with the runner's escaping rules.

Mirrors @actions/core: message data escapes ``%``, ``\\r`` and ``\\n``; property values also
escape ``:`` and ``,``. Commands go to stdout, which the runner parses line by line.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def format_command(command: str, message: str = "", **properties: object) -> str:
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None and value != ""
    )
    head = f"::{command} {props}" if props else f"::{command}"
    return f"{head}::{escape_data(message)}"


def _emit(line: str, stream: TextIO | None = None) -> None:
    out = stream or sys.stdout
    out.write(line + "\n")
    out.flush()


def issue(command: str, message: str = "", **properties: object) -> None:
    _emit(format_command(command, message, **properties))


def error(message: str, *, title: str | None = None, file: str | None = None,
          line: int | None = None) -> None:
    issue("error", message, title=title, file=file, line=line)


def warning(message: str, *, title: str | None = None, file: str | None = None,
            line: int | None = None) -> None:
    issue("warning", message, title=title, file=file, line=line)


def notice(message: str, *, title: str | None = None, file: str | None = None,
           line: int | None = None) -> None:
    issue("notice", message, title=title, file=file, line=line)


def debug_enabled() -> bool:
    return os.environ.get("RUNNER_DEBUG") == "1"


def debug(message: str) -> None:
    if debug_enabled():
        issue("debug", message)


_masked: set[str] = set()


def add_mask(secret: str) -> None:
    """Ask the runner to redact ``secret`` (every line of it) from all later log output."""
    for part in {p.strip() for p in (secret, *secret.splitlines())}:
        if part and part not in _masked:
            _masked.add(part)
            issue("add-mask", part)


def info(message: str) -> None:
    _emit(message)


@contextmanager
def group(title: str) -> Iterator[None]:
    """A collapsible log group; always closed, even when the body raises."""
    issue("group", title)
    try:
        yield
    finally:
        issue("endgroup")
