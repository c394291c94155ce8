"""reintegrate-pr end to end: the entrypoint as the runner runs it, against the emulator."""

from __future__ import annotations

import json

import pytest

from release_kit.text import ZERO_WIDTH_SPACE
from tests.reintegrate_pr.world import HEAD, SOURCE, World


def test_first_run_creates_the_pr_from_an_intermediate_branch(world: World):
    fix = world.hotfix("alice", "fix/crash", {2: "line 3 fixed"}, "Fix crash on empty cart")
    release_before = world.sha(SOURCE)

    result = world.run()

    assert result.exit_code == 0, result
    assert result.outputs["result"] == "created"
    assert result.outputs["conflicts"] == "false"
    assert result.outputs["issue-number"] == ""
    [pull] = world.pulls()
    assert result.outputs["pr-number"] == str(pull.number)
    assert result.outputs["pr-url"] == pull.html_url
    assert (pull.head.ref, pull.base.ref) == (HEAD, "main")
    assert pull.title == f"Reintegrate {SOURCE} into main"
    assert f"- #{fix} Fix crash on empty cart (alice)" in pull.body
    assert "Fix crash on empty cart" in pull.body.split("### Commits")[1]
    assert [label.name for label in pull.labels] == ["reintegration"]
    assert [u.login for u in pull.requested_reviewers] == ["alice"]
    assert world.sha(HEAD) == release_before  # created at the source head
    assert world.sha(SOURCE) == release_before  # the release branch is never written
    assert world.writes_to_branch(SOURCE) == []
    assert len(world.writes_to_branch(HEAD)) == 1  # the POST /git/refs that created it
    assert f"[#{pull.number}]" in result.summary and "main...release/1.4.0" in result.summary


def test_second_hotfix_updates_the_same_pr_and_a_quiet_rerun_writes_nothing(world: World):
    world.hotfix("alice", "fix/crash", {2: "line 3 fixed"}, "Fix crash on empty cart")
    first = world.run()
    assert first.outputs["result"] == "created", first

    second_fix = world.hotfix("bob", "fix/login", {6: "line 7 fixed"}, "Fix login redirect")
    second = world.run()

    assert second.exit_code == 0, second
    assert second.outputs["result"] == "updated"
    assert second.outputs["pr-number"] == first.outputs["pr-number"]
    [pull] = world.pulls()
    assert f"- #{second_fix} Fix login redirect (bob)" in pull.body
    assert "Fix crash on empty cart" in pull.body
    assert world.sha(HEAD) == world.sha(SOURCE)  # fast-forwarded
    assert sorted(u.login for u in pull.requested_reviewers) == ["alice", "bob"]
    assert ("PATCH", f"/repos/acme/web/git/refs/heads/{HEAD}") in world.writes_of_last_run()

    third = world.run()

    assert third.exit_code == 0, third
    assert third.outputs["result"] == "unchanged"
    assert third.outputs["pr-number"] == first.outputs["pr-number"]
    assert world.writes_of_last_run() == []
    assert len(world.pulls()) == 1


def test_nothing_to_reintegrate_is_up_to_date_and_a_no_op(world: World):
    result = world.run()

    assert result.exit_code == 0, result
    assert result.outputs == {"result": "up-to-date", "pr-number": "", "pr-url": "",
                              "issue-number": "", "conflicts": "false", "fast-forwarded": "[]",
                              "results": result.outputs["results"]}
    assert json.loads(result.outputs["results"]) == {"main": {
        "result": "up-to-date", "pr-number": None, "pr-url": "", "issue-number": None,
        "conflicts": False, "head": "", "sha": "", "ci-blocked": False, "error": ""}}
    assert world.writes_of_last_run() == []
    assert world.sha(HEAD) is None and world.pulls() == []
    assert "nothing to bring back" in result.summary


def test_a_release_already_merged_back_is_up_to_date(world: World):
    world.hotfix("alice", "fix/crash", {2: "line 3 fixed"}, "Fix crash on empty cart")
    created = world.run()
    world.api().get_repo("acme/web").get_pull(int(created.outputs["pr-number"])).merge()

    result = world.run()

    assert result.outputs["result"] == "up-to-date", result
    assert world.writes_of_last_run() == []


def test_conflicting_hotfix_is_labelled_explained_once_and_unlabelled_when_resolved(
    world: World,
):
    world.commit("main", {2: "line 3 rewritten on main"}, "Rework line 3")
    world.hotfix("alice", "fix/crash", {2: "line 3 fixed on the release"}, "Fix crash")

    result = world.run()

    assert result.exit_code == 0, result
    assert (result.outputs["result"], result.outputs["conflicts"]) == ("created", "true")
    number = int(result.outputs["pr-number"])
    [pull] = world.pulls()
    assert sorted(label.name for label in pull.labels) == ["conflicts", "reintegration"]
    [comment] = world.comments(number)
    assert f"git switch {HEAD}" in comment and "git merge origin/main" in comment
    assert f"git push origin {HEAD}" in comment
    assert any("conflicts" in w.title.lower() for w in result.warnings)

    again = world.run()

    assert (again.outputs["result"], again.outputs["conflicts"]) == ("unchanged", "true"), again
    assert len(world.comments(number)) == 1
    assert world.writes_of_last_run() == []

    # Someone follows the steps in the comment: merge main into the intermediate branch.
    world.git("fetch", "-q", "origin")
    world.git("checkout", "-q", "-B", HEAD, f"origin/{HEAD}")
    world.git("merge", "-q", "-s", "ours", "-m", "Merge main", "origin/main", author="bob")
    world.git("push", "-q", "origin", HEAD)

    resolved = world.run()

    assert (resolved.outputs["result"], resolved.outputs["conflicts"]) == ("updated", "false")
    [pull] = world.pulls()
    assert [label.name for label in pull.labels] == ["reintegration"]
    assert len(world.comments(number)) == 1


def test_commits_pushed_to_the_intermediate_branch_survive_reruns(world: World):
    world.hotfix("alice", "fix/crash", {2: "line 3 fixed"}, "Fix crash")
    assert world.run().outputs["result"] == "created"
    theirs = world.commit(HEAD, {9: "line 10 adjusted for main"}, "Adapt to main", author="bob")

    unchanged = world.run()  # nothing new in the source: their branch is left as it is
    assert unchanged.outputs["result"] == "unchanged", unchanged
    assert world.sha(HEAD) == theirs

    release_before = world.hotfix("alice", "fix/login", {5: "line 6 fixed"}, "Fix login")
    release_before_sha = world.sha(SOURCE)
    result = world.run()

    assert result.outputs["result"] == "updated", result
    assert world.is_ancestor(theirs, HEAD)  # never force-pushed away
    assert world.is_ancestor(release_before_sha, HEAD)  # and the new hotfix merged in
    assert world.sha(SOURCE) == release_before_sha  # the release branch untouched
    assert world.writes_to_branch(SOURCE) == []
    assert ("POST", "/repos/acme/web/merges") in world.writes_of_last_run()
    assert f"#{release_before} Fix login" in world.pulls()[0].body



def test_a_new_hotfix_conflicting_with_their_commits_leaves_the_branch_alone(world: World):
    world.hotfix("alice", "fix/crash", {2: "line 3 fixed"}, "Fix crash")
    assert world.run().outputs["result"] == "created"
    theirs = world.commit(HEAD, {7: "line 8 as main needs it"}, "Adapt to main", author="bob")
    world.hotfix("alice", "fix/login", {7: "line 8 fixed on the release"}, "Fix login")

    result = world.run()

    assert result.exit_code == 0, result
    assert (result.outputs["result"], result.outputs["conflicts"]) == ("updated", "true")
    assert world.sha(HEAD) == theirs  # neither reset nor half-merged
    [pull] = world.pulls()
    assert "conflicts" in [label.name for label in pull.labels]
    [comment] = world.comments(pull.number)
    assert f"git merge origin/{SOURCE}" in comment
    assert any("Could not merge" in w.title for w in result.warnings)


# -- the repository forbids GitHub Actions to create pull requests ------------------------------

COMPARE = "/acme/web/compare/main...reintegrate/release/1.4.0?expand=1"


def forbidding_token(world: World) -> str:
    world.emu.add_token("token-no-prs", login="github-actions[bot]",
                        can_create_pull_requests=False)
    return "token-no-prs"


def test_permission_denied_fails_with_the_setting_the_app_and_the_link(world: World):
    world.hotfix("alice", "fix/crash", {2: "line 3 fixed"}, "Fix crash")

    result = world.run({"on-permission-denied": "fail"}, token=forbidding_token(world))

    assert result.exit_code == 1, result
    [error] = result.errors
    assert error.title == "Permission denied"
    assert "Settings > Actions > General" in error.message
    assert '"Allow GitHub Actions to create and approve pull requests"' in error.message
    assert "app-id and app-private-key" in error.message
    assert world.emu.server_url + COMPARE in error.message
    assert world.pulls() == []


def test_permission_denied_opens_one_issue_with_the_link(world: World):
    world.hotfix("alice", "fix/crash", {2: "line 3 fixed"}, "Fix crash")
    token = forbidding_token(world)

    result = world.run(token=token)

    assert result.exit_code == 0, result
    assert result.outputs["result"] == "issue-created"
    assert (result.outputs["pr-number"], result.outputs["conflicts"]) == ("", "false")
    issue = world.api().get_repo("acme/web").get_issue(int(result.outputs["issue-number"]))
    assert world.emu.server_url + COMPARE in issue.body
    assert [a.login for a in issue.assignees] == ["alice"]
    assert "Fix crash" in issue.body
    assert any("not permitted" in w.message for w in result.warnings)
    assert result.errors == []

    again = world.run(token=token)

    assert again.outputs["result"] == "issue-created", again
    assert again.outputs["issue-number"] == result.outputs["issue-number"]
    assert not any(path == "/repos/acme/web/issues" for _, path in world.writes_of_last_run())


# -- reviewers ----------------------------------------------------------------------------------


def test_explicit_reviewers_skip_the_author_and_unknown_users(world: World):
    world.hotfix("alice", "fix/crash", {2: "line 3 fixed"}, "Fix crash")

    result = world.run({"reviewers": ["bob", "ghost", "github-actions[bot]"],
                        "target-branch": "main"})

    assert result.outputs["result"] == "created", result
    [pull] = world.pulls()
    assert [u.login for u in pull.requested_reviewers] == ["bob"]
    skipped = " ".join(w.message for w in result.warnings)
    assert "ghost" in skipped and "github-actions[bot]" in skipped


# -- bad input: one error naming the input, exit 1, nothing written -----------------------------


@pytest.mark.parametrize(
    ("inputs", "name", "says"),
    [
        ({"target-branch": SOURCE}, "target-branch", "both"),
        ({}, "source-branch", "both"),  # run on main: source defaults to main, the target too
        ({"source-branch": "release/9.9.9"}, "source-branch", "does not exist"),
        ({"target-branch": "develop"}, "target-branch", "does not exist"),
        ({"title": "Reintegrate {version}"}, "title", "{version}"),
        ({"body": "{commits}\n{changes}"}, "body", "{changes}"),
        ({"on-permission-denied": "ignore"}, "on-permission-denied", "fail"),
        ({"branch-prefix": "re integrate/"}, "branch-prefix", "space"),
        ({"branch-prefix": "sync..x/"}, "branch-prefix", "'..'"),
    ],
)
def test_bad_input(world: World, inputs, name, says):
    world.hotfix("alice", "fix/crash", {2: "line 3 fixed"}, "Fix crash")  # something to do
    ref = "main" if not inputs else SOURCE

    result = world.run(inputs, ref=ref)

    assert result.exit_code == 1, result
    [error] = result.errors
    assert error.title == f"Invalid input '{name}'"
    assert says in error.message
    assert world.writes_of_last_run() == []
    assert result.outputs == {}


def test_hotfix_titles_and_subjects_reach_the_pr_body_as_text(world: World):
    """A hotfix titled with a team mention, an HTML tag and a javascript: link pings nobody and
    shows as typed, in the PR list and in the commit list (release_kit.text)."""
    title = "Fix @acme/security <img src=x onerror=alert(1)> ](javascript:alert(1))"
    fix = world.hotfix("alice", "fix/evil", {2: "line 3 fixed"}, title)

    result = world.run()

    assert result.exit_code == 0, result
    [pull] = world.pulls()
    shown = (f"Fix @{ZERO_WIDTH_SPACE}acme/security &lt;img src=x onerror=alert\\(1\\)&gt; "
             r"\]\(javascript:alert\(1\)\)")
    assert f"- #{fix} {shown} (alice)" in pull.body.splitlines()
    assert sum(shown in line for line in pull.body.splitlines()) == 2  # the PR and its commit
    assert "@acme" not in pull.body and "<img" not in pull.body
