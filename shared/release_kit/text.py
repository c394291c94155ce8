"""Untrusted text (PR titles, commit subjects, inputs, messages) put into Markdown, Mermaid,
hidden HTML comments and Slack's mrkdwn: the one place every renderer of such text goes through.

Text is shown literally: Markdown syntax is escaped (no links, images, emphasis or code spans
of its own), HTML cannot open tags, line breaks cannot start a new line, block or table row,
and ``@name`` or ``@org/team`` cannot mention (and so notify) anyone: a zero-width space after
``@`` keeps it readable while GitHub no longer links it. In Slack's mrkdwn, ``&``, ``<`` and
``>`` are entities (Slack's own escaping), so no ``<!here>``, ``<@U123>`` or ``<url|link>`` can
form, and ``@here`` / ``@channel`` get the zero-width space too. Pure: no I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

ZERO_WIDTH_SPACE = "\u200b"
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")


def neutralise_mentions(text: str) -> str:
    """``@alice`` -> ``@\u200balice``: same look, no notification, no team ping."""
    return text.replace("@", "@" + ZERO_WIDTH_SPACE)


def inline(text: str, limit: int | None = None) -> str:
    """``text`` as literal inline Markdown on one line (safe in a table cell)."""
    text = " ".join(text.split())
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 0)].rstrip() + "…"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return neutralise_mentions(text)


def code(text: str) -> str:
    """``text`` as inline code; backticks cannot end the span early."""
    text = " ".join(text.split()).replace("`", "'")
    return f"`{neutralise_mentions(text)}`" if text else ""


def slack(text: str, limit: int | None = None) -> str:
    """``text`` in Slack mrkdwn, on one line: no mention, link or special command can form."""
    text = " ".join(text.split())
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 0)].rstrip() + "…"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return neutralise_mentions(text)


def slack_code(text: str, limit: int | None = None) -> str:
    """``text`` as one Slack mrkdwn code span (no formatting inside; backticks cannot end it)."""
    text = slack(text.replace("`", "'"), limit)
    return f"`{text}`" if text else ""


def mermaid_label(text: str) -> str:
    """A quoted Mermaid node label."""
    cleaned = " ".join(text.split())
    for char, entity in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        cleaned = cleaned.replace(char, entity)
    return f'"{neutralise_mentions(cleaned)}"'


def hidden_json(value: Any) -> str:
    """JSON that can sit inside ``<!-- ... -->``: ``<``, ``>``, ``&`` and ``@`` are \\u-escaped.

    The result is still valid JSON (``json.loads`` reads it back unchanged) but can never contain
    ``-->``, so text from inputs cannot end the comment and inject Markdown.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    for char in "&<>@":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?")


def mention(login: str) -> str:
    """``@login`` for a GitHub login (a deliberate credit, e.g. a changelog's author); anything
    that is not a login is shown as text and mentions nobody."""
    return f"@{login}" if _LOGIN.fullmatch(login) else inline(login)


def is_sha(text: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-fA-F]{7,40}", text))


def render_value(value: object) -> str:
    """A value as text, as step outputs carry it: booleans as ``true|false``, containers as
    JSON, None as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, separators=(",", ":"), sort_keys=False)
    return str(value)


def markdown_table(headers: list[str], rows: Iterable[Iterable[object]]) -> str:
    """A Markdown table; ``|`` and newlines inside cells are escaped (the cells' text is the
    caller's: untrusted text goes through :func:`inline` first)."""

    def cell(value: object) -> str:
        return render_value(value).replace("|", "\\|").replace("\n", "<br>")

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"
