"""Input templates such as ``{sha7}-{version}`` or ``Release {release}``.

Only plain ``{name}`` fields from a known set are allowed (``{{`` and ``}}`` are literal braces);
anything else is an input error that names the input and lists the variables it may use.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping

from release_kit.errors import InputError


def fields(template: str, input_name: str) -> list[str]:
    """The variable names a template uses, in order; malformed templates are input errors."""
    names: list[str] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise InputError(
            input_name,
            f"{template!r} is not a valid template ({exc}).",
            hint="Write variables as {name}; write a literal brace as {{ or }}.",
        ) from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise InputError(input_name, f"{template!r}: '{{{name}}}' is not a plain variable.",
                             hint="Only {name} is supported (no attributes, indexes or formats).")
        names.append(name)
    return names


def check(template: str, allowed: Iterable[str], input_name: str) -> list[str]:
    """Fail when the template names a variable outside ``allowed``; returns the names used."""
    allowed_set = set(allowed)
    used = fields(template, input_name)
    unknown = [name for name in used if name not in allowed_set]
    if unknown:
        raise InputError(
            input_name,
            f"unknown template variable {{{unknown[0]}}} in {template!r}.",
            hint="Available: " + ", ".join(f"{{{n}}}" for n in sorted(allowed_set)) + ".",
        )
    return used


def render_template(template: str, values: Mapping[str, object], input_name: str) -> str:
    """Render after ``check`` against the keys of ``values``."""
    check(template, values, input_name)
    return template.format_map({k: "" if v is None else v for k, v in values.items()})
