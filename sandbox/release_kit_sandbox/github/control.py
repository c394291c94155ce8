"""The emulator's own control API under ``/_sandbox/`` (not GitHub's; no auth, no faults, not
recorded), so a test driving the standalone ``release-kit sandbox`` from another process can
inject faults, read the request log and seed users and collaborators.

=======  ==============================================  =========================================
GET      /_sandbox/faults                                the active faults (with ``hits``)
POST     /_sandbox/faults                                add one (body: :meth:`Fault.from_json`)
DELETE   /_sandbox/faults                                clear them
DELETE   /_sandbox/faults/{id}                           remove one
GET      /_sandbox/requests?since=SEQ&bodies=1           the request log (``seq`` > ``since``)
DELETE   /_sandbox/requests                              clear the log
POST     /_sandbox/users                                 ``{"login", "name"?, "email"?, "type"?}``
PUT      /_sandbox/repos/{owner}/{repo}/collaborators    ``{"logins": [...] | null}``
POST     /_sandbox/webhooks/{name}                       a chat post: recorded, answered ``ok``
GET      /_sandbox/webhooks/{name}                       its posts and armed failures
POST     /_sandbox/webhooks/{name}/failures              arm one (body: :meth:`Failure.from_json`)
DELETE   /_sandbox/webhooks/{name}/failures              disarm them
DELETE   /_sandbox/webhooks[/{name}]                     forget posts and failures
GET      /_sandbox/webhooks                              ``{name: number of posts}``
=======  ==============================================  =========================================
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from release_kit_sandbox.github.faults import Fault, Faults, FaultSpecError
from release_kit_sandbox.github.state import GitHubState
from release_kit_sandbox.github.webhooks import NAME, Failure, Webhooks, WebhookSpecError


class Logged(Protocol):
    """A row of the request log (``server.RequestRecord``)."""

    @property
    def seq(self) -> int: ...

    def to_json(self, bodies: bool = False) -> dict[str, Any]: ...


class ControlledEmulator(Protocol):
    """What this API reads and changes of the emulator (``server.GitHubEmulator``, which calls
    :func:`serve` with itself: the server knows its control API, not the other way round)."""

    state: GitHubState
    faults: Faults
    webhooks: Webhooks

    @property
    def requests(self) -> Sequence[Logged]: ...

    def add_fault(self, fault: Fault) -> Fault: ...

    def clear_faults(self) -> None: ...

    def clear_requests(self) -> None: ...

    def set_collaborators(self, repo: str, logins: Iterable[str] | None) -> None: ...

    def collaborators(self, repo: str) -> list[str] | None: ...

PREFIX = "/_sandbox"
_COLLABORATORS = re.compile(r"^/_sandbox/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/collaborators$")
_FAULT = re.compile(r"^/_sandbox/faults/(?P<id>[0-9]+)$")
_WEBHOOK = re.compile(r"^/_sandbox/webhooks/(?P<name>[^/]+)(?P<failures>/failures)?$")

Answer = tuple[int, dict[str, str], bytes]


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def is_control(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def _answer(status: int, body: Any = None) -> Answer:
    payload = b"" if body is None else json.dumps(body).encode()
    return status, {"Content-Type": "application/json; charset=utf-8"}, payload


def _json(body: bytes) -> Any:
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except ValueError as exc:
        raise _Refused(400, f"the body is not JSON: {exc}") from exc


def _object(body: bytes) -> dict[str, Any]:
    data = _json(body)
    if not isinstance(data, dict):
        raise _Refused(422, "the body must be a JSON object")
    return data


def _flag(query: dict[str, list[str]], name: str) -> bool:
    value = (query.get(name) or [""])[-1].lower()
    return value in {"1", "true", "yes"}


def serve(emu: ControlledEmulator, method: str, path: str, query: dict[str, list[str]],
          body: bytes, *, headers: dict[str, str] | None = None) -> Answer:
    """Answer one control request (``path`` starts with ``/_sandbox``)."""
    try:
        if path == PREFIX + "/webhooks" or path.startswith(PREFIX + "/webhooks/"):
            return _webhooks(emu, method, path, body, headers or {})
        return _route(emu, method, path, query, body)
    except _Refused as refused:
        return _answer(refused.status, {"message": refused.message})


def _webhooks(emu: ControlledEmulator, method: str, path: str, body: bytes,
              headers: dict[str, str]) -> Answer:
    hooks = emu.webhooks
    if path == PREFIX + "/webhooks":
        if method == "GET":
            return _answer(200, hooks.names())
        if method == "DELETE":
            hooks.clear()
            return _answer(204)
        raise _Refused(405, "use GET or DELETE on /_sandbox/webhooks")
    m = _WEBHOOK.match(path)
    if m is None or not NAME.fullmatch(m.group("name")):
        raise _Refused(404, "a webhook name is 1-64 letters, digits, '.', '_' or '-'")
    name = m.group("name")
    if m.group("failures"):
        if method == "POST":
            try:
                failure = Failure.from_json(_json(body))
            except (WebhookSpecError, TypeError) as exc:
                raise _Refused(422, f"invalid failure: {exc}") from exc
            return _answer(201, hooks.arm(name, failure).to_json())
        if method == "DELETE":
            hooks.disarm(name)
            return _answer(204)
        raise _Refused(405, f"use POST or DELETE on /_sandbox/webhooks/{name}/failures")
    if method == "POST":
        return hooks.receive(name, headers, body)
    if method == "GET":
        return _answer(200, hooks.describe(name))
    if method == "DELETE":
        hooks.clear(name)
        return _answer(204)
    raise _Refused(405, f"use POST, GET or DELETE on /_sandbox/webhooks/{name}")


def _route(emu: ControlledEmulator, method: str, path: str, query: dict[str, list[str]],
           body: bytes) -> Answer:
    if path == PREFIX + "/faults":
        if method == "GET":
            return _answer(200, [f.to_json() for f in emu.faults.active()])
        if method == "POST":
            try:
                fault = emu.add_fault(Fault.from_json(_json(body)))
            except FaultSpecError as exc:
                raise _Refused(422, f"invalid fault: {exc}") from exc
            return _answer(201, fault.to_json())
        if method == "DELETE":
            emu.clear_faults()
            return _answer(204)
        raise _Refused(405, "use GET, POST or DELETE on /_sandbox/faults")
    if m := _FAULT.match(path):
        if method != "DELETE":
            raise _Refused(405, "use DELETE on /_sandbox/faults/{id}")
        if not emu.faults.remove(int(m.group("id"))):
            raise _Refused(404, f"no active fault {m.group('id')}")
        return _answer(204)
    if path == PREFIX + "/requests":
        if method == "GET":
            since_text = (query.get("since") or ["0"])[-1]
            try:
                since = int(since_text or "0")
            except ValueError as exc:
                raise _Refused(422, f"since must be a request seq number, got {since_text!r}") \
                    from exc
            bodies = _flag(query, "bodies")
            rows = [r.to_json(bodies=bodies) for r in emu.requests if r.seq > since]
            return _answer(200, rows)
        if method == "DELETE":
            emu.clear_requests()
            return _answer(204)
        raise _Refused(405, "use GET or DELETE on /_sandbox/requests")
    if path == PREFIX + "/users":
        if method != "POST":
            raise _Refused(405, "use POST on /_sandbox/users")
        return _answer(201, _add_user(emu, _object(body)))
    if m := _COLLABORATORS.match(path):
        if method != "PUT":
            raise _Refused(405, "use PUT on /_sandbox/repos/{owner}/{repo}/collaborators")
        full_name = f"{m.group('owner')}/{m.group('repo')}"
        data = _object(body)
        if set(data) != {"logins"}:
            raise _Refused(422, 'the body must be {"logins": [LOGIN, ...]} or {"logins": null}')
        logins = data["logins"]
        if logins is not None and (
            not isinstance(logins, list) or not all(isinstance(x, str) and x for x in logins)
        ):
            raise _Refused(422, "logins must be a list of logins, or null for every known user")
        try:
            emu.set_collaborators(full_name, logins)
        except KeyError as exc:
            raise _Refused(404, f"no repository {full_name}") from exc
        return _answer(200, {"repository": full_name,
                             "collaborators": emu.collaborators(full_name)})
    raise _Refused(404, f"no sandbox control endpoint {method} {path}")


def _add_user(emu: ControlledEmulator, data: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(data) - {"login", "name", "email", "type"})
    if unknown:
        raise _Refused(422, f"unknown field(s) {', '.join(unknown)}; known: email, login, "
                            "name, type")
    login = data.get("login")
    if not isinstance(login, str) or not login.strip():
        raise _Refused(422, 'login is required: {"login": "alice"}')
    kind = data.get("type", "User")
    if kind not in {"User", "Bot", "Organization"}:
        raise _Refused(422, f"type must be User, Bot or Organization, got {kind!r}")
    for name in ("name", "email"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise _Refused(422, f"{name} must be a string")
    user = emu.state.add_user(login.strip(), type=kind, name=data.get("name"),
                              email=data.get("email"))
    return {"login": user.login, "id": user.id, "type": user.type}
