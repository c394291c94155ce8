"""Release tickets: the state of a release across repositories, and how a ticket shows it.

Pure logic, no I/O: ``model`` (reports, cells, merge), ``render`` (the body and its size
limit), ``text`` (escaping untrusted text), ``messages`` (comments, fallback issues) and
``targets`` (dispatch targets). The GitHub side, ``TicketDesk``, is
:mod:`release_kit.github.tickets`.
"""

from release_kit.tickets.model import (
    DISPATCH_STAGE,
    STATUSES,
    Report,
    Status,
    TicketState,
    normalise_time,
)
from release_kit.tickets.render import parse, release_marker, render_ticket_body
from release_kit.tickets.targets import (
    DISPATCH_INPUT,
    Target,
    already_started,
    dispatch_payload,
    not_started,
    parse_targets,
    started,
)

__all__ = [
    "DISPATCH_INPUT",
    "DISPATCH_STAGE",
    "STATUSES",
    "Report",
    "Status",
    "Target",
    "TicketState",
    "already_started",
    "dispatch_payload",
    "normalise_time",
    "not_started",
    "parse",
    "parse_targets",
    "release_marker",
    "render_ticket_body",
    "started",
]
