"""Kubernetes namespace of an environment.

``preview`` namespaces are one per branch name, so that PRs of several repositories on the same
branch share one preview environment. The name is ``preview-<slug>-<hash>``: a fixed prefix (so
a preview can never land in ``argocd``, ``monitoring``, ``production`` or any other namespace
that is not a preview's), a readable slug of the branch (lowercased, other characters turned
into ``-``, runs collapsed, trimmed, cut to fit) and the first 8 hex digits of the SHA-256 of
the EXACT branch name (so ``Feature/Foo`` and ``feature-foo``, whose slugs are equal, still get
different namespaces). The result is a DNS-1123 label of at most 63 characters.
"""

from __future__ import annotations

import hashlib
import re

from release_kit.environments.kinds import Environment
from release_kit.errors import InputError

MAX_LENGTH = 63
DNS_1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
RESERVED = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
PREVIEW_PREFIX = "preview-"
HASH_LENGTH = 8
_INVALID = re.compile(r"[^a-z0-9]+")
_SLUG_LENGTH = MAX_LENGTH - len(PREVIEW_PREFIX) - 1 - HASH_LENGTH


def branch_hash(branch: str) -> str:
    """The short hash that tells branches with the same slug apart (of the exact name)."""
    return hashlib.sha256(branch.encode("utf-8")).hexdigest()[:HASH_LENGTH]


def preview_namespace(branch: str) -> str:
    """The namespace of the preview environment of ``branch`` (stable, DNS-1123, prefixed)."""
    slug = _INVALID.sub("-", branch.lower()).strip("-")[:_SLUG_LENGTH].rstrip("-")
    return f"{PREVIEW_PREFIX}{slug + '-' if slug else ''}{branch_hash(branch)}"


def validate_namespace(namespace: str, input_name: str = "namespace") -> str:
    """A namespace given by the user: a DNS-1123 label that Kubernetes does not reserve."""
    if len(namespace) > MAX_LENGTH or not DNS_1123_LABEL.match(namespace):
        raise InputError(
            input_name,
            f"{namespace!r} is not a DNS-1123 label.",
            hint="Use at most 63 lowercase letters, digits and '-', starting and ending with a "
            "letter or digit (e.g. my-service-qa).",
        )
    if namespace in RESERVED or namespace.startswith("kube-"):
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
