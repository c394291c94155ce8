"""GitHub App authentication: the app (JWT), its installations, installation tokens."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from release_kit_sandbox.github import render
from release_kit_sandbox.github.http import ApiError, Request, Response, not_found, paginate, route
from release_kit_sandbox.github.state import ALL_PERMISSIONS, App, GitHubState, Repo

REPO = "/repos/{owner}/{repo}"


def _app(req: Request) -> App:
    assert req.app is not None
    return req.app


def _app_permissions(app: App) -> dict[str, str]:
    return dict(app.permissions or dict.fromkeys(ALL_PERMISSIONS, "write"))


def _installation(state: GitHubState, app: App, account: str, inst_id: int) -> dict[str, Any]:
    owner = state.user(account)
    api = state.base_url
    return {
        "id": inst_id,
        "account": render.simple_user(state, account),
        "repository_selection": "all",
        "access_tokens_url": f"{api}/app/installations/{inst_id}/access_tokens",
        "repositories_url": f"{api}/installation/repositories",
        "html_url": f"{state.server_url}/settings/installations/{inst_id}",
        "app_id": app.app_id,
        "app_slug": app.slug,
        "target_id": owner.id if owner else 0,
        "target_type": "User" if owner and owner.type == "User" else "Organization",
        "permissions": _app_permissions(app),
        "events": [],
        "created_at": app.created_at,
        "updated_at": app.created_at,
        "single_file_name": None,
        "has_multiple_single_files": False,
        "single_file_paths": [],
        "suspended_by": None,
        "suspended_at": None,
    }


def _find(app: App, inst_id: int) -> str:
    for account, ident in app.installations.items():
        if ident == inst_id:
            return account
    raise not_found()


@route("GET", "/app", jwt=True)
def get_app(state: GitHubState, req: Request) -> Any:
    app = _app(req)
    return {
        "id": app.app_id,
        "slug": app.slug,
        "node_id": render.node_id("Integration", app.app_id),
        "client_id": f"Iv1.{app.app_id:016x}",
        "owner": render.simple_user(state, next(iter(app.installations), "sandbox")),
        "name": app.slug,
        "description": "release-kit sandbox app",
        "external_url": state.server_url,
        "html_url": f"{state.server_url}/apps/{app.slug}",
        "created_at": app.created_at,
        "updated_at": app.created_at,
        "permissions": _app_permissions(app),
        "events": [],
        "installations_count": len(app.installations),
    }


@route("GET", "/app/installations", jwt=True)
def list_installations(state: GitHubState, req: Request) -> Response:
    app = _app(req)
    rows = [_installation(state, app, acc, i) for acc, i in app.installations.items()]
    return paginate(state.base_url, req, rows)


@route("GET", "/app/installations/{installation_id:int}", jwt=True)
def get_installation(state: GitHubState, req: Request) -> Any:
    app = _app(req)
    inst = int(req.params["installation_id"])
    return _installation(state, app, _find(app, inst), inst)


NOT_IN_INSTALLATION = ("There is at least one repository that does not exist or is not "
                       "accessible to the parent installation.")


def _selected_repositories(state: GitHubState, account: str, data: dict[str, Any]) -> list[Repo]:
    """The repositories a token is asked for (``repositories`` by name, ``repository_ids``),
    each one of the installation's; an empty list when neither is given (all of them)."""
    names, ids = data.get("repositories") or [], data.get("repository_ids") or []
    if not isinstance(names, list) or not isinstance(ids, list):
        raise ApiError(422, "Invalid request.")
    own = [r for r in state.repos.values() if r.owner.lower() == account.lower()]
    chosen: dict[int, Repo] = {}
    for name in names:
        found = next((r for r in own if r.name.lower() == str(name).lower()), None)
        if found is None:
            raise ApiError(422, NOT_IN_INSTALLATION)
        chosen[found.id] = found
    for ident in ids:
        found = next((r for r in own if r.id == ident), None)
        if found is None:
            raise ApiError(422, NOT_IN_INSTALLATION)
        chosen[found.id] = found
    return list(chosen.values())


@route("POST", "/app/installations/{installation_id:int}/access_tokens", jwt=True)
def create_installation_token(state: GitHubState, req: Request) -> Response:
    app = _app(req)
    inst = int(req.params["installation_id"])
    account = _find(app, inst)
    data = req.data()
    granted = _app_permissions(app)
    wanted = data.get("permissions")
    if isinstance(wanted, dict) and wanted:
        for name, level in wanted.items():
            if name not in granted or (level == "write" and granted[name] == "read"):
                raise ApiError(
                    422, "The permissions requested are not granted to this installation."
                )
        granted = {str(k): str(v) for k, v in wanted.items()}
    selected = _selected_repositories(state, account, data)
    value = "ghs_" + secrets.token_hex(18)
    expires = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    token = state.add_token(
        value,
        login=f"{app.slug}[bot]",
        permissions=granted,
        installation_id=inst,
        expires_at=expires,
        account=account,
        repositories=frozenset(r.name.lower() for r in selected) if selected else None,
    )
    body: dict[str, Any] = {
        "token": value,
        "expires_at": expires,
        "permissions": granted,
        "repository_selection": "selected" if selected else "all",
    }
    if selected:
        body["repositories"] = [render.repository(state, r, token, full=False) for r in selected]
    return Response(201, body)


@route("GET", REPO + "/installation", jwt=True)
def repo_installation(state: GitHubState, req: Request) -> Any:
    app = _app(req)
    owner = req.params["owner"]
    for account, inst in app.installations.items():
        if account.lower() == owner.lower():
            return _installation(state, app, account, inst)
    raise not_found()


@route("GET", "/orgs/{org}/installation", jwt=True)
@route("GET", "/users/{org}/installation", jwt=True)
def owner_installation(state: GitHubState, req: Request) -> Any:
    app = _app(req)
    for account, inst in app.installations.items():
        if account.lower() == req.params["org"].lower():
            return _installation(state, app, account, inst)
    raise not_found()


@route("GET", "/installation/repositories")
def installation_repositories(state: GitHubState, req: Request) -> Any:
    token = req.token
    assert token is not None
    repos = [r for r in state.repos.values() if token.reaches(r.owner, r.name)]
    rows = [render.repository(state, r, token, full=False) for r in repos]
    selection = "all" if token.repositories is None else "selected"
    return {"total_count": len(rows), "repository_selection": selection, "repositories": rows}
