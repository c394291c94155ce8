"""release-ticket: one issue per release that every repository reports into.

``open`` finds or creates the ticket and dispatches the targets, ``report`` merges this
repository's stage into it, ``notify-failure`` pings the driver, ``close`` closes it; reports
are posted to chat once each. The model of action.yml and that orchestration (each operation
described there) are :mod:`release_kit.ticketing`.
"""

from release_kit.action.runner import run
from release_kit.ticketing import TicketInputs, release_ticket

if __name__ == "__main__":
    raise SystemExit(run(TicketInputs, release_ticket))
