"""ECR's ``GetDownloadUrlForLayer`` for moto, which (5.2.5) has none.

moto keeps only the size of an uploaded layer; this keeps its bytes too (on moto's repository
object, so ``/moto-api/reset`` drops them with it) and answers ``GetDownloadUrlForLayer`` the way
ECR does: a URL, valid for a while, that serves the layer's bytes with no credentials (ECR's is
a pre-signed S3 URL; here an HTTP server on the sandbox's address, so that whoever reaches moto
reaches the URL too, a container on a bridge included). A layer the repository does not hold is
``LayersNotFoundException``, as in ECR.

moto's backends are process-wide, so this is too: :func:`install` patches moto's classes once
per process, and the downloads server of the most recently started :class:`~release_kit_sandbox.
Sandbox` still running answers (a sandbox started and stopped inside another's life hands the
calls back to it). Without a started sandbox the call fails as moto's own did.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

URLS_KEPT = 4096  # download URLs remembered (each refers to bytes moto holds anyway)
_BLOBS = "release_kit_blobs"  # the attribute on moto's Repository: digest -> bytes
_lock = threading.Lock()
_started: list[LayerDownloads] = []  # the running sandboxes' servers, the last one answers
_installed = False


class LayerDownloads:
    """The server behind the download URLs (on ``host``): each URL serves one layer's bytes."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._urls: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="sandbox-ecr-downloads", daemon=True)

    def start(self) -> LayerDownloads:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, digest: str, data: bytes) -> str:
        """A new URL for ``data`` (the layer ``digest``), shaped like a pre-signed one."""
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._urls[token] = data
            while len(self._urls) > URLS_KEPT:
                self._urls.popitem(last=False)
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/layers/{digest}?X-Amz-Signature={token}"

    def _get(self, token: str) -> bytes | None:
        with self._lock:
            return self._urls.get(token)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        downloads = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                _, _, query = self.path.partition("?")
                token = dict(p.partition("=")[::2] for p in query.split("&")).get(
                    "X-Amz-Signature", "")
                data = downloads._get(token)
                if data is None:
                    self.send_error(403, "Request has expired")  # what S3 says of a stale URL
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


def install(downloads: LayerDownloads) -> None:
    """Answer GetDownloadUrlForLayer with ``downloads`` (moto is patched on the first call)."""
    global _installed  # noqa: PLW0603 - moto's backends are process-wide state too
    with _lock:
        _started.append(downloads)
        if not _installed:
            _patch_moto()
            _installed = True


def uninstall(downloads: LayerDownloads) -> None:
    with _lock:
        if downloads in _started:
            _started.remove(downloads)


def _patch_moto() -> None:
    from moto.core.exceptions import ServiceException  # noqa: PLC0415 - moto: sandbox only
    from moto.core.responses import ActionResult  # noqa: PLC0415
    from moto.ecr.models import ECRBackend  # noqa: PLC0415
    from moto.ecr.responses import ECRResponse  # noqa: PLC0415

    complete = ECRBackend.complete_layer_upload

    def complete_layer_upload(self: Any, repository_name: str, upload_id: str,
                              layer_digests: list[str], registry_id: str | None = None,
                              ) -> dict[str, Any]:
        repository = self._get_repository(repository_name, registry_id)
        upload = repository.uploads.get(upload_id)
        data = bytes(upload.layer_parts) if upload is not None else None
        result: dict[str, Any] = complete(self, repository_name, upload_id, layer_digests,
                                          registry_id=registry_id)
        if data is not None:
            repository.__dict__.setdefault(_BLOBS, {})[result["layerDigest"]] = data
        return result

    class LayersNotFoundException(ServiceException):
        code = "LayersNotFoundException"

    def get_download_url_for_layer(self: Any) -> Any:
        with _lock:
            downloads = _started[-1] if _started else None
        if downloads is None:
            raise NotImplementedError("ECR.get_download_url_for_layer needs a started Sandbox")
        digest = str(self._get_param("layerDigest"))
        repository = self.ecr_backend._get_repository(self._get_param("repositoryName"),
                                                      self._get_param("registryId"))
        data = repository.__dict__.get(_BLOBS, {}).get(digest)
        if data is None or digest not in repository.layers:
            raise LayersNotFoundException(
                f"The image layer '{digest}' does not exist in the repository with name "
                f"'{repository.name}' in the registry with id '{repository.registry_id}'")
        return ActionResult({"downloadUrl": downloads.url(digest, data), "layerDigest": digest})

    ECRBackend.complete_layer_upload = complete_layer_upload  # type: ignore[method-assign]
    ECRResponse.get_download_url_for_layer = get_download_url_for_layer  # type: ignore[method-assign]

