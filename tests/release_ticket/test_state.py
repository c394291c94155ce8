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
