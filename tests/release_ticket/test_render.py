"""The ticket body: machine part between markers, human part untouched, escaping, size limit."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from release_kit.text import ZERO_WIDTH_SPACE, hidden_json, inline
from release_kit.tickets import Report, TicketState, normalise_time, parse, render_ticket_body
from release_kit.tickets.render import BEGIN, BODY_LIMIT, END, split
from tests.release_ticket.test_state import report

SERVER = "https://github.com"


def test_render_and_parse_round_trip_with_all_parts() -> None:
    state = TicketState("1.4.0", driver="alice").merge([
        report(version="1.4.0", sha="0123456789abcdef0123456789abcdef01234567",
               run_url="https://github.com/acme/web/actions/runs/7"),
        report(repo="acme/api", stage="dev", status="failure", message="boom"),
    ])
    body = render_ticket_body(None, state, SERVER)
    assert parse(body) == state
    assert "<!-- release-kit:release-ticket 1.4.0 -->" in body
    assert "| Repository | build | dev |" in body
    assert "[`0123456`](https://github.com/acme/web/commit/0123456789abcdef0123456789abcdef01234567)" in body
    assert "[run](https://github.com/acme/web/actions/runs/7)" in body
    assert "```mermaid\nflowchart LR" in body
    assert "class s1 failure" in body and "class s0 success" in body
    assert "✅ `1.4.0`" in body and "2026-11-23 10:00 UTC" in body


def test_human_part_outside_the_markers_is_kept_byte_for_byte() -> None:
    first = render_ticket_body(None, TicketState("1"), SERVER)
    _, machine, _ = split(first)  # type: ignore[misc]
    edited = "Intro by a human\r\n\n" + machine + "\n\n- [ ] checklist @carol\n"
    state = TicketState("1").merge([report()])
    updated = render_ticket_body(edited, state, SERVER)
    assert updated.startswith("Intro by a human\r\n\n" + BEGIN)
    assert updated.endswith(END + "\n\n- [ ] checklist @carol\n")
    assert parse(updated) == state


def test_body_without_markers_gets_the_machine_part_on_top() -> None:
    updated = render_ticket_body("written by hand", TicketState("1"), SERVER)
    assert updated.startswith(BEGIN) and updated.endswith("\n\nwritten by hand")


def test_input_text_is_escaped_and_cannot_mention_or_escape_the_comment() -> None:
    nasty = "@alice <script>x</script> | **bold** [x](y) --> @org/team\nnext"
    state = TicketState("1").merge([report(status="failure", message=nasty, version="@v1`x")])
    body = render_ticket_body(None, state, SERVER)
    assert re.search(r"@\w", body) is None
    assert "@" + ZERO_WIDTH_SPACE + "alice" in body
    assert "<script>" not in body
    assert body.count("-->") == body.count("<!--")  # nothing closes a comment early
    assert parse(body) == state
    assert inline("a|b") == "a\\|b"


def test_hidden_json_is_still_json() -> None:
    import json
    value = {"m": "--> <x> & y"}
    assert json.loads(hidden_json(value)) == value
    assert "-->" not in hidden_json(value)


def test_size_limit_collapses_the_oldest_detail_first() -> None:
    reports = [report(repo=f"acme/repo-{i:03d}", stage=stage, minute=i % 60, attempt=1 + i // 60,
                      message="x" * 290, version=f"1.{i}.0", sha="ab" * 20,
                      run_url=f"https://github.com/acme/repo-{i:03d}/actions/runs/{i}")
               for i in range(60) for stage in ("build", "dev")]
    state = TicketState("1").merge(reports)
    body = render_ticket_body("human notes", state, SERVER)
    assert len(body) < BODY_LIMIT
    stored = parse(body)
    assert stored is not None and len(stored.cells) == len(state.cells)
    newest = max(state.cells.values(), key=Report.precedence)
    oldest = min(state.cells.values(), key=Report.precedence)
    assert stored.cells[newest.cell] == newest  # newest detail kept in full
    assert stored.cells[oldest.cell].message == ""  # oldest detail dropped first
    assert stored.cells[oldest.cell].status == oldest.status
    assert body.endswith("human notes")


_reports = st.builds(
    Report,
    repository=st.sampled_from(["acme/web", "acme/api", "Acme/Web", "other/x"]),
    stage=st.sampled_from(["build", "dev", "production", "qa @team"]),
    status=st.sampled_from(["pending", "in_progress", "success", "failure", "skipped"]),
    time=st.integers(0, 5).map(lambda m: normalise_time(f"2026-11-23T10:0{m}:00Z")),
    attempt=st.integers(1, 3),
    version=st.sampled_from(["", "1.4.0", "2.0.0-rc.1"]),
    sha=st.sampled_from(["", "a" * 40, "b" * 40]),
    message=st.text(max_size=20),
    run_url=st.sampled_from(["", "https://github.com/acme/web/actions/runs/1"]),
)


@settings(max_examples=150, deadline=None)
@given(reports=st.lists(_reports, max_size=12), data=st.data())
def test_every_order_of_a_set_of_reports_renders_the_identical_body(
    reports: list[Report], data: st.DataObject
) -> None:
    expected = render_ticket_body(None, TicketState("1.4.0").merge(reports), SERVER)
    shuffled = data.draw(st.permutations(reports))
    # Apply one report per write, reading the state back from the body each time, as the action does.
    body = render_ticket_body(None, TicketState("1.4.0"), SERVER)
    for item in shuffled:
        current = parse(body)
        assert current is not None
        body = render_ticket_body(body, current.merge([item]), SERVER)
    assert body == expected
    # and again: re-delivery changes nothing
    again = parse(body)
    assert again is not None
    assert render_ticket_body(body, again.merge(shuffled), SERVER) == expected


@settings(max_examples=100, deadline=None)
@given(first=st.lists(_reports, max_size=8), second=st.lists(_reports, max_size=8))
def test_merge_is_commutative_associative_and_idempotent(first: list[Report],
                                                         second: list[Report]) -> None:
    a = TicketState("1").merge(first)
    b = TicketState("1").merge(second)
    assert a.merge(b.cells.values()) == b.merge(a.cells.values())
    assert a.merge(first) == a
    both = a.merge(second)
    assert all(both.reflects(r) for r in first + second)
    assert both.covers(a) and both.covers(b)


def test_a_cell_shows_the_start_of_its_message() -> None:
    long = "deploy of the payments service timed out after 600 seconds waiting for rollout"
    body = render_ticket_body(None, TicketState("1").merge([report(status="failure", message=long)]),
                       SERVER)
    cell_line = next(line for line in body.splitlines() if line.startswith("| acme/web |"))
    assert "<br><sub>deploy of the payments service timed out after 600 seconds…</sub>" in cell_line
    assert long in body  # in full under Messages
