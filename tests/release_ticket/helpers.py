"""Helpers for the release-ticket end-to-end tests: run the action, look at the emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from release_kit.tickets import TicketState, parse
from release_kit.tickets.render import read_backup
from release_kit_sandbox import Sandbox
from release_kit_sandbox.local_runner import render_input
from tests.harness import ActionResult, github_env, run_action

TICKETS = "acme/releases"
RELEASE = "1.4.0"


def setup(sandbox: Sandbox, *repos: str) -> None:
    for name in (TICKETS, "acme/web", "acme/api", "acme/worker", *repos):
        if name.lower() not in sandbox.github.state.repos:
            sandbox.github.create_repo(name)
    sandbox.github.add_user("alice")
    sandbox.github.add_user("bob")


def ticket_action(sandbox: Sandbox, operation: str, *, repository: str = "acme/web",
                  run_id: str = "100", attempt: int = 1, actor: str = "alice",
                  env: dict[str, str] | None = None, inline: Path | None = None,
                  **inputs: Any) -> ActionResult:
    """Run the action through the harness (a subprocess), or in this process with ``inline``
    (a temporary directory) for the many short runs of the comment-mode and bad-input tests."""
    given = {"operation": operation, "release": RELEASE, "ticket-repo": TICKETS}
    given.update({name.replace("_", "-"): render_input(value) for name, value in inputs.items()})
    run_env = github_env(repository=repository, sha="c0ffee" + "0" * 34, run_id=run_id,
                         run_attempt=attempt, actor=actor)
    run_env.update(sandbox.env())
    run_env.update(env or {})
    if inline is not None:
        from tests.release_ticket.inprocess import run_inline

        return run_inline(given, run_env, inline)
    return run_action("release-ticket", given, sandbox=sandbox, env=run_env)


def issues(sandbox: Sandbox, repo: str = TICKETS) -> list[Any]:
    return sorted(sandbox.github.repo(repo).issues.values(), key=lambda i: i.number)


def comments(sandbox: Sandbox, number: int, repo: str = TICKETS) -> list[str]:
    """The comments people read (the state's backup comment left out)."""
    found = sandbox.github.repo(repo).comments.values()
    return [c.body for c in sorted(found, key=lambda c: c.id)
            if c.issue_number == number and "release-kit:ticket-backup" not in c.body]


def backup_of(sandbox: Sandbox, number: int = 1) -> TicketState | None:
    """The state kept in the ticket's backup comment."""
    found = sandbox.github.repo(TICKETS).comments.values()
    bodies = [c.body for c in found
              if c.issue_number == number and "release-kit:ticket-backup" in c.body]
    assert len(bodies) <= 1
    return read_backup(bodies[0], None) if bodies else None


def state_of(sandbox: Sandbox, number: int = 1) -> TicketState:
    state = parse(sandbox.github.repo(TICKETS).issues[number].body)
    assert state is not None
    return state
