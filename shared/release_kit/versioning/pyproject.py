"""``[project].version`` of a ``pyproject.toml``, read and rewritten with tomlkit.

tomlkit round-trips the document: comments, ordering, quoting and spacing stay as they were;
only the version string changes.
"""

from __future__ import annotations

from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import String, StringType


def project_version(text: str) -> str | None:
    """The static ``[project].version``, or None (missing, dynamic, or not valid TOML)."""
    try:
        document = tomlkit.parse(text)
    except TOMLKitError:
        return None
    project = document.get("project")
    version = project.get("version") if isinstance(project, dict) else None
    return str(version) if isinstance(version, str) else None


def with_version(text: str, version: str) -> str:
    """The same document with ``[project].version = version``."""
    document = tomlkit.parse(text)
    project: Any = document["project"]
    current = project.get("version")
    literal = isinstance(current, String) and current.type in {StringType.SLL, StringType.MLL}
    project["version"] = tomlkit.string(version, literal=literal)  # keep the quote style
    return tomlkit.dumps(document)
