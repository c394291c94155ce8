"""``GET /user``, ``GET /users/{login}``, ``GET /rate_limit``."""

from __future__ import annotations

import time
from typing import Any

from release_kit_sandbox.github import render
from release_kit_sandbox.github.http import Request, not_found, route
from release_kit_sandbox.github.state import GitHubState


@route("GET", "/user")
def get_authenticated_user(state: GitHubState, req: Request) -> Any:
    user = state.user(req.login) or state.add_user(req.login)
    return render.public_user(state, user, private=True)


@route("GET", "/users/{login}")
def get_user(state: GitHubState, req: Request) -> Any:
    user = state.user(req.params["login"])
    if user is None:
        raise not_found()
    return render.public_user(state, user)


@route("GET", "/rate_limit")
def rate_limit(state: GitHubState, req: Request) -> Any:
    reset = (int(time.time()) // 3600 + 1) * 3600
    core = {"limit": 5000, "used": 0, "remaining": 5000, "reset": reset}
    return {"resources": {"core": core, "search": core, "graphql": core}, "rate": core}
