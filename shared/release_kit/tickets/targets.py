"""Dispatch targets of ``open``: ``owner/repo:workflow-file@ref``, one per line."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from release_kit.errors import InputError
from release_kit.tickets.model import DISPATCH_STAGE, TicketState

DISPATCH_INPUT = "release-ticket"
_TARGET = re.compile(
    r"(?P<repo>[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+)"
    r":(?P<workflow>[A-Za-z0-9._-]+)"
    r"@(?P<ref>[^\s@:~^?*\[\\]+)"
)


@dataclass(frozen=True)
class Target:
    repository: str
    workflow: str
    ref: str

    def __str__(self) -> str:
        return f"{self.repository}:{self.workflow}@{self.ref}"


def parse_targets(lines: Iterable[str], input_name: str = "targets") -> list[Target]:
    """Parse and check every line; one target per repository (it is one row of the ticket)."""
    targets: list[Target] = []
    seen: set[str] = set()
    for line in lines:
        match = _TARGET.fullmatch(line.strip())
        if match is None:
            raise InputError(
                input_name,
                f"{line.strip()!r} is not a target.",
                hint="Write one owner/repo:workflow-file@ref per line, "
                "e.g. acme/api:release.yml@main.",
            )
        target = Target(match["repo"], match["workflow"], match["ref"])
        if target.repository.lower() in seen:
            raise InputError(
                input_name,
                f"{target.repository} is listed twice.",
                hint="Dispatch one workflow per repository (a repository is one row).",
            )
        seen.add(target.repository.lower())
        targets.append(target)
    return targets


def dispatch_payload(release: str, ticket_repo: str, ticket_number: int) -> dict[str, str]:
    """The workflow inputs of a dispatch: one JSON input, ``release-ticket``.

    The receiving workflow declares ``on.workflow_dispatch.inputs.release-ticket`` and reads
    ``fromJSON(inputs.release-ticket).release`` (and ``.ticket-repo``, ``.ticket-number``).
    """
    value = {"release": release, "ticket-repo": ticket_repo, "ticket-number": ticket_number}
    return {DISPATCH_INPUT: json.dumps(value, separators=(",", ":"))}


def already_started(state: TicketState, target: Target) -> bool:
    """The ticket shows ``target`` started: a re-run of ``open`` does not start it twice."""
    cell = state.cell(target.repository, DISPATCH_STAGE)
    return cell is not None and cell.status == "success" and cell.message == started(target)


def started(target: Target) -> str:
    return f"started {target}"


def not_started(target: Target, reason: str) -> str:
    return f"could not start {target}: {reason}"
