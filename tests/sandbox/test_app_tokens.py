"""GitHub App installation tokens in the emulator: scoped as GitHub scopes them.

``POST /app/installations/{id}/access_tokens`` takes ``repositories`` (names) or
``repository_ids`` and ``permissions``; the token then reaches only those repositories with only
those permissions. Outside its scope GitHub answers like this, and so does the emulator:

- a private repository is invisible: 404 Not Found, for reads and writes;
- a public repository reads as it does for anyone, and a write gets 403 "Resource not
  accessible by integration";
- asking for a repository the installation does not cover (or that does not exist) is 422
  "There is at least one repository that does not exist or is not accessible to the parent
  installation."; asking for a permission the App lacks is 422 too.
"""

from __future__ import annotations

from typing import Any

import pytest
from github import Auth

from release_kit_sandbox import GitHubEmulator
from tests.keys import rsa_pem
from tests.sandbox.test_protocol import call

NOT_IN_INSTALLATION = ("There is at least one repository that does not exist or is not "
                       "accessible to the parent installation.")


@pytest.fixture(scope="module")
def pem() -> str:
    return rsa_pem()


@pytest.fixture
def emu(github_emulator: GitHubEmulator, pem: str) -> GitHubEmulator:
    for name, private in (("acme/web", True), ("acme/secret", True), ("acme/docs", False),
                          ("globex/billing", True)):
        github_emulator.create_repo(name, private=private)
    github_emulator.add_app(55, pem, installations={"acme": 550, "globex": 551},
                            permissions={"contents": "write", "issues": "write",
                                         "pull_requests": "write", "actions": "write",
                                         "metadata": "read"})
    return github_emulator


def mint(emu: GitHubEmulator, pem: str, body: dict[str, Any] | None,
         installation: int = 550) -> tuple[int, Any]:
    jwt = Auth.AppAuth(55, pem).token
    status, _, data = call(emu, "POST", f"/app/installations/{installation}/access_tokens",
                           body or {}, token=jwt, scheme="Bearer")
    return status, data


def test_a_token_for_one_repository_reaches_that_one_only(emu: GitHubEmulator, pem: str) -> None:
    status, minted = mint(emu, pem, {"repositories": ["web"], "permissions": {"issues": "write"}})
    assert status == 201, minted
    assert minted["repository_selection"] == "selected"
    assert [r["full_name"] for r in minted["repositories"]] == ["acme/web"]
    assert minted["permissions"] == {"issues": "write"}
    token = minted["token"]

    assert call(emu, "GET", "/repos/acme/web", token=token)[0] == 200
    assert call(emu, "POST", "/repos/acme/web/issues", {"title": "in scope"}, token=token)[0] == 201
    # Another private repository of the same installation: invisible, as on GitHub.
    assert call(emu, "GET", "/repos/acme/secret", token=token)[0] == 404
    assert call(emu, "POST", "/repos/acme/secret/issues", {"title": "x"}, token=token)[0] == 404
    # A public one: readable as for anyone, never writable.
    assert call(emu, "GET", "/repos/acme/docs/issues", token=token)[0] == 200
    status, _, error = call(emu, "POST", "/repos/acme/docs/issues", {"title": "x"}, token=token)
    assert (status, error["message"]) == (403, "Resource not accessible by integration")
    # In scope but not granted: contents write was not asked for.
    assert call(emu, "POST", "/repos/acme/web/git/refs",
                {"ref": "refs/heads/x", "sha": "0" * 40}, token=token)[0] == 403
    status, _, listed = call(emu, "GET", "/installation/repositories", token=token)
    assert status == 200 and listed["repository_selection"] == "selected"
    assert [r["full_name"] for r in listed["repositories"]] == ["acme/web"]


def test_without_repositories_the_token_covers_the_installation(emu: GitHubEmulator,
                                                                pem: str) -> None:
    status, minted = mint(emu, pem, None)
    assert status == 201 and minted["repository_selection"] == "all"
    assert "repositories" not in minted
    token = minted["token"]
    for name in ("acme/web", "acme/secret"):
        assert call(emu, "GET", f"/repos/{name}", token=token)[0] == 200
    assert call(emu, "GET", "/repos/globex/billing", token=token)[0] == 404  # other account


def test_repository_ids_scope_like_names(emu: GitHubEmulator, pem: str) -> None:
    secret = emu.repo("acme/secret")
    status, minted = mint(emu, pem, {"repository_ids": [secret.id]})
    assert status == 201, minted
    assert call(emu, "GET", "/repos/acme/secret", token=minted["token"])[0] == 200
    assert call(emu, "GET", "/repos/acme/web", token=minted["token"])[0] == 404


@pytest.mark.parametrize("body", [
    {"repositories": ["nope"]},  # does not exist
    {"repositories": ["billing"]},  # another installation's repository
    {"repositories": ["web", "nope"]},  # one bad name spoils the request
    {"repository_ids": [999999]},
])
def test_a_repository_outside_the_installation_is_refused(emu: GitHubEmulator, pem: str,
                                                          body: dict[str, Any]) -> None:
    status, error = mint(emu, pem, body)
    assert (status, error["message"]) == (422, NOT_IN_INSTALLATION)
    assert len(emu.state.tokens) == 1  # only the sandbox's default token: nothing was minted


def test_a_permission_the_app_lacks_is_refused(emu: GitHubEmulator, pem: str) -> None:
    status, error = mint(emu, pem, {"repositories": ["web"],
                                    "permissions": {"deployments": "write"}})
    assert status == 422
    assert error["message"] == "The permissions requested are not granted to this installation."
