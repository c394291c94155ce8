"""The GitHub API emulator: a real HTTP server over :class:`~.state.GitHubState`.

Per request: record it, apply injected latency and faults, authenticate the token (or a GitHub
App JWT), route it, check the token's permissions, run the handler under the state lock, and
answer JSON with GitHub's headers (``X-RateLimit-*``, ``X-GitHub-Request-Id``, ``Link``). Two
kinds of request are not the REST API's and skip all that: the emulator's own API under
``/_sandbox/`` (:mod:`.control`) and git over HTTP at each ``clone_url`` (:mod:`.smart_http`).
"""

from __future__ import annotations

import json
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from release_kit_sandbox.github import control, routes, smart_http
from release_kit_sandbox.github.faults import DEFAULT_RESET, RATE_LIMIT, Fault, Faults
from release_kit_sandbox.github.http import ApiError, Request, Response, forbidden_integration
from release_kit_sandbox.github.state import App, Dispatch, GitHubState, Repo, Token, Workflow
from release_kit_sandbox.github.webhooks import Failure, Webhooks

HTML_PREFIX = "/_html"  # the server URL's path: html_url fields, and clone_url for git


@dataclass
class RequestRecord:
    """One request the emulator served, for assertions and the contract test."""

    method: str
    path: str
    query: dict[str, list[str]]
    status: int
    request_json: Any
    response_json: Any
    response_bytes: bytes
    login: str | None
    route: str | None
    headers: dict[str, str] = field(default_factory=dict)
    response_headers: dict[str, str] = field(default_factory=dict)
    duration: float = 0.0
    seq: int = 0  # 1, 2, ... since the last reset or clear of the log
    time: float = 0.0  # when it arrived (Unix time)
    request_id: str = ""
    # The injected fault that answered it: {"id", "status", "when", "rate_limit"} and, after
    # the write, "handler_status" (what the handler answered before the fault replaced it).
    fault: dict[str, Any] | None = None
    latency: float = 0.0  # injected delay, seconds

    def to_json(self, bodies: bool = False) -> dict[str, Any]:
        """The record as ``GET /_sandbox/requests`` serves it."""
        out: dict[str, Any] = {
            "seq": self.seq,
            "time": self.time,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "route": self.route,
            "login": self.login,
            "request_id": self.request_id,
            "duration": round(self.duration, 6),
            "latency": self.latency,
            "fault": self.fault,
        }
        if bodies:
            out["request_json"] = self.request_json
            out["response_json"] = self.response_json
        return out


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no 40 ms Nagle/delayed-ACK stall per keep-alive request
    server_version = "GitHub.com"
    sys_version = ""
    emulator: GitHubEmulator

    def log_message(self, format: str, *args: Any) -> None:  # silence stderr access logs
        return

    def _body(self) -> bytes:
        """The request body: Content-Length bytes, or the chunks of a chunked one (git sends
        a big push that way)."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():  # trailers, then the blank line
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()  # the CRLF after each chunk
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        body = self._body()
        status, headers, payload = self.emulator.handle(
            self.command, self.path, {k: v for k, v in self.headers.items()}, body
        )
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD" and payload:
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve


class GitHubEmulator:
    """A stateful GitHub REST API on ``127.0.0.1``: start it, point PyGithub at :attr:`url`.

    >>> emu = GitHubEmulator(); emu.start()
    >>> repo = emu.create_repo("acme/web")
    >>> Github(base_url=emu.url, auth=Auth.Token(emu.default_token)).get_repo("acme/web")
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.state = GitHubState()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._records: list[RequestRecord] = []
        self.faults = Faults()
        self.webhooks = Webhooks()  # the chat webhook receiver under /_sandbox/webhooks/
        self._seq = 0
        self._epoch = 0  # bumped when the log is cleared: requests begun before are not logged
        self._meta_lock = threading.Lock()
        self._rate_used: dict[str, int] = {}
        self.keep_records = True
        # A sample that survives reset() for the contract test: the first few responses of each
        # (method, route, status), so long benchmarks do not grow it without bound.
        self.all_requests: list[RequestRecord] = []
        self.sample_per_route = 25
        self._sampled: dict[tuple[str, str | None, int], int] = {}

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """API base URL (``GITHUB_API_URL``)."""
        if self._server is None:
            raise RuntimeError("emulator not started")
        return f"http://{self.host}:{self._server.server_address[1]}"

    @property
    def server_url(self) -> str:
        """Web base URL (``GITHUB_SERVER_URL``) used in ``html_url`` fields; repositories are
        clonable under it (``clone_url``, :mod:`.smart_http`)."""
        return f"{self.url}{HTML_PREFIX}"

    def start(self) -> GitHubEmulator:
        """Start serving on a background thread (port 0: a free port)."""
        if self._server is not None:
            return self
        handler = type("Handler", (_Handler,), {"emulator": self})
        self._server = ThreadingHTTPServer((self.host, self.port), handler)
        self._server.daemon_threads = True
        self.state.base_url, self.state.server_url = self.url, self.server_url
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="github-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and delete the bare repositories."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.state.reset()
        self.state.close()

    def serve_forever(self) -> None:
        """Block until :meth:`stop` is called from another thread (or a signal handler)."""
        if self._thread is not None:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(timeout=0.2)

    def reset(self) -> None:
        """Clear all state, faults, webhook posts and records; the server keeps running on the
        same port."""
        self.faults.clear()
        self.webhooks.clear()
        with self._meta_lock:
            self._records.clear()
            self._seq = 0
            self._epoch += 1
            self._rate_used.clear()
        self.state.reset()

    def __enter__(self) -> GitHubEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- state helpers (the public Python API) ------------------------------------------------

    def create_repo(
        self,
        full_name: str,
        source: Path | None = None,
        default_branch: str = "main",
        *,
        private: bool = False,
        description: str | None = None,
    ) -> Repo:
        """Create ``owner/name`` (see :meth:`GitHubState.create_repo`); ``.git_dir`` is bare."""
        return self.state.create_repo(
            full_name,
            source=source,
            default_branch=default_branch,
            private=private,
            description=description,
        )

    def repo(self, full_name: str) -> Repo:
        owner, _, name = full_name.partition("/")
        found = self.state.repo(owner, name)
        if found is None:
            raise KeyError(full_name)
        return found

    def add_user(self, login: str, *, name: str | None = None, email: str | None = None) -> None:
        """Make ``login`` known (``GET /users/{login}``); assignable in every repository that
        has no collaborator list of its own (see :meth:`set_collaborators`)."""
        self.state.add_user(login, name=name, email=email)

    def set_collaborators(self, repo: str, logins: Iterable[str] | None) -> None:
        """Restrict who can be assigned or asked for a review in ``repo`` to ``logins`` (and
        its owner), adding unknown logins as users; None: every known user again."""
        target = self.repo(repo)
        with self.state.lock:
            if logins is None:
                target.collaborators = None
                return
            keys = set()
            for login in logins:
                keys.add(self.state.add_user(login).login.lower())
            target.collaborators = keys

    def collaborators(self, repo: str) -> list[str] | None:
        """The logins ``repo`` restricts assignment to (sorted), or None: every known user."""
        target = self.repo(repo)
        with self.state.lock:
            if target.collaborators is None:
                return None
            return sorted(self.state.users[k].login for k in target.collaborators)

    def add_token(
        self,
        token: str,
        login: str = "github-actions[bot]",
        permissions: dict[str, str] | None = None,
        can_create_pull_requests: bool = True,
    ) -> Token:
        """Register ``token`` for ``login``; ``permissions`` None means all permissions."""
        return self.state.add_token(
            token,
            login=login,
            permissions=permissions,
            can_create_pull_requests=can_create_pull_requests,
        )

    @property
    def default_token(self) -> str:
        """A token with every permission, acting as ``github-actions[bot]``."""
        return self.state.default_token

    def add_app(
        self,
        app_id: int,
        private_key_pem: str | bytes,
        installations: dict[str, int] | None = None,
        *,
        slug: str | None = None,
        permissions: dict[str, str] | None = None,
    ) -> App:
        """Register a GitHub App; JWTs signed with its key (RS256) authenticate as the app.

        ``installations`` maps an account (owner) login to an installation id; tokens minted by
        ``POST /app/installations/{id}/access_tokens`` reach that account's repositories only.
        """
        # cryptography: only a test that registers a GitHub App
        from cryptography.hazmat.primitives import serialization  # noqa: PLC0415

        pem = private_key_pem.encode() if isinstance(private_key_pem, str) else private_key_pem
        if b"PRIVATE KEY" in pem:
            key = serialization.load_pem_private_key(pem, password=None)
            pem = key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        app = App(
            app_id=app_id,
            public_key_pem=pem,
            slug=slug or f"sandbox-app-{app_id}",
            installations=dict(installations or {}),
            permissions=permissions,
        )
        with self.state.lock:
            self.state.apps[app_id] = app
            self.state.add_user(f"{app.slug}[bot]", type="Bot")
        return app

    def set_workflow(
        self,
        repo: str,
        file: str,
        dispatch_inputs: list[str] | None = None,
        name: str | None = None,
    ) -> Workflow:
        """Declare ``.github/workflows/<file>`` in ``repo``; None = no workflow_dispatch."""
        target = self.repo(repo)
        with self.state.lock:
            wf = Workflow(
                id=self.state.next_id(),
                path=f".github/workflows/{file}",
                name=name or file,
                dispatch_inputs=None if dispatch_inputs is None else list(dispatch_inputs),
            )
            target.workflows[file] = wf
            return wf

    @property
    def dispatches(self) -> list[Dispatch]:
        """Recorded ``repository_dispatch`` and workflow dispatch events, oldest first."""
        with self.state.lock:
            return list(self.state.dispatches)

    # -- faults (one mechanism; POST /_sandbox/faults feeds it too) ---------------------------

    def add_fault(self, fault: Fault) -> Fault:
        """Activate ``fault`` (see :mod:`release_kit_sandbox.github.faults`); returns it with
        its ``id``."""
        return self.faults.add(fault)

    def inject_fault(
        self,
        status: int = 502,
        count: int | None = 1,
        path: str | None = None,
        method: str | None = None,
        *,
        when: str = "before",
        retry_after: int | None = None,
        latency: float = 0.0,
        message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Fault:
        """The next ``count`` (None: every) requests matching ``method`` and ``path`` (a regex
        searched in the path) answer ``status``; ``when="after"`` runs the handler first."""
        return self.add_fault(Fault(
            status=status, count=count, method=method, path=path, when=when,
            retry_after=retry_after, latency=latency, message=message,
            headers=dict(headers or {}),
        ))

    def inject_rate_limit(
        self,
        count: int | None = 1,
        retry_after: int | None = 1,
        path: str | None = None,
        secondary: bool = True,
        *,
        status: int = 403,
        method: str | None = None,
        when: str = "before",
    ) -> Fault:
        """Next ``count`` matching requests hit a rate limit, as GitHub answers it.

        ``secondary``: ``status`` (403 or 429) with GitHub's secondary-limit message and
        ``Retry-After: retry_after`` (None: no ``Retry-After``, as GitHub sometimes does).
        Otherwise a primary limit: ``x-ratelimit-remaining: 0`` and ``x-ratelimit-reset``
        ``retry_after`` seconds from now (None: 60).
        """
        if secondary:
            fault = Fault(status=status, count=count, method=method, path=path, when=when,
                          retry_after=retry_after, rate_limit="secondary")
        else:
            fault = Fault(status=status, count=count, method=method, path=path, when=when,
                          rate_limit="primary",
                          reset=DEFAULT_RESET if retry_after is None else retry_after)
        return self.add_fault(fault)

    def inject_latency(
        self,
        seconds: float,
        count: int | None = None,
        path: str | None = None,
        *,
        method: str | None = None,
        when: str = "before",
    ) -> Fault:
        """Delay the next ``count`` (None: all) requests matching ``method`` and ``path`` by
        ``seconds``; ``when="after"`` delays the answer of a write that has already landed."""
        return self.add_fault(Fault(status=None, count=count, method=method, path=path,
                                    when=when, latency=seconds))

    def clear_faults(self) -> None:
        self.faults.clear()

    # -- the chat webhook receiver -------------------------------------------------------------

    def webhook_url(self, name: str) -> str:
        """Where to post to the receiver ``name`` (e.g. a Slack webhook stand-in)."""
        return f"{self.url}/_sandbox/webhooks/{name}"

    def fail_webhook(self, name: str, status: int = 503, count: int | None = 1, *,
                     body: str = "", retry_after: int | None = None,
                     latency: float = 0.0) -> Failure:
        """The next ``count`` (None: every) posts to ``name`` answer ``status`` with ``body``,
        after ``latency`` seconds."""
        return self.webhooks.arm(name, Failure(status, count, body, retry_after, latency))

    # -- records ------------------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request served since the last :meth:`reset`, oldest first (the ``/_sandbox/``
        control requests are not among them)."""
        with self._meta_lock:
            return list(self._records)

    def writes(self) -> list[RequestRecord]:
        """Recorded requests that are not GET/HEAD."""
        return [r for r in self.requests if r.method not in {"GET", "HEAD"}]

    def clear_requests(self) -> None:
        """Forget the request log (``seq`` starts again at 1); state and faults stay."""
        with self._meta_lock:
            self._records.clear()
            self._seq = 0
            self._epoch += 1

    # -- the request pipeline -----------------------------------------------------------------

    def _rate_headers(self, login: str | None) -> dict[str, str]:
        key = login or "-"
        with self._meta_lock:
            used = self._rate_used.get(key, 0) + 1
            self._rate_used[key] = used
        reset = (int(time.time()) // 3600 + 1) * 3600
        return {
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": str(max(0, RATE_LIMIT - used)),
            "X-RateLimit-Reset": str(reset),
            "X-RateLimit-Used": str(used),
            "X-RateLimit-Resource": "core",
        }

    def _authenticate(self, headers: dict[str, str]) -> tuple[Token, App | None]:
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        scheme, _, value = auth.strip().partition(" ")
        value = value.strip()
        if not auth:
            raise ApiError(401, "Requires authentication")
        if scheme.lower() not in {"token", "bearer"} or not value:
            raise ApiError(401, "Bad credentials")
        token = self.state.tokens.get(value)
        if token is not None:
            return token, None
        if value.count(".") == 2:
            app = self._verify_jwt(value)
            token = Token(value, f"{app.slug}[bot]", permissions={})
            return token, app
        raise ApiError(401, "Bad credentials")

    def _verify_jwt(self, value: str) -> App:
        import jwt  # noqa: PLC0415 - PyJWT, a PyGithub dependency

        try:
            claims = jwt.decode(value, options={"verify_signature": False})
            app = self.state.apps.get(int(claims.get("iss", 0)))
            if app is None:
                raise ApiError(401, "'Issuer' claim ('iss') must be an Integer")
            jwt.decode(value, app.public_key_pem, algorithms=["RS256"], leeway=120)
        except jwt.ExpiredSignatureError as exc:
            raise ApiError(401, "'Expiration time' claim ('exp') must be a numeric value "
                                "representing the future time at which the assertion "
                                "expires") from exc
        except (jwt.PyJWTError, ValueError) as exc:
            raise ApiError(401, "A JSON web token could not be decoded") from exc
        return app

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Serve one request; returns (status, headers, body). Thread-safe."""
        started, arrived = time.monotonic(), time.time()
        parts = urlsplit(raw_path)
        path = unquote(parts.path) if "%2F" not in parts.path.upper() else parts.path
        path = path.rstrip("/") or "/"
        query = parse_qs(parts.query, keep_blank_values=True)
        if control.is_control(path):
            return control.serve(self, method, path, query, body, headers=headers)
        under_server = path.removeprefix(HTML_PREFIX)
        if path.startswith(HTML_PREFIX + "/") and smart_http.is_git(under_server):
            return smart_http.serve(self.state, method, under_server, query=parts.query,
                                    headers=headers, body=body)
        request_id = uuid.uuid4().hex[:8].upper() + ":SANDBOX"
        epoch = self._epoch
        req = Request(method=method, path=path, query=query, headers=headers, body=body)
        route_pattern: str | None = None
        login: str | None = None
        response: Response
        hit = self.faults.take(method, path)
        fault = hit.error
        if hit.latency_before:
            time.sleep(hit.latency_before)
        try:
            if fault is not None and fault.when == "before":
                raise fault.error(request_id, self._caller_id(headers))
            route, params = routes.router.match(method, path)
            route_pattern = route.pattern
            req.params = {k: unquote(v) for k, v in params.items()}
            with self.state.lock:
                if route.auth:
                    token, req.app = self._authenticate(headers)
                    req.token, login = token, token.login
                    self._check_access(req, route.permission, route.jwt)
                result = route.handler(self.state, req)
            response = result if isinstance(result, Response) else Response(200, result)
        except ApiError as err:
            response = Response(err.status, err.body(), dict(err.headers))
        except Exception as exc:  # a bug in a handler: answer 500 and keep serving
            traceback.print_exc(file=sys.stderr)
            response = Response(500, {"message": f"sandbox error: {exc!r}",
                                      "documentation_url": "https://docs.github.com/rest"})
        applied: dict[str, Any] | None = None
        if fault is not None:
            applied = {"id": fault.id, "status": fault.status, "when": fault.when,
                       "rate_limit": fault.rate_limit}
            if fault.when == "after":  # the handler ran and its change stays; its answer is lost
                applied["handler_status"] = response.status
                lost = fault.error(request_id, self._caller_id(headers))
                response = Response(lost.status, lost.body(), dict(lost.headers))
        if hit.latency_after:
            time.sleep(hit.latency_after)
        payload = response.payload()
        out_headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-GitHub-Api-Version-Selected": "2022-11-28",
            "X-GitHub-Request-Id": request_id,
            "X-GitHub-Media-Type": "github.v3; format=json",
            **self._rate_headers(login),
        }
        if isinstance(response.body, bytes):
            out_headers["Content-Type"] = "application/octet-stream"
        out_headers.update(response.headers)
        if self.keep_records:
            try:
                req_json = req.json() if body else None
            except ApiError:
                req_json = None
            record = RequestRecord(
                method=method,
                path=path,
                query=query,
                status=response.status,
                request_json=req_json,
                response_json=None if isinstance(response.body, bytes) else response.body,
                response_bytes=payload,
                login=login,
                route=route_pattern,
                headers=dict(headers),
                response_headers=out_headers,
                duration=time.monotonic() - started,
                time=arrived,
                request_id=request_id,
                fault=applied,
                latency=hit.latency_before + hit.latency_after,
            )
            key = (method, route_pattern, response.status)
            with self._meta_lock:
                if epoch == self._epoch:  # not begun before a reset (e.g. a timed-out client's)
                    self._seq += 1
                    record.seq = self._seq
                    self._records.append(record)
                if self._sampled.get(key, 0) < self.sample_per_route:
                    self._sampled[key] = self._sampled.get(key, 0) + 1
                    self.all_requests.append(record)
        return response.status, out_headers, payload

    def _caller_id(self, headers: dict[str, str]) -> int | None:
        """User id of the token in ``headers`` if it is a known one (for messages only)."""
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        token = self.state.tokens.get(auth.strip().partition(" ")[2].strip())
        user = self.state.user(token.login) if token is not None else None
        return user.id if user is not None else None

    def _check_access(
        self, req: Request, permission: tuple[str, str] | None, jwt: bool
    ) -> None:
        token = req.token
        assert token is not None
        owner, name = req.params.get("owner"), req.params.get("repo")
        if owner and name:
            repo = self.state.repo(owner, name)
            if repo is None:
                raise ApiError(404, "Not Found")
            if not token.reaches(repo.owner, repo.name):
                # As GitHub: a repository outside the token's scope is invisible when private;
                # a public one reads as it does for anyone, and refuses writes.
                if repo.private:
                    raise ApiError(404, "Not Found")
                if req.method not in ("GET", "HEAD"):
                    raise forbidden_integration()
                permission = None
        if jwt and req.app is None:
            raise ApiError(401, "A JSON web token could not be decoded")
        if req.app is not None and not jwt:
            raise ApiError(
                403,
                "You must authenticate with an installation access token in order to "
                "access this endpoint.",
            )
        if permission and not token.allows(*permission):
            raise forbidden_integration()


def dump(record: RequestRecord) -> str:
    """One line per record, for debugging failed tests."""
    return f"{record.method} {record.path} -> {record.status} {json.dumps(record.request_json)}"
