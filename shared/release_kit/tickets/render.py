"""The ticket body: a human part people edit, and a machine part re-rendered from the state.

The machine part sits between two hidden markers and holds, in order: the release marker (how the
ticket is found by listing), a status table (rows: repositories, columns: stages), a Mermaid
flowchart of the stages coloured by their worst status, the messages of the cells, and the state
as JSON in a hidden comment. Everything outside the markers is kept byte for byte.

The body is a pure function of the state, so equal states render equal bodies. It stays under
GitHub's 65,536 characters: when it would not, detail is dropped from the oldest cells first
(messages, then links, then version and sha).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime

from release_kit.github.issues import marker
from release_kit.tickets.model import Report, Status, TicketState
from release_kit.tickets.text import code, hidden_json, inline, is_sha, mermaid_label

BEGIN = "<!-- release-kit:ticket-begin -->"
END = "<!-- release-kit:ticket-end -->"
_STATE = re.compile(r"<!-- release-kit:ticket-state (.*?) -->", re.DOTALL)
_RELEASE_KIND = "release-ticket"

BODY_LIMIT = 65_536
# Room kept free below GitHub's limit (GitHub counts characters; be generous with its counting).
SAFETY_MARGIN = 512
MESSAGE_LIMIT = 300
CELL_MESSAGE_LIMIT = 60

EMOJI: dict[Status, str] = {
    "pending": "⏳",
    "in_progress": "🔄",
    "success": "✅",
    "failure": "❌",
    "skipped": "⏭️",
}
_COLOURS: dict[Status, str] = {
    "success": "fill:#dafbe1,stroke:#1a7f37,color:#0d3d1c",
    "failure": "fill:#ffebe9,stroke:#cf222e,color:#5c0a0f",
    "in_progress": "fill:#fff8c5,stroke:#9a6700,color:#3b2300",
    "pending": "fill:#ddf4ff,stroke:#0969da,color:#032a57",
    "skipped": "fill:#f6f8fa,stroke:#8c959f,color:#424a53",
}

HUMAN_PLACEHOLDER = (
    "### Notes\n\n"
    "_Everything outside the status block above is yours: edit freely, release-kit keeps it._"
)


def release_marker(release: str) -> str:
    """The hidden marker that identifies the ticket of ``release`` (found by listing issues)."""
    return marker(_RELEASE_KIND, release)


def short_time(time: str) -> str:
    moment = datetime.fromisoformat(time.replace("Z", "+00:00"))
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def commit_url(server_url: str, report: Report) -> str:
    return f"{server_url.rstrip('/')}/{report.repository}/commit/{report.sha}"


def render_cell(report: Report | None, server_url: str) -> str:
    """emoji, version, short sha linked to the commit, run link, time, start of the message."""
    if report is None:
        return " "
    parts = [EMOJI[report.status]]
    if report.version:
        parts.append(code(report.version))
    if report.sha:
        short = code(report.sha[:7])
        linked = is_sha(report.sha)
        parts.append(f"[{short}]({commit_url(server_url, report)})" if linked else short)
    if report.run_url:
        parts.append(f"[run]({_url(report.run_url)})")
    parts.append(f"<sub>{short_time(report.time)}</sub>")
    if report.message:  # the start of it; the whole message is under "Messages"
        parts.append(f"<br><sub>{inline(report.message, CELL_MESSAGE_LIMIT)}</sub>")
    return " ".join(parts)


def _url(url: str) -> str:
    """A link target that cannot break out of ``(...)``."""
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("<", "%3C")


def status_table(state: TicketState, server_url: str) -> str:
    stages = state.stages()
    if not stages:
        return "_No repository has reported yet._"
    lines = ["| Repository | " + " | ".join(inline(s) for s in stages) + " |",
             "|---|" + "---|" * len(stages)]
    for repo in state.repositories():
        cells = [render_cell(state.cell(repo, stage), server_url) for stage in stages]
        lines.append(f"| {inline(repo)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def flowchart(state: TicketState) -> str:
    """Stages left to right, each coloured by its worst status across repositories."""
    stages = state.stages()
    if not stages:
        return ""
    nodes = [f"s{i}[{mermaid_label(stage)}]" for i, stage in enumerate(stages)]
    lines = ["```mermaid", "flowchart LR", "  " + " --> ".join(nodes)]
    used: dict[Status, list[str]] = {}
    for i, stage in enumerate(stages):
        used.setdefault(state.stage_status(stage), []).append(f"s{i}")
    for status, ids in sorted(used.items()):
        lines.append(f"  classDef {status} {_COLOURS[status]}")
        lines.append(f"  class {','.join(ids)} {status}")
    lines.append("```")
    return "\n".join(lines)


def messages(state: TicketState) -> str:
    """The cells' messages, newest first, collapsed (they are detail, the table is the summary)."""
    items = [r for r in reversed(state.oldest_first()) if r.message]
    if not items:
        return ""
    lines = ["<details><summary>Messages</summary>", ""]
    lines += [
        f"- {EMOJI[r.status]} {inline(r.repository)} · {inline(r.stage)} · "
        f"{short_time(r.time)}: {inline(r.message, MESSAGE_LIMIT)}"
        for r in items
    ]
    lines += ["", "</details>"]
    return "\n".join(lines)


def machine_part(state: TicketState, server_url: str) -> str:
    """The block between the markers, rendered from ``state`` alone."""
    sections = [
        BEGIN,
        release_marker(state.release),
        f"**Release {code(state.release)}**"
        + (f" · driver @{state.driver}" if state.driver else ""),
        status_table(state, server_url),
        flowchart(state),
        messages(state),
        f"<!-- release-kit:ticket-state {hidden_json(state.to_json())} -->",
        END,
    ]
    return "\n\n".join(s for s in sections if s)


# -- size limit ---------------------------------------------------------------------------------

def _strip(report: Report, level: int) -> Report:
    """Less detail: 1 no message, 2 no run link, 3 no version and sha."""
    if level >= 1:
        report = replace(report, message="")
    if level >= 2:
        report = replace(report, run_url="")
    if level >= 3:
        report = replace(report, version="", sha="")
    return report


def _compacted(state: TicketState, oldest: list[Report], level: int, count: int) -> TicketState:
    cells = dict(state.cells)
    for report in oldest[:count]:
        cells[report.cell] = _strip(report, level)
    return replace(state, cells=cells)


def fit(state: TicketState, server_url: str, budget: int) -> TicketState:
    """``state`` with detail dropped from the oldest cells until its machine part fits ``budget``.

    Each level strips the fewest oldest cells that make the part fit (binary search: the size
    only shrinks as more cells are stripped); the result depends on the state alone.
    """
    if len(machine_part(state, server_url)) <= budget:
        return state
    oldest = state.oldest_first()
    for level in (1, 2, 3):
        low, high = 0, len(oldest)
        candidate = _compacted(state, oldest, level, high)
        if len(machine_part(candidate, server_url)) > budget:
            state = candidate
            oldest = state.oldest_first()
            continue
        while low < high:
            middle = (low + high) // 2
            if len(machine_part(_compacted(state, oldest, level, middle), server_url)) <= budget:
                high = middle
            else:
                low = middle + 1
        return _compacted(state, oldest, level, low)
    # Last resort: forget the oldest cells, unless the human part is what is too long (then the
    # state is kept whole and GitHub's refusal is reported rather than the history wiped).
    keep_all = budget <= BODY_LIMIT // 4
    while not keep_all and state.cells and len(machine_part(state, server_url)) > budget:
        drop = state.oldest_first()[: max(1, len(state.cells) // 10)]
        state = replace(state, cells={k: v for k, v in state.cells.items()
                                      if v not in drop})
    return state


# -- the whole body -----------------------------------------------------------------------------

def split(body: str) -> tuple[str, str, str] | None:
    """``(before, machine, after)``, or None when the markers are missing."""
    start = body.find(BEGIN)
    end = body.find(END, start + len(BEGIN)) if start >= 0 else -1
    if start < 0 or end < 0:
        return None
    return body[:start], body[start: end + len(END)], body[end + len(END):]


def parse(body: str | None) -> TicketState | None:
    """The state stored in a ticket body, or None when it carries none (or a broken one)."""
    parts = split(body or "")
    if parts is None:
        return None
    match = _STATE.search(parts[1])
    if match is None:
        return None
    try:
        return TicketState.from_json(json.loads(match.group(1)))
    except (ValueError, KeyError, TypeError):
        return None


def render_body(body: str | None, state: TicketState, server_url: str) -> str:
    """``body`` with its machine part replaced by ``state``'s (added on top when missing)."""
    parts = split(body or "")
    if parts is None:
        before, after = "", "\n\n" + (body or HUMAN_PLACEHOLDER)
    else:
        before, _, after = parts
    budget = BODY_LIMIT - SAFETY_MARGIN - len(before) - len(after)
    return before + machine_part(fit(state, server_url, budget), server_url) + after
