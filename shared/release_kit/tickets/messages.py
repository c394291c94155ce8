"""Comments and fallback issues: what the ticket says besides its body, and how it is found again.

Every comment is posted with a hidden marker (``*_marker``) naming the event it is about, so that
a re-run of the same job finds its comment instead of posting a second one.
"""

from __future__ import annotations

from release_kit.markers import marker
from release_kit.text import code, inline
from release_kit.tickets.model import Report, TicketState
from release_kit.tickets.render import EMOJI, MESSAGE_LIMIT, render_cell, short_time

FAILURE_LABEL = "release-failure"


def event_marker(report: Report) -> str:
    """One per event: a repository's stage reaching a status in one run attempt."""
    run = report.run_url or report.time
    key = f"{report.repository.lower()} {report.stage} {report.status} {run}"
    return marker("ticket-event", key)


def repository_marker(repository: str) -> str:
    """The single comment of ``repository`` (``comment-mode: single``)."""
    return marker("ticket-repository", repository.lower())


def failure_marker(release: str, stage: str) -> str:
    """The fallback issue of (release, stage) in the reporting repository."""
    return marker(FAILURE_LABEL, f"{release} {stage}")


def duplicate_marker(number: int) -> str:
    """The comment that closes a ticket opened twice at the same time."""
    return marker("ticket-duplicate", str(number))


def duplicate_comment(number: int, kept: int) -> str:
    return f"Duplicate of #{kept} (opened at the same time).\n\n{duplicate_marker(number)}"


def _mention(driver: str) -> str:
    return f"@{driver}" if driver else "the release driver (none set)"


def _run(report: Report) -> str:
    return f"[run]({report.run_url})" if report.run_url else "(no run link)"


def _quote(report: Report) -> str:
    return f"\n\n> {inline(report.message, MESSAGE_LIMIT)}" if report.message else ""


def event_comment(report: Report, driver: str) -> str:
    """A comment about one report; failures mention the driver."""
    head = (f"{EMOJI[report.status]} {inline(report.repository)} · {inline(report.stage)}: "
            f"**{report.status.replace('_', ' ')}**")
    if report.version:
        head += f" {code(report.version)}"
    text = f"{head} · {_run(report)} · {short_time(report.time)}{_quote(report)}"
    if report.status == "failure":
        text += f"\n\n{_mention(driver)}, please have a look."
    return text


def repository_comment(state: TicketState, repository: str, server_url: str) -> str:
    """The one comment of a repository, rewritten in place with its row of the ticket."""
    lines = [f"{inline(repository)} in release {code(state.release)}", "",
             "| Stage | Status |", "|---|---|"]
    for report in state.row(repository):
        lines.append(f"| {inline(report.stage)} | {render_cell(report, server_url)} |")
    return "\n".join(lines)


def failure_title(release: str, stage: str) -> str:
    return f"Release {release} failed: {stage}"


def failure_issue_body(release: str, report: Report, driver: str, ticket_note: str) -> str:
    """Body of the fallback issue opened in the failing repository when there is no ticket."""
    return (
        f"{EMOJI['failure']} Release {code(release)} failed at stage {code(report.stage)} in "
        f"{inline(report.repository)}: {_run(report)} · {short_time(report.time)}"
        f"{_quote(report)}\n\n{_mention(driver)}, please have a look. {ticket_note}"
    )


def failure_followup(report: Report, driver: str) -> str:
    """A comment on an existing fallback issue: the same stage failed again."""
    return (f"{EMOJI['failure']} Failed again: {_run(report)} · {short_time(report.time)}"
            f"{_quote(report)}\n\n{_mention(driver)}")


def not_done_summary(state: TicketState) -> str:
    """Which rows keep the ticket open, as Markdown lines."""
    return "\n".join(
        f"- {inline(r.repository)}: {inline(r.stage)} is {r.status.replace('_', ' ')}"
        for r in state.not_done()
    )
