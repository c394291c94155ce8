"""Git ref names: what ``git check-ref-format`` accepts, as a reason when it would not."""

from __future__ import annotations

import re

# What no component of a ref name may contain: controls, space, DEL, ~ ^ : ? * [ \
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")


def ref_name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid ref name (git check-ref-format), or None when it is."""
    checks: list[tuple[bool, str]] = [
        (not name, "it is empty"),
        (bool(_FORBIDDEN.search(name)),
         "it contains a space, a control character or one of ~ ^ : ? * [ \\"),
        (".." in name, "it contains '..'"),
        ("@{" in name, "it contains '@{'"),
        (name == "@", "it is '@'"),
        (name.startswith(("/", "-")), "it starts with '/' or '-'"),
        (name.endswith(("/", ".")), "it ends with '/' or '.'"),
        ("//" in name, "it contains '//'"),
        (any(part.startswith(".") for part in name.split("/")),
         "a path component starts with '.'"),
        (any(part.endswith(".lock") for part in name.split("/")),
         "a path component ends with '.lock'"),
    ]
    return next((why for failed, why in checks if failed), None)


def prefix_problem(prefix: str) -> str | None:
    """Why ``<prefix><more>`` can never be a valid ref name, or None when it can."""
    return ref_name_problem(prefix + "x")
