"""The thin HTTP layer: requests, responses, GitHub-shaped errors, routing, pagination.

Resource modules under :mod:`release_kit_sandbox.github.routes` register handlers on the one
:data:`router` with :func:`route`; adding an endpoint is adding a function, not editing a chain.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    from release_kit_sandbox.github.state import App, GitHubState, Token

DOCS = "https://docs.github.com/rest"

JSON = Any


class ApiError(Exception):
    """An error response exactly as GitHub shapes it."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        documentation_url: str = DOCS,
    ) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers or {}
        self.documentation_url = documentation_url

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message": self.message,
            "documentation_url": self.documentation_url,
        }
        if self.errors is not None:
            data["errors"] = self.errors
        if self.status in {401, 403, 404, 409, 422, 405}:
            data["status"] = str(self.status)
        return data


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def validation_failed(*errors: dict[str, Any], message: str = "Validation Failed") -> ApiError:
    """422 with GitHub's ``errors`` list (``{"resource","code","field"}`` or ``{"message"}``)."""
    return ApiError(422, message, list(errors))


def invalid(resource: str, field_name: str, code: str = "invalid", **extra: Any) -> ApiError:
    return validation_failed({"resource": resource, "code": code, "field": field_name, **extra})


def forbidden_integration() -> ApiError:
    return ApiError(403, "Resource not accessible by integration")


@dataclass
class Request:
    """One parsed HTTP request as a handler sees it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    token: Token | None = None
    app: App | None = None  # set when authenticated with a GitHub App JWT
    _json: Any = None
    _parsed: bool = False

    def json(self) -> Any:
        """The JSON body (``{}`` when empty); 400 "Problems parsing JSON" when invalid."""
        if not self._parsed:
            self._parsed = True
            if self.body.strip():
                try:
                    self._json = json.loads(self.body)
                except ValueError as exc:
                    raise ApiError(400, "Problems parsing JSON") from exc
            else:
                self._json = {}
        return self._json

    def data(self) -> dict[str, Any]:
        """The JSON body as an object; a non-object body is GitHub's 400."""
        body = self.json()
        if not isinstance(body, dict):
            raise ApiError(400, "Problems parsing JSON")
        return body

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def int_arg(self, name: str, default: int) -> int:
        value = self.arg(name)
        try:
            return int(value) if value not in (None, "") else default
        except ValueError:
            return default

    @property
    def login(self) -> str:
        """Login of the authenticated caller."""
        assert self.token is not None
        return self.token.login


@dataclass
class Response:
    """A handler's result: status, JSON-able body (or raw bytes), extra headers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()


Handler = Callable[["GitHubState", Request], "Response | JSON"]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    regex: re.Pattern[str]
    handler: Handler
    permission: tuple[str, str] | None  # (GitHub permission name, "read" | "write")
    auth: bool
    jwt: bool = False  # authenticated as a GitHub App (JWT), not with a token


_PARAM = re.compile(r"\{(\w+)(?::(path|int))?\}")
_KINDS = {None: "[^/]+", "path": ".+", "int": "[0-9]+"}


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """``/repos/{owner}/{repo}/git/ref/{ref:path}`` -> a regex with named groups.

    ``{name}`` is one path segment, ``{name:path}`` the rest of the path, ``{name:int}`` digits.
    """
    out, pos = [], 0
    for m in _PARAM.finditer(pattern):
        out.append(re.escape(pattern[pos : m.start()]))
        out.append(f"(?P<{m.group(1)}>{_KINDS[m.group(2)]})")
        pos = m.end()
    out.append(re.escape(pattern[pos:]))
    return re.compile("^" + "".join(out) + "/?$")


class Router:
    """Method + path pattern -> handler, first match wins (register specific paths first)."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(  # noqa: PLR0917 - mirrors Route's fields
        self,
        method: str,
        pattern: str,
        handler: Handler,
        permission: tuple[str, str] | None = None,
        auth: bool = True,
        jwt: bool = False,
    ) -> None:
        self.routes.append(
            Route(
                method.upper(), pattern, compile_pattern(pattern), handler, permission, auth, jwt
            )
        )

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        """The route for ``method path``; 404 when no pattern matches the path at all."""
        for route in self.routes:
            m = route.regex.match(path)
            if not m:
                continue
            if route.method == method or (method == "HEAD" and route.method == "GET"):
                return route, m.groupdict()
        raise not_found()


router = Router()


def route(
    method: str,
    pattern: str,
    *,
    permission: tuple[str, str] | None = None,
    auth: bool = True,
    jwt: bool = False,
) -> Callable[[Handler], Handler]:
    """Decorator registering a handler on the shared :data:`router`.

    ``permission`` is the GitHub App permission the endpoint needs, e.g. ``("issues", "write")``;
    a token with explicit permissions lacking it gets 403 "Resource not accessible by integration".
    ``jwt`` marks the endpoints a GitHub App calls with its JWT (``/app/...``).
    """

    def register(handler: Handler) -> Handler:
        router.add(method, pattern, handler, permission, auth, jwt)
        return handler

    return register


def page_params(req: Request) -> tuple[int, int]:
    """(page, per_page) with GitHub's defaults: page 1, 30 per page, at most 100."""
    per_page = max(1, min(100, req.int_arg("per_page", 30)))
    page = max(1, req.int_arg("page", 1))
    return page, per_page


def paginate(
    base_url: str,
    req: Request,
    items: list[Any],
    render: Callable[[Any], Any] | None = None,
) -> Response:
    """One page of ``items`` with a ``Link`` header shaped like GitHub's.

    ``render`` turns an item into its JSON and is applied to the served page only, so listing
    thousands of objects costs one page of rendering.
    """
    page, per_page = page_params(req)
    total = len(items)
    last = max(1, -(-total // per_page))
    chunk = items[(page - 1) * per_page : page * per_page]
    if render is not None:
        chunk = [render(item) for item in chunk]
    links = []

    def url(n: int) -> str:
        query = {k: v[-1] for k, v in req.query.items() if k not in {"page", "per_page"}}
        query["per_page"] = str(per_page)
        query["page"] = str(n)
        return f"{base_url}{req.path}?{urlencode(query)}"

    if page > 1:
        links.append(f'<{url(min(page - 1, last))}>; rel="prev"')
    if page < last:
        links.append(f'<{url(page + 1)}>; rel="next"')
        links.append(f'<{url(last)}>; rel="last"')
    if page > 1:
        links.append(f'<{url(1)}>; rel="first"')
    headers = {"Link": ", ".join(links)} if links else {}
    return Response(200, chunk, headers)
