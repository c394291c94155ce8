"""What went into an image, in promote-image's step summary (both operations show it)."""

from __future__ import annotations

from collections.abc import Sequence

from release_kit.registry import identity
from release_kit.text import code, markdown_table


def contributors_table(contributors: Sequence[identity.Contributor]) -> str:
    """What went into the image, for the step summary ("" when the image lists nothing)."""
    if not contributors:
        return ""
    rows = [(code(c.repository), code(c.ref) or "(the image's own)", code(c.revision),
             code(c.version) or "-") for c in contributors]
    return ("\n### Contributors\n\n"
            + markdown_table(["Repository", "Ref", "Commit", "Version"], rows) + "\n")
