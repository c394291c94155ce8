"""Chat notifications of a release: which reports are posted, once each, and what they say.

Pure logic, no I/O: ``rules`` (``notify-on``, dedupe keys) and ``messages`` (the Slack, Teams
and generic JSON bodies). Posting them is :mod:`release_kit.chat`.
"""

from release_kit.notify.messages import RENDERERS, Notice
from release_kit.notify.rules import (
    CHANNELS,
    DEFAULT_NOTIFY_ON,
    Rule,
    dedupe_key,
    parse_rules,
    wanted,
)

__all__ = [
    "CHANNELS",
    "DEFAULT_NOTIFY_ON",
    "RENDERERS",
    "Notice",
    "Rule",
    "dedupe_key",
    "parse_rules",
    "wanted",
]
