"""release-ticket when the ticket is not as it left it: a damaged status block, an unassignable
driver, a ticket too large for GitHub. No report ever erases rows it cannot read; a write that
did not land fails the step."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from release_kit.tickets.render import BEGIN, END, release_marker
from release_kit_sandbox import Sandbox
from tests.release_ticket.helpers import (
    TICKETS,
    backup_of,
    comments,
    issues,
    setup,
    state_of,
    ticket_action,
)

FUTURE = "2999-01-01T00:00:00.000000Z"


def two_rows(sandbox: Sandbox, tmp_path: Path) -> None:
    setup(sandbox)
    assert ticket_action(sandbox, "open", driver="alice", inline=tmp_path).exit_code == 0
    for repo, stage in (("acme/web", "build"), ("acme/api", "staging")):
        done = ticket_action(sandbox, "report", repository=repo, stage=stage, status="success",
                             inline=tmp_path)
        assert done.exit_code == 0, done


def edit_body(sandbox: Sandbox, change: str) -> str:
    issue = sandbox.github.repo(TICKETS).issues[1]
    body = issue.body
    if change == "hand-edit":
        body = re.sub(r'"status":"success"', '"status":"succes', body, count=1)
    elif change == "truncated":
        body = body[: body.index("ticket-state") + 40]
    elif change == "end-removed":
        body = body.replace(END, "")
    elif change == "attempt-not-a-number":
        body = body.replace('"attempt":1', '"attempt":"one"', 1)
    elif change == "time-in-the-future":
        body = re.sub(r'"time":"[^"]+"', f'"time":"{FUTURE}"', body, count=1)
    elif change == "driver-not-a-login":
        body = body.replace('"driver":"alice"', '"driver":"alice \\u003cimg src=x\\u003e"')
    else:
        raise AssertionError(change)
    assert body != issue.body
    issue.body = body
    return body


DAMAGE = ["hand-edit", "truncated", "end-removed", "attempt-not-a-number", "time-in-the-future",
          "driver-not-a-login"]


@pytest.mark.parametrize("change", DAMAGE)
def test_a_damaged_block_is_restored_from_the_backup_and_no_row_is_lost(
        sandbox: Sandbox, tmp_path: Path, change: str) -> None:
    two_rows(sandbox, tmp_path)
    damaged = edit_body(sandbox, change)
    result = ticket_action(sandbox, "report", repository="acme/worker", stage="dev",
                           status="failure", inline=tmp_path)
    assert result.exit_code == 0, result
    state = state_of(sandbox)
    assert {(repo, stage) for repo, stage in state.cells} == {
        ("acme/web", "build"), ("acme/api", "staging"), ("acme/worker", "dev")}
    assert all(cell.time != FUTURE for cell in state.cells.values())
    assert state.driver == "alice"
    body = issues(sandbox)[0].body
    assert body.count(BEGIN) == 1 and body.count(END) == 1
    assert "Status block as found damaged" in body
    assert damaged.split(BEGIN)[0] in body  # what came before the block is kept as it was
    assert any(w.title == "Release ticket repaired" for w in result.warnings)
    assert backup_of(sandbox) is not None and len(backup_of(sandbox).cells) == 3  # type: ignore[union-attr]


@pytest.mark.parametrize("change", ["hand-edit", "end-removed"])
def test_without_a_backup_a_damaged_block_fails_named_and_nothing_is_written(
        sandbox: Sandbox, tmp_path: Path, change: str) -> None:
    two_rows(sandbox, tmp_path)
    repo = sandbox.github.repo(TICKETS)
    for key in [k for k, c in repo.comments.items() if "ticket-backup" in c.body]:
        del repo.comments[key]
    damaged = edit_body(sandbox, change)
    writes = len(sandbox.github.writes())
    result = ticket_action(sandbox, "report", repository="acme/worker", stage="dev",
                           status="success", inline=tmp_path)
    assert result.exit_code == 1
    [error] = result.errors
    assert error.title == "Release ticket damaged"
    assert "edit history" in error.message and "cannot be read" in error.message
    assert issues(sandbox)[0].body == damaged
    assert len(sandbox.github.writes()) == writes


def test_a_crafted_future_time_cannot_pin_a_cell(sandbox: Sandbox, tmp_path: Path) -> None:
    """A cell whose time is far ahead would win over every real report: it is refused."""
    two_rows(sandbox, tmp_path)
    edit_body(sandbox, "time-in-the-future")
    failed = ticket_action(sandbox, "report", repository="acme/web", stage="build",
                           status="failure", inline=tmp_path)
    assert failed.exit_code == 0, failed
    cell = state_of(sandbox).cell("acme/web", "build")
    assert cell is not None and cell.status == "failure"
    closing = ticket_action(sandbox, "close", inline=tmp_path)
    assert closing.exit_code == 0 and issues(sandbox)[0].state == "open"


# -- the driver cannot be assigned -------------------------------------------------------------


def test_open_with_a_driver_who_cannot_be_assigned_still_opens_the_ticket(
        sandbox: Sandbox, tmp_path: Path) -> None:
    setup(sandbox)
    result = ticket_action(sandbox, "open", driver="carol", inline=tmp_path)  # unknown here
    assert result.exit_code == 0, result
    [ticket] = issues(sandbox)
    assert ticket.assignees == []
    assert "@carol" in ticket.body.split(BEGIN)[0]  # mentioned instead, outside the block
    assert state_of(sandbox).driver == "carol"
    assert any(w.title == "Driver not assigned" for w in result.warnings)
    again = ticket_action(sandbox, "open", driver="carol", inline=tmp_path)
    assert again.exit_code == 0 and len(issues(sandbox)) == 1


def test_the_failure_issue_is_opened_when_the_driver_cannot_be_assigned(
        sandbox: Sandbox, tmp_path: Path) -> None:
    setup(sandbox)
    result = ticket_action(sandbox, "notify-failure", driver="carol", stage="production",
                           message="rollout stuck", inline=tmp_path)
    assert result.exit_code == 0, result
    [issue] = issues(sandbox, "acme/web")
    assert issue.assignees == [] and "@carol" in issue.body
    assert result.outputs["issue-number"] == str(issue.number)


# -- size ----------------------------------------------------------------------------------------


def crafted_state(cells: int, stage_length: int = 30) -> str:
    items = [{"repo": f"acme/r{n}", "stage": f"s{n % 40:02d}" + "x" * (stage_length - 3),
              "status": "success", "time": "2026-01-01T00:00:00.000000Z", "attempt": 1,
              "message": "m" * 50}
             for n in range(cells)]
    state = {"version": 1, "release": "1.4.0", "driver": "alice", "cells": items}
    text = json.dumps(state, separators=(",", ":"))
    return (f"{BEGIN}\n\n{release_marker('1.4.0')}\n\n<!-- release-kit:ticket-state {text} -->"
            f"\n\n{END}")


@pytest.mark.parametrize("cells", [400, 4000])
def test_a_ticket_that_cannot_fit_is_a_named_error_and_its_rows_are_kept(
        sandbox: Sandbox, tmp_path: Path, cells: int) -> None:
    setup(sandbox)
    assert ticket_action(sandbox, "open", driver="alice", inline=tmp_path).exit_code == 0
    issue = sandbox.github.repo(TICKETS).issues[1]
    issue.body = crafted_state(cells)
    before = len(sandbox.github.requests)
    result = ticket_action(sandbox, "report", stage="build", status="success", inline=tmp_path)
    assert result.exit_code == 1
    assert result.errors[0].title == "Release ticket too large"
    assert "65,536" in result.errors[0].message
    assert issue.body == crafted_state(cells)  # nothing dropped, nothing written
    assert len(sandbox.github.requests) - before <= 3


def test_a_ticket_of_many_cells_that_fits_is_written_once(sandbox: Sandbox, tmp_path: Path) -> None:
    setup(sandbox)
    assert ticket_action(sandbox, "open", driver="alice", inline=tmp_path).exit_code == 0
    sandbox.github.repo(TICKETS).issues[1].body = crafted_state(150, stage_length=5)
    before = len(sandbox.github.writes())
    result = ticket_action(sandbox, "report", stage="build", status="success", inline=tmp_path)
    assert result.exit_code == 0, result
    assert len(state_of(sandbox).cells) == 151
    body_writes = [r for r in sandbox.github.writes()[before:] if r.path.endswith("/issues/1")]
    assert len(body_writes) == 1
    assert len(issues(sandbox)[0].body) <= 65_536


# -- loss is loud ---------------------------------------------------------------------------------


def test_a_report_that_cannot_be_verified_fails_the_step(sandbox: Sandbox, tmp_path: Path) -> None:
    setup(sandbox)
    assert ticket_action(sandbox, "open", driver="alice", inline=tmp_path).exit_code == 0
    # Every write of the body is answered, but what GitHub then shows never holds it.
    sandbox.github.inject_fault(502, count=None, method="PATCH", path=r"/issues/1$")
    result = ticket_action(sandbox, "report", stage="build", status="success", inline=tmp_path,
                           env={"RELEASE_KIT_GITHUB_RETRIES": "1",
                                "RELEASE_KIT_GITHUB_BACKOFF": "0.01"})
    assert result.exit_code == 1
    assert "502" in result.errors[0].message
    assert state_of(sandbox).cell("acme/web", "build") is None
    assert comments(sandbox, 1) == []
