"""The release train's decision: does the branch's draft release go out now?

The release train publishes the draft of the default branch on a schedule (the caller's cron;
by default only on Tuesdays, "so there is time in the week for firefighting"), when it holds
changes and no freeze is declared. A security change (a PR labelled ``security``, or a
Dependabot security update) does not wait for the train: it goes out at once.

:func:`decide_train` is the whole decision, a pure function of :class:`TrainFacts`; semver-bump's
``train`` operation (:mod:`release_kit.release.train`) gathers the facts and reports.

| what | train run (schedule) | manual run (workflow_dispatch, the ticket) | push (security) |
|---|---|---|---|
| nothing since the last release | skip: empty | skip: empty | skip: empty |
| a security change in the draft | publish | publish | publish |
| a freeze (variable or open issue) | skip: frozen | skip: frozen | skip: waits |
| not a train day | skip | (any day) | skip: waits |
| otherwise | publish | publish | skip: waits for the train |

A security release goes out despite a freeze: the freeze stops the train, but a known
vulnerability in production outweighs it, and the deploys still wait behind their approval
gates (staging, production) where people decide. The summary names the freeze it passed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from release_kit.errors import InputError
from release_kit.versioning.changes import MergedPullRequest

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_DAYS = ("tuesday",)
SCHEDULED = "schedule"  # the train's own event; a push only ever releases security changes
PUSH = "push"
NOT_FROZEN = frozenset({"", "false", "0", "no", "off", "none"})
DEPENDABOT = frozenset({"dependabot[bot]", "dependabot"})
_ADVISORY = re.compile(r"\b(?:GHSA(?:-[23456789cfghjmpqrvwx]{4}){3}|CVE-\d{4}-\d{4,})\b",
                       re.IGNORECASE)

Kind = Literal["train", "manual", "security", "skip"]


@dataclass(frozen=True)
class TrainFacts:
    """Everything the decision depends on."""

    event: str  # the run's event: schedule, workflow_dispatch, push, ...
    weekday: int  # 0 = Monday (UTC: GitHub's cron runs in UTC)
    days: frozenset[int]  # the train days
    tag: str  # the draft's tag ("" when there is nothing to release)
    since: str  # the previous version's tag ("" for the first release)
    freeze_variable: str = ""  # the freeze variable's value, as given
    freeze_issues: tuple[tuple[int, str], ...] = ()  # open issues labelled as a freeze
    security: tuple[str, ...] = ()  # the security changes in the draft, described


@dataclass(frozen=True)
class Decision:
    publish: bool
    kind: Kind
    reason: str  # one sentence, for the summary, the ticket and the outputs

    def to_output(self) -> dict[str, object]:
        return {"publish": self.publish, "reason": self.reason, "kind": self.kind}


def parse_days(lines: Iterable[str], input_name: str = "train-days") -> frozenset[int]:
    """``tuesday`` (or ``tue``), one per line or comma-separated; ``*`` is every day."""
    days: set[int] = set()
    for line in lines:
        for word in filter(None, (w.strip().lower() for w in line.split(","))):
            if word == "*":
                days.update(range(7))
                continue
            found = [i for i, name in enumerate(DAYS) if len(word) >= 3 and name.startswith(word)]
            if len(found) != 1:
                raise InputError(input_name, f"{word!r} is not a day of the week.",
                                 hint="Write days as tuesday or tue, one per line or separated "
                                      "by commas; * for every day.")
            days.update(found)
    if not days:
        raise InputError(input_name, "no train day was given.",
                         hint="e.g. tuesday (the default), or * to publish on every run.")
    return frozenset(days)


def short_line(text: str, limit: int = 80) -> str:
    """Untrusted text (a variable, an issue or PR title) on one short line, still plain text:
    whoever shows it escapes it (the summary, the ticket, the chat post)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def frozen_by(variable: str, issues: Sequence[tuple[int, str]]) -> str:
    """Who declared the freeze, in words ("" when nobody did)."""
    why: list[str] = []
    if variable.strip().lower() not in NOT_FROZEN:
        why.append(f"the freeze variable ({short_line(variable)})")
    why += [f"issue #{number} ({short_line(title)})" for number, title in issues]
    return " and ".join(why)


def is_security(pull: MergedPullRequest, labels: frozenset[str]) -> bool:
    """A PR labelled as a security fix, or a Dependabot update that names an advisory."""
    if labels.intersection(pull.labels):
        return True
    return pull.author.lower() in DEPENDABOT and bool(
        _ADVISORY.search(pull.title) or _ADVISORY.search(pull.body))


def describe_days(days: frozenset[int]) -> str:
    if len(days) == 7:
        return "every day"
    return ", ".join(DAYS[d].capitalize() for d in sorted(days))


def decide_train(facts: TrainFacts) -> Decision:
    """Publish now or not, and why (see the module's table)."""
    if not facts.tag:
        since = f"since {facts.since}" if facts.since else "yet"
        return Decision(False, "skip", f"nothing to release {since}: the draft is empty")
    frozen = frozen_by(facts.freeze_variable, facts.freeze_issues)
    if facts.security:
        changes = ", ".join(facts.security)
        note = f"; published despite the freeze declared by {frozen}" if frozen else ""
        return Decision(True, "security",
                        f"security release of {facts.tag} at once, outside the train: "
                        f"{changes}{note}")
    if facts.event == PUSH:
        return Decision(False, "skip", f"{facts.tag} holds no security change: it waits for "
                                       "the release train")
    if frozen:
        return Decision(False, "skip", f"release freeze declared by {frozen}: {facts.tag} "
                                       "waits until it is lifted")
    if facts.event == SCHEDULED and facts.weekday not in facts.days:
        return Decision(False, "skip", f"{DAYS[facts.weekday].capitalize()} is not a train day "
                                       f"(the train runs on {describe_days(facts.days)})")
    if facts.event == SCHEDULED:
        return Decision(True, "train", f"release train of {DAYS[facts.weekday].capitalize()}: "
                                       f"{facts.tag} is published")
    return Decision(True, "manual", f"{facts.tag} is published on request ({facts.event})")
