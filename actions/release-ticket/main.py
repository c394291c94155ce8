"""release-ticket: one issue per release that every repository reports into.

operation:
- ``open``: find the ticket of the release (by ticket-number, else by label and hidden marker,
  listing issues) or create it once; assign the driver; dispatch the targets' workflows and
  show each dispatch in the ticket.
- ``report``: merge this repository's stage status into the ticket (newest event wins), write it
  and read it back to make sure no concurrent writer erased it; comment per ``comment-mode``.
- ``notify-failure``: report a failure and ping the driver on the ticket; without a ticket, open
  (or reuse) an issue in the failing repository, one per (release, stage).
- ``close``: close the ticket once every row's last stage is success or skipped.

Chat: every report a step writes (report, notify-failure, open's dispatches) that ``notify-on``
wants is posted to the webhooks given (Slack, Teams, generic JSON), once per event and channel:
the dedupe keys of the posts are kept in the ticket's ledger. A post that fails is a warning.

The model of action.yml and that orchestration are :mod:`release_kit.ticketing`.
"""

from release_kit.action.runner import run
from release_kit.ticketing import TicketInputs, release_ticket

if __name__ == "__main__":
    raise SystemExit(run(TicketInputs, release_ticket))
