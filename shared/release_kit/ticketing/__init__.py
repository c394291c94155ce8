"""release-ticket's orchestration: the imperative shell around ``tickets`` and ``notify`` (pure).

- :mod:`.inputs`: ``TicketInputs``, the model of action.yml, and the chat webhooks it names.
- :mod:`.run`: ``release_ticket``: open, report, notify-failure or close, then the outputs.
"""

from release_kit.ticketing.inputs import TicketInputs
from release_kit.ticketing.run import release_ticket

__all__ = ["TicketInputs", "release_ticket"]
