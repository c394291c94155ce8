"""The ticket state: merge order, idempotence, staleness, close verdicts, persistence."""

from __future__ import annotations

import itertools

import pytest

from release_kit.tickets import Report, TicketState, normalise_time


def report(repo: str = "acme/web", stage: str = "build", status: str = "success",
           minute: int = 0, attempt: int = 1, **extra: str) -> Report:
    return Report(repository=repo, stage=stage, status=status,  # type: ignore[arg-type]
                  time=normalise_time(f"2026-11-23T10:{minute:02d}:00Z"), attempt=attempt, **extra)


def test_newest_event_time_wins_whatever_the_arrival_order() -> None:
    old = report(status="failure", minute=1)
    new = report(status="success", minute=2)
    for first, second in itertools.permutations([old, new]):
        state = TicketState("1.4.0").merge([first]).merge([second])
        assert state.cell("acme/web", "build") == new


def test_run_attempt_breaks_a_tie_on_time() -> None:
    first = report(status="failure", attempt=1)
    rerun = report(status="success", attempt=2)
    assert TicketState("1").merge([rerun, first]).cell("acme/web", "build") == rerun


def test_merge_is_idempotent_and_stale_reports_change_nothing() -> None:
    new = report(minute=5)
    state = TicketState("1").merge([new])
    assert state.merge([new]) == state
    older = report(status="failure", minute=1)
    assert state.is_stale(older)
    assert state.reflects(older)  # a newer report holds the cell
    assert state.merge([older]) == state
    assert not state.is_stale(new)


def test_repositories_are_case_insensitive_rows() -> None:
    state = TicketState("1").merge([report(repo="Acme/Web", minute=1), report(repo="acme/web",
                                                                               stage="dev")])
    assert len(state.repositories()) == 1
    assert [r.stage for r in state.row("ACME/WEB")] == ["build", "dev"]


def test_stages_follow_the_pipeline_then_alphabetical() -> None:
    reports = [report(stage=s) for s in ("zeta", "production", "alpha", "build", "staging", "dev")]
    assert TicketState("1").merge(reports).stages() == [
        "build", "dev", "staging", "production", "alpha", "zeta"]


def test_the_train_comes_before_the_release_so_a_failed_deploy_keeps_the_ticket_open() -> None:
    """The train's decision is reported first in time and in the row: a staging failure after
    it is the row's last stage (close refuses), not the train's success."""
    reports = [report(stage="train"), report(stage="dispatch"), report(stage="release"),
               report(stage="staging", status="failure")]
    state = TicketState("1").merge(reports)
    assert state.stages() == ["dispatch", "train", "release", "staging"]
    assert [r.stage for r in state.not_done()] == ["staging"]


def test_worst_status_of_a_stage() -> None:
    state = TicketState("1").merge([report(repo="a/x"), report(repo="b/x", status="failure"),
                                    report(repo="c/x", status="skipped")])
    assert state.stage_status("build") == "failure"
    assert TicketState("1").merge([report(repo="a/x"), report(repo="c/x", status="skipped")]
                                  ).stage_status("build") == "success"


@pytest.mark.parametrize(("statuses", "not_done"), [
    ({"a/x": ["success", "success"], "b/x": ["success", "skipped"]}, []),
    ({"a/x": ["success", "in_progress"], "b/x": ["failure", "success"]}, ["a/x"]),
    ({"a/x": ["success", "failure"]}, ["a/x"]),
])
def test_close_looks_at_each_rows_last_stage(statuses: dict[str, list[str]],
                                              not_done: list[str]) -> None:
    reports = [report(repo=repo, stage=stage, status=status)
               for repo, values in statuses.items()
               for stage, status in zip(["build", "dev"], values, strict=True)]
    state = TicketState("1").merge(reports)
    assert [r.repository for r in state.not_done()] == not_done


def test_json_round_trip() -> None:
    state = TicketState("2026.11-train", driver="alice").merge([
        report(version="1.4.0", sha="a" * 40, message="it <b>broke</b> --> @bob",
               run_url="https://github.com/acme/web/actions/runs/1"),
        report(repo="acme/api", stage="dev", status="in_progress", minute=3, attempt=2),
    ])
    assert TicketState.from_json(state.to_json()) == state


def test_times_are_normalised_to_utc() -> None:
    assert normalise_time("2026-11-23T12:00:00+02:00") == "2026-11-23T10:00:00.000000Z"


# -- the notification ledger ---------------------------------------------------------------------

def key(n: int) -> str:
    return f"{n:016x}"


def at(minute: int) -> str:
    return normalise_time(f"2026-11-23T10:{minute:02d}:00Z")


def test_a_ticket_written_before_the_ledger_reads_as_an_empty_one() -> None:
    old = {"version": 1, "release": "1.4.0", "driver": "alice",
           "cells": [report().to_json()]}
    state = TicketState.from_json(old)
    assert state.notified == {} and not state.has_notified(key(1))
    assert "notified" not in state.to_json()  # and is written back as it was
    assert TicketState.from_json(state.to_json()) == state


def test_the_ledger_round_trips_and_is_a_union() -> None:
    a = TicketState("1").with_notified({key(1): at(1), key(2): at(2)})
    b = TicketState("1").with_notified({key(2): at(3), key(3): at(3)})
    merged = a.union(b)
    assert merged == b.union(a) == merged.union(a).union(b)
    assert merged.notified == {key(1): at(1), key(2): at(3), key(3): at(3)}
    assert TicketState.from_json(merged.to_json()) == merged
    assert merged.covers(a) and merged.covers(b) and not a.covers(b)


def test_the_ledger_keeps_the_newest_entries_whatever_the_order() -> None:
    from release_kit.tickets.model import NOTIFIED_LIMIT

    entries = [{key(n): at(n % 60)} for n in range(NOTIFIED_LIMIT + 30)]
    forward = TicketState("1")
    for entry in entries:
        forward = forward.with_notified(entry)
    backward = TicketState("1")
    for entry in reversed(entries):
        backward = backward.with_notified(entry)
    assert forward == backward
    assert len(forward.notified) == NOTIFIED_LIMIT
    dropped = sorted(((t, k) for e in entries for k, t in e.items()))[:30]
    assert not any(forward.has_notified(k) for _, k in dropped)
    # an entry older than everything kept changes nothing: it counts as recorded
    assert forward.records({dropped[0][1]: dropped[0][0]})
    assert not forward.records({key(9999): at(59)})


@pytest.mark.parametrize("notified", [
    "abc",
    [["nothex!!nothex!!", "2026-11-23T10:00:00Z"]],
    [[key(1)]],
    [[key(1), 5]],
    [[key(1), "yesterday"]],
    [[key(1), "2999-01-01T00:00:00Z"]],
])
def test_a_damaged_ledger_is_refused(notified: object) -> None:
    from datetime import UTC, datetime

    data = {"release": "1", "cells": [], "notified": notified}
    with pytest.raises(ValueError):
        TicketState.from_json(data, now=datetime(2026, 11, 23, 12, tzinfo=UTC))
