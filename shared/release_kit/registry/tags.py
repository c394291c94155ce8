"""Target tags from templates such as ``{major}.{minor}`` or ``{sha7}-{version}``, and which of
them may be moved.

Expansion is pure: the values come from the ``version`` input and the run's context. Every
problem is an ``InputError`` naming the input, raised before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from release_kit import templates
from release_kit.errors import InputError
from release_kit.registry.references import tag_problem

VERSION_FIELDS = ("version", "major", "minor", "patch")
CONTEXT_FIELDS = ("sha", "sha7", "ref_name")
FIELDS = VERSION_FIELDS + CONTEXT_FIELDS


def template_values(version: str, *, sha: str, ref_name: str) -> dict[str, str | None]:
    """The variables a tag template may use; ``None`` marks one that has no value in this run.

    ``version`` must be semver (a leading ``v`` is accepted and dropped, as release tags often
    carry one); ``{version}`` renders the full version including any pre-release part.
    """
    values: dict[str, str | None] = dict.fromkeys(FIELDS)
    if version:
        import semver  # noqa: PLC0415 - only a {version} template needs semver

        text = version[1:] if version[:1] in {"v", "V"} else version
        try:
            parsed = semver.Version.parse(text)
        except ValueError:
            raise InputError(
                "version", f"{version!r} is not a semantic version.",
                hint="Give MAJOR.MINOR.PATCH (e.g. 1.4.0 or 1.4.0-rc.1), usually the release "
                     "version from semver-bump or the release tag.") from None
        values.update(version=str(parsed), major=str(parsed.major), minor=str(parsed.minor),
                      patch=str(parsed.patch))
    if sha:
        values.update(sha=sha, sha7=sha[:7])
    if ref_name:
        values["ref_name"] = ref_name
    return values


def expand_tags(
    templates_: Sequence[str], values: Mapping[str, str | None], input_name: str = "tags"
) -> list[str]:
    """Render each template, check the result is a valid tag, drop duplicates (order kept).

    For 1.4.0, ``{major}.{minor}`` renders ``1.4`` and ``{major}`` ``1``: the floating tags a
    release moves.
    """
    if not templates_:
        raise InputError(input_name, "no target tags were given.",
                         hint="List one tag per line, e.g. {version}, {minor}, {major}.")
    tags: list[str] = []
    for template in templates_:
        used = templates.check(template, FIELDS, input_name)
        missing = [name for name in used if values.get(name) is None]
        if missing:
            raise _missing(template, missing[0], input_name)
        tag = templates.render_template(template, values, input_name)
        problem = tag_problem(tag)
        if problem:
            raise InputError(input_name, f"{template!r} expands to an invalid tag: {problem}.",
                             hint="ECR tags are at most 128 characters of letters, digits, "
                                  "'.', '_' and '-' (a ref name such as release/1.4 contains '/').")
        if tag not in tags:
            tags.append(tag)
    return tags


def _missing(template: str, name: str, input_name: str) -> InputError:
    if name in VERSION_FIELDS:
        return InputError("version", f"tag template {template!r} uses {{{name}}} but no version "
                          "was given.", hint="Set `version` to the release version (semver).")
    source = "GITHUB_SHA" if name in {"sha", "sha7"} else "GITHUB_REF_NAME"
    return InputError(input_name, f"tag template {template!r} uses {{{name}}} but {source} is "
                      "not set in this run.", hint=f"Run inside a workflow or set {source}.")


@dataclass(frozen=True)
class MovePolicy:
    """Which existing tags may be moved to another digest (``*`` means all)."""

    tags: frozenset[str]
    everything: bool = False

    @classmethod
    def parse(cls, lines: Iterable[str], input_name: str = "allow-move") -> MovePolicy:
        names = set(lines)
        everything = "*" in names
        names.discard("*")
        for name in sorted(names):
            problem = tag_problem(name)
            if problem:
                raise InputError(input_name, f"{problem}.",
                                 hint="List literal tags one per line (e.g. latest), or * to "
                                      "allow moving every tag.")
        return cls(frozenset(names), everything)

    def allows(self, tag: str) -> bool:
        return self.everything or tag in self.tags
