"""HTTP for the OCI registry adapter, on the standard library's ``http.client``.

requests (with urllib3, charset_normalizer, idna and certifi) costs about 80 ms of start-up more
than ``http.client``, which a one-tag retag (four small requests) pays almost entirely: the
adapter needs a small part of it, done here in one place:

- **keep-alive**: idle connections are kept per route (scheme, host, port, proxy), at most
  ``pool_size`` each; a connection serves one request at a time (parallel lookups each take
  one). A connection that failed, that the server closed (checked before reuse), or whose
  response was not read to its end is closed, never reused.
- **TLS**: ``ssl.create_default_context()``, the system's trust store (``SSL_CERT_FILE`` and
  ``SSL_CERT_DIR`` are honoured); ``REQUESTS_CA_BUNDLE`` (else ``CURL_CA_BUNDLE``), a file or a
  folder, replaces it as it did with requests. Where the system has no trust store at all,
  certifi's bundle when it is installed.
- **proxies** from the environment, as requests reads them: ``https_proxy``, ``http_proxy``,
  ``all_proxy`` and ``no_proxy`` (lower case first, then upper case; ``no_proxy`` entries are
  host names and their subdomains, ``host:port``, IP networks, or ``*``). HTTPS goes through a
  ``CONNECT`` tunnel, HTTP as absolute-URI requests; credentials in the proxy URL are sent as
  ``Proxy-Authorization``. Only ``http://`` proxies (as with requests without extras).
- **redirects** of GET and HEAD (301, 302, 303, 307, 308), at most ``MAX_REDIRECTS`` hops; the
  ``Authorization`` header is dropped when a redirect leaves the origin (a blob download sent
  on to a storage backend), except for the upgrade of the same host from http to https.
- **retries** as urllib3's ``Retry`` did for the adapter (``Retry`` below): failures to connect
  for any request (nothing was sent); failures after sending, and the answers 500/502/503/504,
  only for GET, HEAD, PUT and DELETE with a body that can be sent again (a POST or PATCH is never
  replayed), with exponential back-off (none before the first retry) or the server's
  ``Retry-After``. When the status retries run out, the last answer is returned.
- **timeouts**: one to connect (TCP, proxy tunnel and TLS handshake), one for each read.
- **bodies**: bytes, or an iterable of byte strings streamed as they come (with the caller's
  ``Content-Length``, else chunked; a server that answers before taking the whole body, an
  upload refused, is heard); answers read whole, or streamed (``stream=True``: read into the
  caller's buffer straight from the socket).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import select
import ssl
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import SplitResult, unquote, urlencode, urljoin, urlsplit

MAX_REDIRECTS = 10
REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DRAIN = 64 * 1024  # what may be read off an unwanted answer to keep its connection
Timeout = float | tuple[float, float]  # seconds: both, or (connect, read)
Body = bytes | bytearray | Iterable[bytes | bytearray] | None


class TransportError(OSError):
    """A request that got no answer (after its retries)."""


class ConnectError(TransportError):
    """No connection: name resolution, refused, TLS handshake, proxy tunnel. Nothing was sent."""


class ConnectTimeout(ConnectError):
    pass


class ReadError(TransportError):
    """The connection failed after the request was (perhaps) sent."""


class ReadTimeout(ReadError):
    pass


class TooManyRedirects(TransportError):
    pass


class InvalidURL(TransportError):
    pass


class Retry:
    """How often a request is sent again; the counts are retries (not attempts), each bounded
    on its own and all of them by ``total``. (Plain classes here, not dataclasses: a dataclass
    costs ~1 ms of start-up to build, and every run pays the module's.)"""

    def __init__(self, *, total: int = 4, connect: int = 3, read: int = 2, status: int = 3,
                 backoff: float = 0.3,
                 statuses: frozenset[int] = frozenset({500, 502, 503, 504}),
                 methods: frozenset[str] = frozenset({"GET", "HEAD", "PUT", "DELETE"}),
                 max_retry_after: float = 30.0) -> None:
        self.total = total
        self.connect = connect
        self.read = read
        self.status = status
        self.backoff = backoff  # seconds; doubles from the second retry on (the first: none)
        self.statuses = statuses
        self.methods = methods  # the methods that may be sent again
        self.max_retry_after = max_retry_after  # a longer Retry-After is waited this long

    def delay(self, retry: int, retry_after: str | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first)."""
        if retry_after and retry_after.strip().isdigit():
            return min(float(retry_after.strip()), self.max_retry_after)
        return 0.0 if retry <= 1 else self.backoff * 2 ** (retry - 1)


class _Budget:
    def __init__(self, retry: Retry) -> None:
        self.retry = retry
        self.used: dict[str, int] = {}

    def take(self, kind: str) -> bool:
        """Whether one more retry of ``kind`` is allowed (and count it)."""
        total = sum(self.used.values())
        if total >= self.retry.total or self.used.get(kind, 0) >= getattr(self.retry, kind):
            return False
        self.used[kind] = self.used.get(kind, 0) + 1
        return True

    @property
    def count(self) -> int:
        return sum(self.used.values())


Connection = http.client.HTTPConnection


class Response:
    """An answer: status, headers (case-insensitive), and the body, read whole (``content``)
    or, for a streamed request, into the caller's buffers (``readinto``)."""

    def __init__(self, url: str, raw: http.client.HTTPResponse, conn: Connection,
                 pool: _Pool, key: _Key) -> None:
        self.url = url
        self.status_code = raw.status
        self.reason = raw.reason
        self.headers: http.client.HTTPMessage = raw.headers
        self._raw = raw
        self._conn: Connection | None = conn
        self._pool = pool
        self._key = key
        self._content: bytes | None = None

    @property
    def ok(self) -> bool:
        return self.status_code < 400

    @property
    def content(self) -> bytes:
        if self._content is None:
            self._content = self._read_all()
        return self._content

    @property
    def text(self) -> str:
        charset = self.headers.get_content_charset() or "utf-8"
        try:
            return self.content.decode(charset, errors="replace")
        except LookupError:  # a charset Python does not know
            return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)

    def readinto(self, buffer: Any) -> int:
        """Read the body straight from the socket into ``buffer``; 0 at its end."""
        if self._content is not None:
            raise ValueError("the body was already read")
        try:
            n = self._raw.readinto(buffer)
        except (OSError, http.client.HTTPException) as exc:
            self._done(reusable=False)
            raise _read_error(exc, f"reading the answer from {self.url}") from exc
        if not n or self._raw.isclosed():
            self._done(reusable=True)
        return n

    def close(self) -> None:
        """Done with the answer: its connection goes back to the pool when the body was read
        to its end, else it is closed."""
        self._done(reusable=self._raw.isclosed())

    def drain(self) -> None:
        """Read off a small unwanted body so the connection can serve another request."""
        if self._conn is None:
            return
        raw = self._raw
        try:
            if raw.chunked or (raw.length is not None and raw.length <= _DRAIN):
                raw.read(_DRAIN)
        except (OSError, http.client.HTTPException, ValueError):
            self._done(reusable=False)
            return
        self.close()

    def _read_all(self) -> bytes:
        try:
            data = self._raw.read()
        except (OSError, http.client.HTTPException) as exc:
            self._done(reusable=False)
            raise _read_error(exc, f"reading the answer from {self.url}") from exc
        self._done(reusable=True)
        return data

    def _done(self, *, reusable: bool) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if reusable and self._raw.isclosed() and not self._raw.will_close:
            self._pool.give(self._key, conn)
        else:
            self._raw.close()
            conn.close()


class _Key:
    """Where a connection goes: the server, and the proxy on the way (if any)."""

    __slots__ = ("host", "port", "proxy", "proxy_authorization", "scheme")

    def __init__(self, scheme: str, host: str, port: int, proxy: tuple[str, int] | None = None,
                 proxy_authorization: str = "") -> None:
        self.scheme = scheme
        self.host = host
        self.port = port
        self.proxy = proxy
        self.proxy_authorization = proxy_authorization

    def _route(self) -> tuple[str, str, int, tuple[str, int] | None]:
        return self.scheme, self.host, self.port, self.proxy

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and self._route() == other._route()

    def __hash__(self) -> int:
        return hash(self._route())


class _Pool:
    """Idle keep-alive connections per route."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._idle: dict[_Key, list[Connection]] = {}
        self._lock = threading.Lock()

    def take(self, key: _Key) -> Connection | None:
        while True:
            with self._lock:
                idle = self._idle.get(key)
                conn = idle.pop() if idle else None
            if conn is None or not _dropped(conn):
                return conn
            conn.close()

    def give(self, key: _Key, conn: Connection) -> None:
        if conn.sock is None:
            return
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < self._size:
                idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            conns = [c for idle in self._idle.values() for c in idle]
            self._idle.clear()
        for conn in conns:
            conn.close()


def _dropped(conn: Connection) -> bool:
    """Whether an idle connection was closed by the server (or has stray bytes): readable
    while no request is in flight."""
    sock = conn.sock
    if sock is None:
        return True
    try:
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            return True
        poller = select.poll()  # not select.select: no limit on the descriptor's number
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


class _Feed:
    """A streamed body that remembers its own failure (told apart from the socket's)."""

    def __init__(self, parts: Iterable[bytes | bytearray]) -> None:
        self._parts = iter(parts)
        self.error: BaseException | None = None

    def __iter__(self) -> Iterator[bytes | bytearray]:
        while True:
            try:
                part = next(self._parts)
            except StopIteration:
                return
            except BaseException as exc:
                self.error = exc
                raise
            yield part


class Transport:
    """HTTP requests through pooled keep-alive connections (thread-safe)."""

    def __init__(self, *, retry: Retry | None = None, timeout: Timeout = (10.0, 120.0),
                 pool_size: int = 8, user_agent: str = "release-kit",
                 environ: Mapping[str, str] | None = None,
                 max_redirects: int = MAX_REDIRECTS) -> None:
        self.retry = retry or Retry()
        self.timeout = timeout
        self.user_agent = user_agent
        self.max_redirects = max_redirects
        self._environ = os.environ if environ is None else environ
        self._pool = _Pool(pool_size)
        self._ssl: ssl.SSLContext | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        self._pool.close()

    def request(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                params: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
                data: Body = None, stream: bool = False, allow_redirects: bool = True,
                timeout: Timeout | None = None) -> Response:
        """Send one request (retried and redirected as the module says) and return the
        answer, its body read unless ``stream``. Raises a ``TransportError`` when no answer
        came."""
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params, doseq=True)
        sent = {"User-Agent": self.user_agent, "Accept": "*/*"}
        sent.update(headers or {})
        follow = allow_redirects and method in ("GET", "HEAD")
        for _ in range(self.max_redirects + 1):
            response = self._send(method, url, sent, data, stream=stream,
                                  timeout=timeout or self.timeout)
            location = response.headers.get("Location")
            if not (follow and response.status_code in REDIRECTS and location):
                return response
            response.drain()
            target = urljoin(url, location)
            if not _same_origin(url, target):
                sent = {k: v for k, v in sent.items() if k.lower() != "authorization"}
            url = target
        raise TooManyRedirects(f"more than {self.max_redirects} redirects from {url}")

    def _send(self, method: str, url: str, headers: dict[str, str], data: Body, *,
              stream: bool, timeout: Timeout) -> Response:
        """One request to one URL, with its retries."""
        connect_timeout, read_timeout = timeout if isinstance(timeout, tuple) else (timeout,
                                                                                    timeout)
        key, target = self._route(url)
        extra = {"Proxy-Authorization": key.proxy_authorization} \
            if key.proxy_authorization and key.scheme == "http" else {}
        # A streamed body is sent once: only a failure to connect (nothing sent) is retried.
        feed = None if data is None or isinstance(data, bytes | bytearray) else _Feed(data)
        replayable = feed is None
        budget = _Budget(self.retry)

        def ask_again() -> bool:
            """After a lost answer: whether the request may be sent again (after the wait)."""
            if method not in self.retry.methods or not replayable or not budget.take("read"):
                return False
            time.sleep(self.retry.delay(budget.count))
            return True

        while True:
            conn = self._pool.take(key)
            if conn is None:
                conn = self._connect(key, connect_timeout, budget)
            try:
                assert conn.sock is not None
                conn.sock.settimeout(read_timeout)
                try:
                    conn.request(method, target, body=feed if feed is not None else data,
                                 headers={**headers, **extra})
                except OSError as unsent:
                    if feed is not None and unsent is feed.error:
                        raise
                    raw = _early_answer(conn, unsent)
                else:
                    raw = conn.getresponse()
            except BaseException as exc:
                conn.close()
                if (feed is not None and exc is feed.error) \
                        or not isinstance(exc, OSError | http.client.HTTPException):
                    raise  # the body's own failure, or not the network's
                if not ask_again():
                    raise _read_error(exc, f"{method} {_safe(url)}") from exc
                continue
            response = Response(url, raw, conn, self._pool, key)
            if response.status_code in self.retry.statuses and method in self.retry.methods \
                    and replayable and budget.take("status"):
                response.drain()
                time.sleep(self.retry.delay(budget.count, response.headers.get("Retry-After")))
                continue
            if not stream:
                try:
                    response.content  # noqa: B018 - read now: the connection is free again
                except ReadError:  # the body was cut off: a lost answer, as above
                    if not ask_again():
                        raise
                    continue
            return response

    def _connect(self, key: _Key, timeout: float, budget: _Budget) -> Connection:
        """A new connection to ``key``, connected (retried as connect failures are)."""
        while True:
            conn = self._new_connection(key, timeout)
            try:
                conn.connect()
                return conn
            except OSError as exc:
                conn.close()
                where = f"{key.host}:{key.port}" + (
                    f" through the proxy {key.proxy[0]}:{key.proxy[1]}" if key.proxy else "")
                kind = ConnectTimeout if isinstance(exc, TimeoutError) else ConnectError
                error = kind(f"cannot connect to {where}: {exc}")
                if isinstance(exc, ssl.SSLCertVerificationError) or not budget.take("connect"):
                    raise error from exc
                time.sleep(self.retry.delay(budget.count))

    def _new_connection(self, key: _Key, timeout: float) -> Connection:
        host, port = key.proxy or (key.host, key.port)
        if key.scheme == "http":
            return http.client.HTTPConnection(host, port, timeout=timeout)
        conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=self._context())
        if key.proxy:
            tunnel = {"Host": f"{key.host}:{key.port}"}
            if key.proxy_authorization:
                tunnel["Proxy-Authorization"] = key.proxy_authorization
            conn.set_tunnel(key.host, key.port, headers=tunnel)
        return conn

    def _context(self) -> ssl.SSLContext:
        with self._lock:
            if self._ssl is None:
                self._ssl = _ssl_context(self._environ)
            return self._ssl

    def _route(self, url: str) -> tuple[_Key, str]:
        """The connection a URL needs, and the request target to send on it."""
        parts = urlsplit(url)
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise InvalidURL(f"{_safe(url)}: {exc}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidURL(f"not an http(s) URL: {_safe(url)}")
        host = parts.hostname
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        proxy_url = proxy_for(parts, self._environ)
        if not proxy_url:
            return _Key(parts.scheme, host, port), target
        proxy = urlsplit(proxy_url if "://" in proxy_url else "http://" + proxy_url)
        if proxy.scheme != "http" or not proxy.hostname:
            raise ConnectError(
                f"the proxy {_safe(proxy_url)} for {host} is not an http:// proxy (only those "
                "are supported)")
        authorization = ""
        if proxy.username is not None:
            raw = f"{unquote(proxy.username)}:{unquote(proxy.password or '')}".encode()
            authorization = "Basic " + base64.b64encode(raw).decode("ascii")
        key = _Key(parts.scheme, host, port, (proxy.hostname, proxy.port or 80), authorization)
        if parts.scheme == "http":  # the proxy forwards the request: the absolute URI
            target = parts._replace(fragment="").geturl()
        return key, target


def proxy_for(parts: SplitResult, environ: Mapping[str, str]) -> str:
    """The proxy URL the environment names for a URL ('' for none), as requests reads it."""
    def variable(name: str) -> str:
        if name in environ:  # lower case first, even when empty
            return environ[name]
        if name == "http_proxy" and "REQUEST_METHOD" in environ:
            return ""  # a CGI request's Proxy header arrives as HTTP_PROXY: never trusted
        return environ.get(name.upper(), "")

    proxy = variable(f"{parts.scheme}_proxy") or variable("all_proxy")
    if not proxy or bypass_proxy(parts.hostname or "", parts.port, variable("no_proxy")):
        return ""
    return proxy


def bypass_proxy(host: str, port: int | None, no_proxy: str) -> bool:
    """Whether ``no_proxy`` names ``host``: ``*``, the host or a parent domain (with or
    without a leading dot), ``host:port``, or an IP network (``10.0.0.0/8``)."""
    host = host.lower().rstrip(".")
    for item in no_proxy.replace(" ", ",").split(","):
        entry = item.strip().lower()
        if entry == "*":
            return True
        if not entry:
            continue
        name, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if entry_port and (not entry_port.isdigit() or int(entry_port) != port):
            continue
        name = name.strip("[]").lstrip("*").lstrip(".").rstrip(".")
        if "/" in name:
            if _in_network(host, name):
                return True
        elif host == name or host.endswith("." + name):
            return True
    return False


def _in_network(host: str, network: str) -> bool:
    import ipaddress  # noqa: PLC0415 - only a no_proxy with a network pays for it

    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(network, strict=False)
    except ValueError:
        return False


def _ssl_context(environ: Mapping[str, str]) -> ssl.SSLContext:
    bundle = environ.get("REQUESTS_CA_BUNDLE") or environ.get("CURL_CA_BUNDLE")
    if bundle:
        try:
            if os.path.isdir(bundle):
                return ssl.create_default_context(capath=bundle)
            return ssl.create_default_context(cafile=bundle)
        except (OSError, ValueError) as exc:
            raise ConnectError(f"the CA bundle {bundle} (REQUESTS_CA_BUNDLE or "
                               f"CURL_CA_BUNDLE) cannot be loaded: {exc}") from exc
    context = ssl.create_default_context()
    if not context.cert_store_stats()["x509_ca"] and not os.path.isdir(
            environ.get("SSL_CERT_DIR") or ssl.get_default_verify_paths().capath or ""):
        try:  # no system trust store (a bare image): certifi's, when installed
            import certifi  # noqa: PLC0415 - only then

            context.load_verify_locations(certifi.where())
        except ImportError:
            pass
    return context


def _same_origin(url: str, target: str) -> bool:
    """Whether credentials for ``url`` may go to ``target``: same scheme, host and port, or
    the upgrade of the same host from http to https on the default ports."""
    a, b = urlsplit(url), urlsplit(target)
    if a.hostname != b.hostname:
        return False
    default = {"http": 80, "https": 443}
    pa, pb = a.port or default.get(a.scheme), b.port or default.get(b.scheme)
    if a.scheme == "http" and b.scheme == "https" and pa == 80 and pb == 443:
        return True
    return (a.scheme, pa) == (b.scheme, pb)


def _early_answer(conn: Connection, error: OSError) -> http.client.HTTPResponse:
    """The answer a server gave before taking the whole body (an upload refused: 401, 413)
    and then stopped reading, as urllib3 reads it; else the sending failure."""
    try:
        raw = conn.getresponse()
    except (OSError, http.client.HTTPException):
        raise error from None
    raw.will_close = True  # the request was cut off: its connection is not reused
    return raw


def _read_error(exc: BaseException, doing: str) -> ReadError:
    kind = ReadTimeout if isinstance(exc, TimeoutError) else ReadError
    detail = str(exc) or exc.__class__.__name__
    return kind(f"{doing}: {detail}")


def _safe(url: str) -> str:
    """A URL for a message: without credentials or query (which may carry signatures)."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{netloc}{parts.path}"
