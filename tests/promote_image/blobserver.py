"""A local HTTP server standing in for the pre-signed S3 URLs GetDownloadUrlForLayer returns.

Blobs are served from memory (small test blobs) or generated chunk by chunk (the benchmark's
512 MB blob never exists in memory). It records which blobs were fetched and how many downloads
ran at once, and can corrupt a blob on the way out.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

Body = bytes | Callable[[], Iterable[bytes]]


class BlobServer:
    def __init__(self, blobs: dict[str, Body] | None = None, *, delay: float = 0.0) -> None:
        self.blobs: dict[str, Body] = dict(blobs or {})
        self.corrupt: set[str] = set()
        self.fetched: list[str] = []
        self.delay = delay
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, digest: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/blobs/{digest}?X-Amz-Signature=test"

    def __enter__(self) -> BlobServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _chunks(self, digest: str) -> Iterator[bytes]:
        body = self.blobs[digest]
        chunks: Iterable[bytes] = [body] if isinstance(body, bytes) else body()
        first = digest in self.corrupt
        for chunk in chunks:
            if first and chunk:
                first = False
                yield bytes([chunk[0] ^ 0xFF]) + chunk[1:]
            else:
                yield chunk

    def _size(self, digest: str) -> int | None:
        body = self.blobs[digest]
        return len(body) if isinstance(body, bytes) else None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                digest = self.path.split("?", 1)[0].rsplit("/", 1)[-1]
                if digest not in server.blobs:
                    self.send_error(404)
                    return
                with server._lock:
                    server.fetched.append(digest)
                    server.active += 1
                    server.max_active = max(server.max_active, server.active)
                try:
                    time.sleep(server.delay)
                    self.send_response(200)
                    size = server._size(digest)
                    if size is None:
                        self.send_header("Transfer-Encoding", "chunked")
                    else:
                        self.send_header("Content-Length", str(size))
                    self.end_headers()
                    for chunk in server._chunks(digest):
                        if size is None:
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        else:
                            self.wfile.write(chunk)
                    if size is None:
                        self.wfile.write(b"0\r\n\r\n")
                finally:
                    with server._lock:
                        server.active -= 1

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
