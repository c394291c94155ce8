"""Which ticket reports are posted to chat (``notify-on``), and the dedupe key of each post.

``notify-on`` holds one rule per line: a preset, or ``<stage>:<status>`` where either side may
be ``*``. A report is posted when any rule matches it.

=============  =====================  ===============================================
preset         same as                the event
=============  =====================  ===============================================
``failure``    ``*:failure``          anything failed (a report or ``notify-failure``)
``published``  ``release:success``    the release was published
``production`` ``production:success`` the release reached production
``all``        ``*:*``                every report
=============  =====================  ===============================================

A post is made once per *event* and channel: the dedupe key names the release, the repository,
the stage, the status and the run without its attempt, so re-running a run (any attempt) never
posts the same event again, while a new status or a new run does.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from release_kit.errors import InputError
from release_kit.tickets.model import RELEASE_STAGE, STATUSES, Report, is_stage

INPUT = "notify-on"
ANY = "*"
PRESETS: dict[str, tuple[str, str]] = {
    "failure": (ANY, "failure"),
    "published": (RELEASE_STAGE, "success"),
    "production": ("production", "success"),
    "all": (ANY, ANY),
}
DEFAULT_NOTIFY_ON = ("failure", "published", "production")
CHANNELS = ("slack", "teams", "webhook")

_ATTEMPT = re.compile(r"/attempts/\d+$")


@dataclass(frozen=True)
class Rule:
    stage: str  # a stage name or ``*``
    status: str  # a status or ``*``

    def matches(self, report: Report) -> bool:
        return (self.stage in (ANY, report.stage)) and (self.status in (ANY, report.status))

    def __str__(self) -> str:
        return f"{self.stage}:{self.status}"


def parse_rules(lines: Sequence[str]) -> tuple[Rule, ...]:
    """The rules of ``notify-on`` (an input error naming the line that is not one)."""
    rules = []
    for line in lines:
        text = line.strip()
        if text.lower() in PRESETS:
            rules.append(Rule(*PRESETS[text.lower()]))
            continue
        stage, colon, status = text.rpartition(":")
        if not colon or not (stage == ANY or is_stage(stage)) or \
                status not in (ANY, *STATUSES):
            raise InputError(
                INPUT, f"{text[:60]!r} is neither a preset nor <stage>:<status>.",
                hint=f"Use one per line: {', '.join(PRESETS)}, or e.g. prod:success, "
                     f"*:failure (statuses: {', '.join(STATUSES)}).")
        rules.append(Rule(stage, status))
    return tuple(dict.fromkeys(rules))


def wanted(rules: Iterable[Rule], report: Report) -> bool:
    return any(rule.matches(report) for rule in rules)


def run_of(run_url: str) -> str:
    """The run without its attempt: every attempt of a run is the same run."""
    return _ATTEMPT.sub("", run_url)


def event_key(release: str, report: Report) -> str:
    """What happened, once per run: a re-run of the run (any attempt) is the same event."""
    run = run_of(report.run_url) or report.time
    return "\n".join((release, report.repository.lower(), report.stage, report.status, run))


def dedupe_key(release: str, report: Report, channel: str) -> str:
    """16 hex digits naming one post (event and channel), kept in the ticket's ledger."""
    text = f"{event_key(release, report)}\n{channel}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]
