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
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Literal, Self

from pydantic import BeforeValidator, field_validator, model_validator

from release_kit import templates
from release_kit.action import Bool, Lines, Runtime, commands, markdown_table, run
from release_kit.errors import (
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    ReleaseKitError,
)
from release_kit.github import API_CALLS, github_errors
from release_kit.github.inputs import GitHubAuthInputs
from release_kit.github.issues import (
    ensure_comment,
    ensure_issue,
    find_issue,
    is_pull_request,
    update_body,
    upsert_comment,
)
from release_kit.tickets import (
    DISPATCH_STAGE,
    Report,
    Status,
    Target,
    TicketState,
    dispatch_payload,
    messages,
    normalise_time,
    parse,
    parse_targets,
    release_marker,
    render_body,
)

if TYPE_CHECKING:
    from github import Github
    from github.Issue import Issue
    from github.Repository import Repository

Operation = Literal["open", "report", "notify-failure", "close"]
CommentMode = Literal["none", "failures", "every-event", "single"]
EVENT_TIME_ENV = "RELEASE_KIT_EVENT_TIME"  # the run's start, when the workflow knows it

_REPOSITORY = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+")
_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?")
_RELEASE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+/-]{0,99}")


def _positive_int(value: object) -> object:
    if isinstance(value, str) and not (value.isdigit() and int(value) > 0):
        raise ValueError(f"{value!r} is not an issue number; give a positive integer, e.g. 42")
    return value


class Inputs(GitHubAuthInputs):
    operation: Operation
    release: str
    ticket_repo: str = ""
    ticket_number: Annotated[int | None, BeforeValidator(_positive_int)] = None
    title: str = "Release {release}"
    driver: str = ""
    labels: Lines = ["release"]
    repository: str = ""
    stage: str = ""
    status: Status | None = None
    version: str = ""
    sha: str = ""
    message: str = ""
    targets: Lines = []
    comment_mode: CommentMode = "failures"
    fail_on_error: Bool = False

    @field_validator("ticket_repo", "repository")
    @classmethod
    def _owner_name(cls, value: str) -> str:
        if not _REPOSITORY.fullmatch(value):
            raise ValueError(f"{value!r} is not owner/name (e.g. acme/releases)")
        return value

    @field_validator("release")
    @classmethod
    def _release(cls, value: str) -> str:
        if not _RELEASE.fullmatch(value):
            raise ValueError(f"{value!r} is not a release identifier: use letters, digits and "
                             "._+/- (e.g. 1.4.0 or 2026.11-train)")
        return value

    @field_validator("driver")
    @classmethod
    def _driver(cls, value: str) -> str:
        if value and not _LOGIN.fullmatch(value):
            raise ValueError(f"{value!r} is not a GitHub login")
        return value

    @field_validator("stage")
    @classmethod
    def _stage(cls, value: str) -> str:
        if len(value) > 40 or "\n" in value:
            raise ValueError("a stage is a short name on one line (at most 40 characters)")
        return value

    @model_validator(mode="after")
    def _operation_needs(self) -> Self:
        if self.operation == "report" and not self.stage:
            raise InputError("stage", "operation report needs a stage.",
                             hint="Set stage, e.g. build, dev, staging or production.")
        if self.operation == "report" and self.status is None:
            raise InputError("status", "operation report needs a status.",
                             hint="Set status: pending, in_progress, success, failure or skipped.")
        if self.operation == "notify-failure" and not self.stage:
            raise InputError("stage", "operation notify-failure needs the stage that failed.")
        if self.targets and self.operation != "open":
            raise InputError("targets", f"targets are dispatched by operation open, not "
                             f"{self.operation}.", hint="Remove targets from this step.")
        parse_targets(self.targets)
        templates.check(self.title, {"release", "driver"}, "title")
        return self


# -- the ticket as found ------------------------------------------------------------------------

@dataclass
class Ticket:
    repo: Repository
    issue: Issue
    created: bool = False

    @property
    def state(self) -> TicketState:
        return parse(self.issue.body) or TicketState("")


@dataclass
class Result:
    ticket: Ticket | None = None
    fallback_issue: int | None = None
    notes: list[str] = field(default_factory=list)


class Clients:
    """One client per repository owner (App auth mints an installation token per owner)."""

    def __init__(self, inputs: Inputs) -> None:
        self.inputs = inputs
        self._by_owner: dict[str, Github] = {}

    def github(self, full_name: str) -> Github:
        owner = full_name.partition("/")[0].lower()
        if owner not in self._by_owner:
            self._by_owner[owner] = self.inputs.github(full_name).withLazy(True)
        return self._by_owner[owner]

    def repo(self, full_name: str) -> Repository:
        """A lazy repository object: no request until something is read or written."""
        return self.github(full_name).get_repo(full_name)


def find_ticket(repo: Repository, inputs: Inputs) -> Issue | None:
    """By number, else the oldest open (then closed) issue with the label and release marker."""
    mark = release_marker(inputs.release)
    if inputs.ticket_number is not None:
        with github_errors(f"reading ticket #{inputs.ticket_number} of {repo.full_name}"):
            issue = repo.get_issue(inputs.ticket_number)
            body, is_pull = issue.body or "", is_pull_request(issue)
        found = parse(body)
        other = found.release if found is not None and found.release != inputs.release else ""
        if is_pull or other:
            what = "a pull request" if is_pull else f"the ticket of release {other}"
            raise ConflictError(f"#{inputs.ticket_number} in {repo.full_name} is {what}, not "
                                f"the ticket of release {inputs.release}.",
                                hint="Check ticket-number, or leave it empty to find the ticket.")
        return issue
    label = inputs.labels[0] if inputs.labels else None
    return (find_issue(repo, mark, label, state="open", oldest_first=True)
            or find_issue(repo, mark, label, state="closed", oldest_first=True))


def require_ticket(repo: Repository, inputs: Inputs) -> Ticket:
    issue = find_ticket(repo, inputs)
    if issue is None:
        raise NotFoundError(
            f"no release ticket for {inputs.release} in {repo.full_name} "
            f"(label {inputs.labels[0] if inputs.labels else '(none)'}).",
            hint="Run this action with operation: open first, or pass ticket-number.",
        )
    return Ticket(repo, issue)


def make_report(inputs: Inputs, rt: Runtime, *, status: Status | None = None,
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


def write_reports(ticket: Ticket, reports: list[Report], inputs: Inputs, rt: Runtime) -> bool:
    """Merge ``reports`` into the ticket until the write sticks; False when all were stale."""
    # A ticket without state (an issue adopted by number) starts empty; only open names a driver.
    fresh = TicketState(inputs.release, inputs.driver if inputs.operation == "open" else "")
    server = rt.context.server_url

    @functools.cache
    def state_of(body: str) -> TicketState:
        return parse(body) or fresh

    def known(body: str, seen: Sequence[str]) -> TicketState:
        """Everything in ``body`` and in the bodies read before: writers repair lost reports."""
        state = state_of(body)
        for earlier in dict.fromkeys(seen):
            state = state.merge(state_of(earlier).cells.values())
        return state

    def change(body: str, seen: Sequence[str]) -> str:
        return render_body(body, known(body, seen).merge(reports), server)

    def complete(body: str, seen: Sequence[str]) -> bool:
        state = state_of(body)
        return all(state.reflects(r) for r in reports) and state.covers(known(body, seen))

    if all(ticket.state.is_stale(r) for r in reports):
        return False
    update = update_body(ticket.repo, ticket.issue, change, complete)
    ticket.issue = update.issue
    if update.writes > 1:
        commands.info(f"The ticket was written concurrently: {update.writes} writes and "
                      f"{update.reads} reads until the report stuck.")
    return True


# -- operations ---------------------------------------------------------------------------------

def open_ticket(inputs: Inputs, rt: Runtime, clients: Clients) -> Result:
    repo = clients.repo(inputs.ticket_repo)
    issue = find_ticket(repo, inputs)
    ticket = Ticket(repo, issue) if issue is not None else create_ticket(repo, inputs, rt)
    if not ticket.created:
        adopt_ticket(ticket, inputs, rt)
    targets = parse_targets(inputs.targets)
    if targets:
        reports = [dispatch(t, ticket, inputs, rt, clients) for t in targets
                   if not already_dispatched(ticket.state, t)]
        if reports:
            write_reports(ticket, reports, inputs, rt)
    return Result(ticket)


def create_ticket(repo: Repository, inputs: Inputs, rt: Runtime) -> Ticket:
    """Create the ticket; if a concurrent ``open`` created one too, keep the oldest."""
    title = templates.render(inputs.title, {"release": inputs.release, "driver": inputs.driver},
                             "title")
    body = render_body(None, TicketState(inputs.release, inputs.driver), rt.context.server_url)
    assignees = [inputs.driver] if inputs.driver and not inputs.driver.endswith("[bot]") else []
    with github_errors(f"creating the release ticket in {repo.full_name}"):
        issue = repo.create_issue(title=title, body=body, labels=inputs.labels,
                                  assignees=assignees)
    oldest = find_ticket(repo, inputs)
    if oldest is not None and oldest.number != issue.number:
        with github_errors(f"closing the duplicate ticket #{issue.number}"):
            issue.create_comment(f"Duplicate of #{oldest.number} (opened at the same time).")
            issue.edit(state="closed", state_reason="duplicate")
        return Ticket(repo, oldest)
    return Ticket(repo, issue, created=True)


def adopt_ticket(ticket: Ticket, inputs: Inputs, rt: Runtime) -> None:
    """An existing ticket: reopen it, assign the driver, add missing labels, record the driver."""
    issue = ticket.issue
    with github_errors(f"updating ticket #{issue.number}"):
        if issue.state == "closed":
            issue.edit(state="open")
            commands.notice(f"Reopened the release ticket #{issue.number}.")
        assigned = {a.login.lower() for a in issue.assignees}
        if inputs.driver and inputs.driver.lower() not in assigned \
                and not inputs.driver.endswith("[bot]"):
            issue.add_to_assignees(inputs.driver)
        present = {label.name.lower() for label in issue.labels}
        missing = [name for name in inputs.labels if name.lower() not in present]
        if missing:
            issue.add_to_labels(*missing)
    state = parse(issue.body)
    if state is None or state.driver != inputs.driver:
        driver, fresh = inputs.driver, TicketState(inputs.release, inputs.driver)
        update = update_body(
            ticket.repo, issue,
            lambda body, _: render_body(body, (parse(body) or fresh).with_driver(driver),
                                        rt.context.server_url),
            lambda body, _: (parse(body) or fresh).driver == driver,
        )
        ticket.issue = update.issue


def already_dispatched(state: TicketState, target: Target) -> bool:
    cell = state.cell(target.repository, DISPATCH_STAGE)
    return cell is not None and cell.status == "success" and cell.message.endswith(str(target))


def dispatch(target: Target, ticket: Ticket, inputs: Inputs, rt: Runtime,
             clients: Clients) -> Report:
    """Start ``target``'s workflow; a refusal becomes a failure cell, not a failed step."""
    payload = dispatch_payload(inputs.release, inputs.ticket_repo, ticket.issue.number)
    url = f"/repos/{target.repository}/actions/workflows/{target.workflow}/dispatches"
    try:
        gh = clients.github(target.repository)
        with github_errors(f"dispatching {target}"):
            gh.requester.requestJsonAndCheck("POST", url,
                                             input={"ref": target.ref, "inputs": payload})
    except ReleaseKitError as exc:
        commands.warning(f"Could not start {target}: {exc.message}", title="Dispatch failed")
        return make_report(inputs, rt, status="failure", stage=DISPATCH_STAGE,
                           repository=target.repository,
                           message=f"could not start {target}: {exc.message}")
    return make_report(inputs, rt, status="success", stage=DISPATCH_STAGE,
                       repository=target.repository, message=f"started {target}")


def report(inputs: Inputs, rt: Runtime, clients: Clients) -> Result:
    ticket = require_ticket(clients.repo(inputs.ticket_repo), inputs)
    event = make_report(inputs, rt)
    if not write_reports(ticket, [event], inputs, rt):
        return Result(ticket, notes=[f"A newer report is already in the ticket for "
                                     f"{event.repository} / {event.stage}; nothing changed."])
    comment(ticket, event, inputs, rt)
    return Result(ticket)


def comment(ticket: Ticket, event: Report, inputs: Inputs, rt: Runtime) -> None:
    """Comment per comment-mode (failures mention the driver recorded in the ticket)."""
    mode = inputs.comment_mode
    driver = ticket.state.driver or inputs.driver
    if mode == "every-event" or (mode == "failures" and event.status == "failure"):
        ensure_comment(ticket.issue, mark=messages.event_marker(event),
                       body=messages.event_comment(event, driver))
    elif mode == "single":
        upsert_comment(ticket.issue, mark=messages.repository_marker(event.repository),
                       body=messages.repository_comment(ticket.state, event.repository,
                                                        rt.context.server_url))


def notify_failure(inputs: Inputs, rt: Runtime, clients: Clients) -> Result:
    event = make_report(inputs, rt, status="failure")
    try:
        issue = find_ticket(clients.repo(inputs.ticket_repo), inputs)
    except (NotFoundError, PermissionDeniedError) as exc:
        # A repository's own token often cannot see the central repository: the failure
        # must still reach someone, so it goes to the failing repository like "no ticket".
        commands.warning(f"The ticket repository is out of reach ({exc.message}); opening the "
                         "failure issue in the reporting repository instead.")
        issue = None
    if issue is None:
        return open_failure_issue(event, inputs, clients)
    ticket = Ticket(clients.repo(inputs.ticket_repo), issue)
    if not write_reports(ticket, [event], inputs, rt):
        return Result(ticket, notes=["A newer report is already in the ticket; no notification."])
    # The notification itself: always a new comment (edits do not notify anyone).
    ensure_comment(ticket.issue, mark=messages.event_marker(event),
                   body=messages.event_comment(event, ticket.state.driver or inputs.driver))
    if inputs.comment_mode == "single":
        comment(ticket, event, inputs, rt)
    return Result(ticket)


def open_failure_issue(event: Report, inputs: Inputs, clients: Clients) -> Result:
    """No ticket: one issue per (release, stage) in the failing repository, pinging the driver."""
    repo = clients.repo(event.repository)
    note = f"(No release ticket for {inputs.release} was found in {inputs.ticket_repo}.)"
    body = messages.failure_issue_body(inputs.release, event, inputs.driver, note)
    issue, created = ensure_issue(
        repo,
        mark=messages.failure_marker(inputs.release, event.stage),
        title=messages.failure_title(inputs.release, event.stage),
        body=f"{body}\n\n{messages.event_marker(event)}",
        labels=[messages.FAILURE_LABEL],
        assignees=[inputs.driver] if inputs.driver and "[bot]" not in inputs.driver else [],
    )
    if not created and messages.event_marker(event) not in (issue.body or ""):
        ensure_comment(issue, mark=messages.event_marker(event),
                       body=messages.failure_followup(event, inputs.driver))
    verb = "Opened" if created else "Updated"
    return Result(fallback_issue=issue.number,
                  notes=[f"{verb} {issue.html_url}: there is no ticket for {inputs.release}."])


def close(inputs: Inputs, rt: Runtime, clients: Clients) -> Result:
    ticket = require_ticket(clients.repo(inputs.ticket_repo), inputs)
    not_done = ticket.state.not_done()
    if not_done:
        rows = ", ".join(f"{r.repository} ({r.stage}: {r.status})" for r in not_done)
        commands.warning(f"Release ticket #{ticket.issue.number} stays open; not done: {rows}.",
                         title="Release not done")
        return Result(ticket, notes=["The ticket stays open. Not done:\n\n"
                                     + messages.not_done_summary(ticket.state)])
    if ticket.issue.state != "closed":
        with github_errors(f"closing ticket #{ticket.issue.number}"):
            ticket.issue.edit(state="closed", state_reason="completed")
    return Result(ticket, notes=["Every repository is done; the ticket is closed."])


OPERATIONS: dict[str, Callable[[Inputs, Runtime, Clients], Result]] = {
    "open": open_ticket,
    "report": report,
    "notify-failure": notify_failure,
    "close": close,
}


def main(inputs: Inputs, rt: Runtime) -> None:
    event_time(rt)  # an invalid RELEASE_KIT_EVENT_TIME fails before anything is written
    try:
        result = OPERATIONS[inputs.operation](inputs, rt, Clients(inputs))
    except InputError:
        raise
    except ReleaseKitError as exc:
        if inputs.fail_on_error:
            raise
        commands.warning(f"{exc} (fail-on-error is false: the step goes on)",
                         title=f"release-ticket {inputs.operation}: {exc.title}")
        result = Result()
    commands.debug(f"release-ticket: {API_CALLS.total} GitHub API calls")
    write_outputs(result, rt)


def write_outputs(result: Result, rt: Runtime) -> None:
    ticket = result.ticket
    rt.outputs.update({
        "ticket-number": ticket.issue.number if ticket else "",
        "ticket-url": ticket.issue.html_url if ticket else "",
        "created": bool(ticket and ticket.created),
        "issue-number": result.fallback_issue or "",
    })
    if ticket is not None:
        state = ticket.state
        rows = [[r.repository, r.stage, r.status, r.version, r.time] for
                repo in state.repositories() for r in state.row(repo)]
        rt.summary.write(f"## Release {state.release or '?'}: [ticket #{ticket.issue.number}]"
                         f"({ticket.issue.html_url})\n\n"
                         + markdown_table(["Repository", "Stage", "Status", "Version", "Time"],
                                          rows))
    for note in result.notes:
        commands.info(note)
        rt.summary.write(note)


if __name__ == "__main__":
    raise SystemExit(run(Inputs, main))
