"""Workflow commands (``::name props::message``) with the runner's escaping rules, and the one
place where text the actions print is made unable to issue commands.

Mirrors @actions/core: message data escapes ``%``, ``\\r`` and ``\\n``; property values also
escape ``:`` and ``,``. Commands go to stdout, which the runner parses line by line.

**Untrusted text stays text.** The runner (``ActionCommand.TryParseV2`` / ``TryParse``) reads a
line as a command when, after trimming leading white space, it starts with ``::``, or when it
contains the legacy ``##[`` anywhere; it splits lines at ``\\r`` as well as ``\\n``, and compares
culture-sensitively, so characters ICU ignores (controls, zero-width and format characters) do
not separate ``#`` from ``#`` for it. :func:`neutralise` therefore inserts a visible space where
either form would begin: ``::x`` becomes ``: :x`` at the start of a line (white space and
ignorable characters skipped), and ``##[`` becomes ``## [`` anywhere. It is applied to every
line of free text (:func:`info`), to every message and property of the commands release-kit
issues itself (all but ``add-mask``, whose value must stay exact), and, through
:class:`NeutralisingStream`, which ``release_kit.action.runner`` installs on ``sys.stdout`` and
``sys.stderr`` for the whole run, to anything else that prints (libraries, tracebacks). Only
:func:`issue` writes a line that is a command, and it writes it at the start of a line.
"""

from __future__ import annotations

import os
import sys
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

# Where a line may begin for the runner (StreamReader: \r, \n, \r\n), and, generously, wherever
# Python would start a new line too: over-neutralising costs a space, never a command.
_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
# Characters that ICU's comparison may skip, so that they cannot hide "::" or "##[" from us while
# the runner sees through them: controls, format characters (zero-width ones included), marks,
# surrogates, private use and unassigned code points.
_IGNORABLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Mn", "Me"})


def _ignorable(char: str) -> bool:
    return char not in _LINE_BREAKS and unicodedata.category(char) in _IGNORABLE_CATEGORIES


class _Neutraliser:
    """The state of one output stream: where its current line began, its last two characters.

    ``feed`` may be called with any slice of the text (a stream gets writes of any size); the
    result is the same as neutralising the whole text at once.
    """

    def __init__(self) -> None:
        self.fresh = True    # nothing written on this line yet
        self.leading = True  # only white space and ignorable characters so far on this line
        self.colon = False   # the first visible character of the line was ":"
        self.last = ""       # the last two visible characters (ignorable ones skipped)

    def feed(self, text: str) -> str:
        out: list[str] = []
        for char in text:
            if char in _LINE_BREAKS:
                self.fresh, self.leading, self.colon, self.last = True, True, False, ""
                out.append(char)
                continue
            self.fresh = False
            if _ignorable(char):
                out.append(char)
                continue
            if self.leading and char.isspace():
                out.append(char)
                continue
            if self.leading:
                self.leading, self.colon = False, char == ":"
            elif self.colon:
                self.colon = False
                if char == ":":
                    out.append(" ")
                    self.last = " "
            if char == "[" and self.last == "##":
                out.append(" ")
                self.last = " "
            out.append(char)
            self.last = (self.last + char)[-2:]
        return "".join(out)


def neutralise(text: str) -> str:
    """``text`` (starting at the start of a line) as lines the runner cannot take for commands.

    Readable and idempotent: only a space is inserted, where ``::`` would begin a line or
    ``##[`` would appear.
    """
    return _Neutraliser().feed(text)


class NeutralisingStream:
    """A text stream whose writes are neutralised (see the module documentation).

    ``write_command`` is the one way to put a command line through it: it starts a new line if
    the text written so far has not ended one, so the command is read as one.
    """

    def __init__(self, raw: TextIO) -> None:
        self.raw = raw
        self._state = _Neutraliser()
        self._lock = threading.RLock()

    def write(self, text: str) -> int:
        with self._lock:
            self.raw.write(self._state.feed(text))
        return len(text)

    def write_command(self, line: str) -> None:
        with self._lock:
            if not self._state.fresh:
                self.raw.write("\n")
            self.raw.write(line + "\n")
            self._state = _Neutraliser()
            self.raw.flush()

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self.raw.flush()

    def isatty(self) -> bool:
        return self.raw.isatty()

    def fileno(self) -> int:
        return self.raw.fileno()

    @property
    def encoding(self) -> str:
        return getattr(self.raw, "encoding", "utf-8")

    @property
    def errors(self) -> str | None:
        return getattr(self.raw, "errors", None)


@contextmanager
def neutralised_output() -> Iterator[None]:
    """Run the body with ``sys.stdout`` and ``sys.stderr`` neutralised (restored afterwards)."""
    saved = sys.stdout, sys.stderr
    sys.stdout = NeutralisingStream(saved[0])
    sys.stderr = NeutralisingStream(saved[1])
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        sys.stdout, sys.stderr = saved


_write_lock = threading.RLock()


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


# The command whose message must reach the runner exactly as given.
_VERBATIM = frozenset({"add-mask"})


def format_command(command: str, message: str = "", **properties: object) -> str:
    """One command line; its message and properties neutralised (``add-mask``'s kept exact)."""
    clean = (lambda text: text) if command in _VERBATIM else neutralise
    props = ",".join(
        f"{key}={escape_property(clean(str(value)))}"
        for key, value in properties.items()
        if value is not None and value != ""
    )
    head = f"::{command} {props}" if props else f"::{command}"
    return f"{head}::{escape_data(clean(message))}"


def _write_command(line: str) -> None:
    with _write_lock:
        out = sys.stdout
        if isinstance(out, NeutralisingStream):
            out.write_command(line)
        else:
            out.write(line + "\n")
            out.flush()


def issue(command: str, message: str = "", **properties: object) -> None:
    _write_command(format_command(command, message, **properties))


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


def on_runner() -> bool:
    """Whether a runner reads this output (``GITHUB_ACTIONS=true``, as GitHub and act set it)."""
    return os.environ.get("GITHUB_ACTIONS") == "true"


def add_mask(secret: str) -> None:
    """Ask the runner to redact ``secret`` (every line of it) from all later log output.

    Outside a runner nothing reads the request: the line would only print the secret on the
    terminal, so nothing is written.
    """
    if not on_runner():
        return
    for part in {p.strip() for p in (secret, *secret.splitlines())}:
        if part and part not in _masked:
            _masked.add(part)
            issue("add-mask", part)


def info(message: str) -> None:
    """Free text (helmfile's output, a message naming a branch): neutralised, then printed."""
    with _write_lock:
        out = sys.stdout
        out.write(neutralise(message) + "\n")
        out.flush()


@contextmanager
def group(title: str) -> Iterator[None]:
    """A collapsible log group; always closed, even when the body raises."""
    issue("group", title)
    try:
        yield
    finally:
        issue("endgroup")
