"""Which reports are posted (notify-on), their dedupe keys, and what each chat is sent."""

from __future__ import annotations

import pytest

from release_kit.errors import InputError
from release_kit.notify import Notice, dedupe_key, parse_rules, wanted
from release_kit.notify.messages import json_message, slack_message, teams_message
from release_kit.tickets import Report, normalise_time

RUN = "https://github.com/acme/web/actions/runs/7"


def report(stage: str = "production", status: str = "success", run: str = RUN,
           **extra: object) -> Report:
    return Report(repository="acme/web", stage=stage, status=status,  # type: ignore[arg-type]
                  time=normalise_time("2026-11-23T10:00:00Z"), run_url=run, **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize(("lines", "posted", "not_posted"), [
    (["failure"], [("build", "failure"), ("dispatch", "failure")], [("production", "success")]),
    (["published"], [("release", "success")], [("release", "failure"), ("build", "success")]),
    (["production"], [("production", "success")], [("prod", "success"),
                                                    ("production", "in_progress")]),
    (["all"], [("x", "skipped"), ("build", "pending")], []),
    (["prod:success", "*:in_progress"], [("prod", "success"), ("dev", "in_progress")],
     [("production", "success")]),
    (["Failure", "staging:*"], [("staging", "pending"), ("dev", "failure")], [("dev", "success")]),
])
def test_rules(lines: list[str], posted: list[tuple[str, str]],
               not_posted: list[tuple[str, str]]) -> None:
    rules = parse_rules(lines)
    assert all(wanted(rules, report(stage, status)) for stage, status in posted)
    assert not any(wanted(rules, report(stage, status)) for stage, status in not_posted)


@pytest.mark.parametrize("line", ["failures", "production:done", ":success", "x" * 41 + ":*",
                                  "production"  + "success"])
def test_a_line_that_is_no_rule_is_an_input_error(line: str) -> None:
    with pytest.raises(InputError) as raised:
        parse_rules(["failure", line])
    assert raised.value.input_name == "notify-on"


def test_dedupe_keys_name_the_event_and_channel_not_the_attempt() -> None:
    first = dedupe_key("1.4.0", report(attempt=1), "slack")
    assert first == dedupe_key("1.4.0", report(run=f"{RUN}/attempts/3", attempt=3,
                                                message="again"), "slack")
    others = {dedupe_key("1.4.0", report(), "teams"),
              dedupe_key("1.4.0", report(status="failure"), "slack"),
              dedupe_key("1.4.0", report(run=RUN.replace("/7", "/8")), "slack"),
              dedupe_key("1.4.1", report(), "slack"),
              dedupe_key("1.4.0", report(stage="staging"), "slack")}
    assert first not in others and len(others) == 5
    assert len(first) == 16 and int(first, 16) >= 0


def test_the_three_bodies_carry_the_same_event() -> None:
    notice = Notice("1.4.0", report(status="failure", version="1.4.0", sha="a" * 40,
                                    message="helm timed out", attempt=2,
                                    run=f"{RUN}/attempts/2"),
                    "https://github.com", "https://github.com/acme/releases/issues/3",
                    "Release ticket #3", key="k")
    slack = slack_message(notice)
    assert slack["text"] == "❌ acme/web production failed"
    fields = [f["text"] for f in slack["blocks"][1]["fields"]]
    assert "*Version*\n`1.4.0`" in fields and "*Attempt*\n`2`" in fields
    links = slack["blocks"][-1]["elements"][0]["text"]
    assert "<https://github.com/acme/web/commit/" + "a" * 40 + "|Commit aaaaaaa>" in links
    card = teams_message(notice)["attachments"][0]["content"]
    assert card["version"] == "1.4" and card["type"] == "AdaptiveCard"
    assert card["actions"][0]["url"] == "https://github.com/acme/releases/issues/3"
    data = json_message(notice)
    assert (data["event"], data["status"], data["attempt"], data["key"]) == (
        "failure", "failure", 2, "k")
    assert data["text"] == "❌ acme/web production failed"


def test_links_are_only_web_addresses_and_cannot_break_out_in_slack() -> None:
    notice = Notice("1", report(run="javascript:alert(1)"), "https://github.com",
                    "https://github.com/a/b/issues/1?x=1&y=<2>|3")
    links = slack_message(notice)["blocks"][-1]["elements"][0]["text"]
    assert "javascript" not in links
    assert links == "<https://github.com/a/b/issues/1?x=1&amp;y=%3C2%3E%7C3|Release ticket>"
    assert all(a["url"].startswith("https://")
               for a in teams_message(notice)["attachments"][0]["content"]["actions"])
