"""What a chat post says about one ticket report, for each kind of webhook.

One :class:`Notice` (the report, the release, the ticket and run links) renders as:

- **Slack** (incoming webhook): ``text`` (the notification line) and Block Kit ``blocks``. Every
  untrusted value (stage, version, sha) is a mrkdwn code span escaped by
  :func:`release_kit.text.slack_code`, and the free-text ``message`` a ``plain_text`` object,
  which Slack does not parse at all: nothing in it can mention, link or format.
- **Microsoft Teams** (a Workflows "When a Teams webhook request is received" flow, or a legacy
  incoming webhook): a ``message`` carrying one Adaptive Card 1.4. Text sits in
  ``RichTextBlock``/``TextRun`` elements, which Adaptive Cards never read as Markdown (a
  ``TextBlock`` would: links, emphasis, ``{{DATE()}}`` functions), and links are
  ``Action.OpenUrl`` buttons.
- **Generic JSON**: the fields as data, plus ``text``, a one-line summary escaped for Markdown
  (:func:`release_kit.text.inline`) for receivers that show it as such.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from release_kit.text import inline, slack, slack_code
from release_kit.tickets.model import RELEASE_STAGE, Report
from release_kit.tickets.render import EMOJI, MESSAGE_LIMIT, short_time

PRODUCTION_STAGE = "production"
SCHEMA = "release-kit/notification@1"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


@dataclass(frozen=True)
class Notice:
    """One report to post, with what it links to."""

    release: str
    report: Report
    server_url: str
    ticket_url: str = ""  # the release ticket, or the failure issue when there is no ticket
    ticket_label: str = "Release ticket"
    key: str = ""  # the event's dedupe key (the generic webhook's Idempotency-Key)

    @property
    def kind(self) -> str:
        """``failure``, ``published``, ``production`` or ``report``."""
        report = self.report
        if report.status == "failure":
            return "failure"
        if report.status == "success" and report.stage == RELEASE_STAGE:
            return "published"
        if report.status == "success" and report.stage == PRODUCTION_STAGE:
            return "production"
        return "report"

    @property
    def emoji(self) -> str:
        return {"published": "📦", "production": "🚀"}.get(self.kind, EMOJI[self.report.status])

    @property
    def version(self) -> str:
        return self.report.version or self.release

    def what(self, value: Callable[[str], str]) -> str:
        """What happened, after the repository; ``value`` renders each untrusted part."""
        report = self.report
        return {
            "failure": f"{value(report.stage)} failed",
            "published": f"{value(self.version)} released",
            "production": f"{value(self.version)} deployed to production",
        }.get(self.kind, f"{value(report.stage)}: {report.status.replace('_', ' ')}")

    def headline(self, value: Callable[[str], str] = str) -> str:
        """``🚀 acme/web 1.4.0 deployed to production``; ``value`` renders the untrusted parts
        (plain text by default)."""
        return f"{self.emoji} {value(self.report.repository)} {self.what(value)}"

    def links(self) -> list[tuple[str, str]]:
        """(label, url): the ticket, the run, the commit; only http(s) addresses."""
        report = self.report
        commit = (f"{self.server_url.rstrip('/')}/{report.repository}/commit/{report.sha}"
                  if report.sha else "")
        found = [(self.ticket_label, self.ticket_url), ("Run", report.run_url),
                 (f"Commit {report.sha[:7]}", commit)]
        return [(label, url) for label, url in found if url.startswith(("https://", "http://"))]

    def facts(self) -> list[tuple[str, str]]:
        """(label, raw value) pairs worth showing, in order."""
        report = self.report
        found = [("Release", self.release), ("Repository", report.repository),
                 ("Stage", report.stage), ("Status", report.status.replace("_", " ")),
                 ("Version", report.version), ("Time", short_time(report.time))]
        if report.attempt > 1:
            found.append(("Attempt", str(report.attempt)))
        return [(label, value) for label, value in found if value]


def _slack_url(url: str) -> str:
    """An address inside ``<...|...>``: ``|``, ``<`` and ``>`` cannot end it early."""
    safe = url.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E").replace(" ", "%20")
    return safe.replace("&", "&amp;")


def slack_message(notice: Notice) -> dict[str, Any]:
    """Block Kit for an incoming webhook (``text`` is the notification and fallback line)."""
    report = notice.report
    head = f"{notice.emoji} *{slack(report.repository)}* {notice.what(slack_code)}"
    fields = [{"type": "mrkdwn",
               "text": f"*{label}*\n{slack_code(value, 200) if label != 'Status' else value}"}
              for label, value in notice.facts()]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": head}},
        {"type": "section", "fields": fields[:10]},  # Slack's limit per section
    ]
    if report.message:
        blocks.append({"type": "section", "text": {
            "type": "plain_text", "emoji": False,
            "text": " ".join(report.message.split())[:MESSAGE_LIMIT]}})
    links = " · ".join(f"<{_slack_url(url)}|{slack(label)}>" for label, url in notice.links())
    if links:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": links}]})
    return {
        "text": notice.headline(slack),
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }


def _run(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextRun", "text": text, **style}


def teams_message(notice: Notice) -> dict[str, Any]:
    """A ``message`` with one Adaptive Card, as Teams Workflows and incoming webhooks take."""
    report = notice.report
    body: list[dict[str, Any]] = [
        {"type": "RichTextBlock", "inlines": [
            _run(f"{notice.emoji} {report.repository} ", weight="Bolder", size="Medium"),
            _run(notice.what(str), size="Medium"),
        ]},
    ]
    body += [{"type": "RichTextBlock", "spacing": "None", "inlines": [
        _run(f"{label}: ", weight="Bolder"), _run(" ".join(value.split())[:200])]}
        for label, value in notice.facts()]
    if report.message:
        body.append({"type": "RichTextBlock", "inlines": [
            _run(" ".join(report.message.split())[:MESSAGE_LIMIT], isSubtle=True)]})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": label, "url": url}
                    for label, url in notice.links()],
        "msteams": {"width": "Full"},
    }
    return {"type": "message", "summary": notice.headline()[:150], "attachments": [
        {"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": card}]}


def json_message(notice: Notice) -> dict[str, Any]:
    """The generic webhook's body: the event as data, and a Markdown-safe summary."""
    report = notice.report
    return {
        "schema": SCHEMA,
        "event": notice.kind,
        "key": notice.key,
        "text": notice.headline(inline),
        "release": notice.release,
        "repository": report.repository,
        "stage": report.stage,
        "status": report.status,
        "version": report.version,
        "sha": report.sha,
        "message": report.message,
        "time": report.time,
        "attempt": report.attempt,
        "run_url": report.run_url,
        "ticket_url": notice.ticket_url,
    }


RENDERERS: dict[str, Callable[[Notice], dict[str, Any]]] = {
    "slack": slack_message,
    "teams": teams_message,
    "webhook": json_message,
}
