"""GitHub's limits as the emulator enforces them: body lengths (with each resource's own 422) and
who can be assigned in a repository (collaborators, never bots)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from release_kit_sandbox import GitHubEmulator

from .contract import problems
from .gitutil import api, branch, clone, commit, push

R = "/repos/acme/web"
ISSUE_MAX = 65536
RELEASE_MAX = 125000


@pytest.fixture
def emu(github_emulator: GitHubEmulator) -> GitHubEmulator:
    github_emulator.create_repo("acme/web")
    github_emulator.create_repo("acme/api")
    github_emulator.add_user("alice")
    github_emulator.add_user("bob")
    return github_emulator


def gh(emu: GitHubEmulator, method: str, path: str, body: Any = None
       ) -> tuple[int, dict[str, str], Any]:
    return api(emu.url, method, path, body, token=emu.default_token)


def too_long(resource: str, code: str, field: str, message: str) -> dict[str, Any]:
    return {"resource": resource, "code": code, "field": field, "message": message}


def refused(emu: GitHubEmulator, method: str, path: str, body: Any) -> list[dict[str, Any]]:
    status, _, answer = gh(emu, method, path, body)
    assert status == 422, answer
    assert answer["message"] == "Validation Failed"
    errors: list[dict[str, Any]] = answer["errors"]
    return errors


ISSUE_TOO_LONG = too_long("Issue", "custom", "body",
                          "body is too long (maximum is 65536 characters)")


# -- body lengths -------------------------------------------------------------------------------


def test_issue_body_limit_on_create_and_edit(emu: GitHubEmulator) -> None:
    assert refused(emu, "POST", R + "/issues",
                   {"title": "t", "body": "x" * (ISSUE_MAX + 1)}) == [ISSUE_TOO_LONG]
    assert emu.repo("acme/web").issues == {}
    status, _, created = gh(emu, "POST", R + "/issues", {"title": "t", "body": "é" * ISSUE_MAX})
    assert status == 201  # the maximum itself is allowed, counted in characters
    assert len(created["body"]) == ISSUE_MAX
    errors = refused(emu, "PATCH", R + "/issues/1",
                     {"title": "changed", "body": "y" * (ISSUE_MAX + 1), "labels": ["new"]})
    assert errors == [ISSUE_TOO_LONG]
    issue = emu.repo("acme/web").issues[1]
    assert (issue.title, issue.body, issue.labels) == ("t", "é" * ISSUE_MAX, [])
    assert emu.repo("acme/web").label("new") is None  # nothing half-applied
    assert gh(emu, "PATCH", R + "/issues/1", {"body": "short"})[0] == 200
    assert problems(emu.requests) == []


def test_pull_body_limit_on_create_and_edit(emu: GitHubEmulator, tmp_path: Path) -> None:
    work = clone(emu.repo("acme/web").git_dir, tmp_path / "w")
    branch(work, "feature")
    commit(work, {"f.txt": "f\n"}, "feat: f")
    push(work, "feature")
    pull = {"title": "T", "head": "feature", "base": "main", "body": "x" * (ISSUE_MAX + 1)}
    assert refused(emu, "POST", R + "/pulls", pull) == [ISSUE_TOO_LONG]
    assert emu.repo("acme/web").pulls() == []
    assert gh(emu, "POST", R + "/pulls", {**pull, "body": "ok"})[0] == 201
    errors = refused(emu, "PATCH", R + "/pulls/1",
                     {"title": "changed", "state": "closed", "body": "x" * (ISSUE_MAX + 1)})
    assert errors == [ISSUE_TOO_LONG]
    item = emu.repo("acme/web").issues[1]
    assert (item.title, item.body, item.state) == ("T", "ok", "open")
    assert problems(emu.requests) == []


def test_comment_body_limit_on_create_and_edit(emu: GitHubEmulator) -> None:
    assert gh(emu, "POST", R + "/issues", {"title": "t"})[0] == 201
    errors = refused(emu, "POST", R + "/issues/1/comments", {"body": "x" * (ISSUE_MAX + 1)})
    assert errors == [too_long("IssueComment", "unprocessable", "data",
                               "Body is too long (maximum is 65536 characters)")]
    assert emu.repo("acme/web").comments == {}
    status, _, comment = gh(emu, "POST", R + "/issues/1/comments", {"body": "x" * ISSUE_MAX})
    assert status == 201
    errors = refused(emu, "PATCH", f"{R}/issues/comments/{comment['id']}",
                     {"body": "y" * (ISSUE_MAX + 1)})
    assert errors == [too_long("IssueComment", "custom", "body",
                               "body is too long (maximum is 65536 characters)")]
    assert emu.repo("acme/web").comments[comment["id"]].body == "x" * ISSUE_MAX
    assert problems(emu.requests) == []


def test_release_body_limit_on_create_and_edit(emu: GitHubEmulator) -> None:
    release_too_long = too_long("Release", "custom", "body",
                                "body is too long (maximum is 125000 characters)")
    new = {"tag_name": "v1.0.0", "draft": True, "body": "x" * (RELEASE_MAX + 1)}
    assert refused(emu, "POST", R + "/releases", new) == [release_too_long]
    assert emu.repo("acme/web").releases == {}
    status, _, rel = gh(emu, "POST", R + "/releases", {**new, "body": "x" * RELEASE_MAX})
    assert status == 201
    errors = refused(emu, "PATCH", f"{R}/releases/{rel['id']}",
                     {"name": "renamed", "draft": False, "body": "y" * (RELEASE_MAX + 1)})
    assert errors == [release_too_long]
    stored = emu.repo("acme/web").releases[rel["id"]]
    assert (stored.name, stored.draft, len(stored.body or "")) == (None, True, RELEASE_MAX)
    assert emu.repo("acme/web").git.ref_target("refs/tags/v1.0.0") is None  # not published
    assert problems(emu.requests) == []


# -- assignees ----------------------------------------------------------------------------------


def invalid_assignee(login: str, field: str = "assignees") -> dict[str, Any]:
    return {"resource": "Issue", "code": "invalid", "field": field, "value": login}


def test_every_known_user_is_assignable_by_default(emu: GitHubEmulator) -> None:
    status, _, issue = gh(emu, "POST", "/repos/acme/api/issues",
                          {"title": "t", "assignees": ["alice", "bob"]})
    assert status == 201
    assert [a["login"] for a in issue["assignees"]] == ["alice", "bob"]
    _, _, listed = gh(emu, "GET", R + "/assignees")
    assert [u["login"] for u in listed] == ["alice", "bob"]  # no bot, no organization
    assert gh(emu, "GET", R + "/assignees/alice")[0] == 204
    assert problems(emu.requests) == []


def test_bots_and_unknown_users_cannot_be_assigned(emu: GitHubEmulator) -> None:
    for login in ("github-actions[bot]", "ghost", "acme"):
        assert refused(emu, "POST", R + "/issues",
                       {"title": "t", "assignees": ["alice", login]}) == [invalid_assignee(login)]
        assert gh(emu, "GET", f"{R}/assignees/{login}")[0] == 404
    assert refused(emu, "POST", R + "/issues",
                   {"title": "t", "assignee": "github-actions[bot]"}) == [
        invalid_assignee("github-actions[bot]", "assignee")
    ]
    assert emu.repo("acme/web").issues == {}
    assert problems(emu.requests) == []


def test_a_repository_restricted_to_its_collaborators(emu: GitHubEmulator) -> None:
    emu.set_collaborators("acme/web", ["bob", "carol"])
    assert emu.collaborators("acme/web") == ["bob", "carol"]
    assert emu.collaborators("acme/api") is None
    assert refused(emu, "POST", R + "/issues",
                   {"title": "t", "assignees": ["alice"]}) == [invalid_assignee("alice")]
    assert gh(emu, "POST", "/repos/acme/api/issues", {"title": "t", "assignees": ["alice"]}
              )[0] == 201  # another repository is not restricted
    assert gh(emu, "GET", R + "/assignees/alice")[0] == 404
    assert gh(emu, "GET", R + "/assignees/carol")[0] == 204  # added as a user
    assert [u["login"] for u in gh(emu, "GET", R + "/assignees")[2]] == ["bob", "carol"]
    status, _, issue = gh(emu, "POST", R + "/issues", {"title": "t", "assignees": ["bob"]})
    assert status == 201
    errors = refused(emu, "PATCH", R + "/issues/1", {"title": "new", "assignees": ["alice"]})
    assert errors == [invalid_assignee("alice")]
    stored = emu.repo("acme/web").issues[1]
    assert (stored.title, stored.assignees) == ("t", ["bob"])
    # adding assignees ignores those who cannot be assigned, as GitHub does
    status, _, issue = gh(emu, "POST", R + "/issues/1/assignees",
                          {"assignees": ["alice", "carol"]})
    assert status == 201
    assert [a["login"] for a in issue["assignees"]] == ["bob", "carol"]
    emu.set_collaborators("acme/web", None)
    assert gh(emu, "GET", R + "/assignees/alice")[0] == 204
    assert problems(emu.requests) == []


def test_a_user_owner_is_assignable_in_their_repository(emu: GitHubEmulator) -> None:
    emu.create_repo("alice/dotfiles")
    emu.set_collaborators("alice/dotfiles", [])
    assert gh(emu, "GET", "/repos/alice/dotfiles/assignees/alice")[0] == 204
    assert gh(emu, "GET", "/repos/alice/dotfiles/assignees/bob")[0] == 404


def test_reviewers_must_be_collaborators(emu: GitHubEmulator, tmp_path: Path) -> None:
    work = clone(emu.repo("acme/web").git_dir, tmp_path / "w")
    branch(work, "feature")
    commit(work, {"f.txt": "f\n"}, "feat: f")
    push(work, "feature")
    assert gh(emu, "POST", R + "/pulls", {"title": "T", "head": "feature", "base": "main"}
              )[0] == 201
    emu.set_collaborators("acme/web", ["bob"])
    status, _, body = gh(emu, "POST", R + "/pulls/1/requested_reviewers",
                         {"reviewers": ["alice"]})
    assert status == 422
    assert "not a collaborator of the acme/web repository" in body["message"]
    assert gh(emu, "POST", R + "/pulls/1/requested_reviewers", {"reviewers": ["bob"]})[0] == 201


def test_collaborators_and_users_over_http(emu: GitHubEmulator) -> None:
    status, _, user = api(emu.url, "POST", "/_sandbox/users", {"login": "dave"})
    assert (status, user["login"], user["type"]) == (201, "dave", "User")
    status, _, answer = api(emu.url, "PUT", "/_sandbox/repos/acme/web/collaborators",
                            {"logins": ["dave", "erin"]})
    assert (status, answer) == (200, {"repository": "acme/web",
                                      "collaborators": ["dave", "erin"]})
    assert gh(emu, "GET", R + "/assignees/alice")[0] == 404
    assert gh(emu, "GET", R + "/assignees/erin")[0] == 204
    status, _, answer = api(emu.url, "PUT", "/_sandbox/repos/acme/web/collaborators",
                            {"logins": None})
    assert (status, answer["collaborators"]) == (200, None)
    assert gh(emu, "GET", R + "/assignees/alice")[0] == 204
    assert api(emu.url, "PUT", "/_sandbox/repos/acme/nope/collaborators",
               {"logins": []})[0] == 404
    assert api(emu.url, "PUT", "/_sandbox/repos/acme/web/collaborators",
               {"logins": "alice"})[0] == 422
    assert api(emu.url, "PUT", "/_sandbox/repos/acme/web/collaborators", {})[0] == 422
    assert api(emu.url, "POST", "/_sandbox/users", {"login": ""})[0] == 422
    assert api(emu.url, "POST", "/_sandbox/users", {"login": "x", "type": "Robot"})[0] == 422
    status, _, bot = api(emu.url, "POST", "/_sandbox/users",
                         {"login": "renovate[bot]", "type": "Bot"})
    assert (status, bot["type"]) == (201, "Bot")
    assert gh(emu, "GET", R + "/assignees/renovate[bot]")[0] == 404
