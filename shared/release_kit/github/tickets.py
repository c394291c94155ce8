"""The GitHub side of release tickets: find, create, write, comment, dispatch.

Everything it decides comes from the pure modules of :mod:`release_kit.tickets` (what the body
says, which markers find what, which comment text); this module only fetches and writes, through
``release_kit.github.issues`` (listing, never search; marker-keyed comments; the verified body
update that survives concurrent writers).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from release_kit.errors import ConflictError, NotFoundError
from release_kit.github.errors import github_errors
from release_kit.github.issues import (
    BodyUpdate,
    ensure_comment,
    ensure_issue,
    find_issue,
    is_pull_request,
    update_body,
    upsert_comment,
)
from release_kit.tickets import messages
from release_kit.tickets.model import Report, TicketState
from release_kit.tickets.render import parse, release_marker, render_body
from release_kit.tickets.targets import Target, dispatch_payload

if TYPE_CHECKING:
    from github import Github
    from github.Issue import Issue
    from github.Repository import Repository

CommentMode = Literal["none", "failures", "every-event", "single"]


@dataclass
class Ticket:
    """The ticket issue as last read or written."""

    repo: Repository
    issue: Issue
    created: bool = False

    @property
    def number(self) -> int:
        return self.issue.number

    @property
    def url(self) -> str:
        return self.issue.html_url

    @property
    def state(self) -> TicketState:
        return parse(self.issue.body) or TicketState("")


def assignable(login: str) -> list[str]:
    """Bots (``github-actions[bot]`` as the default actor) cannot be assigned."""
    return [login] if login and not login.endswith("[bot]") else []


class TicketDesk:
    """The tickets of one release in one repository, and the repositories around it.

    ``connect(repository)`` gives a client able to act on ``repository`` (with App auth, each
    owner has its own installation token); one client per owner is kept.
    """

    def __init__(self, connect: Callable[[str], Github], *, release: str, ticket_repo: str,
                 labels: Sequence[str], server_url: str) -> None:
        self._connect = connect
        self._clients: dict[str, Github] = {}
        self.release = release
        self.ticket_repo = ticket_repo
        self.labels = list(labels)
        self.server_url = server_url

    def github(self, repository: str) -> Github:
        owner = repository.partition("/")[0].lower()
        if owner not in self._clients:
            self._clients[owner] = self._connect(repository).withLazy(True)
        return self._clients[owner]

    def repo(self, repository: str) -> Repository:
        """A lazy repository: no request until something is read or written."""
        return self.github(repository).get_repo(repository)

    # -- finding ------------------------------------------------------------------------------

    def find(self, number: int | None = None) -> Ticket | None:
        """By ``number`` (checked), else the oldest open, then closed, issue with the first label
        and the release marker (listing, never the search API, which lags behind writes)."""
        repo = self.repo(self.ticket_repo)
        if number is not None:
            return Ticket(repo, self._by_number(repo, number))
        label = self.labels[0] if self.labels else None
        mark = release_marker(self.release)
        issue = (find_issue(repo, mark, label, state="open", oldest_first=True)
                 or find_issue(repo, mark, label, state="closed", oldest_first=True))
        return Ticket(repo, issue) if issue is not None else None

    def _by_number(self, repo: Repository, number: int) -> Issue:
        with github_errors(f"reading ticket #{number} of {repo.full_name}"):
            issue = repo.get_issue(number)
            body, is_pull = issue.body or "", is_pull_request(issue)
        found = parse(body)
        other = found.release if found is not None and found.release != self.release else ""
        if is_pull or other:
            what = "a pull request" if is_pull else f"the ticket of release {other}"
            raise ConflictError(f"#{number} in {repo.full_name} is {what}, not the ticket of "
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
        repo = self.repo(self.ticket_repo)
        body = render_body(None, TicketState(self.release, driver), self.server_url)
        with github_errors(f"creating the release ticket in {repo.full_name}"):
            issue = repo.create_issue(title=title, body=body, labels=self.labels,
                                      assignees=assignable(driver))
        oldest = self.find()
        if oldest is not None and oldest.number != issue.number:
            with github_errors(f"closing the duplicate ticket #{issue.number}"):
                issue.create_comment(f"Duplicate of #{oldest.number} (opened at the same time).")
                issue.edit(state="closed", state_reason="duplicate")
            return oldest
        return Ticket(repo, issue, created=True)

    def adopt(self, ticket: Ticket, driver: str) -> bool:
        """Reopen an existing ticket, assign the driver, add missing labels, record the driver.

        Returns whether it was reopened. Nothing is written when all is as wanted.
        """
        issue = ticket.issue
        reopened = issue.state == "closed"
        with github_errors(f"updating ticket #{issue.number}"):
            if reopened:
                issue.edit(state="open")
            assigned = {a.login.lower() for a in issue.assignees}
            missing_assignees = [a for a in assignable(driver) if a.lower() not in assigned]
            if missing_assignees:
                issue.add_to_assignees(*missing_assignees)
            present = {label.name.lower() for label in issue.labels}
            missing = [name for name in self.labels if name.lower() not in present]
            if missing:
                issue.add_to_labels(*missing)
        if ticket.state.driver != driver or parse(issue.body) is None:
            fresh = TicketState(self.release, driver)
            ticket.issue = update_body(
                ticket.repo, issue,
                lambda body, _: render_body(body, (parse(body) or fresh).with_driver(driver),
                                            self.server_url),
                lambda body, _: (parse(body) or fresh).driver == driver,
            ).issue
        return reopened

    def dispatch(self, target: Target, ticket: Ticket) -> None:
        """Start ``target``'s workflow with the one JSON input (typed errors on refusal)."""
        payload = dispatch_payload(self.release, self.ticket_repo, ticket.number)
        url = f"/repos/{target.repository}/actions/workflows/{target.workflow}/dispatches"
        gh = self.github(target.repository)
        with github_errors(f"dispatching {target}"):
            gh.requester.requestJsonAndCheck("POST", url,
                                             input={"ref": target.ref, "inputs": payload})

    # -- reporting ----------------------------------------------------------------------------

    def write(self, ticket: Ticket, reports: Sequence[Report],
              driver: str = "") -> BodyUpdate | None:
        """Merge ``reports`` into the ticket until the write sticks; None when all were stale.

        Every body read on the way is merged too, so this writer restores reports that a
        concurrent writer's stale write erased (see ``update_body``). ``driver`` is recorded only
        in a ticket that has no state yet (an issue adopted by number).
        """
        if all(ticket.state.is_stale(r) for r in reports):
            return None
        fresh = TicketState(self.release, driver)

        @functools.cache
        def state_of(body: str) -> TicketState:
            return parse(body) or fresh

        def known(body: str, seen: Sequence[str]) -> TicketState:
            state = state_of(body)
            for earlier in dict.fromkeys(seen):
                state = state.merge(state_of(earlier).cells.values())
            return state

        def change(body: str, seen: Sequence[str]) -> str:
            return render_body(body, known(body, seen).merge(reports), self.server_url)

        def complete(body: str, seen: Sequence[str]) -> bool:
            state = state_of(body)
            return all(state.reflects(r) for r in reports) and state.covers(known(body, seen))

        update = update_body(ticket.repo, ticket.issue, change, complete)
        ticket.issue = update.issue
        return update

    def comment(self, ticket: Ticket, event: Report, mode: CommentMode, driver: str) -> None:
        """Comment per ``mode``: failures mention ``driver``; re-runs find their comment."""
        if mode == "every-event" or (mode == "failures" and event.status == "failure"):
            self.notify(ticket, event, driver)
        elif mode == "single":
            upsert_comment(ticket.issue, mark=messages.repository_marker(event.repository),
                           body=messages.repository_comment(ticket.state, event.repository,
                                                            self.server_url))

    def notify(self, ticket: Ticket, event: Report, driver: str) -> None:
        """A new comment about ``event`` (edits notify nobody), once per event."""
        ensure_comment(ticket.issue, mark=messages.event_marker(event),
                       body=messages.event_comment(event, driver))

    def close(self, ticket: Ticket) -> None:
        if ticket.issue.state != "closed":
            with github_errors(f"closing ticket #{ticket.number}"):
                ticket.issue.edit(state="closed", state_reason="completed")

    # -- no ticket ----------------------------------------------------------------------------

    def failure_issue(self, event: Report, driver: str) -> tuple[Issue, bool]:
        """One open issue per (release, stage) in the failing repository: ``(issue, created)``.

        A later failure of the same stage (another run or attempt) adds a comment to it.
        """
        note = f"(No release ticket for {self.release} was found in {self.ticket_repo}.)"
        body = messages.failure_issue_body(self.release, event, driver, note)
        issue, created = ensure_issue(
            self.repo(event.repository),
            mark=messages.failure_marker(self.release, event.stage),
            title=messages.failure_title(self.release, event.stage),
            body=f"{body}\n\n{messages.event_marker(event)}",
            labels=[messages.FAILURE_LABEL],
            assignees=assignable(driver),
        )
        if not created and messages.event_marker(event) not in (issue.body or ""):
            ensure_comment(issue, mark=messages.event_marker(event),
                           body=messages.failure_followup(event, driver))
        return issue, created
