"""The OCI adapter's HTTP transport (``release_kit.registry.transport``) against local servers:
keep-alive reuse, retries, redirects, proxies (a tiny CONNECT / forwarding proxy), TLS with a
CA of the test's own, timeouts and streamed bodies. Every server records what reached it, and
the assertions are on that record."""

from __future__ import annotations

import base64
import contextlib
import datetime
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO

import pytest

from release_kit.registry.transport import (
    ConnectError,
    ConnectTimeout,
    ReadError,
    ReadTimeout,
    Retry,
    TooManyRedirects,
    Transport,
    bypass_proxy,
)

FAST = Retry(backoff=0.0)  # urllib3's counts, no waiting between attempts


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    connection: int  # which connection (1, 2, ...) carried it
    chunked: bool


Answer = Callable[[BaseHTTPRequestHandler, Seen], None]


def reply(handler: BaseHTTPRequestHandler, status: int = 200, body: bytes = b"",
          headers: dict[str, str] | None = None) -> None:
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)


def ok(handler: BaseHTTPRequestHandler, seen: Seen) -> None:
    reply(handler, 200, b"hello " + seen.path.encode())


class Server:
    """A keep-alive HTTP/1.1 server on loopback (HTTPS with ``tls``) answering with ``answer``."""

    def __init__(self, answer: Answer = ok, tls: ssl.SSLContext | None = None) -> None:
        self.answer = answer
        self.seen: list[Seen] = []
        self.connections = 0
        self.closed = threading.Semaphore(0)  # released as each connection ends
        self.lock = threading.Lock()
        closed = self.closed

        class Threading(ThreadingHTTPServer):
            def shutdown_request(self, request: object) -> None:
                super().shutdown_request(request)  # type: ignore[arg-type]
                closed.release()

        self._server = Threading(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        if tls:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True,
                                                  do_handshake_on_connect=False)
        self.scheme = "https" if tls else "http"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with server.lock:
                    server.connections += 1
                    self.number = server.connections

            def handle_one_request(self) -> None:
                try:
                    super().handle_one_request()
                except (ssl.SSLError, ConnectionError):
                    self.close_connection = True

            def _any(self) -> None:
                chunked = self.headers.get("Transfer-Encoding", "").lower() == "chunked"
                if chunked:
                    body = b""
                    while size := int(self.rfile.readline().strip() or b"0", 16):
                        body += self.rfile.read(size)
                        self.rfile.readline()
                    self.rfile.readline()
                else:
                    body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                seen = Seen(self.command, self.path,
                            {k.lower(): v for k, v in self.headers.items()}, body, self.number,
                            chunked)
                with server.lock:
                    server.seen.append(seen)
                server.answer(self, seen)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _any

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def start(answer: Answer = ok, tls: ssl.SSLContext | None = None) -> Server:
        servers.append(Server(answer, tls))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def transport(**kwargs: object) -> Transport:
    """A transport that reads no proxy or CA setting from the test process's environment."""
    options: dict[str, object] = {"retry": FAST, "environ": {}, "timeout": (5.0, 5.0)}
    options.update(kwargs)
    return Transport(**options)  # type: ignore[arg-type]


# ---- keep-alive ------------------------------------------------------------------------------

def test_sequential_requests_reuse_one_connection(serve: Callable[..., Server]) -> None:
    server = serve()
    http = transport()
    answers = [http.request(m, f"{server.url}/v2/{i}") for i, m in
               enumerate(["GET", "HEAD", "PUT", "GET"])]
    assert [a.status_code for a in answers] == [200] * 4
    assert answers[0].content == b"hello /v2/0" and answers[1].content == b""
    assert [s.connection for s in server.seen] == [1, 1, 1, 1]
    assert server.seen[0].headers["user-agent"] == "release-kit"


def test_parallel_requests_each_take_a_connection_and_keep_them(
        serve: Callable[..., Server]) -> None:
    together = threading.Barrier(6, timeout=5)

    def answer(handler: BaseHTTPRequestHandler, seen: Seen) -> None:
        if seen.path.startswith("/first"):
            together.wait()  # all six are in flight at once: six connections
        ok(handler, seen)

    server = serve(answer)
    http = transport(pool_size=8)

    def run(prefix: str) -> list[int]:
        results: list[int] = []
        threads = [threading.Thread(target=lambda i=i: results.append(
            http.request("GET", f"{server.url}/{prefix}{i}").status_code)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return results

    assert run("first") == [200] * 6
    assert server.connections == 6
    assert run("again") == [200] * 6  # the six idle connections serve the second round
    assert server.connections == 6


def test_a_download_left_unfinished_is_not_reused_a_finished_one_is(
        serve: Callable[..., Server]) -> None:
    big = bytes(range(256)) * 4096  # 1 MiB

    def answer(handler: BaseHTTPRequestHandler, seen: Seen) -> None:
        reply(handler, 200, big)

    server = serve(answer)
    http = transport()
    whole = http.request("GET", f"{server.url}/blob", stream=True)
    buffer = bytearray(300_000)
    got = bytearray()
    while n := whole.readinto(memoryview(buffer)):
        got += buffer[:n]
    assert bytes(got) == big
    http.request("GET", f"{server.url}/next")
    assert [s.connection for s in server.seen] == [1, 1]  # read to its end: reused

    part = http.request("GET", f"{server.url}/blob", stream=True)
    assert part.readinto(memoryview(buffer)) > 0
    part.close()  # most of the body still unread
    http.request("GET", f"{server.url}/after")
    assert [s.connection for s in server.seen] == [1, 1, 1, 2]


def test_a_connection_the_server_closed_is_not_reused_even_for_a_post(
        serve: Callable[..., Server]) -> None:
    def answer(handler: BaseHTTPRequestHandler, seen: Seen) -> None:
        ok(handler, seen)
        handler.close_connection = True  # closed without saying so (no Connection: close)

    server = serve(answer)
    http = transport()
    assert http.request("GET", f"{server.url}/a").ok
    assert server.closed.acquire(timeout=5)  # the server closed it (its FIN is on the way)
    time.sleep(0.05)
    assert http.request("POST", f"{server.url}/uploads/").ok  # a POST is never replayed
    assert [(s.method, s.connection) for s in server.seen] == [("GET", 1), ("POST", 2)]


# ---- retries ---------------------------------------------------------------------------------

def failing(times: int, status: int = 503) -> Answer:
    """Answer ``status`` the first ``times`` requests, then 200."""
    count = [0]

    def answer(handler: BaseHTTPRequestHandler, seen: Seen) -> None:
        count[0] += 1
        reply(handler, status if count[0] <= times else 200, b'{"errors": []}')

    return answer


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE"])
def test_an_idempotent_request_is_retried_on_503(serve: Callable[..., Server],
                                                  method: str) -> None:
    server = serve(failing(2))
    body = b"body" if method == "PUT" else None
    assert transport().request(method, f"{server.url}/x", data=body).status_code == 200
    assert [s.method for s in server.seen] == [method] * 3
    assert {s.body for s in server.seen} == {body or b""}
    assert {s.connection for s in server.seen} == {1}  # the 503's connection reused


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_post_and_patch_are_never_replayed(serve: Callable[..., Server], method: str) -> None:
    server = serve(failing(2))
    assert transport().request(method, f"{server.url}/x", data=b"body").status_code == 503
    assert len(server.seen) == 1


def test_the_last_answer_is_returned_when_the_status_retries_run_out(
        serve: Callable[..., Server]) -> None:
    server = serve(failing(10, 502))
    assert transport().request("GET", f"{server.url}/x").status_code == 502
    assert len(server.seen) == 4  # status=3 retries


def test_a_streamed_body_is_sent_once_even_for_a_put(serve: Callable[..., Server]) -> None:
    server = serve(failing(2))
    parts = iter([b"a", b"b"])
    assert transport().request("PUT", f"{server.url}/x", data=parts).status_code == 503
    assert [s.body for s in server.seen] == [b"ab"]


def test_back_off_doubles_from_the_second_retry_and_retry_after_is_capped() -> None:
    retry = Retry()
    assert [retry.delay(n) for n in (1, 2, 3, 4)] == [0.0, 0.6, 1.2, 2.4]
    assert retry.delay(1, "2") == 2.0
    assert retry.delay(2, "3600") == retry.max_retry_after
    assert retry.delay(2, "Wed, 21 Oct 2015 07:28:00 GMT") == 0.6  # a date: the back-off


def test_an_answer_lost_with_its_connection_is_retried_for_get_not_for_post(
        serve: Callable[..., Server]) -> None:
    def answer(handler: BaseHTTPRequestHandler, seen: Seen) -> None:
        if len(server.seen) == 1:
            handler.close_connection = True  # the first request gets no answer at all
            return
        ok(handler, seen)

    server = serve(answer)
    assert transport().request("GET", f"{server.url}/x").status_code == 200
    assert [s.connection for s in server.seen] == [1, 2]

    server.seen.clear()
    with pytest.raises(ReadError) as raised:
        transport().request("POST", f"{server.url}/uploads/")
    assert "POST http://127.0.0.1" in str(raised.value)
    assert len(server.seen) == 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_refused_connection_is_a_connect_error_and_the_body_is_untouched() -> None:
    port = free_port()
    started = []

    def parts() -> Iterator[bytes]:
        started.append(True)
        yield b"x"

    with pytest.raises(ConnectError) as raised:
        transport().request("PATCH", f"http://127.0.0.1:{port}/up", data=parts())
    assert f"cannot connect to 127.0.0.1:{port}" in str(raised.value)
    assert started == []  # nothing was sent: the retries of the connection were safe


# ---- timeouts --------------------------------------------------------------------------------

@pytest.fixture
def silent() -> Iterator[int]:
    """A port that accepts TCP connections (the kernel does) and never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])


def test_a_silent_server_is_a_read_timeout(silent: int) -> None:
    http = transport(timeout=(2.0, 0.2))
    started = time.monotonic()
    with pytest.raises(ReadTimeout):
        http.request("POST", f"http://127.0.0.1:{silent}/x")  # not retried
    with pytest.raises(ReadTimeout):
        http.request("GET", f"http://127.0.0.1:{silent}/x")  # 1 + 2 read retries
    assert 0.7 <= time.monotonic() - started < 3.0


def test_a_tls_handshake_that_never_ends_is_a_connect_timeout(silent: int) -> None:
    http = transport(timeout=(0.2, 30.0), retry=Retry(backoff=0.0, connect=0))
    started = time.monotonic()
    with pytest.raises(ConnectTimeout):
        http.request("GET", f"https://127.0.0.1:{silent}/x")
    assert time.monotonic() - started < 2.0  # the connect timeout, not the read one


# ---- redirects -------------------------------------------------------------------------------

def redirect(to: str, status: int = 307) -> Answer:
    def answer(handler: BaseHTTPRequestHandler, seen: Seen) -> None:
        if seen.path.startswith("/v2/"):
            reply(handler, status, headers={"Location": to + seen.path.replace("/v2/", "/s/")})
        else:
            ok(handler, seen)

    return answer


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_host_drops_authorization(serve: Callable[..., Server],
                                                        status: int) -> None:
    storage = serve()
    registry = serve(redirect(storage.url, status))
    got = transport().request("GET", f"{registry.url}/v2/blob", headers={
        "Authorization": "Bearer secret"}, stream=True)
    assert got.status_code == 200 and got.content == b"hello /s/blob"
    assert registry.seen[0].headers["authorization"] == "Bearer secret"
    [there] = storage.seen
    assert there.path == "/s/blob" and "authorization" not in there.headers


def test_a_redirect_within_the_registry_keeps_authorization(serve: Callable[..., Server]
                                                            ) -> None:
    registry = serve(redirect(""))  # a relative Location
    got = transport().request("GET", f"{registry.url}/v2/blob",
                              headers={"Authorization": "Basic abc"})
    assert got.content == b"hello /s/blob"
    assert [s.headers.get("authorization") for s in registry.seen] == ["Basic abc"] * 2


def test_redirects_are_followed_for_get_and_head_only_and_bounded(
        serve: Callable[..., Server]) -> None:
    storage = serve()
    registry = serve(redirect(storage.url))
    http = transport()
    assert http.request("HEAD", f"{registry.url}/v2/a").status_code == 200
    assert http.request("HEAD", f"{registry.url}/v2/b",
                        allow_redirects=False).status_code == 307
    assert http.request("PUT", f"{registry.url}/v2/c", data=b"x").status_code == 307
    assert [s.path for s in storage.seen] == ["/s/a"]

    loop = serve(lambda handler, seen: reply(handler, 302, headers={"Location": seen.path}))
    with pytest.raises(TooManyRedirects):
        http.request("GET", f"{loop.url}/v2/again")
    assert len(loop.seen) == 11


# ---- proxies ---------------------------------------------------------------------------------

class Proxy:
    """A forward proxy: ``CONNECT`` tunnels and absolute-URI requests, with basic auth. It
    records the head of the first request of each client connection."""

    def __init__(self, user: str = "", password: str = "") -> None:
        self.heads: list[list[str]] = []
        self.expected = ("Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
                         if user else "")
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    def close(self) -> None:
        self._sock.close()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._client, args=(client,), daemon=True).start()

    def _client(self, client: socket.socket) -> None:
        reader = client.makefile("rb")
        lines = []
        while (line := reader.readline()) not in (b"\r\n", b""):
            lines.append(line.decode("latin-1").rstrip("\r\n"))
        self.heads.append(lines)
        headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
        if self.expected and headers.get("proxy-authorization") != self.expected:
            client.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                           b"Content-Length: 0\r\nConnection: close\r\n\r\n")
            client.close()
            return
        method, target, _ = lines[0].split(" ")
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            upstream = socket.create_connection((host, int(port)))
            client.sendall(b"HTTP/1.0 200 Connection established\r\n\r\n")
            buffered = b""
        else:
            netloc = target.split("/")[2]
            host, _, port = netloc.rpartition(":")
            upstream = socket.create_connection((host, int(port)))
            buffered = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if buffered:
            upstream.sendall(buffered)
        threading.Thread(target=_pipe, args=(reader, upstream), daemon=True).start()
        _pipe(upstream.makefile("rb"), client)


def _pipe(source: BinaryIO, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.read1(65536):  # type: ignore[attr-defined]
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    started = Proxy("us@er", "pa:ss")
    yield started
    started.close()


def tls_pair(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context whose certificate (for 127.0.0.1) a new CA signed, and the CA's file."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "release-kit test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                       False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context, ca_file


def test_https_goes_through_a_connect_tunnel_with_the_proxy_credentials(
        serve: Callable[..., Server], proxy: Proxy, tmp_path: Path) -> None:
    context, ca_file = tls_pair(tmp_path)
    server = serve(tls=context)
    http = transport(environ={"HTTPS_PROXY": f"http://us%40er:pa%3Ass@127.0.0.1:{proxy.port}",
                              "REQUESTS_CA_BUNDLE": str(ca_file)})
    assert http.request("GET", f"{server.url}/v2/one").content == b"hello /v2/one"
    assert http.request("GET", f"{server.url}/v2/two").content == b"hello /v2/two"
    [head] = proxy.heads  # one tunnel, kept alive for the second request
    assert head[0] == f"CONNECT 127.0.0.1:{server.port} HTTP/1.0"
    assert f"Proxy-Authorization: {proxy.expected}" in head
    assert [s.path for s in server.seen] == ["/v2/one", "/v2/two"]
    assert all("proxy-authorization" not in s.headers for s in server.seen)  # not to the origin


def test_http_goes_to_the_proxy_as_absolute_uris(serve: Callable[..., Server],
                                                 proxy: Proxy) -> None:
    server = serve()
    http = transport(environ={
        "http_proxy": f"http://us%40er:pa%3Ass@127.0.0.1:{proxy.port}",
        "HTTP_PROXY": "http://127.0.0.1:1"})  # lower case wins
    assert http.request("GET", f"{server.url}/v2/x?n=1").content == b"hello " + \
        f"{server.url}/v2/x?n=1".encode()  # the origin got the absolute URI, through the proxy
    [head] = proxy.heads
    assert head[0] == f"GET {server.url}/v2/x?n=1 HTTP/1.1"
    assert f"Proxy-Authorization: {proxy.expected}" in head


def test_wrong_proxy_credentials_are_a_connect_error(serve: Callable[..., Server],
                                                     proxy: Proxy, tmp_path: Path) -> None:
    context, ca_file = tls_pair(tmp_path)
    server = serve(tls=context)
    http = transport(environ={"https_proxy": f"http://us%40er:wrong@127.0.0.1:{proxy.port}",
                              "REQUESTS_CA_BUNDLE": str(ca_file)})
    with pytest.raises(ConnectError) as raised:
        http.request("GET", f"{server.url}/v2/")
    assert "407" in str(raised.value) and f"through the proxy 127.0.0.1:{proxy.port}" in str(
        raised.value)
    assert "wrong" not in str(raised.value)
    assert server.seen == []


def test_no_proxy_hosts_are_reached_directly(serve: Callable[..., Server],
                                             proxy: Proxy) -> None:
    server = serve()
    http = transport(environ={"HTTP_PROXY": f"http://127.0.0.1:{proxy.port}",
                              "NO_PROXY": "example.com, 127.0.0.0/8"})
    assert http.request("GET", f"{server.url}/v2/").ok
    assert proxy.heads == [] and len(server.seen) == 1


@pytest.mark.parametrize(("host", "port", "no_proxy", "bypass"), [
    ("registry.example.com", 443, "example.com", True),
    ("registry.example.com", 443, ".example.com", True),
    ("registry.example.com", 443, "*.example.com", True),
    ("notexample.com", 443, "example.com", False),
    ("example.com", 443, "example.com:443", True),
    ("example.com", 5000, "example.com:443", False),
    ("10.1.2.3", 443, "10.0.0.0/8", True),
    ("11.1.2.3", 443, "10.0.0.0/8", False),
    ("anything", 80, "*", True),
    ("ghcr.io", 443, "", False),
    ("GHCR.io", 443, "ghcr.IO", True),
])
def test_no_proxy_entries(host: str, port: int, no_proxy: str, bypass: bool) -> None:
    assert bypass_proxy(host, port, no_proxy) is bypass


def test_a_socks_proxy_is_refused_by_name(serve: Callable[..., Server]) -> None:
    server = serve()
    http = transport(environ={"ALL_PROXY": "socks5://127.0.0.1:1080"})
    with pytest.raises(ConnectError, match="not an http:// proxy"):
        http.request("GET", f"{server.url}/v2/")


# ---- TLS -------------------------------------------------------------------------------------

def test_an_untrusted_certificate_fails_at_once(serve: Callable[..., Server],
                                                tmp_path: Path) -> None:
    context, _ = tls_pair(tmp_path)
    server = serve(tls=context)
    with pytest.raises(ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        transport(retry=Retry()).request("GET", f"{server.url}/v2/")  # system trust store
    assert server.connections == 1  # a certificate does not get better by retrying


def test_a_missing_ca_bundle_is_named(serve: Callable[..., Server], tmp_path: Path) -> None:
    with pytest.raises(ConnectError, match=r"nowhere\.pem"):
        transport(environ={"REQUESTS_CA_BUNDLE": str(tmp_path / "nowhere.pem")}).request(
            "GET", "https://127.0.0.1:1/v2/")


# ---- bodies ----------------------------------------------------------------------------------

def test_streamed_uploads_with_and_without_a_length(serve: Callable[..., Server]) -> None:
    server = serve()
    http = transport()
    parts = [b"a" * 1000, bytearray(b"b" * 10), b"", b"c"]
    http.request("PATCH", f"{server.url}/up", data=iter(parts),
                 headers={"Content-Length": "1011"})
    http.request("PATCH", f"{server.url}/up", data=iter(parts))
    sized, chunked = server.seen
    assert sized.body == chunked.body == b"a" * 1000 + b"b" * 10 + b"c"
    assert (sized.chunked, sized.headers["content-length"]) == (False, "1011")
    assert chunked.chunked and "content-length" not in chunked.headers


def test_a_failing_body_raises_its_own_error_and_the_connection_is_dropped(
        serve: Callable[..., Server]) -> None:
    server = serve()
    http = transport()
    http.request("GET", f"{server.url}/first")

    class SourceFailed(Exception):
        pass

    def parts() -> Iterator[bytes]:
        yield b"x" * 100
        raise SourceFailed

    with pytest.raises(SourceFailed):
        http.request("PATCH", f"{server.url}/up", data=parts(),
                     headers={"Content-Length": "1000"})
    http.request("GET", f"{server.url}/after")
    deadline = time.monotonic() + 5
    while len(server.seen) < 3 and time.monotonic() < deadline:  # the cut-off upload's thread
        time.sleep(0.01)
    # The upload was cut off (the server got 100 of the 1000 bytes declared); its connection
    # was closed, not reused.
    assert sorted((s.path, len(s.body), s.connection) for s in server.seen) == [
        ("/after", 0, 2), ("/first", 0, 1), ("/up", 100, 1)]


def test_params_and_json_answers(serve: Callable[..., Server]) -> None:
    server = serve(lambda handler, seen: reply(
        handler, 200, b'{"token": "t"}', {"Content-Type": "application/json"}))
    got = transport().request("GET", f"{server.url}/token?service=r",
                              params=[("scope", "repository:a/b:pull"), ("scope", "x y")])
    assert got.json() == {"token": "t"} and got.ok
    assert server.seen[0].path == "/token?service=r&scope=repository%3Aa%2Fb%3Apull&scope=x+y"


def test_an_upload_refused_before_its_end_gets_the_servers_answer() -> None:
    """A server that answers (413) after the headers and stops reading: the client's send
    stalls; the answer is what the caller sees, not the stalled send."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        accepted: list[socket.socket] = []

        def refuse() -> None:
            conn, _ = listener.accept()
            accepted.append(conn)
            reader = conn.makefile("rb")
            while reader.readline() not in (b"\r\n", b""):
                pass
            conn.sendall(b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 20\r\n\r\n"
                         b'{"errors": ["big"]}\n')  # and reads no more

        threading.Thread(target=refuse, daemon=True).start()
        part = bytearray(1024 * 1024)
        sent = []

        def parts() -> Iterator[bytearray]:
            for _ in range(256):  # 256 MiB: far more than the socket buffers hold
                sent.append(1)
                yield part

        http = transport(timeout=(2.0, 0.5))
        got = http.request("PATCH", f"http://127.0.0.1:{port}/up", data=parts(),
                           headers={"Content-Length": str(256 * 1024 * 1024)})
        assert (got.status_code, got.content) == (413, b'{"errors": ["big"]}\n')
        assert len(sent) < 256  # the send stopped early
        for conn in accepted:
            conn.close()


# ---- the OCI client on the transport ---------------------------------------------------------

def test_an_identity_token_is_exchanged_by_a_form_post(serve: Callable[..., Server]) -> None:
    """An ``identitytoken`` (``az acr login``) is traded for an access token with a form POST
    to the challenge's realm, and the registry then gets that token."""
    from urllib.parse import parse_qs

    from release_kit.registry.auth import Credentials
    from release_kit.registry.oci import Client, OciRepository
    from release_kit.registry.references import OciLocation

    realm = serve(lambda handler, seen: reply(handler, 200, b'{"access_token": "minted"}'))

    def registry_answer(handler: BaseHTTPRequestHandler, seen: Seen) -> None:
        if seen.headers.get("authorization") != "Bearer minted":
            reply(handler, 401, b"{}", {"WWW-Authenticate": f'Bearer realm="{realm.url}/oauth2'
                                                           '/token",service="acr"'})
        else:
            reply(handler, 200, b"", {"Docker-Content-Digest": "sha256:" + "a" * 64})

    registry = serve(registry_answer)
    location = OciLocation(f"127.0.0.1:{registry.port}", "acme/web")
    repository = OciRepository(Client(location, Credentials(identity_token="refresh")),
                               location)
    assert repository.digest_of("1.0.0") == "sha256:" + "a" * 64
    [exchange] = realm.seen
    assert (exchange.method, exchange.path) == ("POST", "/oauth2/token")
    assert exchange.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(exchange.body.decode()) == {
        "grant_type": ["refresh_token"], "refresh_token": ["refresh"],
        "client_id": ["release-kit"], "service": ["acr"],
        "scope": ["repository:acme/web:pull"]}
    assert [s.headers.get("authorization") for s in registry.seen] == [None, "Bearer minted"]
    assert {s.connection for s in registry.seen} == {1}  # the 401's connection served the retry


def test_a_body_cut_off_is_a_lost_answer_retried_for_get(serve: Callable[..., Server]) -> None:
    def answer(handler: BaseHTTPRequestHandler, seen: Seen) -> None:
        if len(server.seen) == 1:  # says 100 bytes, sends 10 and hangs up
            handler.send_response(200)
            handler.send_header("Content-Length", "100")
            handler.end_headers()
            handler.wfile.write(b"0123456789")
            handler.close_connection = True
            return
        ok(handler, seen)

    server = serve(answer)
    assert transport().request("GET", f"{server.url}/m").content == b"hello /m"
    assert [s.connection for s in server.seen] == [1, 2]
    server.seen.clear()
    with pytest.raises(ReadError, match="IncompleteRead"):
        transport().request("POST", f"{server.url}/m")
    assert len(server.seen) == 1
