"""Fidelity contract: the emulator's responses against GitHub's REST description.

``test_tour_matches_github`` drives every registered route itself (so it does not depend on
test order); ``test_all_served_responses_match_github`` is moved to the end of the session by
``tests/conftest.py`` and checks everything any test made the emulator serve.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from github import Auth

from release_kit_sandbox import GitHubEmulator, Sandbox
from release_kit_sandbox.github.routes import router

from .contract import CONTRACT, problems
from .gitutil import branch, clone, commit, push


class Client:
    def __init__(self, emu: GitHubEmulator, token: str, scheme: str = "token") -> None:
        self.emu, self.auth = emu, f"{scheme} {token}"

    def __call__(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.emu.url + path, data=data, method=method,
                                     headers={"Authorization": self.auth})
        try:
            with urllib.request.urlopen(req) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        assert status == expect, f"{method} {path}: {status} {raw[:300]!r}"
        return json.loads(raw) if raw else None


def test_every_route_has_a_contract() -> None:
    registered = {(r.method, r.pattern) for r in router.routes}
    assert registered - set(CONTRACT) == set()
    assert set(CONTRACT) - registered == set()


def test_tour_matches_github(github_emulator: GitHubEmulator, tmp_path: Path) -> None:
    emu = github_emulator
    repo = emu.create_repo("acme/web")
    emu.add_user("alice")
    work = clone(repo.git_dir, tmp_path / "w")
    branch(work, "feature")
    commit(work, {"f.txt": "f\n"}, "feat: f")
    push(work, "feature")
    call = Client(emu, emu.default_token)
    r = "/repos/acme/web"

    call("GET", "/user")
    call("GET", "/users/alice")
    call("GET", "/users/ghost", expect=404)
    call("GET", "/rate_limit")
    call("GET", r)
    call("GET", r + "/branches")
    main = call("GET", r + "/branches/main")["commit"]["sha"]
    call("GET", r + "/commits?sha=feature")
    call("GET", r + "/commits/feature")
    call("GET", r + "/compare/main...feature")
    call("POST", r + "/git/refs", {"ref": "refs/heads/tmp", "sha": main}, expect=201)
    call("POST", r + "/git/refs", {"ref": "refs/heads/tmp", "sha": main}, expect=422)
    call("GET", r + "/git/ref/heads/tmp")
    call("GET", r + "/git/refs/heads/tmp")
    call("GET", r + "/git/refs/heads")
    call("GET", r + "/git/refs")
    call("GET", r + "/git/matching-refs")
    call("GET", r + "/git/matching-refs/heads/t")
    feature = call("GET", r + "/git/ref/heads/feature")["object"]["sha"]
    call("PATCH", r + "/git/refs/heads/tmp", {"sha": feature})
    call("PATCH", r + "/git/refs/heads/tmp", {"sha": main}, expect=422)
    call("DELETE", r + "/git/refs/heads/tmp", expect=204)
    tag = call("POST", r + "/git/tags", {"tag": "v0.1.0", "message": "m", "object": main,
                                         "type": "commit"}, expect=201)
    call("GET", r + f"/git/tags/{tag['sha']}")
    call("GET", r + f"/git/commits/{main}")
    call("POST", r + "/git/refs", {"ref": "refs/tags/v0.1.0", "sha": tag["sha"]}, expect=201)
    call("GET", r + "/tags")
    call("GET", r + "/contents")
    readme = call("GET", r + "/contents/README.md")
    put = {"message": "m", "content": base64.b64encode(b"x").decode(), "sha": readme["sha"]}
    written = call("PUT", r + "/contents/README.md", put)
    call("PUT", r + "/contents/new.txt", {"message": "m", "content": "eA=="}, expect=201)
    call("DELETE", r + "/contents/README.md",
         {"message": "rm", "sha": written["content"]["sha"]})
    call("POST", r + "/merges", {"base": "main", "head": "feature"}, expect=201)
    call("POST", r + "/merges", {"base": "main", "head": "feature"}, expect=204)

    call("POST", r + "/issues", {"title": "t", "labels": ["bug"], "assignees": ["alice"]},
         expect=201)
    call("POST", r + "/issues", {"title": "t", "assignees": ["ghost"]}, expect=422)
    call("GET", r + "/issues?state=all")
    call("GET", r + "/issues/1")
    call("PATCH", r + "/issues/1", {"state": "closed"})
    comment = call("POST", r + "/issues/1/comments", {"body": "hi"}, expect=201)
    call("GET", r + "/issues/1/comments")
    call("GET", r + "/issues/comments")
    call("GET", r + f"/issues/comments/{comment['id']}")
    call("PATCH", r + f"/issues/comments/{comment['id']}", {"body": "edited"})
    call("DELETE", r + f"/issues/comments/{comment['id']}", expect=204)
    call("PUT", r + "/issues/1/lock", expect=204)
    call("POST", r + "/labels", {"name": "deploy", "color": "00ff00"}, expect=201)
    call("GET", r + "/labels")
    call("GET", r + "/labels/deploy")
    call("PATCH", r + "/labels/deploy", {"description": "d"})
    call("POST", r + "/issues/1/labels", {"labels": ["deploy"]})
    call("GET", r + "/issues/1/labels")
    call("PUT", r + "/issues/1/labels", {"labels": ["deploy", "x"]})
    call("DELETE", r + "/issues/1/labels/x")
    call("DELETE", r + "/issues/1/labels", expect=204)
    call("DELETE", r + "/labels/x", expect=204)
    call("GET", r + "/assignees")
    call("GET", r + "/assignees/alice", expect=204)
    call("POST", r + "/issues/1/assignees", {"assignees": ["alice"]}, expect=201)
    call("DELETE", r + "/issues/1/assignees", {"assignees": ["alice"]})

    branch(work, "topic", "origin/main")
    commit(work, {"t.txt": "t\n"}, "feat: t")
    push(work, "topic")
    pr = call("POST", r + "/pulls", {"title": "T", "head": "topic", "base": "main"}, expect=201)
    n = pr["number"]
    call("POST", r + "/pulls", {"title": "T", "head": "topic", "base": "main"}, expect=422)
    call("GET", r + "/pulls")
    call("GET", r + f"/pulls/{n}")
    call("GET", r + f"/pulls/{n}")
    call("PATCH", r + f"/pulls/{n}", {"body": "b"})
    call("GET", r + f"/pulls/{n}/commits")
    call("GET", r + f"/pulls/{n}/files")
    call("POST", r + f"/pulls/{n}/requested_reviewers", {"reviewers": ["alice"]}, expect=201)
    call("GET", r + f"/pulls/{n}/requested_reviewers")
    call("DELETE", r + f"/pulls/{n}/requested_reviewers", {"reviewers": ["alice"]})
    call("GET", r + f"/pulls/{n}/merge", expect=404)
    call("PUT", r + f"/pulls/{n}/merge", {"merge_method": "squash"})
    call("GET", r + f"/pulls/{n}/merge", expect=204)

    draft = call("POST", r + "/releases", {"tag_name": "v1.0.0", "draft": True}, expect=201)
    call("PATCH", r + f"/releases/{draft['id']}", {"draft": False, "name": "v1.0.0"})
    call("GET", r + "/releases")
    call("GET", r + "/releases/latest")
    call("GET", r + "/releases/tags/v1.0.0")
    call("GET", r + f"/releases/{draft['id']}")
    call("GET", r + f"/releases/{draft['id']}/assets")
    call("POST", r + "/releases", {"tag_name": "v1.0.0"}, expect=422)
    call("DELETE", r + f"/releases/{draft['id']}", expect=204)

    dep = call("POST", r + "/deployments", {"ref": "main", "environment": "dev",
                                            "required_contexts": []}, expect=201)
    branch(work, "behind", "origin/main")  # stale: main moved through the API
    commit(work, {"b.txt": "b\n"}, "behind")
    push(work, "behind")
    call("POST", r + "/deployments", {"ref": "behind"}, expect=202)
    status = call("POST", r + f"/deployments/{dep['id']}/statuses", {"state": "success"},
                  expect=201)
    call("GET", r + "/deployments?environment=dev")
    call("GET", r + f"/deployments/{dep['id']}")
    call("GET", r + f"/deployments/{dep['id']}/statuses")
    call("GET", r + f"/deployments/{dep['id']}/statuses/{status['id']}")
    call("DELETE", r + f"/deployments/{dep['id']}", expect=204)

    emu.set_workflow("acme/web", "deploy.yml", dispatch_inputs=["payload"])
    call("POST", r + "/dispatches", {"event_type": "go"}, expect=204)
    call("GET", r + "/actions/workflows")
    call("GET", r + "/actions/workflows/deploy.yml")
    call("POST", r + "/actions/workflows/deploy.yml/dispatches", {"ref": "main"}, expect=204)

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    emu.add_app(app_id=9, private_key_pem=pem, installations={"acme": 90})
    app = Client(emu, Auth.AppAuth(9, pem).token, scheme="Bearer")
    app("GET", "/app")
    app("GET", "/app/installations")
    app("GET", "/app/installations/90")
    app("GET", r + "/installation")
    app("GET", "/orgs/acme/installation")
    app("GET", "/users/acme/installation")
    minted = app("POST", "/app/installations/90/access_tokens", expect=201)
    Client(emu, minted["token"])("GET", "/installation/repositories")
    scoped = app("POST", "/app/installations/90/access_tokens",
                 {"repositories": ["web"], "permissions": {"issues": "write"}}, expect=201)
    Client(emu, scoped["token"])("GET", "/installation/repositories")

    served = {(rec.method, rec.route) for rec in emu.requests if rec.status < 500}
    assert set(CONTRACT) - served == set()  # the tour visits every route
    found = problems(emu.requests)
    assert found == [], "\n".join(found)


def test_contract_catches_a_wrong_shape(github_emulator: GitHubEmulator) -> None:
    """The checker itself must be able to fail: a broken issue body is reported."""
    github_emulator.create_repo("acme/web")
    Client(github_emulator, github_emulator.default_token)(
        "POST", "/repos/acme/web/issues", {"title": "t"}, expect=201
    )
    record = github_emulator.requests[-1]
    assert problems([record]) == []
    broken = dict(record.response_json)
    del broken["number"]
    broken["user"] = "not-a-user"
    found = problems([dataclasses.replace(record, response_json=broken)])
    assert len(found) == 1
    assert "number" in found[0]


@pytest.mark.timeout(60)
def test_all_served_responses_match_github(sandbox_session: Sandbox) -> None:
    """Runs last (see tests/conftest.py): every response served during the session."""
    records = list(sandbox_session.github.all_requests)
    assert records, "no responses recorded"
    found = problems(records)
    assert found == [], "\n".join(found[:50])
