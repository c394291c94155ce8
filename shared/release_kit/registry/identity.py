"""What went into an image: every contributing repository, commit and version.

An image built for one commit is named ``sha-<commit>``; an image that combines several commits
(a downstream channel built on top of an upstream one, or on another repository) names each of
them in its tag, ``{short_sha}-{short_sha:main}``, and lists them in one label of its config,
``dev.release-kit.contributors``: a JSON array, the image's own commit first::

    [{"repository": "acme/web", "ref": "", "revision": "<40 hex>", "version": ""},
     {"repository": "acme/web", "ref": "main", "revision": "<40 hex>", "version": "1.4.0"}]

``ref`` is the ref as the tag template named it (``main``, or ``acme/base@v2`` for another
repository), so that promote-image can render the same ``{sha:<ref>}`` later from the label
alone, without asking GitHub what the ref points at *now*. ``version`` is the version tag on
that commit when there is one (else empty).

Pure: :func:`split_ref`, :func:`labels`, :func:`contributors_of`, :func:`commits`. What a ref
points at now is looked up through GitHub by :mod:`release_kit.promote.identity`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

CONTRIBUTORS = "dev.release-kit.contributors"
OCI_VERSION = "org.opencontainers.image.version"
MAX_CONTRIBUTORS = 20  # a label is metadata: a template naming more refs is a mistake

REPOSITORY_PATTERN = r"[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+"
_OTHER = re.compile(rf"(?P<repository>{REPOSITORY_PATTERN})@(?P<ref>.+)")
COMMIT_PATTERN = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


@dataclass(frozen=True)
class Contributor:
    """One repository's commit in an image. ``ref`` is empty for the image's own commit."""

    repository: str
    revision: str
    ref: str = ""
    version: str = ""

    def to_json(self) -> dict[str, str]:
        return {"repository": self.repository, "ref": self.ref, "revision": self.revision,
                "version": self.version}

    def describe(self) -> str:
        """``acme/web@main 1a2b3c4 (1.4.0)``, or ``acme/web 1a2b3c4`` for the image's own."""
        name = f"{self.repository}@{self.ref.rpartition('@')[2]}" if self.ref else self.repository
        version = f" ({self.version})" if self.version else ""
        return f"{name} {self.revision[:7]}{version}"


def split_ref(ref: str, own_repository: str) -> tuple[str, str]:
    """``main`` -> (own repository, ``main``); ``acme/base@v2`` -> (``acme/base``, ``v2``)."""
    match = _OTHER.fullmatch(ref)
    if match:
        return match["repository"], match["ref"]
    return own_repository, ref


def labels(own: Contributor, others: Sequence[Contributor]) -> dict[str, str]:
    """The labels naming what went into the image: the contributors, and the OCI version of
    its own commit when there is one. (build.yml writes revision, source and built-by.)"""
    found = {CONTRIBUTORS: json.dumps([c.to_json() for c in (own, *others)],
                                      separators=(",", ":"), sort_keys=True)}
    if own.version:
        found[OCI_VERSION] = own.version
    return found


def contributors_of(image_labels: Mapping[str, str]) -> tuple[tuple[Contributor, ...], str]:
    """The contributors an image's labels list, and a problem ("" when none): a label that is
    not what build.yml writes is reported, never trusted in part."""
    text = image_labels.get(CONTRIBUTORS)
    if text is None:
        return (), ""
    try:
        data = json.loads(text)
    except ValueError:
        return (), f"{CONTRIBUTORS} is not JSON"
    if not isinstance(data, list) or not data or len(data) > MAX_CONTRIBUTORS:
        return (), f"{CONTRIBUTORS} is not a list of 1 to {MAX_CONTRIBUTORS} contributors"
    found: list[Contributor] = []
    for item in data:
        if not isinstance(item, dict) or not all(
                isinstance(item.get(k, ""), str) for k in ("repository", "ref", "revision",
                                                           "version")):
            return (), f"{CONTRIBUTORS} holds an entry that is not a contributor"
        contributor = Contributor(item.get("repository", ""), item.get("revision", "").lower(),
                                  item.get("ref", ""), item.get("version", ""))
        if not re.fullmatch(REPOSITORY_PATTERN, contributor.repository) \
                or not COMMIT_PATTERN.fullmatch(contributor.revision):
            return (), f"{CONTRIBUTORS} names {contributor.repository!r} at " \
                       f"{contributor.revision!r}, not a repository at a commit"
        found.append(contributor)
    return tuple(found), ""


def commits(contributors: Sequence[Contributor]) -> dict[str, str]:
    """ref -> commit, for the ``{sha:<ref>}`` of promotion templates (the image's own commit is
    ``{sha}``, not a ref)."""
    return {c.ref: c.revision for c in contributors if c.ref}
