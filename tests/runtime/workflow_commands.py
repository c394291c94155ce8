"""How the Actions runner finds workflow commands in a step's output, for tests to check against.

A port of the runner's ``ActionCommand.TryParseV2`` and ``TryParse`` (actions/runner,
src/Runner.Common/ActionCommand.cs) and of how it reads lines (``StreamReader.ReadLine``: a line
ends at ``\\r``, ``\\n`` or ``\\r\\n``). The runner compares culture-sensitively (``StartsWith``,
``IndexOf`` without ``StringComparison``), and ICU ignores control, format and zero-width
characters in such comparisons; ``find`` therefore also parses each line with those characters
removed, and reports what either reading finds. Command names are case-insensitive.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Every command a runner registers (ActionCommandManager and its extensions).
REGISTERED = frozenset({
    "set-env", "set-output", "save-state", "add-mask", "add-path", "add-matcher",
    "remove-matcher", "warning", "error", "notice", "debug", "group", "endgroup", "echo",
    "stop-commands", "internal-set-repo-path",
})
# char.IsWhiteSpace in .NET: what String.TrimStart() removes.
_DOTNET_SPACE = frozenset("\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000"
                          + "".join(chr(c) for c in range(0x2000, 0x200B)))
_RUNNER_LINES = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Found:
    command: str
    data: str
    form: str    # "v2" (::name::) or "v1" (##[name])
    line: str


def _ignorable(char: str) -> bool:
    return unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn", "Mn", "Me"} \
        and char not in _DOTNET_SPACE


def _v2(message: str) -> Found | None:
    text = message.lstrip("".join(_DOTNET_SPACE))
    if not text.startswith("::"):
        return None
    end = text.find("::", 2)
    if end < 0:
        return None
    info = text[2:end]
    name = info.split(" ", 1)[0]
    if name.lower() not in REGISTERED:
        return None
    return Found(name.lower(), text[end + 2:], "v2", message)


def _v1(message: str) -> Found | None:
    start = message.find("##[")
    if start < 0:
        return None
    close = message.find("]", start)
    if close < 0:
        return None
    name = message[start + 3:close].split(" ", 1)[0]
    if name.lower() not in REGISTERED:
        return None
    return Found(name.lower(), message[close + 1:], "v1", message)


def parse_line(line: str) -> Found | None:
    """What the runner makes of one line: V2 first, then V1 (as TryProcessCommand does)."""
    for text in (line, "".join(c for c in line if not _ignorable(c))):
        found = _v2(text) or _v1(text)
        if found is not None:
            return found
    return None


def find(output: str) -> list[Found]:
    """Every command the runner would find in ``output``."""
    return [found for line in _RUNNER_LINES.split(output)
            if (found := parse_line(line)) is not None]
