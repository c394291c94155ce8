"""Kubernetes namespace of an environment.

``preview`` namespaces come from the head branch name, so that PRs of several repositories on
the same branch share one preview environment. The result is a DNS-1123 label: lowercased,
other characters turned into ``-``, runs collapsed, trimmed, at most 63 characters (a stable
hash suffix when truncated, so two long branches with a common prefix do not collide).
"""

from __future__ import annotations

import hashlib
import re

from release_kit.environments.kinds import QA, Environment, Kind
from release_kit.errors import InputError

MAX_LENGTH = 63
DNS_1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
RESERVED = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
# Fixed environments' namespaces: a branch called "production" must not deploy (and later
# destroy) its preview into production's namespace.
_FIXED = frozenset(k.value for k in Kind if k not in {Kind.PREVIEW, Kind.QA, Kind.OTHER})
_INVALID = re.compile(r"[^a-z0-9]+")
_HASH_LENGTH = 8


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:_HASH_LENGTH]


def preview_namespace(branch: str) -> str:
    """The namespace of the preview environment of ``branch`` (stable, DNS-1123, not reserved)."""
    name = _INVALID.sub("-", branch.lower()).strip("-")
    if not name:
        return f"preview-{_short_hash(branch)}"
    if len(name) > MAX_LENGTH:
        room = MAX_LENGTH - _HASH_LENGTH - 1
        name = f"{name[:room].rstrip('-')}-{_short_hash(branch)}"
    if name in RESERVED or name in _FIXED or QA.match(name):
        name = f"{name}-preview"
    return name


def validate_namespace(namespace: str, input_name: str = "namespace") -> str:
    """A namespace given by the user: a DNS-1123 label that Kubernetes does not reserve."""
    if len(namespace) > MAX_LENGTH or not DNS_1123_LABEL.match(namespace):
        raise InputError(
            input_name,
            f"{namespace!r} is not a DNS-1123 label.",
            hint="Use at most 63 lowercase letters, digits and '-', starting and ending with a "
            "letter or digit (e.g. my-service-qa).",
        )
    if namespace in RESERVED:
        raise InputError(
            input_name,
            f"{namespace!r} is reserved by Kubernetes.",
            hint="Deploy into a namespace of your own; leave the input empty to derive one.",
        )
    return namespace


def namespace_for(environment: Environment, branch: str, override: str = "") -> str:
    """``override`` if given (validated), else derived from the environment (and branch)."""
    if override:
        return validate_namespace(override)
    if environment.per_branch:
        return preview_namespace(branch)
    return validate_namespace(environment.name, "environment")
