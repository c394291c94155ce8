"""Hidden markers: how release-kit recognises what it wrote, in bodies people can also edit.

A marker is an HTML comment (invisible on GitHub) naming a kind and a key:
``<!-- release-kit:<kind> <key> -->``. Issues, comments, releases and PRs that release-kit
creates carry one, so a later run (or the retry of a create whose answer was lost) finds them
by listing, and never mistakes something a person made for its own.

A *block* is the part of a body that release-kit renders, between a begin and an end marker;
everything outside it belongs to people and is kept byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass


def marker(kind: str, key: str) -> str:
    """``<!-- release-kit:<kind> <key> -->``; ``--`` in ``key`` is folded so it cannot end it."""
    safe = key.replace("--", "-").replace(">", "")
    return f"<!-- release-kit:{kind} {safe} -->"


@dataclass(frozen=True)
class Block:
    """A begin/end pair delimiting the machine-written part of a body."""

    kind: str

    @property
    def begin(self) -> str:
        return f"<!-- release-kit:{self.kind}-begin -->"

    @property
    def end(self) -> str:
        return f"<!-- release-kit:{self.kind}-end -->"

    def split(self, body: str) -> tuple[str, str, str] | None:
        """``(before, block, after)``, or None when the body has no complete block."""
        start = body.find(self.begin)
        end = body.find(self.end, start + len(self.begin)) if start >= 0 else -1
        if start < 0 or end < 0:
            return None
        return body[:start], body[start: end + len(self.end)], body[end + len(self.end):]

    def damaged(self, body: str) -> bool:
        """A begin without its end (or the reverse): someone cut the block."""
        return self.split(body) is None and (self.begin in body or self.end in body)

    def wrap(self, inner: str) -> str:
        return f"{self.begin}\n\n{inner}\n\n{self.end}"

    def replace(self, body: str, inner: str, *, on_top: bool = True) -> str:
        """``body`` with its block's inside set to ``inner`` (the block added when missing)."""
        parts = self.split(body)
        if parts is not None:
            before, _, after = parts
            return before + self.wrap(inner) + after
        if not body.strip():
            return self.wrap(inner)
        return (f"{self.wrap(inner)}\n\n{body}" if on_top else f"{body}\n\n{self.wrap(inner)}")
