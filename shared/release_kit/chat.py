"""Posting to chat webhooks: Slack through Slack's own SDK, Teams and generic JSON through requests.

A post never raises: it returns a :class:`Delivery` saying whether it landed, and if not, why
and whether it *may* have landed anyway. The webhook address is a secret (whoever has it can
post): it is masked, and every text that leaves this module has it (and its path, where the
token sits) replaced by ``***``.

Retries: a webhook post cannot be looked up afterwards, so it is only sent again when it
certainly did not land: after a rate limit (429: wait ``Retry-After``, at most
:data:`MAX_RETRY_WAIT`) or when the connection was refused. A 5xx or a timeout is *ambiguous*
(the message may be in the channel already): not retried, reported as such.

``RELEASE_KIT_CHAT_TIMEOUT`` (seconds, default 10) bounds each attempt.
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from release_kit.action import commands
from release_kit.errors import InputError
from release_kit.notify import RENDERERS, Notice, Rule, dedupe_key, wanted
from release_kit.text import inline
from release_kit.tickets.model import Report

TIMEOUT_ENV = "RELEASE_KIT_CHAT_TIMEOUT"
DEFAULT_TIMEOUT = 10.0
MAX_RETRY_WAIT = 5.0
USER_AGENT = "release-kit"
NAMES = {"slack": "Slack", "teams": "Microsoft Teams", "webhook": "the JSON webhook"}


@dataclass(frozen=True)
class Webhook:
    channel: str  # slack, teams or webhook
    url: str  # a secret

    @property
    def name(self) -> str:
        return NAMES.get(self.channel, self.channel)

    def scrub(self, text: str) -> str:
        """``text`` without the address or its path (where the secret token is)."""
        path = urllib.parse.urlsplit(self.url).path
        text = text.replace(self.url, "***")
        return text.replace(path, "***") if len(path) > 1 else text

    def mask(self) -> None:
        commands.add_mask(self.url)
        path = urllib.parse.urlsplit(self.url).path
        if len(path) > 8:
            commands.add_mask(path)


@dataclass(frozen=True)
class Delivery:
    """What happened to one post."""

    ok: bool
    detail: str = ""  # why it did not land (scrubbed); "" when it did
    ambiguous: bool = False  # it may have landed even though it failed (5xx, timeout)
    attempts: int = 1


@dataclass(frozen=True)
class _Answer:
    status: int  # 0: no answer
    body: str = ""
    retry_after: float | None = None
    error: str = ""  # no answer: why (scrubbed)
    never_sent: bool = False


def check_url(name: str, url: str) -> None:
    """An input error for an address that is not http(s) (the value is never repeated)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.netloc:
        raise InputError(name, "this is not a webhook address (https://...).",
                         hint="Pass the incoming webhook's URL from a secret, e.g. "
                              f"${{{{ secrets.{name.upper().replace('-', '_')} }}}}.")


def timeout_of(environ: Mapping[str, str]) -> float:
    raw = environ.get(TIMEOUT_ENV, "").strip()
    try:
        value = float(raw) if raw else DEFAULT_TIMEOUT
    except ValueError:
        value = -1
    if value <= 0:
        raise InputError(TIMEOUT_ENV, f"{raw!r} is not a positive number of seconds.",
                         hint="Unset it for the default (10).")
    return value


def _retry_after(headers: Mapping[str, str]) -> float | None:
    for key, value in headers.items():
        if key.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except ValueError:
                return None
    return None


def _refused(exc: BaseException) -> bool:
    reason = getattr(exc, "reason", None)
    text = repr(exc)
    return isinstance(reason, ConnectionRefusedError) or "NewConnectionError" in text \
        or "Connection refused" in text


def _send_slack(hook: Webhook, body: dict[str, Any], timeout: float) -> _Answer:
    from slack_sdk.webhook import WebhookClient  # noqa: PLC0415 - only when Slack is given

    quiet = logging.getLogger("release_kit.chat.slack")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False  # slack_sdk logs failures (and, at debug, the URL) on its logger
    client = WebhookClient(hook.url, timeout=max(1, round(timeout)), logger=quiet,
                           retry_handlers=[], user_agent_prefix=USER_AGENT)
    try:
        answer = client.send_dict(body)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return _Answer(0, error=hook.scrub(f"{type(exc).__name__}: {reason}"),
                       never_sent=_refused(exc))
    return _Answer(answer.status_code, str(answer.body or ""),
                   _retry_after(answer.headers or {}))


def _send_json(hook: Webhook, body: dict[str, Any], timeout: float,
               headers: Mapping[str, str]) -> _Answer:
    try:
        response = requests.post(hook.url, json=body, timeout=(min(timeout, 10.0), timeout),
                                 headers={"User-Agent": USER_AGENT, **headers},
                                 allow_redirects=False)
    except requests.RequestException as exc:
        never_sent = isinstance(exc, requests.ConnectTimeout) or _refused(exc)
        return _Answer(0, error=type(exc).__name__, never_sent=never_sent)
    return _Answer(response.status_code, response.text[:200], _retry_after(response.headers))


def post(hook: Webhook, body: dict[str, Any], *, timeout: float, key: str = "",
         sleep: Callable[[float], None] = time.sleep) -> Delivery:
    """Post ``body`` to ``hook`` (see the module documentation for retries)."""
    headers = {"Idempotency-Key": key, "X-Release-Kit-Event": key} if key else {}
    attempts = 0
    while True:
        attempts += 1
        if hook.channel == "slack":
            answer = _send_slack(hook, body, timeout)
        else:
            answer = _send_json(hook, body, timeout, headers)
        if 200 <= answer.status < 300:
            return Delivery(True, attempts=attempts)
        retry = answer.status == 429 or (answer.status == 0 and answer.never_sent)
        if retry and attempts < 2:
            sleep(min(answer.retry_after if answer.retry_after is not None else 1.0,
                      MAX_RETRY_WAIT))
            continue
        return _failure(hook, answer, attempts)


def _failure(hook: Webhook, answer: _Answer, attempts: int) -> Delivery:
    said = hook.scrub(" ".join(answer.body.split())[:120])
    if answer.status == 0:
        ambiguous = not answer.never_sent
        why = f"no answer ({answer.error})"
    elif answer.status >= 500:
        ambiguous, why = True, f"{answer.status} {said}".strip()
    elif answer.status == 429:
        ambiguous, why = False, "429 rate limited, twice"
    else:
        ambiguous, why = False, f"{answer.status} {said}".strip()
    return Delivery(False, why, ambiguous, attempts)


class Notifier:
    """Posts the wanted reports to every webhook, once per event and channel.

    ``already(key)`` says whether a post was made before (the ticket's ledger); the keys of the
    posts that landed now are returned (key -> the event's time) for the caller to record.
    A post that fails is a warning, never an error: chat being down must not stop a release.
    """

    def __init__(self, hooks: Iterable[Webhook], rules: Iterable[Rule], *, timeout: float,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.hooks = list(hooks)
        self.rules = tuple(rules)
        self.timeout = timeout
        self._sleep = sleep
        self.lines: list[str] = []  # what happened, for the step summary
        for hook in self.hooks:
            hook.mask()

    def wants(self, report: Report) -> bool:
        return bool(self.hooks) and wanted(self.rules, report)

    def post_all(self, release: str, reports: Iterable[Report], *, server_url: str,
                 link: str, label: str, already: Callable[[str], bool]) -> dict[str, str]:
        posted: dict[str, str] = {}
        for report in reports:
            if not self.wants(report):
                continue
            for hook in self.hooks:
                key = dedupe_key(release, report, hook.channel)
                notice = Notice(release, report, server_url, link, label, key)
                if already(key):
                    self._say(f"{hook.name}: already posted by an earlier run:", notice)
                    continue
                delivery = post(hook, RENDERERS[hook.channel](notice), timeout=self.timeout,
                                key=key, sleep=self._sleep)
                if delivery.ok:
                    posted[key] = report.time
                    self._say(f"{hook.name}: posted", notice)
                    continue
                maybe = (" It may have been posted anyway; it is not recorded, so a re-run "
                         "posts it again." if delivery.ambiguous else
                         " Nothing was posted; a re-run tries again.")
                commands.warning(f"Could not post to {hook.name} ({delivery.detail}): "
                                 f"{notice.headline()}.{maybe} The release goes on.",
                                 title="Chat notification failed")
                self.lines.append(f"{hook.name}: **not posted** ({inline(delivery.detail)}): "
                                  f"{notice.headline(inline)}")
        return posted

    def _say(self, line: str, notice: Notice) -> None:
        commands.info(f"{line} {notice.headline()}")
        self.lines.append(f"{line} {notice.headline(inline)}")
