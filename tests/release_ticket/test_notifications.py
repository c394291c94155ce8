"""Chat notifications of release-ticket: through the harness, posting to the sandbox's webhook
receiver (Slack through slack_sdk, Teams and a generic JSON webhook through requests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from release_kit_sandbox import Sandbox
from tests.release_ticket.helpers import RELEASE, TICKETS, issues, setup, state_of, ticket_action

CHANNELS = ("slack", "teams", "webhook")
EVENT_TIME = {"RELEASE_KIT_EVENT_TIME": "2026-11-23T10:00:00Z"}


def hooks(sandbox: Sandbox, *channels: str) -> dict[str, str]:
    """The webhook inputs pointing at the sandbox's receivers of the same names."""
    names = {"slack": "slack_webhook_url", "teams": "teams_webhook_url",
             "webhook": "webhook_url"}
    return {names[c]: sandbox.github.webhook_url(c) for c in channels or CHANNELS}


def delivered(sandbox: Sandbox, channel: str) -> list[Any]:
    return sandbox.github.webhooks.delivered(channel)


def posts(sandbox: Sandbox, channel: str) -> int:
    return len(sandbox.github.webhooks.of(channel))


def opened(sandbox: Sandbox, tmp_path: Path) -> None:
    setup(sandbox)
    assert ticket_action(sandbox, "open", driver="alice", inline=tmp_path).exit_code == 0


def test_production_deployed_posts_once_to_each_chat_across_reruns(sandbox: Sandbox,
                                                                  tmp_path: Path) -> None:
    opened(sandbox, tmp_path)
    report = {"stage": "production", "status": "success", "version": "1.4.0",
              **hooks(sandbox)}
    first = ticket_action(sandbox, "report", env=EVENT_TIME, **report)
    assert first.exit_code == 0, first
    assert first.warnings == []
    [slack] = delivered(sandbox, "slack")
    assert slack["text"] == "🚀 acme/web 1.4.0 deployed to production"
    assert "`1.4.0` deployed to production" in slack["blocks"][0]["text"]["text"]
    links = slack["blocks"][-1]["elements"][0]["text"]
    assert f"/{TICKETS}/issues/1|Release ticket #1>" in links and "/actions/runs/100|Run>" in links
    [teams] = delivered(sandbox, "teams")
    card = teams["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert {a["title"] for a in card["content"]["actions"]} >= {"Release ticket #1", "Run"}
    [data] = delivered(sandbox, "webhook")
    assert (data["event"], data["release"], data["repository"], data["version"]) == (
        "production", RELEASE, "acme/web", "1.4.0")
    assert data["ticket_url"].endswith(f"/{TICKETS}/issues/1")
    assert data["run_url"].endswith("/acme/web/actions/runs/100")
    [record] = sandbox.github.webhooks.of("webhook")
    assert record.headers["idempotency-key"] == data["key"]
    assert len(state_of(sandbox).notified) == 3  # one ledger entry per channel
    assert "### Chat" in first.summary

    # A re-run of the run (attempt 2, later) reports again but posts nothing.
    rerun = ticket_action(sandbox, "report", attempt=2, **report)
    assert rerun.exit_code == 0, rerun
    assert [posts(sandbox, c) for c in CHANNELS] == [1, 1, 1]
    assert "already posted by an earlier run" in rerun.stdout
    # Another run reaching production is another event: posted.
    other = ticket_action(sandbox, "report", run_id="101", **report)
    assert other.exit_code == 0 and [posts(sandbox, c) for c in CHANNELS] == [2, 2, 2]


def test_only_the_events_notify_on_wants_are_posted(sandbox: Sandbox, tmp_path: Path) -> None:
    opened(sandbox, tmp_path)
    webhook = hooks(sandbox, "webhook")
    for stage, status in [("build", "success"), ("staging", "in_progress"),
                          ("release", "success"), ("staging", "failure")]:
        result = ticket_action(sandbox, "report", stage=stage, status=status, inline=tmp_path,
                               **webhook)
        assert result.exit_code == 0, result
    assert [(d["event"], d["stage"]) for d in delivered(sandbox, "webhook")] == [
        ("published", "release"), ("failure", "staging")]
    custom = ticket_action(sandbox, "report", stage="prod", status="success", inline=tmp_path,
                           notify_on=["prod:success", "*:in_progress"], **webhook)
    assert custom.exit_code == 0, custom
    assert delivered(sandbox, "webhook")[-1]["stage"] == "prod"


def test_a_failing_chat_warns_and_a_rerun_posts_only_what_is_missing(sandbox: Sandbox,
                                                                      tmp_path: Path) -> None:
    opened(sandbox, tmp_path)
    sandbox.github.fail_webhook("slack", 404, body="no_service")
    sandbox.github.fail_webhook("teams", 503)
    failure = {"stage": "staging", "message": "helm timed out", **hooks(sandbox)}
    first = ticket_action(sandbox, "notify-failure", **failure)
    assert first.exit_code == 0, first  # chat never fails the release
    titles = sorted(w.title for w in first.warnings)
    assert titles == ["Chat notification failed"] * 2
    slack_warning = next(w.message for w in first.warnings if "Slack" in w.message)
    assert "404 no_service" in slack_warning and "Nothing was posted" in slack_warning
    teams_warning = next(w.message for w in first.warnings if "Teams" in w.message)
    assert "503" in teams_warning and "may have been posted" in teams_warning
    assert state_of(sandbox).cell("acme/web", "staging") is not None  # the ticket is written
    assert len(state_of(sandbox).notified) == 1  # the JSON webhook's post only

    again = ticket_action(sandbox, "notify-failure", attempt=2, **failure)
    assert again.exit_code == 0 and again.warnings == []
    assert [len(delivered(sandbox, c)) for c in CHANNELS] == [1, 1, 1]
    assert [posts(sandbox, c) for c in CHANNELS] == [2, 2, 1]
    assert delivered(sandbox, "slack")[0]["text"] == "❌ acme/web staging failed"


def test_a_rate_limit_is_waited_out_once(sandbox: Sandbox, tmp_path: Path) -> None:
    opened(sandbox, tmp_path)
    sandbox.github.fail_webhook("slack", 429, retry_after=1)
    sandbox.github.fail_webhook("webhook", 429, count=2)
    result = ticket_action(sandbox, "report", stage="release", status="success",
                           inline=tmp_path, **hooks(sandbox, "slack", "webhook"))
    assert result.exit_code == 0, result
    assert [p.status for p in sandbox.github.webhooks.of("slack")] == [429, 200]
    assert [p.status for p in sandbox.github.webhooks.of("webhook")] == [429, 429]
    [warning] = result.warnings
    assert "rate limited" in warning.message and "Nothing was posted" in warning.message


def test_a_timeout_may_have_posted_and_says_so(sandbox: Sandbox, tmp_path: Path) -> None:
    opened(sandbox, tmp_path)
    sandbox.github.fail_webhook("slack", 200 + 300, latency=3)  # answered after the timeout
    result = ticket_action(sandbox, "report", stage="production", status="success",
                           env={"RELEASE_KIT_CHAT_TIMEOUT": "1"}, **hooks(sandbox, "slack"))
    assert result.exit_code == 0, result
    [warning] = result.warnings
    assert "no answer" in warning.message and "may have been posted" in warning.message
    assert state_of(sandbox).notified == {}  # not recorded: a re-run posts again


def test_notify_failure_without_a_ticket_posts_once_with_the_issue(sandbox: Sandbox) -> None:
    setup(sandbox)
    failure = {"stage": "build", "driver": "alice", **hooks(sandbox, "webhook", "slack")}
    first = ticket_action(sandbox, "notify-failure", **failure)
    assert first.exit_code == 0, first
    [data] = delivered(sandbox, "webhook")
    assert data["event"] == "failure" and data["ticket_url"].endswith("/acme/web/issues/1")
    assert "Failure issue #1>" in delivered(sandbox, "slack")[0]["blocks"][-1]["elements"][0][
        "text"]
    again = ticket_action(sandbox, "notify-failure", **failure)
    assert again.exit_code == 0, again
    assert posts(sandbox, "webhook") == 1 and posts(sandbox, "slack") == 1
    other_run = ticket_action(sandbox, "notify-failure", run_id="101", **failure)
    assert other_run.exit_code == 0 and posts(sandbox, "webhook") == 2


def test_a_stale_report_posts_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    opened(sandbox, tmp_path)
    webhook = hooks(sandbox, "webhook")
    newer = ticket_action(sandbox, "report", stage="production", status="success",
                          env={"RELEASE_KIT_EVENT_TIME": "2026-11-23T12:00:00Z"},
                          inline=tmp_path, **webhook)
    assert newer.exit_code == 0 and posts(sandbox, "webhook") == 1
    older = ticket_action(sandbox, "report", run_id="99", stage="production", status="failure",
                          env={"RELEASE_KIT_EVENT_TIME": "2026-11-23T11:00:00Z"},
                          inline=tmp_path, **webhook)
    assert older.exit_code == 0 and posts(sandbox, "webhook") == 1


def test_dispatch_failures_of_open_are_posted(sandbox: Sandbox) -> None:
    setup(sandbox)
    sandbox.github.set_workflow("acme/api", "release.yml", dispatch_inputs=None)
    result = ticket_action(sandbox, "open", targets=["acme/api:release.yml@main"],
                           **hooks(sandbox, "webhook"))
    assert result.exit_code == 0, result
    [data] = delivered(sandbox, "webhook")
    assert (data["repository"], data["stage"], data["status"]) == ("acme/api", "dispatch",
                                                                   "failure")


def test_untrusted_text_cannot_ping_or_link_in_slack(sandbox: Sandbox, tmp_path: Path) -> None:
    opened(sandbox, tmp_path)
    evil = "<!channel> @here <https://evil.example|click> & `code` *bold*"
    result = ticket_action(sandbox, "report", stage="production", status="failure",
                           version="<!here> 1.4.0", message=evil, inline=tmp_path,
                           **hooks(sandbox, "slack", "teams"))
    assert result.exit_code == 0, result
    [slack] = delivered(sandbox, "slack")
    mrkdwn = [slack["text"]] + [
        text for block in slack["blocks"] for text in
        [block.get("text", {}).get("text", "") if block.get("text", {}).get("type") == "mrkdwn"
         else ""]
        + [f["text"] for f in block.get("fields", [])]
        + [e["text"] for e in block.get("elements", []) if e["type"] == "mrkdwn"]]
    for text in mrkdwn:
        assert "<!" not in text and "@here" not in text and "<https://evil" not in text
    plain = [b["text"] for b in slack["blocks"] if b.get("text", {}).get("type") == "plain_text"]
    assert plain == [{"type": "plain_text", "text": evil, "emoji": False}]  # not parsed by Slack
    [teams] = delivered(sandbox, "teams")
    body = teams["attachments"][0]["content"]["body"]
    assert {element["type"] for element in body} == {"RichTextBlock"}  # no Markdown in TextRuns
    assert evil in [run["text"] for element in body for run in element["inlines"]]


def test_webhook_addresses_are_masked_and_never_logged(sandbox: Sandbox) -> None:
    setup(sandbox)
    assert ticket_action(sandbox, "open").exit_code == 0
    sandbox.github.fail_webhook("slack", 404, body="no_service")
    url = sandbox.github.webhook_url("slack")
    result = ticket_action(sandbox, "notify-failure", stage="build", slack_webhook_url=url)
    assert result.exit_code == 0, result
    lines = result.stdout.splitlines()
    assert f"::add-mask::{url}" in lines
    leaked = [line for line in lines if "/_sandbox/webhooks/" in line
              and not line.startswith("::add-mask::")]
    assert leaked == []
    assert "no_service" in result.warnings[0].message


@pytest.mark.parametrize(("inputs", "name"), [
    ({"notify_on": "failures"}, "notify-on"),
    ({"notify_on": "production:done"}, "notify-on"),
    ({"slack_webhook_url": "hooks.slack.com/services/T0/B0/SECRETSECRET"}, "slack-webhook-url"),
    ({"webhook_url": "ftp://example.com/SECRETSECRET"}, "webhook-url"),
])
def test_bad_notification_inputs_fail_before_any_write(sandbox: Sandbox, tmp_path: Path,
                                                       inputs: dict[str, str], name: str) -> None:
    setup(sandbox)
    result = ticket_action(sandbox, "report", stage="build", status="success", inline=tmp_path,
                           **inputs)
    assert result.exit_code == 1, result
    [error] = result.errors
    assert error.title == f"Invalid input '{name}'"
    assert "SECRETSECRET" not in result.stdout  # a wrong address is still a secret
    assert sandbox.github.writes() == []


def test_a_bad_chat_timeout_fails_before_any_write(sandbox: Sandbox, tmp_path: Path) -> None:
    setup(sandbox)
    result = ticket_action(sandbox, "report", stage="build", status="success", inline=tmp_path,
                           env={"RELEASE_KIT_CHAT_TIMEOUT": "soon"}, **hooks(sandbox, "slack"))
    assert result.exit_code == 1
    assert result.errors[0].title == "Invalid input 'RELEASE_KIT_CHAT_TIMEOUT'"
    assert sandbox.github.writes() == [] and issues(sandbox) == []


def test_a_post_the_ticket_cannot_record_warns_that_a_rerun_posts_again(
        sandbox: Sandbox, tmp_path: Path) -> None:
    """The ticket becomes unwritable while the (slow) post is on its way: the post landed, the
    ledger write is refused; the step warns and succeeds, and the re-run posts again."""
    import threading
    import time

    opened(sandbox, tmp_path)
    emu = sandbox.github
    emu.fail_webhook("webhook", 200, latency=2)  # a slow post that lands
    report = {"stage": "production", "status": "success", **hooks(sandbox, "webhook")}
    results: list[Any] = []
    job = threading.Thread(target=lambda: results.append(
        ticket_action(sandbox, "report", **report)))
    job.start()
    deadline = time.monotonic() + 30
    while not emu.webhooks.of("webhook") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert emu.webhooks.of("webhook"), "the post never arrived"
    emu.inject_fault(403, count=None, method="PATCH", path=r"/issues/1$",
                     message="Resource not accessible by integration")
    job.join(60)
    [result] = results
    assert result.exit_code == 0, result
    [warning] = result.warnings
    assert warning.title == "Chat post not recorded" and "re-run" in warning.message
    assert state_of(sandbox).notified == {}
    emu.clear_faults()
    rerun = ticket_action(sandbox, "report", attempt=2, **report)
    assert rerun.exit_code == 0, rerun
    assert len(delivered(sandbox, "webhook")) == 2 and len(state_of(sandbox).notified) == 1
