"""The state of a release ticket and how reports merge into it.

A ticket holds one *cell* per (repository, stage): the newest report for it. "Newest" is a total
order (event time, then run attempt, then the remaining fields as a tie-break), so merging is the
maximum in a semilattice: commutative, associative and idempotent. Any set of reports, applied in
any order and any number of times, gives the same state, and therefore the same rendered body.
This is what makes out-of-order delivery and re-runs harmless.
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
KNOWN_STAGES = ("dispatch", "build", "dev", "staging", "production", "hotfix")
DISPATCH_STAGE = "dispatch"

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
# How far in the future a time read back from a ticket may be (clocks of runners differ).
CLOCK_SKEW = timedelta(minutes=5)
REPOSITORY = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+")
LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?")
STAGE_LIMIT = 40


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

    def merge(self, reports: Iterable[Report]) -> TicketState:
        """This state with ``reports`` applied; the newest report per cell wins."""
        cells = dict(self.cells)
        for report in reports:
            current = cells.get(report.cell)
            cells[report.cell] = report if current is None else newer(current, report)
        return replace(self, cells=cells)

    def with_driver(self, driver: str) -> TicketState:
        return replace(self, driver=driver)

    def reflects(self, report: Report) -> bool:
        """True when ``report``'s event, or a newer one, holds its cell.

        Detail dropped to fit the size limit (message, links) does not count as missing.
        """
        current = self.cells.get(report.cell)
        return current is not None and current.event() >= report.event()

    def covers(self, other: TicketState) -> bool:
        """True when every cell of ``other`` is reflected here (nothing of it was lost)."""
        return all(self.reflects(report) for report in other.cells.values())

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
        return {
            "version": 1,
            "release": self.release,
            "driver": self.driver,
            "cells": [r.to_json() for r in ordered],
        }

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
        return state.merge(Report.from_json(item, now=now) for item in cells)
