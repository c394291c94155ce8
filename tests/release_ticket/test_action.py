"""release-ticket end to end: the action as the runner runs it, against the GitHub emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from release_kit.tickets.render import BEGIN, END
from release_kit_sandbox import Sandbox
from tests.keys import rsa_pem
from tests.release_ticket.helpers import (
    RELEASE,
    TICKETS,
    comments,
    issues,
    setup,
    state_of,
    ticket_action,
)


def test_open_creates_one_ticket_and_open_again_finds_it(sandbox: Sandbox) -> None:
    setup(sandbox)
    first = ticket_action(sandbox, "open", driver="alice", title="Release {release} train")
    assert first.exit_code == 0, first
    assert first.outputs["created"] == "true"
    assert first.outputs["ticket-number"] == "1"
    assert first.outputs["ticket-url"].endswith(f"/{TICKETS}/issues/1")
    writes = len(sandbox.github.writes())
    again = ticket_action(sandbox, "open", driver="alice")
    assert again.exit_code == 0, again
    assert len(sandbox.github.writes()) == writes  # found as it should be: nothing to write
    assert again.outputs["created"] == "false" and again.outputs["ticket-number"] == "1"
    [ticket] = issues(sandbox)
    assert ticket.title == f"Release {RELEASE} train"
    assert ticket.assignees == ["alice"] and ticket.labels == ["release"]
    assert f"<!-- release-kit:release-ticket {RELEASE} -->" in ticket.body
    assert state_of(sandbox).driver == "alice"


def test_open_reopens_a_closed_ticket_and_hands_it_to_the_new_driver(sandbox: Sandbox,
                                                                      tmp_path: Path) -> None:
    setup(sandbox)
    ticket_action(sandbox, "open", driver="alice", inline=tmp_path)
    assert ticket_action(sandbox, "close", inline=tmp_path).exit_code == 0
    assert issues(sandbox)[0].state == "closed"
    result = ticket_action(sandbox, "open", driver="bob", labels=["release", "train"])
    assert result.exit_code == 0, result
    assert result.outputs == {"ticket-number": "1", "ticket-url": result.outputs["ticket-url"],
                              "created": "false", "issue-number": ""}
    [ticket] = issues(sandbox)
    assert ticket.state == "open" and ticket.assignees == ["alice", "bob"]
    assert ticket.labels == ["release", "train"]
    assert state_of(sandbox).driver == "bob"


def test_reports_from_three_repositories(sandbox: Sandbox, tmp_path: Path) -> None:
    setup(sandbox)
    assert ticket_action(sandbox, "open", inline=tmp_path).exit_code == 0
    for i, repo in enumerate(["acme/web", "acme/api", "acme/worker"]):
        result = ticket_action(sandbox, "report", repository=repo, run_id=str(200 + i),
                               stage="build", status="success", version="1.4.0")
        assert result.exit_code == 0, result
        assert result.outputs["ticket-number"] == "1"
    state = state_of(sandbox)
    assert state.repositories() == ["acme/api", "acme/web", "acme/worker"]
    web = state.cell("acme/web", "build")
    assert web is not None and web.status == "success" and web.version == "1.4.0"
    assert web.run_url.endswith("/acme/web/actions/runs/200")
    assert web.sha == "c0ffee" + "0" * 34
    body = issues(sandbox)[0].body
    assert "| acme/web | ✅ `1.4.0` [`c0ffee0`](" in body.replace("acme/web |", "acme/web |")


def test_report_by_ticket_number_costs_five_calls(sandbox: Sandbox, tmp_path: Path) -> None:
    """Read, write, verify; then the backup comment (listed, rewritten in place)."""
    setup(sandbox)
    ticket_action(sandbox, "open", inline=tmp_path)
    before = len(sandbox.github.requests)
    result = ticket_action(sandbox, "report", ticket_number=1, stage="dev", status="in_progress")
    assert result.exit_code == 0, result
    made = [(r.method, r.path) for r in sandbox.github.requests[before:]]
    [backup] = sandbox.github.repo(TICKETS).comments.values()
    assert made == [("GET", f"/repos/{TICKETS}/issues/1"), ("PATCH", f"/repos/{TICKETS}/issues/1"),
                    ("GET", f"/repos/{TICKETS}/issues/1"),
                    ("GET", f"/repos/{TICKETS}/issues/1/comments"),
                    ("PATCH", f"/repos/{TICKETS}/issues/comments/{backup.id}")]


def test_an_older_report_after_a_newer_one_changes_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    setup(sandbox)
    ticket_action(sandbox, "open", inline=tmp_path)
    newer = ticket_action(sandbox, "report", stage="production", status="success",
                          env={"RELEASE_KIT_EVENT_TIME": "2026-11-23T12:00:00Z"}, inline=tmp_path)
    assert newer.exit_code == 0, newer
    body = issues(sandbox)[0].body
    writes = len(sandbox.github.writes())
    older = ticket_action(sandbox, "report", stage="production", status="failure",
                          message="late", env={"RELEASE_KIT_EVENT_TIME": "2026-11-23T11:00:00Z"})
    assert older.exit_code == 0, older
    assert issues(sandbox)[0].body == body
    assert len(sandbox.github.writes()) == writes  # no write, no comment
    assert "newer report" in older.stdout


def test_a_rerun_of_the_same_report_writes_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    setup(sandbox)
    ticket_action(sandbox, "open", inline=tmp_path)
    same = {"stage": "build", "status": "failure", "comment_mode": "failures",
            "env": {"RELEASE_KIT_EVENT_TIME": "2026-11-23T10:00:00Z"}}
    assert ticket_action(sandbox, "report", inline=tmp_path, **same).exit_code == 0
    writes = len(sandbox.github.writes())
    again = ticket_action(sandbox, "report", **same)
    assert again.exit_code == 0, again
    assert len(sandbox.github.writes()) == writes  # no body write, no second comment
    assert len(comments(sandbox, 1)) == 1


def test_human_edits_outside_the_markers_survive(sandbox: Sandbox, tmp_path: Path) -> None:
    setup(sandbox)
    ticket_action(sandbox, "open", inline=tmp_path)
    ticket = issues(sandbox)[0]
    ticket.body = "Go/no-go on Thursday @bob\n\n" + ticket.body + "\n\n- [x] notes checked"
    result = ticket_action(sandbox, "report", stage="build", status="success")
    assert result.exit_code == 0, result
    body = issues(sandbox)[0].body
    assert body.startswith("Go/no-go on Thursday @bob\n\n" + BEGIN)
    assert body.endswith(END + "\n\n### Notes\n\n_Everything outside the status block above is "
                         "yours: edit freely, release-kit keeps it._\n\n- [x] notes checked")
    assert state_of(sandbox).cell("acme/web", "build") is not None


def test_report_without_a_ticket_fails_by_default_and_warns_on_request(sandbox: Sandbox) -> None:
    setup(sandbox)
    hard = ticket_action(sandbox, "report", stage="build", status="success")
    assert hard.exit_code == 1
    assert "no release ticket" in hard.errors[0].message
    soft = ticket_action(sandbox, "report", stage="build", status="success", fail_on_error=False)
    assert soft.exit_code == 0, soft
    assert "no release ticket" in soft.warnings[0].message
    assert soft.outputs["ticket-number"] == ""


def test_forbidden_with_fail_on_error_false_is_a_warning(sandbox: Sandbox, tmp_path: Path) -> None:
    setup(sandbox)
    ticket_action(sandbox, "open", inline=tmp_path)
    sandbox.github.add_token("ghs_readonly", permissions={"contents": "read"})
    result = ticket_action(sandbox, "report", stage="build", status="failure",
                           github_token="ghs_readonly", fail_on_error=False)
    assert result.exit_code == 0, result
    [warning] = result.warnings
    assert "Resource not accessible by integration" in warning.message
    assert state_of(sandbox).cells == {}
    strict = ticket_action(sandbox, "report", stage="build", status="failure",
                           github_token="ghs_readonly")
    assert strict.exit_code == 1 and strict.errors[0].title.startswith("Permission denied")


# -- notify-failure -----------------------------------------------------------------------------

def test_notify_failure_with_a_ticket_marks_the_row_and_pings_the_driver(sandbox: Sandbox, tmp_path: Path) -> None:
    setup(sandbox)
    ticket_action(sandbox, "open", driver="alice", inline=tmp_path)
    result = ticket_action(sandbox, "notify-failure", actor="bob", stage="staging",
                           message="helm upgrade timed out; ask @carol")
    assert result.exit_code == 0, result
    cell = state_of(sandbox).cell("acme/web", "staging")
    assert cell is not None and cell.status == "failure"
    [comment] = comments(sandbox, 1)
    assert "@alice" in comment  # the ticket's driver, not the actor of the failing run
    assert "/acme/web/actions/runs/100" in comment
    assert "@carol" not in comment and "ask @\u200bcarol" in comment
    again = ticket_action(sandbox, "notify-failure", actor="bob", stage="staging")
    assert again.exit_code == 0 and len(comments(sandbox, 1)) == 1  # same run: one comment


def test_notify_failure_without_a_ticket_opens_one_issue_per_stage(sandbox: Sandbox) -> None:
    setup(sandbox)
    first = ticket_action(sandbox, "notify-failure", stage="production", driver="alice",
                          message="smoke test failed")
    assert first.exit_code == 0, first
    assert first.outputs["issue-number"] == "1" and first.outputs["ticket-number"] == ""
    [issue] = issues(sandbox, "acme/web")
    assert issue.title == f"Release {RELEASE} failed: production"
    assert issue.labels == ["release-failure"] and issue.assignees == ["alice"]
    assert "@alice" in issue.body and "/acme/web/actions/runs/100" in issue.body
    same_run = ticket_action(sandbox, "notify-failure", stage="production", driver="alice")
    assert same_run.outputs["issue-number"] == "1"
    assert comments(sandbox, 1, "acme/web") == []
    rerun = ticket_action(sandbox, "notify-failure", stage="production", driver="alice",
                          attempt=2)
    assert rerun.outputs["issue-number"] == "1"
    assert len(issues(sandbox, "acme/web")) == 1
    [followup] = comments(sandbox, 1, "acme/web")
    assert "Failed again" in followup and "@alice" in followup
    other_stage = ticket_action(sandbox, "notify-failure", stage="staging", driver="alice")
    assert other_stage.outputs["issue-number"] == "2"
    assert issues(sandbox, TICKETS) == []


def test_notify_failure_falls_back_when_the_ticket_repository_is_out_of_reach(
    sandbox: Sandbox,
) -> None:
    setup(sandbox)
    sandbox.github.inject_fault(status=404, count=None, path=f"^/repos/{TICKETS}/",
                                message="Not Found")
    result = ticket_action(sandbox, "notify-failure", stage="build", driver="alice")
    assert result.exit_code == 0, result
    assert result.outputs["issue-number"] == "1"
    assert "out of reach" in result.warnings[0].message
    [issue] = issues(sandbox, "acme/web")
    assert issue.title == f"Release {RELEASE} failed: build"


# -- comment modes ------------------------------------------------------------------------------

@pytest.mark.parametrize(("mode", "expected"), [
    ("none", 0),
    ("failures", 1),
    ("every-event", 3),
    ("single", 1),
])
def test_comment_modes(sandbox: Sandbox, mode: str, expected: int, tmp_path: Path) -> None:
    setup(sandbox)
    ticket_action(sandbox, "open", inline=tmp_path)
    for run_id, stage, status in (("1", "build", "success"), ("2", "dev", "failure"),
                                  ("3", "dev", "success")):
        result = ticket_action(sandbox, "report", run_id=run_id, stage=stage, status=status,
                               comment_mode=mode, inline=tmp_path)
        assert result.exit_code == 0, result
    posted = comments(sandbox, 1)
    assert len(posted) == expected
    if mode == "failures":
        assert "dev: **failure**" in posted[0] and "@alice" in posted[0]
    if mode == "single":
        assert "| build | ✅" in posted[0] and "| dev | ✅" in posted[0]


# -- close --------------------------------------------------------------------------------------

def test_close_is_refused_until_every_row_is_done(sandbox: Sandbox, tmp_path: Path) -> None:
    setup(sandbox)
    ticket_action(sandbox, "open", inline=tmp_path)
    for repo, stage, status in (("acme/web", "build", "success"), ("acme/api", "build", "success"),
                                ("acme/api", "dev", "failure")):
        assert ticket_action(sandbox, "report", repository=repo, stage=stage, status=status,
                             inline=tmp_path).exit_code == 0
    refused = ticket_action(sandbox, "close")
    assert refused.exit_code == 0, refused
    assert "acme/api (dev: failure)" in refused.warnings[0].message
    assert "acme/web" not in refused.warnings[0].message
    assert issues(sandbox)[0].state == "open"
    ticket_action(sandbox, "report", repository="acme/api", run_id="9", stage="dev",
                  status="skipped", inline=tmp_path)
    accepted = ticket_action(sandbox, "close")
    assert accepted.exit_code == 0 and accepted.warnings == []
    assert issues(sandbox)[0].state == "closed"
    assert ticket_action(sandbox, "close", inline=tmp_path).exit_code == 0  # twice is fine


# -- dispatch -----------------------------------------------------------------------------------

def test_open_dispatches_targets_and_reports_a_refusal_in_the_ticket(sandbox: Sandbox) -> None:
    setup(sandbox)
    sandbox.github.set_workflow("acme/api", "release.yml", dispatch_inputs=["release-ticket"])
    sandbox.github.set_workflow("acme/worker", "ci.yml", dispatch_inputs=None)
    sandbox.github.set_workflow("acme/web", "deploy.yml", dispatch_inputs=["version"])
    result = ticket_action(sandbox, "open", targets=["acme/api:release.yml@main",
                                                     "acme/worker:ci.yml@main",
                                                     "acme/web:deploy.yml@main"])
    assert result.exit_code == 0, result
    [started] = sandbox.github.dispatches
    assert started.repo.lower() == "acme/api" and started.ref == "main"
    import json
    assert json.loads(started.inputs["release-ticket"]) == {
        "release": RELEASE, "ticket-repo": TICKETS, "ticket-number": 1}
    state = state_of(sandbox)
    api, worker = state.cell("acme/api", "dispatch"), state.cell("acme/worker", "dispatch")
    assert api is not None and api.status == "success"
    assert worker is not None and worker.status == "failure"
    assert "workflow_dispatch" in worker.message
    web = state.cell("acme/web", "dispatch")
    assert web is not None and web.status == "failure" and "Unexpected inputs" in web.message
    assert [w.title for w in result.warnings] == ["Dispatch failed", "Dispatch failed"]
    assert "| acme/worker | ❌" in issues(sandbox)[0].body
    again = ticket_action(sandbox, "open", targets=["acme/api:release.yml@main",
                                                    "acme/worker:ci.yml@main"])
    assert again.exit_code == 0
    assert len(sandbox.github.dispatches) == 1  # the started one is not started twice


# -- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("inputs", "name"), [
    ({"operation": "reopen"}, "operation"),
    ({"operation": "report", "stage": "build", "status": "done"}, "status"),
    ({"operation": "report", "status": "success"}, "stage"),
    ({"operation": "report", "stage": "build"}, "status"),
    ({"operation": "open", "ticket-repo": "releases"}, "ticket-repo"),
    ({"operation": "open", "ticket-number": "0"}, "ticket-number"),
    ({"operation": "open", "ticket-number": "abc"}, "ticket-number"),
    ({"operation": "open", "targets": "acme/api:release.yml"}, "targets"),
    ({"operation": "open", "targets": "acme/api@main"}, "targets"),
    ({"operation": "open", "title": "Release {version}"}, "title"),
    ({"operation": "notify-failure"}, "stage"),
    ({"operation": "report", "stage": "b", "status": "success", "targets": "a/b:c.yml@main"},
     "targets"),
    ({"operation": "open", "comment-mode": "all"}, "comment-mode"),
    ({"operation": "open", "fail-on-error": "yes"}, "fail-on-error"),
])
def test_bad_input_is_one_error_and_writes_nothing(sandbox: Sandbox, inputs: dict[str, str],
                                                   name: str, tmp_path: Path) -> None:
    setup(sandbox)
    operation = inputs.pop("operation")
    given: dict[str, Any] = {k.replace("-", "_"): v for k, v in inputs.items()}
    result = ticket_action(sandbox, operation, inline=tmp_path, **given)
    assert result.exit_code == 1, result
    [error] = result.errors
    assert error.title == f"Invalid input '{name}'", error
    assert sandbox.github.writes() == []


def test_an_invalid_event_time_is_an_error_before_any_write(sandbox: Sandbox,
                                                            tmp_path: Path) -> None:
    setup(sandbox)
    result = ticket_action(sandbox, "notify-failure", stage="build", inline=tmp_path,
                           env={"RELEASE_KIT_EVENT_TIME": "yesterday"})
    assert result.exit_code == 1
    assert result.errors[0].title == "Invalid input 'RELEASE_KIT_EVENT_TIME'"
    assert sandbox.github.writes() == []


def test_app_auth_reaches_the_ticket_and_targets_of_other_owners(sandbox: Sandbox) -> None:
    pem = rsa_pem()
    setup(sandbox, "globex/billing")
    sandbox.github.add_app(31, pem, installations={"acme": 310, "globex": 311})
    sandbox.github.set_workflow("globex/billing", "release.yml", dispatch_inputs=["release-ticket"])
    result = ticket_action(sandbox, "open", app_id="31", app_private_key=pem,
                           targets=["globex/billing:release.yml@main"])
    assert result.exit_code == 0, result
    [started] = sandbox.github.dispatches
    assert started.repo == "globex/billing" and started.actor == "sandbox-app-31[bot]"
    minted = sorted(r.path for r in sandbox.github.requests if r.path.endswith("/access_tokens"))
    assert minted == ["/app/installations/310/access_tokens", "/app/installations/311/access_tokens"]
    assert issues(sandbox)[0].user == "sandbox-app-31[bot]"
