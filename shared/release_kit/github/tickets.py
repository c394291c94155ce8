"""The GitHub side of release tickets: find, create, write, comment, dispatch.

Everything it decides comes from the pure modules of :mod:`release_kit.tickets` (what the body
says, which markers find what, which comment text); this module only fetches and writes, through
:mod:`release_kit.github.issues` (listing, never search; marker-keyed comments and issues; the
verified body update that survives concurrent writers).

The state lives in the ticket's body. A second copy, the *backup comment*, is kept up to date
after every verified write: when the block in the body is damaged (a hand edit, a truncation, a
crafted value), the state is restored from the backup and the damaged text is kept, quoted,
below the block. Without a backup the report fails with a named error that says how to repair:
no report ever starts from an empty state over rows it cannot read.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from release_kit.errors import ConflictError, NotFoundError
from release_kit.github.errors import GitHubValidationFailed
from release_kit.github.issues import (
    BodyUpdate,
    Issue,
    IssueBody,
    Issues,
    NewIssue,
    update_body,
)
from release_kit.github.rest import GitHubApi
from release_kit.tickets import messages
from release_kit.tickets.model import Report, TicketState
from release_kit.tickets.render import (
    StateDamaged,
    backup_comment,
    backup_marker,
    parse,
    read_backup,
    release_marker,
    render_ticket_body,
    restore,
)
from release_kit.tickets.targets import Target, dispatch_payload

CommentMode = Literal["none", "failures", "every-event", "single"]

# What each use of a repository needs from a GitHub App token (one repository each).
ISSUES = {"issues": "write"}
DISPATCH = {"actions": "write"}


@dataclass
class Ticket:
    """The ticket issue as last read or written."""

    issues: Issues
    issue: Issue
    created: bool = False
    unassigned: tuple[str, ...] = ()
    restored: bool = field(default=False)

    @property
    def number(self) -> int:
        return self.issue.number

    @property
    def url(self) -> str:
        return self.issue.html_url

    @property
    def state(self) -> TicketState:
        """The state in the body as last seen, for display (``TicketDesk.state_of`` to decide)."""
        try:
            return parse(self.issue.body, now()) or TicketState("")
        except StateDamaged:
            return TicketState("")


def now() -> datetime:
    return datetime.now(UTC)


def assignable(login: str) -> list[str]:
    """Bots (``github-actions[bot]`` as the default actor) cannot be assigned."""
    return [login] if login and not login.endswith("[bot]") else []


class TicketDesk:
    """The tickets of one release in one repository, and the repositories around it.

    ``connect(repository, permissions)`` gives a client able to act on ``repository`` (with App
    auth, a token for that repository alone, with just those permissions); one per repository.
    """

    def __init__(self, connect: Callable[[str, dict[str, str]], GitHubApi], *, release: str,
                 ticket_repo: str, labels: Sequence[str], server_url: str) -> None:
        self._connect = connect
        self._clients: dict[tuple[str, str], GitHubApi] = {}
        self.release = release
        self.ticket_repo = ticket_repo
        self.labels = list(labels)
        self.server_url = server_url

    def github(self, repository: str, permissions: dict[str, str]) -> GitHubApi:
        key = (repository.lower(), repr(sorted(permissions.items())))
        if key not in self._clients:
            self._clients[key] = self._connect(repository, permissions)
        return self._clients[key]

    def issues(self, repository: str) -> Issues:
        return Issues(self.github(repository, ISSUES), repository)

    # -- finding ------------------------------------------------------------------------------

    def find(self, number: int | None = None) -> Ticket | None:
        """By ``number`` (checked), else the oldest open, then closed, issue with the first label
        and the release marker (listing, never the search API, which lags behind writes)."""
        issues = self.issues(self.ticket_repo)
        if number is not None:
            return Ticket(issues, self._by_number(issues, number))
        label = self.labels[0] if self.labels else None
        mark = release_marker(self.release)
        issue = (issues.find(mark, label, state="open", oldest_first=True)
                 or issues.find(mark, label, state="closed", oldest_first=True))
        return Ticket(issues, issue) if issue is not None else None

    def _by_number(self, issues: Issues, number: int) -> Issue:
        issue = issues.get(number)
        try:
            found = parse(issue.body, now())
        except StateDamaged:
            found = None  # repaired by the next write, from the backup
        other = found.release if found is not None and found.release != self.release else ""
        if issue.is_pull_request or other:
            what = "a pull request" if issue.is_pull_request else f"the ticket of release {other}"
            raise ConflictError(f"#{number} in {issues.repository} is {what}, not the ticket of "
                                f"release {self.release}.",
                                hint="Check ticket-number, or leave it empty to find the ticket.")
        return issue

    def require(self, number: int | None = None) -> Ticket:
        ticket = self.find(number)
        if ticket is None:
            label = self.labels[0] if self.labels else "(none)"
            raise NotFoundError(
                f"no release ticket for {self.release} in {self.ticket_repo} (label {label}).",
                hint="Run this action with operation: open first, or pass ticket-number.",
            )
        return ticket

    # -- opening ------------------------------------------------------------------------------

    def create(self, title: str, driver: str) -> Ticket:
        """Create the ticket; when concurrent ``open``s created several, keep the oldest."""
        issues = self.issues(self.ticket_repo)
        state = TicketState(self.release, driver)
        body = render_ticket_body(None, state, self.server_url)
        made: NewIssue = issues.create(title=title, body=body,
                                       mark=release_marker(self.release), labels=self.labels,
                                       assignees=assignable(driver))
        oldest = self.find()
        if oldest is not None and oldest.number != made.issue.number:
            number = made.issue.number
            issues.comment(number, mark=messages.duplicate_marker(number),
                           body=messages.duplicate_comment(number, oldest.number))
            issues.edit(number, f"closing the duplicate ticket #{number}", state="closed",
                        state_reason="duplicate")
            return oldest
        ticket = Ticket(issues, made.issue, created=True, unassigned=made.unassigned)
        self.back_up(ticket, state)
        return ticket

    def adopt(self, ticket: Ticket, driver: str) -> bool:
        """Reopen an existing ticket, assign the driver, add missing labels, record the driver.

        Returns whether it was reopened. Nothing is written when all is as wanted.
        """
        issue, issues = ticket.issue, ticket.issues
        reopened = issue.state == "closed"
        if reopened:
            ticket.issue = issues.edit(issue.number, f"reopening ticket #{issue.number}",
                                       state="open")
        assigned = {a.lower() for a in issue.assignees}
        missing_assignees = [a for a in assignable(driver) if a.lower() not in assigned]
        if missing_assignees:
            try:
                issues.add_assignees(issue.number, missing_assignees)
            except GitHubValidationFailed as exc:
                if not exc.invalid_field("assignees"):
                    raise
                ticket.unassigned = tuple(missing_assignees)
        present = {label.lower() for label in issue.labels}
        missing = [name for name in self.labels if name.lower() not in present]
        if missing:
            issues.add_labels(issue.number, missing)
        if self.state_of(ticket).driver != driver:
            self.write(ticket, [], driver, set_driver=True)
        return reopened

    def dispatch(self, target: Target, ticket: Ticket) -> None:
        """Start ``target``'s workflow with the one JSON input (typed errors on refusal).

        A dispatch has no identity to look up afterwards, so it is never replayed after an
        ambiguous failure: the caller reports it as not known to have started.
        """
        payload = dispatch_payload(self.release, self.ticket_repo, ticket.number)
        url = f"/repos/{target.repository}/actions/workflows/{target.workflow}/dispatches"
        self.github(target.repository, DISPATCH).request(
            "POST", url, json={"ref": target.ref, "inputs": payload},
            doing=f"dispatching {target}", replayable=False)

    # -- the state, and its backup --------------------------------------------------------------

    def backup(self, ticket: Ticket) -> TicketState | None:
        comment = ticket.issues.find_comment(ticket.number, backup_marker(self.release))
        return read_backup(comment.body, now()) if comment is not None else None

    def back_up(self, ticket: Ticket, state: TicketState) -> None:
        """Keep the backup comment at least as complete as ``state`` (a verified state).

        The backup only grows: what it held is merged with ``state`` before it is rewritten.
        """
        mark = backup_marker(self.release)
        comment = ticket.issues.find_comment(ticket.number, mark)
        kept = read_backup(comment.body, now()) if comment is not None else None
        merged = state if kept is None else kept.union(state)
        if state.driver:
            merged = merged.with_driver(state.driver)
        text = f"{backup_comment(merged)}\n\n{mark}"
        if comment is None:
            ticket.issues.comment(ticket.number, mark=mark, body=text)
        elif comment.body != text:
            ticket.issues.edit_comment(comment.id, text)

    def state_of(self, ticket: Ticket) -> TicketState:
        """The ticket's state; a damaged block reads as its backup (or fails, named)."""
        try:
            return parse(ticket.issue.body, now()) or TicketState(self.release)
        except StateDamaged as damage:
            saved = self.backup(ticket)
            if saved is None:
                raise damage.without_backup(ticket.url) from None
            return saved

    # -- reporting ----------------------------------------------------------------------------

    def write(self, ticket: Ticket, reports: Sequence[Report], driver: str = "", *,
              set_driver: bool = False,
              notified: Mapping[str, str] | None = None) -> BodyUpdate | None:
        """Merge ``reports`` into the ticket until the write sticks; None when all were stale.

        Every body read on the way is merged too, so this writer restores reports that a
        concurrent writer's stale write erased (see ``update_body``). ``driver`` is recorded in a
        ticket that has no state yet (an issue adopted by number), or always with ``set_driver``.
        ``notified`` adds entries to the notification ledger (key -> event time); with no
        reports, None means they were all recorded already.
        A damaged block is restored from the backup comment first (its text kept, quoted).
        """
        notified = dict(notified or {})
        current = self.state_of(ticket)
        if reports and all(current.is_stale(r) for r in reports):
            return None
        if notified and not reports and not set_driver and current.records(notified):
            return None
        fresh = TicketState(self.release, driver)
        backup = self.backup(ticket) if _damaged(ticket.issue.body) else None

        @functools.cache
        def state_of(body: str) -> TicketState:
            try:
                return parse(body, now()) or fresh
            except StateDamaged:
                return backup or fresh

        def known(body: str, seen: Sequence[str]) -> TicketState:
            state = state_of(body)
            for earlier in dict.fromkeys(seen):
                state = state.union(state_of(earlier))
            return state.with_driver(driver) if set_driver else state

        def change(body: str, seen: Sequence[str]) -> str:
            if _damaged(body):
                if backup is None:
                    raise StateDamaged("the block changed while this report was written").\
                        without_backup(ticket.url)
                body = restore(body)
                ticket.restored = True
            wanted = known(body, seen).merge(reports).with_notified(notified)
            return render_ticket_body(body, wanted, self.server_url)

        def complete(body: str, seen: Sequence[str]) -> bool:
            if _damaged(body):
                return False
            state = state_of(body)
            return (all(state.reflects(r) for r in reports) and state.covers(known(body, seen))
                    and state.records(notified)
                    and (not set_driver or state.driver == driver))

        store = IssueBody(ticket.issues, ticket.issue)
        update = update_body(store, ticket.issue.body, change, complete)
        ticket.issue = store.issue
        if update.writes:
            self.back_up(ticket, state_of(update.body))
        return update

    def comment(self, ticket: Ticket, event: Report, mode: CommentMode, driver: str) -> None:
        """Comment per ``mode``: failures mention ``driver``; re-runs find their comment."""
        if mode == "every-event" or (mode == "failures" and event.status == "failure"):
            self.notify(ticket, event, driver)
        elif mode == "single":
            ticket.issues.upsert_comment(
                ticket.number, mark=messages.repository_marker(event.repository),
                body=messages.repository_comment(self.state_of(ticket), event.repository,
                                                 self.server_url))

    def notify(self, ticket: Ticket, event: Report, driver: str) -> None:
        """A new comment about ``event`` (edits notify nobody), once per event."""
        ticket.issues.ensure_comment(ticket.number, mark=messages.event_marker(event),
                                     body=messages.event_comment(event, driver))

    def close(self, ticket: Ticket) -> None:
        if ticket.issue.state != "closed":
            ticket.issue = ticket.issues.edit(ticket.number, f"closing ticket #{ticket.number}",
                                              state="closed", state_reason="completed")

    # -- no ticket ----------------------------------------------------------------------------

    def failure_issue(self, event: Report, driver: str) -> tuple[NewIssue, bool]:
        """One open issue per (release, stage) in the failing repository.

        A later failure of the same stage (another run or attempt) adds a comment to it. The
        flag says whether this call recorded ``event`` (created the issue or its comment): a
        re-run of the same event finds it and records nothing.
        """
        issues = self.issues(event.repository)
        note = f"(No release ticket for {self.release} was found in {self.ticket_repo}.)"
        body = messages.failure_issue_body(self.release, event, driver, note)
        made = issues.ensure(
            mark=messages.failure_marker(self.release, event.stage),
            title=messages.failure_title(self.release, event.stage),
            body=f"{body}\n\n{messages.event_marker(event)}",
            labels=[messages.FAILURE_LABEL],
            assignees=assignable(driver),
        )
        recorded = made.created
        if not made.created and messages.event_marker(event) not in made.issue.body:
            _, recorded = issues.ensure_comment(made.issue.number,
                                                mark=messages.event_marker(event),
                                                body=messages.failure_followup(event, driver))
        return made, recorded


def _damaged(body: str) -> bool:
    try:
        parse(body, now())
    except StateDamaged:
        return True
    return False
