"""Issues, comments, labels and assignees through PyGithub and raw HTTP."""

from __future__ import annotations

import json
import urllib.request

import pytest
from github import Github, GithubException

from release_kit_sandbox import GitHubEmulator

from .gitutil import pygithub


@pytest.fixture
def gh(github_emulator: GitHubEmulator) -> Github:
    github_emulator.create_repo("acme/web")
    github_emulator.add_user("alice")
    github_emulator.add_user("bob")
    return pygithub(github_emulator)


def test_issue_create_get_update(gh: Github, github_emulator: GitHubEmulator) -> None:
    repo = gh.get_repo("acme/web")
    issue = repo.create_issue("Release 1.2.0", body="tracking", labels=["release"],
                              assignees=["alice"])
    assert issue.number == 1
    assert issue.user.login == "github-actions[bot]"
    assert [label.name for label in issue.labels] == ["release"]
    assert [a.login for a in issue.assignees] == ["alice"]
    assert issue.html_url == f"{github_emulator.server_url}/acme/web/issues/1"
    assert issue.created_at.tzinfo is not None
    issue.edit(title="Release 1.2.0 (rc)", body="new", labels=["release", "blocked"])
    again = repo.get_issue(1)
    assert again.title == "Release 1.2.0 (rc)"
    assert again.body == "new"
    assert sorted(label.name for label in again.labels) == ["blocked", "release"]
    again.edit(state="closed", state_reason="not_planned")
    closed = repo.get_issue(1)
    assert closed.state == "closed"
    assert closed.state_reason == "not_planned"
    assert closed.closed_by.login == "github-actions[bot]"
    assert closed.closed_at is not None
    closed.edit(state="open")
    reopened = repo.get_issue(1)
    assert (reopened.state, reopened.state_reason, reopened.closed_at) == ("open", "reopened", None)


def test_issue_unknown_assignee_is_422(gh: Github) -> None:
    repo = gh.get_repo("acme/web")
    with pytest.raises(GithubException) as exc:
        repo.create_issue("x", assignees=["ghost"])
    assert exc.value.status == 422
    assert exc.value.data["errors"][0]["field"] == "assignees"
    assert exc.value.data["errors"][0]["code"] == "invalid"


def test_issue_missing_title_is_422(github_emulator: GitHubEmulator, gh: Github) -> None:
    req = urllib.request.Request(
        f"{github_emulator.url}/repos/acme/web/issues",
        data=json.dumps({"body": "no title"}).encode(),
        method="POST",
        headers={"Authorization": f"token {github_emulator.default_token}"},
    )
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req)
    assert exc.value.code == 422
    body = json.loads(exc.value.read())
    assert body["message"] == "Validation Failed"
    assert body["documentation_url"].startswith("https://docs.github.com/")
    assert body["errors"] == [{"resource": "Issue", "code": "missing_field", "field": "title"}]


def test_issue_list_filters(gh: Github) -> None:
    repo = gh.get_repo("acme/web")
    repo.create_issue("one", labels=["bug"])
    two = repo.create_issue("two", labels=["bug", "release"], assignees=["bob"])
    three = repo.create_issue("three")
    three.edit(state="closed")
    assert [i.number for i in repo.get_issues()] == [2, 1]
    assert [i.number for i in repo.get_issues(state="all", direction="asc")] == [1, 2, 3]
    assert [i.number for i in repo.get_issues(state="closed")] == [3]
    bug_release = repo.get_issues(labels=[repo.get_label("bug"), repo.get_label("release")])
    assert [i.number for i in bug_release] == [2]
    assert [i.number for i in repo.get_issues(assignee="bob")] == [two.number]
    assert [i.number for i in repo.get_issues(assignee="none")] == [1]
    assert [i.number for i in repo.get_issues(creator="github-actions[bot]")] == [2, 1]
    assert [i.number for i in repo.get_issues(creator="alice")] == []


def test_comments_crud(gh: Github) -> None:
    repo = gh.get_repo("acme/web")
    issue = repo.create_issue("Release 1.2.0")
    first = issue.create_comment("status: building")
    issue.create_comment("status: deployed")
    assert [c.body for c in issue.get_comments()] == ["status: building", "status: deployed"]
    first.edit("status: built")
    assert repo.get_issue(1).get_comment(first.id).body == "status: built"
    assert repo.get_issue(1).comments == 2
    first.delete()
    assert [c.body for c in issue.get_comments()] == ["status: deployed"]
    with pytest.raises(GithubException) as exc:
        issue.get_comment(first.id)
    assert exc.value.status == 404


def test_labels(gh: Github) -> None:
    repo = gh.get_repo("acme/web")
    created = repo.create_label("deploy", "0e8a16", "deploy a preview")
    assert (created.name, created.color, created.description) == ("deploy", "0e8a16",
                                                                   "deploy a preview")
    with pytest.raises(GithubException) as exc:
        repo.create_label("Deploy", "ffffff")
    assert exc.value.status == 422
    assert exc.value.data["errors"][0]["code"] == "already_exists"
    issue = repo.create_issue("x")
    issue.add_to_labels("deploy", "deploy/qa1")
    assert [label.name for label in repo.get_issue(1).labels] == ["deploy", "deploy/qa1"]
    issue.remove_from_labels("deploy/qa1")
    assert [label.name for label in repo.get_issue(1).labels] == ["deploy"]
    with pytest.raises(GithubException) as exc:
        issue.remove_from_labels("deploy/qa1")
    assert exc.value.status == 404
    issue.set_labels("minor", "patch")
    assert [label.name for label in repo.get_issue(1).labels] == ["minor", "patch"]
    assert sorted(label.name for label in repo.get_labels()) == [
        "deploy", "deploy/qa1", "minor", "patch"
    ]
    issue.delete_labels()
    assert list(repo.get_issue(1).labels) == []


def test_assignees(gh: Github) -> None:
    repo = gh.get_repo("acme/web")
    issue = repo.create_issue("x")
    issue.add_to_assignees("alice", "bob")
    assert [a.login for a in repo.get_issue(1).assignees] == ["alice", "bob"]
    issue.remove_from_assignees("alice")
    assert [a.login for a in repo.get_issue(1).assignees] == ["bob"]
    assert repo.has_in_assignees("alice") is True
    assert repo.has_in_assignees("ghost") is False


def test_users(gh: Github) -> None:
    assert gh.get_user().login == "github-actions[bot]"
    assert gh.get_user("alice").login == "alice"
    with pytest.raises(GithubException) as exc:
        gh.get_user("ghost")
    assert exc.value.status == 404
