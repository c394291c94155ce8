"""release-ticket with a GitHub App: one token per repository, with only what that use needs.

Every repository is private here, so a token minted for the wrong repository (or without the
permission the use needs) fails the run with the emulator's 404/403, as on GitHub.
"""

from __future__ import annotations

from typing import Any

import pytest

from release_kit_sandbox import Sandbox
from tests.keys import rsa_pem
from tests.release_ticket.helpers import TICKETS, issues, setup, ticket_action

APP_ID = 41


@pytest.fixture(scope="module")
def pem() -> str:
    return rsa_pem()


@pytest.fixture
def world(sandbox: Sandbox, pem: str) -> Sandbox:
    for name in (TICKETS, "acme/web", "acme/api", "globex/billing"):
        sandbox.github.create_repo(name, private=True)
    setup(sandbox)
    sandbox.github.add_app(APP_ID, pem, installations={"acme": 410, "globex": 411})
    for target in ("acme/api", "globex/billing"):
        sandbox.github.set_workflow(target, "release.yml", dispatch_inputs=["release-ticket"])
    return sandbox


def minted(sandbox: Sandbox, since: int = 0) -> list[tuple[str, Any]]:
    """(installation path, request body) of every token minted after request ``since``."""
    return [(r.path, r.request_json) for r in sandbox.github.requests[since:]
            if r.path.endswith("/access_tokens")]


def issues_write(name: str) -> dict[str, Any]:
    return {"repositories": [name], "permissions": {"issues": "write"}}


def test_open_mints_issues_for_the_ticket_repo_and_actions_for_each_target(
        world: Sandbox, pem: str) -> None:
    result = ticket_action(world, "open", app_id=str(APP_ID), app_private_key=pem,
                           targets=["acme/api:release.yml@main",
                                    "globex/billing:release.yml@main"])
    assert result.exit_code == 0, result
    assert sorted(minted(world), key=str) == sorted([
        ("/app/installations/410/access_tokens", issues_write("releases")),
        ("/app/installations/410/access_tokens",
         {"repositories": ["api"], "permissions": {"actions": "write"}}),
        ("/app/installations/411/access_tokens",
         {"repositories": ["billing"], "permissions": {"actions": "write"}}),
    ], key=str)
    assert sorted(d.repo for d in world.github.dispatches) == ["acme/api", "globex/billing"]
    assert issues(world)[0].user == f"sandbox-app-{APP_ID}[bot]"


def test_report_and_close_mint_one_token_for_the_ticket_repo(world: Sandbox, pem: str) -> None:
    auth = {"app_id": str(APP_ID), "app_private_key": pem}
    assert ticket_action(world, "open", **auth).exit_code == 0
    for operation, extra in (("report", {"stage": "build", "status": "success"}),
                             ("close", {})):
        since = len(world.github.requests)
        result = ticket_action(world, operation, **auth, **extra)
        assert result.exit_code == 0, result
        assert minted(world, since) == [("/app/installations/410/access_tokens",
                                         issues_write("releases"))]


def test_notify_failure_without_a_ticket_mints_issues_for_the_failing_repo(
        world: Sandbox, pem: str) -> None:
    result = ticket_action(world, "notify-failure", stage="build", app_id=str(APP_ID),
                           app_private_key=pem, repository="acme/web")
    assert result.exit_code == 0, result
    assert result.outputs["issue-number"] == "1"
    assert minted(world) == [("/app/installations/410/access_tokens", issues_write("releases")),
                             ("/app/installations/410/access_tokens", issues_write("web"))]
    [failure] = issues(world, "acme/web")
    assert failure.user == f"sandbox-app-{APP_ID}[bot]"
    assert issues(world) == []  # nothing in the ticket repository


def test_a_token_for_the_ticket_repo_cannot_reach_the_failing_repo(world: Sandbox,
                                                                   pem: str) -> None:
    """The scoping the tests above rely on: the ticket token sees no other repository."""
    assert ticket_action(world, "open", app_id=str(APP_ID), app_private_key=pem).exit_code == 0
    [token] = [r.response_json["token"] for r in world.github.requests
               if r.path.endswith("/access_tokens")]
    from tests.sandbox.test_protocol import call

    assert call(world.github, "GET", f"/repos/{TICKETS}", token=token)[0] == 200
    assert call(world.github, "GET", "/repos/acme/web", token=token)[0] == 404
    assert call(world.github, "POST", "/repos/acme/web/issues", {"title": "x"},
                token=token)[0] == 404
