"""A kubeconfig given as an input, checked before anything is written (pure, no connection).

helmfile, helm and the kubernetes client each read the file later; a file they cannot use fails
there, long after the GitHub deployment was recorded. So the action reads it first and names
what is wrong: not YAML, no ``current-context``, a context or cluster that is not defined, a
cluster without a server, ``contexts``/``clusters``/``users`` that are not lists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from release_kit.errors import InputError

HINT = ("Give a kubeconfig whose current-context names a context and a cluster with a server "
        "(`kubectl config view --minify --flatten` writes one), or leave kubeconfig empty and "
        "set cluster and aws-region.")


@dataclass(frozen=True)
class KubeconfigSummary:
    context: str
    cluster: str
    server: str


def _error(input_name: str, message: str) -> InputError:
    return InputError(input_name, message, hint=HINT)


def _named(document: Mapping[str, Any], key: str, name: str, input_name: str
           ) -> Mapping[str, Any] | None:
    """The entry ``name`` of the list ``key`` (``contexts``, ``clusters``, ``users``)."""
    entries = document.get(key)
    if entries is None:
        return None
    if not isinstance(entries, list):
        raise _error(input_name, f"its {key} is a {type(entries).__name__}, not a list.")
    for entry in entries:
        if not isinstance(entry, Mapping):
            raise _error(input_name, f"an entry of its {key} is not a mapping.")
        if entry.get("name") == name:
            body = entry.get(key[:-1])
            if not isinstance(body, Mapping):
                raise _error(input_name, f"{key[:-1]} {name!r} has no {key[:-1]} mapping.")
            return body
    return None


def check_kubeconfig(text: str, input_name: str = "kubeconfig") -> KubeconfigSummary:
    """What the kubeconfig ``text`` connects to; an InputError naming the problem otherwise."""
    import yaml  # noqa: PLC0415 - YAML: only a given kubeconfig is read

    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _error(input_name, f"it is not valid YAML ({str(exc).splitlines()[0]}).") from None
    if not isinstance(document, Mapping):
        raise _error(input_name, "it is not a kubeconfig (a YAML mapping with clusters, "
                     "contexts and current-context).")
    current = document.get("current-context")
    if not isinstance(current, str) or not current.strip():
        raise _error(input_name, "it names no current-context.")
    context = _named(document, "contexts", current, input_name)
    if context is None:
        raise _error(input_name, f"its current-context {current!r} is not among its contexts.")
    cluster_name = context.get("cluster")
    if not isinstance(cluster_name, str) or not cluster_name.strip():
        raise _error(input_name, f"context {current!r} names no cluster.")
    cluster = _named(document, "clusters", cluster_name, input_name)
    if cluster is None:
        raise _error(input_name, f"cluster {cluster_name!r} (of context {current!r}) is not "
                     "among its clusters.")
    server = cluster.get("server")
    if not isinstance(server, str) or not server.strip():
        raise _error(input_name, f"cluster {cluster_name!r} has no server.")
    user = context.get("user")
    if isinstance(user, str) and user and _named(document, "users", user, input_name) is None:
        raise _error(input_name, f"user {user!r} (of context {current!r}) is not among its "
                     "users.")
    return KubeconfigSummary(current, cluster_name, server)


def read_kubeconfig(path: Path, input_name: str = "kubeconfig") -> KubeconfigSummary:
    """:func:`check_kubeconfig` of the file at ``path`` (unreadable is an input error too)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(input_name, f"{path} cannot be read ({exc}).", hint=HINT) from None
    return check_kubeconfig(text, input_name)
