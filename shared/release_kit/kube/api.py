"""The kubernetes-client adapter: fetch, create and delete, nothing else (decisions are in
``release_kit.environments``).

Requests go through the client's ``ApiClient`` (its auth, TLS and kubeconfig handling) by path,
and responses are read as plain JSON: the action needs a few fields, model deserialisation is
strict about fields a failing pod may lack, and the generated API classes are slow to load
(``CoreV1Api`` alone took ~1 s, on the path to helmfile now that the namespace is checked first).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from release_kit.environments.namespaces import NamespaceState
from release_kit.environments.urls import Ingress
from release_kit.errors import ExternalServiceError

HELM_OWNER = "owner=helm"


def _ingress(item: dict[str, Any]) -> Ingress:
    metadata = item.get("metadata") or {}
    rules = (item.get("spec") or {}).get("rules") or []
    return Ingress(
        name=str(metadata.get("name", "")),
        annotations=dict(metadata.get("annotations") or {}),
        hosts=[str(rule["host"]) for rule in rules if rule.get("host")],
        labels=dict(metadata.get("labels") or {}),
    )


@dataclass(frozen=True)
class Kube:
    """A connected client (``kubernetes.client.ApiClient``)."""

    api_client: Any

    @classmethod
    def from_kubeconfig(cls, path: Path) -> Kube:
        from kubernetes import config  # noqa: PLC0415 - only when the cluster is inspected

        try:
            return cls(config.new_client_from_config(config_file=str(path)))  # type: ignore[no-untyped-call]
        except Exception as exc:  # the loader raises ConfigException, and worse on odd files
            raise ExternalServiceError(f"the kubernetes client cannot use the kubeconfig {path}: "
                                       f"{type(exc).__name__}: {exc}") from exc

    @classmethod
    def from_token(cls, endpoint: str, ca_data_b64: str, token: str) -> Kube:
        from kubernetes import client  # noqa: PLC0415 - as in from_kubeconfig

        try:
            ca = base64.b64decode(ca_data_b64, validate=True).decode() if ca_data_b64 else None
        except ValueError as exc:  # binascii.Error and UnicodeDecodeError are ValueErrors
            raise ExternalServiceError(f"the cluster's CA certificate is not base64 PEM: {exc}"
                                       ) from exc
        configuration = client.Configuration(
            host=endpoint,
            api_key={"BearerToken": token},
            api_key_prefix={"BearerToken": "Bearer"},
            ca_cert_data=ca,
        )
        return cls(client.ApiClient(configuration))

    def _request(self, doing: str, method: str, path: str, *,
                 params: Mapping[str, str] | None = None, query: Mapping[str, str] | None = None,
                 body: Any = None, absent: tuple[int, ...] = (404,)) -> Any:
        """One request; a status in ``absent`` (404: not there) is None, other failures are
        typed errors. ``path`` has ``{name}`` placeholders filled (and quoted) from ``params``."""
        # as in from_kubeconfig
        from kubernetes.client.exceptions import ApiException  # noqa: PLC0415

        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            request = self.api_client.param_serialize(
                method=method, resource_path=path, path_params=dict(params or {}),
                query_params=list((query or {}).items()), header_params=headers, body=body,
                auth_settings=["BearerToken"])
            response = self.api_client.call_api(*request)
            response.read()
        except ApiException as exc:
            status, reason = exc.status, exc.reason
        except Exception as exc:  # urllib3 connection errors have no common base we can name
            raise ExternalServiceError(f"Kubernetes failed while {doing}: {exc}") from exc
        else:
            status, reason = response.status, response.reason
        if status in absent:
            return None
        if not 200 <= status < 300:
            raise ExternalServiceError(
                f"Kubernetes refused {doing}: {status} {reason}",
                hint="Check the deploying role's rights (RBAC) in this namespace.")
        try:
            return json.loads(response.data or b"{}")
        except ValueError:
            raise ExternalServiceError(f"Kubernetes answered something that is not JSON while "
                                       f"{doing}.", hint="Check that the kubeconfig's server "
                                       "is the cluster's API, not a proxy's page.") from None

    def _items(self, doing: str, path: str, namespace: str,
               query: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        data = self._request(doing, "GET", path, params={"namespace": namespace}, query=query)
        return list((data or {}).get("items") or [])

    def ingresses(self, namespace: str) -> list[Ingress]:
        items = self._items("listing ingresses",
                            "/apis/networking.k8s.io/v1/namespaces/{namespace}/ingresses",
                            namespace)
        return [_ingress(item) for item in items]

    def pods(self, namespace: str) -> list[dict[str, Any]]:
        return self._items("listing pods", "/api/v1/namespaces/{namespace}/pods", namespace)

    def events(self, namespace: str) -> list[dict[str, Any]]:
        return self._items("listing events", "/api/v1/namespaces/{namespace}/events", namespace,
                           {"fieldSelector": "type=Warning"})

    def helm_releases(self, namespace: str) -> list[str]:
        """Names of the Helm releases recorded in ``namespace`` (their storage Secrets)."""
        items = self._items("listing Helm release secrets",
                            "/api/v1/namespaces/{namespace}/secrets", namespace,
                            {"labelSelector": HELM_OWNER})
        return sorted({str((i.get("metadata", {}).get("labels") or {}).get("name", "?"))
                       for i in items})

    def namespace(self, name: str) -> NamespaceState | None:
        """The namespace ``name`` with its labels and annotations; None when there is none."""
        data = self._request(f"reading namespace {name}", "GET", "/api/v1/namespaces/{name}",
                             params={"name": name})
        if data is None:
            return None
        metadata = data.get("metadata") or {}
        return NamespaceState(
            name=name, labels=dict(metadata.get("labels") or {}),
            annotations=dict(metadata.get("annotations") or {}),
            terminating=(data.get("status") or {}).get("phase") == "Terminating"
            or bool(metadata.get("deletionTimestamp")),
        )

    def create_namespace(self, name: str, labels: dict[str, str],
                         annotations: dict[str, str]) -> bool:
        """Create ``name`` with its marks; False when it already existed (409 AlreadyExists)."""
        body = {"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": name, "labels": labels, "annotations": annotations}}
        return self._request(f"creating namespace {name}", "POST", "/api/v1/namespaces",
                             body=body, absent=(409,)) is not None

    def delete_namespace(self, namespace: str) -> bool:
        """Delete ``namespace``; False when it was already gone."""
        return self._request(f"deleting namespace {namespace}", "DELETE",
                             "/api/v1/namespaces/{name}", params={"name": namespace}) is not None
