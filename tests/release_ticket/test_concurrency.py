"""20 jobs report into one ticket at the same moment: no report is lost.

GitHub keeps the last write of an issue body; the action reads, merges, writes and reads back,
and merges again when a concurrent writer erased its report. The 20 reporters are threads that
call the entrypoint with their own GitHub clients (the 20-process run is in the benchmark).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from release_kit_sandbox import Sandbox
from tests.release_ticket.helpers import RELEASE, TICKETS, setup, state_of, ticket_action
from tests.release_ticket.inprocess import parse_inputs, run_operation

WRITERS = 20


def test_twenty_concurrent_reporters_lose_nothing(sandbox: Sandbox,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    repos = [f"acme/svc-{i:02d}" for i in range(WRITERS)]
    setup(sandbox, *repos)
    assert ticket_action(sandbox, "open").exit_code == 0
    monkeypatch.setenv("GITHUB_API_URL", sandbox.github.url)

    inputs = [parse_inputs({
        "operation": "report", "release": RELEASE, "ticket-repo": TICKETS,
        "repository": repo, "stage": "build", "status": "success", "version": f"1.{i}.0",
        "github-token": sandbox.github.default_token, "fail-on-error": "true",
    }) for i, repo in enumerate(repos)]

    def report(i: int) -> dict[str, str]:
        return run_operation(inputs[i], repository=repos[i], run_id=str(1000 + i),
                             server_url=sandbox.github.server_url)

    with ThreadPoolExecutor(WRITERS) as pool:
        outputs = list(pool.map(report, range(WRITERS)))

    assert {o["ticket-number"] for o in outputs} == {"1"}
    state = state_of(sandbox)
    assert sorted(r.lower() for r in state.repositories()) == repos
    for i, repo in enumerate(repos):
        cell = state.cell(repo, "build")
        assert cell is not None and cell.version == f"1.{i}.0"
    patches = [r for r in sandbox.github.writes() if r.method == "PATCH"]
    assert len(patches) >= WRITERS


def test_concurrent_opens_leave_one_open_ticket(sandbox: Sandbox,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    setup(sandbox)
    monkeypatch.setenv("GITHUB_API_URL", sandbox.github.url)
    inputs = parse_inputs({"operation": "open", "release": RELEASE, "ticket-repo": TICKETS,
                           "repository": TICKETS,
                           "driver": "alice", "github-token": sandbox.github.default_token,
                           "fail-on-error": "true"})

    def open_ticket(i: int) -> dict[str, str]:
        return run_operation(inputs, repository=TICKETS, run_id=str(i),
                             server_url=sandbox.github.server_url)

    with ThreadPoolExecutor(3) as pool:
        outputs = list(pool.map(open_ticket, range(3)))

    tickets = sandbox.github.repo(TICKETS).issues
    still_open = [i.number for i in tickets.values() if i.state == "open"]
    assert still_open == [1]
    assert {o["ticket-number"] for o in outputs} == {"1"}
    assert all(i.state_reason == "duplicate" for i in tickets.values() if i.number != 1)


def run_twenty_processes(sandbox: Sandbox, stage: str, run_base: int) -> tuple[list[int], int]:
    """20 reporters as 20 processes (one interpreter each, as 20 jobs are), every request 200 ms
    late and three PATCHes refused by a secondary rate limit: ``(exit codes, rows lost)``."""
    repos = [f"acme/svc-{i:02d}" for i in range(WRITERS)]
    sandbox.github.inject_latency(0.2)
    sandbox.github.inject_rate_limit(count=3, retry_after=1, method="PATCH", path=r"/issues/1$")
    env = {"RELEASE_KIT_GITHUB_WRITE_SPACING": "1"}  # GitHub's spacing, as in a real job

    def report(i: int) -> int:
        return ticket_action(sandbox, "report", repository=repos[i], run_id=str(run_base + i),
                             stage=stage, status="success", env=env).exit_code

    try:
        with ThreadPoolExecutor(WRITERS) as pool:
            codes = list(pool.map(report, range(WRITERS)))
    finally:
        sandbox.github.clear_faults()
    state = state_of(sandbox)
    lost = [i for i, repo in enumerate(repos) if state.cell(repo, stage) is None]
    return codes, len(lost)


def test_twenty_processes_under_latency_and_secondary_limits_lose_nothing(
        sandbox: Sandbox) -> None:
    repos = [f"acme/svc-{i:02d}" for i in range(WRITERS)]
    setup(sandbox, *repos)
    assert ticket_action(sandbox, "open").exit_code == 0
    codes, lost = run_twenty_processes(sandbox, "build", 2000)
    failed = [i for i, code in enumerate(codes) if code != 0]
    assert lost == 0 or len(failed) >= lost  # a report that did not land exits non-zero
    assert lost == 0, f"{lost} rows lost (exit codes {codes})"


def test_concurrent_reporters_posting_to_chat_keep_every_ledger_entry(
        sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ten jobs reach production at once, each posts and records its post: the ledger writes
    race each other and the reports, and no key is lost (a re-run of any of them posts nothing)."""
    writers = 10
    repos = [f"acme/svc-{i:02d}" for i in range(writers)]
    setup(sandbox, *repos)
    assert ticket_action(sandbox, "open").exit_code == 0
    monkeypatch.setenv("GITHUB_API_URL", sandbox.github.url)
    inputs = [parse_inputs({
        "operation": "report", "release": RELEASE, "ticket-repo": TICKETS,
        "repository": repo, "stage": "production", "status": "success",
        "github-token": sandbox.github.default_token, "fail-on-error": "true",
        "webhook-url": sandbox.github.webhook_url("chat"),
    }) for repo in repos]

    def report(i: int) -> dict[str, str]:
        return run_operation(inputs[i], repository=repos[i], run_id=str(2000 + i),
                             server_url=sandbox.github.server_url)

    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(report, range(writers)))
    assert len(sandbox.github.webhooks.delivered("chat")) == writers
    state = state_of(sandbox)
    assert len(state.notified) == writers
    assert len(state.repositories()) == writers
    report(3)  # a re-run finds its key
    assert len(sandbox.github.webhooks.of("chat")) == writers
