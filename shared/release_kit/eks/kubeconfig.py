"""A private, temporary kubeconfig for an EKS cluster whose user is the eks-token exec plugin.

The file holds the endpoint, the CA and the plugin's command line (cluster, region, and the
token cache it serves, or the role ARNs to re-assume and a session name) - never a credential.
helm and kubectl run the plugin whenever they need a token, so long helmfile runs outlive any
single token.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from release_kit.aws import aws_errors, client
from release_kit.eks.token import EXEC_API_VERSION, plugin_args

if TYPE_CHECKING:
    import boto3


@dataclass(frozen=True)
class Cluster:
    name: str
    region: str
    endpoint: str
    certificate_authority: str  # base64 PEM, as EKS returns it


def describe_cluster(session: boto3.Session, name: str, region: str) -> Cluster:
    """Endpoint and CA of ``name``; a missing cluster is a NotFoundError that says where."""
    eks = client(session, "eks", region)
    with aws_errors(f"describing EKS cluster {name!r} in {region}"):
        info = eks.describe_cluster(name=name)["cluster"]
    return Cluster(
        name=name,
        region=region,
        endpoint=str(info.get("endpoint") or ""),
        certificate_authority=str((info.get("certificateAuthority") or {}).get("data") or ""),
    )


def plugin_command() -> list[str]:
    """How to start this very release-kit again: the interpreter running it, as a module."""
    return [sys.executable, "-m", "release_kit"]


def render_kubeconfig(cluster: Cluster, role_arns: Sequence[str], session_name: str,
           namespace: str = "", token_cache: Path | None = None) -> dict[str, Any]:
    """The kubeconfig document (pure; no secrets in it)."""
    command, *prefix = plugin_command()
    context: dict[str, Any] = {"cluster": cluster.name, "user": "release-kit"}
    if namespace:
        context["namespace"] = namespace
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster.name, "cluster": {
            "server": cluster.endpoint,
            "certificate-authority-data": cluster.certificate_authority,
        }}],
        "users": [{"name": "release-kit", "user": {"exec": {
            "apiVersion": EXEC_API_VERSION,
            "command": command,
            "args": [*prefix, *plugin_args(cluster.name, cluster.region, role_arns, session_name,
                                           token_cache)],
            "interactiveMode": "Never",
            "provideClusterInfo": False,
        }}}],
        "contexts": [{"name": cluster.name, "context": context}],
        "current-context": cluster.name,
    }


def write(document: dict[str, Any], directory: str | None = None) -> Path:
    """Write the kubeconfig to a new temporary file readable by its owner only (0600)."""
    import yaml  # noqa: PLC0415 - YAML: only the EKS path writes a kubeconfig

    fd, name = tempfile.mkstemp(prefix="release-kit-kubeconfig-", suffix=".yaml", dir=directory)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            yaml.safe_dump(document, fh, sort_keys=False)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)
