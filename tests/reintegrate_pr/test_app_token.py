"""reintegrate-pr with a GitHub App: one token, for this repository, with what the PR needs.

The repository is private, so a token minted for another repository (or without one of the
permissions the run uses) would fail the run with the emulator's 404/403, as on GitHub.
"""

from __future__ import annotations

from tests.keys import rsa_pem
from tests.reintegrate_pr.world import HEAD, World

APP_ID = 42


def test_the_app_token_is_minted_for_this_repository_with_three_permissions(world: World):
    pem = rsa_pem()
    world.repo.private = True
    world.emu.create_repo("acme/other", private=True)
    world.emu.add_app(APP_ID, pem, installations={"acme": 420})
    fix = world.hotfix("alice", "fix/crash", {2: "line 3 fixed"}, "Fix crash on empty cart")

    result = world.run({"app-id": str(APP_ID), "app-private-key": pem})

    assert result.exit_code == 0, result
    assert result.outputs["result"] == "created"
    minted = [r for r in world.requests_of_last_run() if r.path.endswith("/access_tokens")]
    assert [(r.path, r.request_json) for r in minted] == [(
        "/app/installations/420/access_tokens",
        {"repositories": ["web"],
         "permissions": {"contents": "write", "pull_requests": "write", "issues": "write"}},
    )]
    assert minted[0].response_json["repository_selection"] == "selected"
    [pull] = world.pulls()
    assert pull.user.login == f"sandbox-app-{APP_ID}[bot]" and pull.head.ref == HEAD
    # an App's events start workflows: no warning that the PR's checks will not start
    assert [w.title for w in result.warnings] == []
    assert f"#{fix}" in pull.body
    assert [label.name for label in pull.labels] == ["reintegration"]
    assert [u.login for u in pull.requested_reviewers] == ["alice"]
    token = minted[0].response_json["token"]
    assert world.emu.state.tokens[token].reaches("acme", "web")
    assert not world.emu.state.tokens[token].reaches("acme", "other")
