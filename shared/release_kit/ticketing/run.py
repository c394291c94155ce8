"""release-ticket: one issue per release that every repository reports into.

operation:
- ``open``: find the ticket of the release (by ticket-number, else by label and hidden marker,
  listing issues) or create it once; assign the driver; dispatch the targets' workflows and
  show each dispatch in the ticket.
- ``report``: merge this repository's stage status into the ticket (newest event wins), write it
  and read it back to make sure no concurrent writer erased it; comment per ``comment-mode``.
- ``notify-failure``: report a failure and ping the driver on the ticket; without a ticket, open
  (or reuse) an issue in the failing repository, one per (release, stage).
- ``close``: close the ticket once every row's last stage is success or skipped.

Chat: every report a step writes (report, notify-failure, open's dispatches) that ``notify-on``
wants is posted to the webhooks given (Slack, Teams, generic JSON), once per event and channel:
the dedupe keys of the posts are kept in the ticket's ledger. A post that fails is a warning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from release_kit import templates
from release_kit.action import commands
from release_kit.action.runner import Runtime
from release_kit.chat import timeout_of
from release_kit.errors import InputError, NotFoundError, PermissionDeniedError, ReleaseKitError
from release_kit.github.rest import API_CALLS, AmbiguousWrite
from release_kit.github.tickets import Ticket, TicketDesk
from release_kit.text import markdown_table
from release_kit.ticketing.inputs import TicketInputs
from release_kit.tickets import (
    DISPATCH_STAGE,
    Report,
    Status,
    Target,
    already_started,
    messages,
    normalise_time,
    not_started,
    parse_targets,
    started,
)

EVENT_TIME_ENV = "RELEASE_KIT_EVENT_TIME"  # the run's start, when the workflow knows it


@dataclass
class TicketResult:
    ticket: Ticket | None = None
    fallback_issue: int | None = None
    notes: list[str] = field(default_factory=list)
    chat: list[str] = field(default_factory=list)  # what each chat post did


def make_report(inputs: TicketInputs, rt: Runtime, *, status: Status | None = None,
                stage: str | None = None, repository: str | None = None,
                message: str | None = None) -> Report:
    """This run's report, timed at the run's start when known (RELEASE_KIT_EVENT_TIME), else now."""
    ctx = rt.context
    repository = repository or inputs.repository
    sha = inputs.sha or (ctx.sha if repository.lower() == ctx.repository.lower() else "")
    return Report(
        repository=repository,
        stage=stage or inputs.stage,
        status=status or inputs.status or "failure",
        time=event_time(rt),
        attempt=ctx.run_attempt,
        version=inputs.version,
        sha=sha,
        message=inputs.message if message is None else message,
        run_url=ctx.run_url,
    )


def event_time(rt: Runtime) -> str:
    """``RELEASE_KIT_EVENT_TIME`` (ISO 8601, e.g. the run's start) when set, else now."""
    given = rt.environ.get(EVENT_TIME_ENV, "").strip()
    try:
        return normalise_time(given or datetime.now(UTC))
    except ValueError:
        raise InputError(EVENT_TIME_ENV, f"{given!r} is not an ISO 8601 time.",
                         hint="Use e.g. 2026-11-23T10:00:00Z, or leave it unset for now.") from None


# -- operations ---------------------------------------------------------------------------------

def open_ticket(inputs: TicketInputs, rt: Runtime, desk: TicketDesk) -> TicketResult:
    ticket = desk.find(inputs.ticket_number)
    if ticket is None:
        title = templates.render_template(inputs.title,
                                 {"release": inputs.release, "driver": inputs.driver}, "title")
        ticket = desk.create(title, inputs.driver)
    elif desk.adopt(ticket, inputs.driver):
        commands.notice(f"Reopened the release ticket #{ticket.number}.")
    state = desk.state_of(ticket)
    dispatches = [dispatch(target, ticket, inputs, rt, desk)
                  for target in parse_targets(inputs.targets)
                  if not already_started(state, target)]
    result = TicketResult(ticket)
    if dispatches and write_reports(desk, ticket, dispatches, inputs):
        result.chat = announce(inputs, rt, desk, ticket, dispatches)
    return result


def dispatch(target: Target, ticket: Ticket, inputs: TicketInputs, rt: Runtime,
             desk: TicketDesk) -> Report:
    """Start ``target``'s workflow; a refusal becomes a failure cell and a warning, not an error."""
    try:
        desk.dispatch(target, ticket)
    except AmbiguousWrite as exc:
        reason = (f"{exc.message} A dispatch cannot be looked up afterwards, so it was not sent "
                  "again: check the target's runs (re-running open sends it again)")
        commands.warning(f"{target} may not have started: {reason}", title="Dispatch unknown")
        return make_report(inputs, rt, status="failure", stage=DISPATCH_STAGE,
                           repository=target.repository, message=not_started(target, reason))
    except ReleaseKitError as exc:
        commands.warning(f"Could not start {target}: {exc.message}", title="Dispatch failed")
        return make_report(inputs, rt, status="failure", stage=DISPATCH_STAGE,
                           repository=target.repository, message=not_started(target, exc.message))
    return make_report(inputs, rt, status="success", stage=DISPATCH_STAGE,
                       repository=target.repository, message=started(target))


def write_reports(desk: TicketDesk, ticket: Ticket, reports: list[Report],
                  inputs: TicketInputs) -> bool:
    """Merge ``reports`` into the ticket; False when the ticket already had newer ones."""
    update = desk.write(ticket, reports, inputs.driver if inputs.operation == "open" else "")
    if update is not None and update.writes > 1:
        commands.info(f"The ticket was written concurrently: {update.writes} writes and "
                      f"{update.reads} reads until the report stuck.")
    return update is not None


def report(inputs: TicketInputs, rt: Runtime, desk: TicketDesk) -> TicketResult:
    ticket = desk.require(inputs.ticket_number)
    event = make_report(inputs, rt)
    if not write_reports(desk, ticket, [event], inputs):
        return TicketResult(ticket, notes=[f"A newer report is already in the ticket for "
                                     f"{event.repository} / {event.stage}; nothing changed."])
    desk.comment(ticket, event, inputs.comment_mode, desk.state_of(ticket).driver or inputs.driver)
    result = TicketResult(ticket)
    result.chat = announce(inputs, rt, desk, ticket, [event])
    return result


def notify_failure(inputs: TicketInputs, rt: Runtime, desk: TicketDesk) -> TicketResult:
    event = make_report(inputs, rt, status="failure")
    try:
        ticket = desk.find(inputs.ticket_number)
    except (NotFoundError, PermissionDeniedError) as exc:
        # A repository's own token often cannot see the central repository: the failure
        # must still reach someone, so it goes to the failing repository as with no ticket.
        commands.warning(f"The ticket repository is out of reach ({exc.message}); opening the "
                         "failure issue in the reporting repository instead.")
        ticket = None
    if ticket is None:
        made, recorded = desk.failure_issue(event, inputs.driver)
        warn_unassigned(made.unassigned, made.issue.html_url)
        verb = "Opened" if made.created else "Updated"
        result = TicketResult(fallback_issue=made.issue.number,
                        notes=[f"{verb} {made.issue.html_url}: there is no ticket for "
                               f"{inputs.release}."])
        notifier = inputs.notifier(rt)
        if notifier is not None:
            # No ledger without a ticket: the issue's record of the event is the dedupe key
            # (a re-run finds it and does not post again).
            notifier.post_all(inputs.release, [event], server_url=rt.context.server_url,
                              link=made.issue.html_url,
                              label=f"Failure issue #{made.issue.number}",
                              already=lambda _key: not recorded)
            result.chat = notifier.lines
        return result
    if not write_reports(desk, ticket, [event], inputs):
        return TicketResult(ticket, notes=["A newer report is already in the ticket; no "
                                           "notification."])
    driver = desk.state_of(ticket).driver or inputs.driver
    desk.notify(ticket, event, driver)  # always: notifying is what this operation is for
    if inputs.comment_mode == "single":
        desk.comment(ticket, event, "single", driver)
    result = TicketResult(ticket)
    result.chat = announce(inputs, rt, desk, ticket, [event])
    return result


def announce(inputs: TicketInputs, rt: Runtime, desk: TicketDesk, ticket: Ticket,
             reports: list[Report]) -> list[str]:
    """Post the wanted ``reports`` to chat once each, and record the posts in the ticket.

    Returns what each post did, for the step summary.
    """
    notifier = inputs.notifier(rt)
    if notifier is None or not any(notifier.wants(r) for r in reports):
        return []
    state = desk.state_of(ticket)
    posted = notifier.post_all(inputs.release, reports, server_url=rt.context.server_url,
                               link=ticket.url, label=f"Release ticket #{ticket.number}",
                               already=state.has_notified)
    if not posted:
        return notifier.lines
    try:
        desk.write(ticket, [], notified=posted)
    except ReleaseKitError as exc:
        commands.warning(f"Posted to chat, but could not record it in the ticket "
                         f"({exc.message}): a re-run of this job posts it again.",
                         title="Chat post not recorded")
    return notifier.lines


def close(inputs: TicketInputs, rt: Runtime, desk: TicketDesk) -> TicketResult:
    ticket = desk.require(inputs.ticket_number)
    state = desk.state_of(ticket)
    not_done = state.not_done()
    if not_done:
        rows = ", ".join(f"{r.repository} ({r.stage}: {r.status})" for r in not_done)
        commands.warning(f"Release ticket #{ticket.number} stays open; not done: {rows}.",
                         title="Release not done")
        return TicketResult(ticket, notes=["The ticket stays open. Not done:\n\n"
                                     + messages.not_done_summary(state)])
    desk.close(ticket)
    return TicketResult(ticket, notes=["Every repository is done; the ticket is closed."])


OPERATIONS: dict[str, Callable[[TicketInputs, Runtime, TicketDesk], TicketResult]] = {
    "open": open_ticket,
    "report": report,
    "notify-failure": notify_failure,
    "close": close,
}


def warn_unassigned(logins: tuple[str, ...], url: str) -> None:
    if logins:
        commands.warning(f"GitHub could not assign {', '.join(logins)} to {url} (no access to "
                         "that repository, or a bot); they are @-mentioned in it instead.",
                         title="Driver not assigned")


def release_ticket(inputs: TicketInputs, rt: Runtime) -> None:
    """The action: the operation the inputs name, on the release's ticket, then outputs."""
    event_time(rt)  # an invalid RELEASE_KIT_EVENT_TIME fails before anything is written
    if inputs.webhooks():
        timeout_of(rt.environ)  # so does an invalid RELEASE_KIT_CHAT_TIMEOUT
    desk = TicketDesk(inputs.github, release=inputs.release, ticket_repo=inputs.ticket_repo,
                      labels=inputs.labels, server_url=rt.context.server_url)
    try:
        result = OPERATIONS[inputs.operation](inputs, rt, desk)
    except InputError:
        raise
    except ReleaseKitError as exc:
        if inputs.fail_on_error:
            raise
        commands.warning(f"{exc} (fail-on-error is false: the step goes on)",
                         title=f"release-ticket {inputs.operation}: {exc.title}")
        result = TicketResult()
    commands.debug(f"release-ticket: {API_CALLS.total} GitHub API calls")
    write_ticket_outputs(result, rt)


def write_ticket_outputs(result: TicketResult, rt: Runtime) -> None:
    ticket = result.ticket
    rt.outputs.update({
        "ticket-number": ticket.number if ticket else "",
        "ticket-url": ticket.url if ticket else "",
        "created": bool(ticket and ticket.created),
        "issue-number": result.fallback_issue or "",
    })
    if ticket is not None:
        if ticket.unassigned:
            warn_unassigned(ticket.unassigned, ticket.url)
        if ticket.restored:
            commands.warning(f"The status block of {ticket.url} was damaged; it was restored "
                             "from the backup comment and the damaged text kept below it.",
                             title="Release ticket repaired")
        state = ticket.state
        rows = [[r.repository, r.stage, r.status, r.version, r.time] for
                repo in state.repositories() for r in state.row(repo)]
        rt.summary.write(f"## Release {state.release or '?'}: [ticket #{ticket.number}]"
                         f"({ticket.url})\n\n"
                         + markdown_table(["Repository", "Stage", "Status", "Version", "Time"],
                                          rows))
    for note in result.notes:
        commands.info(note)
        rt.summary.write(note)
    if result.chat:
        rt.summary.write("### Chat\n\n" + "\n".join(f"- {line}" for line in result.chat) + "\n")
