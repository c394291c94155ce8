"""Release tickets: the state of a release across repositories, and how a ticket shows it.

Pure logic, no I/O: ``model`` (reports, cells, merge), ``render`` (the body and its size
limit), ``text`` (escaping untrusted text), ``messages`` (comments, fallback issues) and
``targets`` (dispatch targets). The release-ticket action does the fetching and writing.
"""

from release_kit.tickets.model import (
    DISPATCH_STAGE,
    STATUSES,
    Report,
    Status,
    TicketState,
    normalise_time,
)
from release_kit.tickets.render import parse, release_marker, render_body
from release_kit.tickets.targets import DISPATCH_INPUT, Target, dispatch_payload, parse_targets

__all__ = [
    "DISPATCH_INPUT",
    "DISPATCH_STAGE",
    "STATUSES",
    "Report",
    "Status",
    "Target",
    "TicketState",
    "dispatch_payload",
    "normalise_time",
    "parse",
    "parse_targets",
    "release_marker",
    "render_body",
]
