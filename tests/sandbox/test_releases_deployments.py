"""Releases (draft vs published tags), deployments and statuses, dispatches."""

from __future__ import annotations

from pathlib import Path

import pytest
from github import Github, GithubException

from release_kit_sandbox import GitHubEmulator

from .gitutil import branch, clone, commit, push, pygithub


@pytest.fixture
def gh(github_emulator: GitHubEmulator) -> Github:
    github_emulator.create_repo("acme/web")
    return pygithub(github_emulator)


def test_draft_has_no_tag_publishing_creates_it(
    gh: Github, github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    repo = gh.get_repo("acme/web")
    git_repo = github_emulator.repo("acme/web").git
    main_sha = repo.get_branch("main").commit.sha
    draft = repo.create_git_release("v1.0.0", "v1.0.0", "notes", draft=True)
    assert draft.draft is True
    assert git_repo.ref_target("refs/tags/v1.0.0") is None
    with pytest.raises(GithubException) as exc:
        repo.get_release("v1.0.0")  # by tag: drafts are not found
    assert exc.value.status == 404
    # main moves after the draft was created: the tag lands on target_commitish at publish time
    work = clone(github_emulator.repo("acme/web").git_dir, tmp_path / "w")
    new_sha = commit(work, {"x": "x"}, "more")
    push(work, "main")
    published = draft.update_release("v1.0.0", "notes 2", draft=False)
    assert published.draft is False
    assert published.published_at is not None
    assert git_repo.resolve("refs/tags/v1.0.0") == new_sha != main_sha
    assert repo.get_release("v1.0.0").id == draft.id
    assert repo.get_latest_release().tag_name == "v1.0.0"


def test_published_tag_conflict_and_listing(gh: Github, github_emulator: GitHubEmulator) -> None:
    repo = gh.get_repo("acme/web")
    first = repo.create_git_release("v1.0.0", "one", "first")
    assert github_emulator.repo("acme/web").git.resolve("refs/tags/v1.0.0") is not None
    with pytest.raises(GithubException) as exc:
        repo.create_git_release("v1.0.0", "dup", "dup")
    assert exc.value.status == 422
    assert exc.value.data["errors"][0] == {
        "resource": "Release", "code": "already_exists", "field": "tag_name"
    }
    # a draft may reuse the tag name; publishing it is refused
    draft = repo.create_git_release("v1.0.0", "dup", "dup", draft=True)
    with pytest.raises(GithubException) as exc:
        draft.update_release("dup", "dup", draft=False)
    assert exc.value.status == 422
    second = repo.create_git_release("v1.1.0", "two", "second", prerelease=True)
    assert [r.id for r in repo.get_releases()] == [second.id, draft.id, first.id]
    assert repo.get_latest_release().id == first.id  # prereleases are never "latest"
    assert repo.get_release(second.id).prerelease is True
    draft.delete_release()
    assert [r.id for r in repo.get_releases()] == [second.id, first.id]


def test_release_unknown_target_is_422(gh: Github) -> None:
    repo = gh.get_repo("acme/web")
    with pytest.raises(GithubException) as exc:
        repo.create_git_release("v9", "x", "x", target_commitish="no-such-branch")
    assert exc.value.status == 422


def test_deployments_statuses_and_auto_inactive(gh: Github) -> None:
    repo = gh.get_repo("acme/web")
    sha = repo.get_branch("main").commit.sha
    first = repo.create_deployment(ref=sha, environment="staging", payload={"image": "1"},
                                   required_contexts=[], description="first",
                                   transient_environment=False, production_environment=False)
    assert (first.environment, first.sha, first.payload) == ("staging", sha, {"image": "1"})
    assert first.production_environment is False
    in_progress = first.create_status("in_progress", target_url="http://ci/1")
    assert in_progress.log_url == "http://ci/1"
    first.create_status("success", environment_url="https://staging.example.com")
    other_env = repo.create_deployment(ref="main", environment="production", required_contexts=[])
    other_env.create_status("success")
    second = repo.create_deployment(ref="main", environment="staging", required_contexts=[],
                                    auto_merge=False)
    second.create_status("success")
    states = [s.state for s in first.get_statuses()]
    assert states == ["inactive", "success", "in_progress"]  # newest first
    assert [s.state for s in other_env.get_statuses()] == ["success"]
    assert [d.id for d in repo.get_deployments(environment="staging")] == [second.id, first.id]
    assert [d.id for d in repo.get_deployments(ref="main")] == [second.id, other_env.id]
    assert repo.get_deployment(first.id).get_status(
        next(iter(first.get_statuses())).id
    ).state == "inactive"
    with pytest.raises(GithubException) as exc:
        second.create_status("bogus")
    assert exc.value.status == 422
    # only inactive deployments can be deleted (when others share the environment)
    req = repo._requester
    status, _, _ = req.requestJson("DELETE", f"{repo.url}/deployments/{second.id}")
    assert status == 422
    status, _, _ = req.requestJson("DELETE", f"{repo.url}/deployments/{first.id}")
    assert status == 204
    assert [d.id for d in repo.get_deployments(environment="staging")] == [second.id]


def test_deployment_auto_merge_and_unknown_ref(
    gh: Github, github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    repo = gh.get_repo("acme/web")
    work = clone(github_emulator.repo("acme/web").git_dir, tmp_path / "w")
    branch(work, "topic")
    commit(work, {"t": "t"}, "topic")
    push(work, "topic")
    branch(work, "main", "origin/main")
    commit(work, {"m": "m"}, "main")
    push(work, "main")
    status, _, data = repo._requester.requestJson(
        "POST", f"{repo.url}/deployments", input={"ref": "topic", "required_contexts": []}
    )
    assert status == 202
    assert "Auto-merged main into topic" in data
    with pytest.raises(GithubException) as exc:
        repo.create_deployment(ref="nope")
    assert exc.value.status == 422
    assert exc.value.data["message"] == "No ref found for: nope"


def test_dispatches_are_recorded(gh: Github, github_emulator: GitHubEmulator) -> None:
    repo = gh.get_repo("acme/web")
    assert repo.create_repository_dispatch("release", {"version": "1.2.0"}) is True
    github_emulator.set_workflow("acme/web", "deploy.yml", dispatch_inputs=["payload"])
    github_emulator.set_workflow("acme/web", "ci.yml", dispatch_inputs=None)
    workflow = repo.get_workflow("deploy.yml")
    assert workflow.path == ".github/workflows/deploy.yml"
    assert workflow.create_dispatch("main", {"payload": "x"}) is True
    assert next((d.event_type, d.client_payload) for d in github_emulator.dispatches) == (
        "release", {"version": "1.2.0"}
    )
    wf = github_emulator.dispatches[1]
    assert (wf.repo, wf.workflow, wf.ref, wf.inputs) == ("acme/web", "deploy.yml", "main",
                                                          {"payload": "x"})
    req = repo._requester
    status, _, data = req.requestJson(
        "POST", f"{repo.url}/actions/workflows/deploy.yml/dispatches",
        input={"ref": "main", "inputs": {"other": "1"}},
    )
    assert status == 422
    assert "Unexpected inputs provided" in data
    status, _, data = req.requestJson(
        "POST", f"{repo.url}/actions/workflows/ci.yml/dispatches", input={"ref": "main"}
    )
    assert status == 422
    assert "Workflow does not have 'workflow_dispatch' trigger" in data
    status, _, _ = req.requestJson(
        "POST", f"{repo.url}/actions/workflows/nope.yml/dispatches", input={"ref": "main"}
    )
    assert status == 404
    assert len(github_emulator.dispatches) == 2
