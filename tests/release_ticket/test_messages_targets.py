"""Pure pieces around the body: comment texts, markers, dispatch targets and payloads."""

from __future__ import annotations

import json

import pytest

from release_kit.errors import InputError
from release_kit.tickets import (
    DISPATCH_INPUT,
    Target,
    TicketState,
    already_started,
    dispatch_payload,
    messages,
    parse_targets,
    started,
)
from tests.release_ticket.test_state import report


def test_failure_comment_mentions_the_driver_and_neutralises_the_message() -> None:
    event = report(status="failure", message="@bob broke **it**",
                   run_url="https://github.com/acme/web/actions/runs/5")
    text = messages.event_comment(event, "alice")
    assert "@alice, please have a look." in text
    assert "@bob" not in text and "\\*\\*it\\*\\*" in text
    assert "[run](https://github.com/acme/web/actions/runs/5)" in text
    assert "@" not in messages.event_comment(report(status="success"), "alice")


def test_event_markers_tell_events_apart_and_repeat_for_the_same_event() -> None:
    run = "https://github.com/acme/web/actions/runs/5"
    first = report(status="failure", run_url=run)
    assert messages.event_marker(first) == messages.event_marker(report(status="failure",
                                                                       run_url=run, minute=9))
    assert messages.event_marker(first) != messages.event_marker(
        report(status="failure", run_url=run + "/attempts/2"))
    assert messages.event_marker(first) != messages.event_marker(report(status="success",
                                                                       run_url=run))


def test_failure_issue_title_and_marker_per_release_and_stage() -> None:
    assert messages.failure_title("1.4.0", "staging") == "Release 1.4.0 failed: staging"
    assert messages.failure_marker("1.4.0", "staging") != messages.failure_marker("1.4.0", "prod")
    assert messages.failure_marker("1.4", "x") not in messages.failure_marker("1.4.0", "x")


def test_repository_comment_shows_the_row() -> None:
    state = TicketState("1").merge([report(), report(stage="dev", status="in_progress")])
    text = messages.repository_comment(state, "ACME/WEB", "https://github.com")
    assert "| build | ✅" in text and "| dev | 🔄" in text


def test_not_done_summary_names_the_rows() -> None:
    state = TicketState("1").merge([report(), report(repo="acme/api", status="failure")])
    assert messages.not_done_summary(state) == "- acme/api: build is failure"


def test_targets_parse() -> None:
    assert parse_targets(["acme/api:release.yml@main", " acme/web:ci.yaml@v1.2 "]) == [
        Target("acme/api", "release.yml", "main"), Target("acme/web", "ci.yaml", "v1.2")]


@pytest.mark.parametrize("line", ["acme/api", "acme/api:release.yml", "acme:release.yml@main",
                                  "acme/api:dir/release.yml@main", "acme/api:r.yml@",
                                  "acme/api:r.yml@ma in"])
def test_bad_targets(line: str) -> None:
    with pytest.raises(InputError) as err:
        parse_targets([line])
    assert err.value.input_name == "targets" and "owner/repo:workflow-file@ref" in str(err.value)


def test_one_target_per_repository() -> None:
    with pytest.raises(InputError, match="listed twice"):
        parse_targets(["acme/api:a.yml@main", "ACME/api:b.yml@main"])


def test_dispatch_payload_is_one_json_input() -> None:
    payload = dispatch_payload("1.4.0", "acme/releases", 7)
    assert list(payload) == [DISPATCH_INPUT]
    assert json.loads(payload[DISPATCH_INPUT]) == {
        "release": "1.4.0", "ticket-repo": "acme/releases", "ticket-number": 7}


def test_a_started_target_is_not_started_again() -> None:
    target = Target("acme/api", "release.yml", "main")
    state = TicketState("1").merge([report(repo="acme/api", stage="dispatch",
                                           message=started(target))])
    assert already_started(state, target)
    assert not already_started(state, Target("acme/api", "release.yml", "v2"))
    failed = TicketState("1").merge([report(repo="acme/api", stage="dispatch", status="failure",
                                            message=started(target))])
    assert not already_started(failed, target)
