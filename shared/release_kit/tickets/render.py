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

from release_kit.errors import ReleaseKitError
from release_kit.markers import Block, marker
from release_kit.text import code, hidden_json, inline, is_sha, mermaid_label
from release_kit.tickets.model import Report, Status, TicketState

BLOCK = Block("ticket")
BEGIN, END = BLOCK.begin, BLOCK.end
_STATE = re.compile(r"<!-- release-kit:ticket-state (.*?) -->", re.DOTALL)
_RELEASE_KIND = "release-ticket"
_BACKUP_KIND = "ticket-backup"

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


def backup_marker(release: str) -> str:
    """The hidden marker of the comment that keeps a second copy of the ticket's state."""
    return marker(_BACKUP_KIND, release)


class StateDamaged(ReleaseKitError):
    """The ticket's status block is there but cannot be read (hand edit, truncation, tampering).

    Never treated as "no state": that would erase every row the block held.
    """

    title = "Release ticket damaged"

    def __init__(self, reason: str) -> None:
        super().__init__(f"the status block of the release ticket cannot be read: {reason}.")
        self.reason = reason

    def without_backup(self, url: str) -> StateDamaged:
        damage = StateDamaged(self.reason)
        damage.message = (f"The status block of the release ticket {url} cannot be read "
                          f"({self.reason}) and there is no backup comment to restore it from; "
                          "nothing was written.")
        damage.hint = ("Restore the block from the issue's edit history (the 'edited' menu "
                       "next to the description), then re-run this job. To start the block "
                       "over instead, delete everything from "
                       f"{BEGIN} to {END}: each repository's next report adds its row again.")
        return damage


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
    only shrinks as more cells are stripped); the result depends on the state alone. A state
    that does not fit even with every cell stripped raises :class:`TicketTooLarge`: cells are
    never dropped (that would lose rows).
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
    raise TicketTooLarge(len(state.cells), len(machine_part(state, server_url)), budget)


class TicketTooLarge(ReleaseKitError):
    """Even with every cell's detail collapsed, the body would pass GitHub's limit."""

    title = "Release ticket too large"

    def __init__(self, cells: int, size: int, budget: int) -> None:
        super().__init__(
            f"the release ticket would exceed GitHub's {BODY_LIMIT:,} characters: its status "
            f"block needs {size:,} characters for {cells} cells even with older detail "
            f"collapsed, and {max(budget, 0):,} are left beside the text outside the block. "
            "Nothing was written.",
            hint="Shorten the notes outside the status block, or track the rest of this "
            "release in a new ticket (close this one and open one for a new release name).")


# -- the whole body -----------------------------------------------------------------------------

def split(body: str) -> tuple[str, str, str] | None:
    """``(before, machine, after)``, or None when the markers are missing."""
    return BLOCK.split(body)


def _state_in(text: str, now: datetime | None) -> TicketState:
    match = _STATE.search(text)
    if match is None:
        raise StateDamaged("its hidden state comment is missing")
    try:
        data = json.loads(match.group(1))
    except ValueError as exc:
        raise StateDamaged(f"its hidden state is not JSON ({exc})") from None
    try:
        return TicketState.from_json(data, now=now)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StateDamaged(f"its hidden state is not valid ({exc})") from None


def parse(body: str | None, now: datetime | None = None) -> TicketState | None:
    """The state stored in a ticket body; None when the body has no status block at all.

    A block that is there but cannot be read raises :class:`StateDamaged`: a missing end or
    begin marker, a state that is not JSON, or a value that is not valid (an unknown status, an
    attempt that is not a positive integer, a time later than ``now`` plus 5 minutes of clock
    skew, a driver that is not a GitHub login). Without ``now`` times are not checked.
    """
    body = body or ""
    if BLOCK.damaged(body):
        raise StateDamaged("one of its begin/end markers is missing")
    parts = split(body)
    if parts is None:
        return None
    return _state_in(parts[1], now)


def backup_comment(state: TicketState) -> str:
    """The backup comment: the state again, hidden, with a line for people."""
    return (f"_Backup of the status block of release {code(state.release)} "
            f"({len(state.cells)} cells): release-kit restores the block from here if it is "
            "damaged. Please leave this comment as it is._\n\n"
            f"<!-- release-kit:ticket-state {hidden_json(state.to_json())} -->")


def read_backup(text: str, now: datetime | None) -> TicketState | None:
    """The state in a backup comment, or None when it cannot be read either."""
    try:
        return _state_in(text, now)
    except StateDamaged:
        return None


def restore(body: str) -> str:
    """``body`` with its damaged block emptied, and the damaged text kept below it, quoted.

    The caller renders the state (from the backup) into the emptied block. Nothing a person
    wrote is lost: whatever the damaged block held is kept as text in a collapsed section.
    """
    parts = split(body)
    if parts is not None:
        before, damaged, after = parts
    elif BEGIN in body:
        start = body.index(BEGIN)
        before, damaged, after = body[:start], body[start:], ""
    elif END in body:
        end = body.index(END) + len(END)
        before, damaged, after = "", body[:end], body[end:]
    else:
        return body
    quoted = damaged.replace("<!--", "<!- -")  # the copy carries no live marker
    fence = "`" * max(3, _longest_backtick_run(quoted) + 1)
    kept = ("\n\n<details><summary>Status block as found damaged (release-kit restored it "
            f"from its backup)</summary>\n\n{fence}text\n{quoted}\n{fence}\n\n</details>")
    return f"{before}{BEGIN}\n{END}{kept}{after}"


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


def render_ticket_body(body: str | None, state: TicketState, server_url: str) -> str:
    """``body`` with its machine part replaced by ``state``'s (added on top when missing)."""
    parts = split(body or "")
    if parts is None:
        before, after = "", "\n\n" + (body or HUMAN_PLACEHOLDER)
    else:
        before, _, after = parts
    budget = BODY_LIMIT - SAFETY_MARGIN - len(before) - len(after)
    return before + machine_part(fit(state, server_url, budget), server_url) + after
