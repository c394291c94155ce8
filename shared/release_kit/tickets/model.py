"""The state of a release ticket and how reports merge into it.

A ticket holds one *cell* per (repository, stage): the newest report for it. "Newest" is a total
order (event time, then run attempt, then the remaining fields as a tie-break), so merging is the
maximum in a semilattice: commutative, associative and idempotent. Any set of reports, applied in
any order and any number of times, gives the same state, and therefore the same rendered body.
This is what makes out-of-order delivery and re-runs harmless.

The state also keeps a bounded *notification ledger*: which chat posts were already made (a
dedupe key per event and channel, with the event's time). It merges the same way (union, the
later time per key, then the newest :data:`NOTIFIED_LIMIT` kept), so a re-run that finds its key
does not post twice, whichever writer recorded it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args

Status = Literal["pending", "in_progress", "success", "failure", "skipped"]
STATUSES: tuple[Status, ...] = get_args(Status)
DONE: frozenset[Status] = frozenset({"success", "skipped"})

# Worst first: the colour of a stage in the flowchart is the worst status across repositories.
_SEVERITY: dict[Status, int] = {
    "failure": 4,
    "in_progress": 3,
    "pending": 2,
    "success": 1,
    "skipped": 0,
}

# The usual pipeline order; stages outside it follow, alphabetically (any name is allowed).
# "train": the release train's decision (release-train.yml), made before the release is published.
KNOWN_STAGES = ("dispatch", "train", "release", "build", "dev", "staging", "production",
                "hotfix")
DISPATCH_STAGE = "dispatch"
RELEASE_STAGE = "release"  # the release was published (the flows report it before the build)

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
# How far in the future a time read back from a ticket may be (clocks of runners differ).
CLOCK_SKEW = timedelta(minutes=5)
REPOSITORY = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+")
LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?")
STAGE_LIMIT = 40
# The notification ledger keeps the newest entries only: re-runs happen soon after the run
# they repeat, and 100 keys (about 5 KB of the body) cover a release of ~10 repositories with a
# few posts each on three channels.
NOTIFIED_LIMIT = 100
NOTIFIED_KEY = re.compile(r"[0-9a-f]{16}")


def _text(data: Mapping[str, Any], key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise ValueError(f"{key} is not text")
    return value


def is_stage(value: str) -> bool:
    return 0 < len(value) <= STAGE_LIMIT and "\n" not in value


def normalise_time(value: datetime | str) -> str:
    """One canonical UTC spelling (microseconds, ``Z``), so times compare as strings too."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime(_TIME_FORMAT)


@dataclass(frozen=True)
class Report:
    """One event from one repository about one stage."""

    repository: str
    stage: str
    status: Status
    time: str  # normalise_time(): the run's start, or when the report was made
    attempt: int = 1
    version: str = ""
    sha: str = ""
    message: str = ""
    run_url: str = ""

    @property
    def cell(self) -> tuple[str, str]:
        """The (repository, stage) cell this report is about; repositories are case-insensitive."""
        return (self.repository.lower(), self.stage)

    def precedence(self) -> tuple[Any, ...]:
        """Total order of reports for one cell: the greatest is the one shown."""
        return (*self.event(), self.version, self.sha, self.run_url, self.message,
                self.repository)

    def event(self) -> tuple[str, int, int, str]:
        """What happened and when, without the detail (version, links, message)."""
        return (self.time, self.attempt, _SEVERITY[self.status], self.status)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "repo": self.repository, "stage": self.stage, "status": self.status,
            "time": self.time, "attempt": self.attempt,
        }
        for key, value in (("version", self.version), ("sha", self.sha),
                           ("message", self.message), ("run", self.run_url)):
            if value:
                data[key] = value
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, now: datetime | None = None) -> Report:
        """A report read back from a ticket, every field checked (the body is editable text).

        With ``now``, a time later than ``now`` plus :data:`CLOCK_SKEW` is refused: such a cell
        would win over every real report forever.
        """
        status = _text(data, "status")
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        repository, stage = _text(data, "repo"), _text(data, "stage")
        if not REPOSITORY.fullmatch(repository):
            raise ValueError(f"{repository!r} is not owner/name")
        if not is_stage(stage):
            raise ValueError(f"{stage[:50]!r} is not a stage name")
        attempt = data.get("attempt", 1)
        if not isinstance(attempt, int) or isinstance(attempt, bool) or attempt < 1:
            raise ValueError(f"attempt {attempt!r} is not a positive integer")
        time = normalise_time(_text(data, "time"))
        if now is not None and time > normalise_time(now + CLOCK_SKEW):
            raise ValueError(f"time {time} is in the future")
        return cls(
            repository=repository,
            stage=stage,
            status=status,
            time=time,
            attempt=attempt,
            version=_text(data, "version", ""),
            sha=_text(data, "sha", ""),
            message=_text(data, "message", ""),
            run_url=_text(data, "run", ""),
        )


def newer(a: Report, b: Report) -> Report:
    """The report that wins the cell (``a`` and ``b`` are about the same cell)."""
    return a if a.precedence() >= b.precedence() else b


@dataclass(frozen=True)
class TicketState:
    """Everything the machine part of a ticket shows, stored in the ticket itself as JSON."""

    release: str
    driver: str = ""
    cells: Mapping[tuple[str, str], Report] = field(default_factory=dict)
    notified: Mapping[str, str] = field(default_factory=dict)  # dedupe key -> event time

    def merge(self, reports: Iterable[Report]) -> TicketState:
        """This state with ``reports`` applied; the newest report per cell wins."""
        cells = dict(self.cells)
        for report in reports:
            current = cells.get(report.cell)
            cells[report.cell] = report if current is None else newer(current, report)
        return replace(self, cells=cells)

    def with_driver(self, driver: str) -> TicketState:
        return replace(self, driver=driver)

    def with_notified(self, entries: Mapping[str, str]) -> TicketState:
        """This state with the ledger entries ``entries`` (key -> event time) recorded.

        Per key the later time is kept; past :data:`NOTIFIED_LIMIT` the oldest entries (by
        time, then key) are dropped. Like ``merge``, this is a union: any order, any number of
        times, the same ledger.
        """
        if not entries:
            return self
        ledger = dict(self.notified)
        for key, time in entries.items():
            ledger[key] = max(ledger.get(key, time), time)
        if len(ledger) > NOTIFIED_LIMIT:
            newest = sorted(ledger.items(), key=lambda item: (item[1], item[0]))[-NOTIFIED_LIMIT:]
            ledger = dict(newest)
        return replace(self, notified=ledger)

    def union(self, other: TicketState) -> TicketState:
        """Everything of ``other`` merged in: its cells and its ledger (the driver stays)."""
        return self.merge(other.cells.values()).with_notified(other.notified)

    def has_notified(self, key: str) -> bool:
        return key in self.notified

    def records(self, entries: Mapping[str, str]) -> bool:
        """True when recording ``entries`` would change nothing (each is here, or too old to
        be kept beside the newer ones)."""
        return self.with_notified(entries).notified == self.notified

    def reflects(self, report: Report) -> bool:
        """True when ``report``'s event, or a newer one, holds its cell.

        Detail dropped to fit the size limit (message, links) does not count as missing.
        """
        current = self.cells.get(report.cell)
        return current is not None and current.event() >= report.event()

    def covers(self, other: TicketState) -> bool:
        """True when every cell and ledger entry of ``other`` is reflected here (nothing of it
        was lost)."""
        return (all(self.reflects(report) for report in other.cells.values())
                and self.records(other.notified))

    def is_stale(self, report: Report) -> bool:
        """True when the cell already holds a strictly newer report (``report`` changes nothing)."""
        current = self.cells.get(report.cell)
        return current is not None and current != report and newer(current, report) == current

    # -- views for rendering ----------------------------------------------------------------

    def stages(self) -> list[str]:
        """Columns: the known stages in pipeline order, then any other stage alphabetically."""
        present = {stage for _, stage in self.cells}
        known = [s for s in KNOWN_STAGES if s in present]
        return known + sorted(present - set(KNOWN_STAGES))

    def repositories(self) -> list[str]:
        """Rows, alphabetically; the spelling shown is the one of the row's newest report."""
        spelled: dict[str, Report] = {}
        for (repo, _), report in self.cells.items():
            best = spelled.get(repo)
            if best is None or report.precedence() > best.precedence():
                spelled[repo] = report
        return [spelled[key].repository for key in sorted(spelled)]

    def cell(self, repository: str, stage: str) -> Report | None:
        return self.cells.get((repository.lower(), stage))

    def row(self, repository: str) -> list[Report]:
        return [r for s in self.stages() if (r := self.cell(repository, s)) is not None]

    def stage_status(self, stage: str) -> Status:
        """The worst status of ``stage`` across repositories."""
        statuses = [r.status for (_, s), r in self.cells.items() if s == stage]
        return max(statuses, key=_SEVERITY.__getitem__)

    def last_stage(self, repository: str) -> Report | None:
        """The row's right-most reported stage: where that repository stands now."""
        row = self.row(repository)
        return row[-1] if row else None

    def not_done(self) -> list[Report]:
        """Rows whose last stage is neither success nor skipped (``close`` refuses while any)."""
        return [
            last for repo in self.repositories()
            if (last := self.last_stage(repo)) is not None and last.status not in DONE
        ]

    def oldest_first(self) -> list[Report]:
        """Every cell, oldest first; ties broken by cell so that the order is the state's alone."""
        return sorted(self.cells.values(), key=lambda r: (r.precedence(), r.cell))

    # -- persistence -----------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        ordered = sorted(self.cells.values(), key=lambda r: (r.cell, r.precedence()))
        data: dict[str, Any] = {
            "version": 1,
            "release": self.release,
            "driver": self.driver,
            "cells": [r.to_json() for r in ordered],
        }
        if self.notified:  # absent when empty: tickets without posts render as before
            data["notified"] = [[key, self.notified[key]] for key in sorted(self.notified)]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, now: datetime | None = None) -> TicketState:
        """A state read back from a ticket; every field is checked (see ``Report.from_json``)."""
        if not isinstance(data, Mapping):
            raise ValueError("the state is not an object")
        driver = _text(data, "driver", "")
        if driver and not LOGIN.fullmatch(driver):
            raise ValueError(f"driver {driver[:50]!r} is not a GitHub login")
        cells = data.get("cells", [])
        if not isinstance(cells, list) or not all(isinstance(c, Mapping) for c in cells):
            raise ValueError("cells is not a list of objects")
        state = cls(release=_text(data, "release", ""), driver=driver)
        state = state.merge(Report.from_json(item, now=now) for item in cells)
        return state.with_notified(_ledger(data.get("notified", []), now))


def _ledger(value: Any, now: datetime | None) -> dict[str, str]:
    """The notification ledger read back from a ticket (absent in tickets written before it)."""
    if not isinstance(value, list):
        raise ValueError("notified is not a list")
    ledger: dict[str, str] = {}
    for entry in value:
        if not (isinstance(entry, list) and len(entry) == 2
                and all(isinstance(part, str) for part in entry)):
            raise ValueError("a notified entry is not a [key, time] pair")
        key, time = entry[0], normalise_time(entry[1])
        if not NOTIFIED_KEY.fullmatch(key):
            raise ValueError(f"notified key {key[:20]!r} is not 16 hex digits")
        if now is not None and time > normalise_time(now + CLOCK_SKEW):
            raise ValueError(f"notified time {time} is in the future")
        ledger[key] = max(ledger.get(key, time), time)
    return ledger
