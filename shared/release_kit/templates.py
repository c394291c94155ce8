"""Input templates such as ``{sha7}-{version}`` or ``Release {release}``.

Only plain ``{name}`` fields from a known set are allowed (``{{`` and ``}}`` are literal braces);
anything else is an input error that names the input and lists the variables it may use.

Some variables also name another ref: ``{sha:<ref>}`` and ``{short_sha:<ref>}`` are the commit
(40 hex digits, or the first 7) of ``<ref>`` (a branch or tag of the repository, or
``owner/repo@ref`` of another one), so that an image that combines several commits can be
tagged ``{short_sha}-{short_sha:main}``. A template accepts ``:<ref>`` only on the variables its
caller lists in ``ref_names``; the value of such a field is looked up as ``"<name>:<ref>"``.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from release_kit.errors import InputError

_REF_FORBIDDEN = frozenset(" \t\n\r{}")


@dataclass(frozen=True)
class Field:
    """One variable of a template: ``{name}``, or ``{name:<ref>}``."""

    name: str
    ref: str | None = None

    @property
    def key(self) -> str:
        """The key of its value: ``name``, or ``name:<ref>``."""
        return self.name if self.ref is None else f"{self.name}:{self.ref}"

    def __str__(self) -> str:
        return f"{{{self.key}}}"


def parse_template(template: str, input_name: str, *, ref_names: Iterable[str] = ()) -> list[
        tuple[str, Field | None]]:
    """The template as (literal text, field or None) pairs, in order; malformed templates (and
    a ``:<ref>`` on a variable outside ``ref_names``) are input errors."""
    takes_ref = set(ref_names)
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise InputError(
            input_name,
            f"{template!r} is not a valid template ({exc}).",
            hint="Write variables as {name}; write a literal brace as {{ or }}.",
        ) from None
    parts: list[tuple[str, Field | None]] = []
    for literal, name, spec, conversion in parsed:
        if name is None:
            parts.append((literal, None))
            continue
        ref = spec or None
        if not name.isidentifier() or conversion or (ref is not None and name not in takes_ref):
            hint = "Only {name} is supported (no attributes, indexes or formats)."
            if takes_ref:
                hint = ("Only {name} is supported (no attributes, indexes or formats), and "
                        + ", ".join(f"{{{n}:<ref>}}" for n in sorted(takes_ref)) + ".")
            raise InputError(input_name, f"{template!r}: '{{{name}}}' is not a plain variable.",
                             hint=hint)
        if ref is not None and (_REF_FORBIDDEN & set(ref) or ref.startswith(("@", "/"))):
            raise InputError(input_name, f"{template!r}: {ref!r} is not a ref.",
                             hint="Name a branch or tag (e.g. {short_sha:main}), or another "
                                  "repository's as owner/repo@ref.")
        parts.append((literal, Field(name, ref)))
    return parts


def ref_fields(template: str, input_name: str, ref_names: Iterable[str]) -> list[Field]:
    """The fields of ``template`` that name a ref (``{sha:main}``), in order."""
    return [f for _, f in parse_template(template, input_name, ref_names=ref_names)
            if f is not None and f.ref is not None]


def fields(template: str, input_name: str) -> list[str]:
    """The variable names a template uses, in order; malformed templates are input errors."""
    return [f.name for _, f in parse_template(template, input_name) if f is not None]


def check(template: str, allowed: Iterable[str], input_name: str, *,
          ref_names: Iterable[str] = ()) -> list[str]:
    """Fail when the template names a variable outside ``allowed``; returns the names used
    (a ``{sha:main}`` counts as ``sha``)."""
    allowed_set = set(allowed)
    parts = parse_template(template, input_name, ref_names=ref_names)
    used = [f.name for _, f in parts if f is not None]
    unknown = [name for name in used if name not in allowed_set]
    if unknown:
        raise InputError(
            input_name,
            f"unknown template variable {{{unknown[0]}}} in {template!r}.",
            hint="Available: " + ", ".join(f"{{{n}}}" for n in sorted(allowed_set)) + ".",
        )
    return used


def render_template(template: str, values: Mapping[str, object], input_name: str, *,
                    ref_names: Iterable[str] = ()) -> str:
    """Render after ``check`` against the keys of ``values`` (a field that names a ref takes
    the value of ``"<name>:<ref>"``, which must be there)."""
    parts = parse_template(template, input_name, ref_names=ref_names)
    plain = {key for key in values if ":" not in key}
    out: list[str] = []
    for literal, found in parts:
        out.append(literal)
        if found is None:
            continue
        if found.key not in values:
            known = sorted(plain) if found.ref is None else sorted(values)
            raise InputError(
                input_name,
                f"unknown template variable {found} in {template!r}.",
                hint="Available: " + ", ".join(f"{{{n}}}" for n in known) + ".",
            )
        value = values[found.key]
        out.append("" if value is None else str(value))
    return "".join(out)
