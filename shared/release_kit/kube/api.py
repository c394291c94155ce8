"""The kubernetes-client adapter: fetch, create and delete, nothing else (decisions are in
``release_kit.environments``).

Responses are read as plain JSON (``_preload_content=False``): the diagnostics only need a few
fields, and model deserialisation is slow and strict about fields a failing pod may lack.
"""

from __future__ import annotations

import json
from collections.abc import Callable
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
        import base64  # noqa: PLC0415

        from kubernetes import client  # noqa: PLC0415

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

    def _get(self, doing: str, call: Callable[..., Any], *args: Any,
             absent: tuple[int, ...] = (404,), **kwargs: Any) -> Any:
        """Call the API; a status in ``absent`` (404: not there) is None, other failures are
        typed errors."""
        from kubernetes.client.exceptions import ApiException  # noqa: PLC0415

        try:
            response = call(*args, _preload_content=False, **kwargs)
        except ApiException as exc:
            if exc.status in absent:
                return None
            raise ExternalServiceError(
                f"Kubernetes refused {doing}: {exc.status} {exc.reason}",
                hint="Check that the deploying role may read this namespace.",
            ) from exc
        except Exception as exc:  # urllib3 connection errors have no common base we can name
            raise ExternalServiceError(f"Kubernetes failed while {doing}: {exc}") from exc
        try:
            return json.loads(response.data or b"{}")
        except ValueError:
            raise ExternalServiceError(f"Kubernetes answered something that is not JSON while "
                                       f"{doing}.", hint="Check that the kubeconfig's server "
                                       "is the cluster's API, not a proxy's page.") from None

    def _items(self, doing: str, call: Callable[..., Any], *args: Any, **kwargs: Any
               ) -> list[dict[str, Any]]:
        data = self._get(doing, call, *args, **kwargs)
        return list((data or {}).get("items") or [])

    def ingresses(self, namespace: str) -> list[Ingress]:
        from kubernetes import client  # noqa: PLC0415

        api = client.NetworkingV1Api(self.api_client)
        items = self._items("listing ingresses", api.list_namespaced_ingress, namespace)
        return [_ingress(item) for item in items]

    def pods(self, namespace: str) -> list[dict[str, Any]]:
        from kubernetes import client  # noqa: PLC0415

        api = client.CoreV1Api(self.api_client)
        return self._items("listing pods", api.list_namespaced_pod, namespace)

    def events(self, namespace: str) -> list[dict[str, Any]]:
        from kubernetes import client  # noqa: PLC0415

        api = client.CoreV1Api(self.api_client)
        return self._items("listing events", api.list_namespaced_event, namespace,
                           field_selector="type=Warning")

    def helm_releases(self, namespace: str) -> list[str]:
        """Names of the Helm releases recorded in ``namespace`` (their storage Secrets)."""
        from kubernetes import client  # noqa: PLC0415

        api = client.CoreV1Api(self.api_client)
        items = self._items("listing Helm release secrets", api.list_namespaced_secret,
                            namespace, label_selector=HELM_OWNER)
        return sorted({str((i.get("metadata", {}).get("labels") or {}).get("name", "?"))
                       for i in items})

    def namespace(self, name: str) -> NamespaceState | None:
        """The namespace ``name`` with its labels and annotations; None when there is none."""
        from kubernetes import client  # noqa: PLC0415

        api = client.CoreV1Api(self.api_client)
        data = self._get(f"reading namespace {name}", api.read_namespace, name)
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
        from kubernetes import client  # noqa: PLC0415

        api = client.CoreV1Api(self.api_client)
        body = {"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": name, "labels": labels, "annotations": annotations}}
        return self._get(f"creating namespace {name}", api.create_namespace, body,
                         absent=(409,)) is not None

    def delete_namespace(self, namespace: str) -> bool:
        """Delete ``namespace``; False when it was already gone."""
        from kubernetes import client  # noqa: PLC0415

        api = client.CoreV1Api(self.api_client)
        return self._get(f"deleting namespace {namespace}", api.delete_namespace,
                         namespace) is not None
