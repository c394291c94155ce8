"""reintegrate-pr with several target branches and the fast-forward mode, and the warning that
a pull request opened with the job's token starts no checks: end to end against the emulator."""

from __future__ import annotations

import json

import pytest

from tests.reintegrate_pr.world import HEAD, SOURCE, World

NEXT_HEAD = f"{HEAD}-into-next"


def downstream(world: World) -> str:
    """``develop`` at main (behind the release, nothing of its own) and ``next`` with a commit
    of its own on the line the hotfix changes (a PR with conflicts). Returns the hotfix's sha."""
    world.git("push", "-q", "origin", "main:develop")
    world.commit("next", {2: "line 3 reworked on next"}, "Rework line 3 on next", start="main")
    world.hotfix("alice", "fix/crash", {2: "line 3 fixed on the release"}, "Fix crash")
    sha = world.sha(SOURCE)
    assert sha is not None
    return sha


def results(result) -> dict:  # type: ignore[no-untyped-def]
    return json.loads(result.outputs["results"])


def test_one_target_fast_forwarded_and_another_gets_a_pr_with_conflicts(world: World):
    release = downstream(world)
    next_before = world.sha("next")

    result = world.run({"target-branches": ["develop", "next"], "fast-forward": True})

    assert result.exit_code == 0, result
    assert world.sha("develop") == release  # moved, through the refs API, not forced
    [move] = [r for r in world.requests_of_last_run()
              if r.method == "PATCH" and r.path.endswith("/git/refs/heads/develop")]
    assert move.request_json == {"sha": release, "force": False}
    assert world.pulls(base="develop") == [] and world.sha(HEAD) is None
    [pull] = world.pulls(base="next")
    assert pull.head.ref == NEXT_HEAD and world.sha(NEXT_HEAD) == release
    assert sorted(label.name for label in pull.labels) == ["conflicts", "reintegration"]
    [comment] = world.comments(pull.number)
    assert f"git switch {NEXT_HEAD}" in comment and "git merge origin/next" in comment
    assert world.sha("next") == next_before and world.sha(SOURCE) == release

    out = results(result)
    assert list(out) == ["develop", "next"]
    assert out["develop"] == {"result": "fast-forwarded", "pr-number": None, "pr-url": "",
                              "issue-number": None, "conflicts": False, "head": "",
                              "sha": release, "ci-blocked": False, "error": ""}
    assert (out["next"]["result"], out["next"]["pr-number"], out["next"]["conflicts"],
            out["next"]["head"]) == ("created", pull.number, True, NEXT_HEAD)
    assert json.loads(result.outputs["fast-forwarded"]) == ["develop"]
    # the single outputs: the first target's, and conflicts of any
    assert (result.outputs["result"], result.outputs["pr-number"],
            result.outputs["conflicts"]) == ("fast-forwarded", "", "true")
    assert "| `develop` | **fast-forwarded** |" in result.summary
    assert f"| `next` | **created** | [PR #{pull.number}]" in result.summary

    again = world.run({"target-branches": ["develop", "next"], "fast-forward": True})

    assert again.exit_code == 0, again
    assert [o["result"] for o in results(again).values()] == ["up-to-date", "unchanged"]
    assert world.writes_of_last_run() == []
    assert json.loads(again.outputs["fast-forwarded"]) == []


def test_without_fast_forward_a_target_that_is_behind_gets_a_pr(world: World):
    release = downstream(world)

    result = world.run({"target-branches": "develop\nnext"})

    assert result.exit_code == 0, result
    assert world.sha("develop") != release
    [to_develop] = world.pulls(base="develop")
    [to_next] = world.pulls(base="next")
    assert (to_develop.head.ref, to_next.head.ref) == (HEAD, NEXT_HEAD)
    assert to_develop.title == f"Reintegrate {SOURCE} into develop"
    assert [o["conflicts"] for o in results(result).values()] == [False, True]


def test_a_target_github_refuses_to_move_gets_a_pr(world: World):
    release = downstream(world)
    world.emu.inject_fault(422, count=1, method="PATCH", path=r"/git/refs/heads/develop$",
                           message="Protected branch update failed for refs/heads/develop.")

    result = world.run({"target-branch": "develop", "fast-forward": True})

    assert result.exit_code == 0, result
    [warning] = [w for w in result.warnings if w.title == "Fast-forward refused"]
    assert "Protected branch update failed" in warning.message
    assert world.sha("develop") != release
    [pull] = world.pulls(base="develop")
    assert pull.head.ref == HEAD  # one target: the name a single target always had
    assert result.outputs["result"] == "created"
    assert "could not fast-forward" in result.summary


def test_a_target_with_commits_of_its_own_is_never_fast_forwarded(world: World):
    downstream(world)
    next_before = world.sha("next")

    result = world.run({"target-branch": "next", "fast-forward": True})

    assert result.exit_code == 0, result
    assert world.sha("next") == next_before
    assert not [r for r in world.requests_of_last_run()
                if r.method == "PATCH" and r.path.endswith("/git/refs/heads/next")]
    assert result.outputs["result"] == "created"


def test_a_failing_target_does_not_stop_the_others(world: World):
    release = downstream(world)
    world.emu.inject_fault(403, count=None, method="POST", path=r"/pulls$",
                           message="Resource not accessible by integration")

    result = world.run({"target-branches": ["develop", "next"], "fast-forward": True})

    assert result.exit_code == 1, result
    assert world.sha("develop") == release  # the first target was synced all the same
    out = results(result)
    assert out["develop"]["result"] == "fast-forwarded"
    assert out["next"]["result"] == "failed"
    assert "Resource not accessible" in out["next"]["error"]
    titles = [e.title for e in result.errors]
    assert titles[-1] == "Reintegration incomplete" and "next" in result.errors[-1].message
    assert any(t.startswith("Could not sync next") for t in titles)
    assert world.sha(NEXT_HEAD) is None  # the branch this run created for it is gone again


@pytest.mark.parametrize(("inputs", "says"), [
    ({"target-branch": "main", "target-branches": "develop"}, "both given"),
    ({"target-branches": "develop\ndevelop"}, "listed twice"),
    ({"target-branches": "develop\nmissing\ngone"}, "'missing', 'gone' do not exist"),
    ({"target-branches": ["develop", SOURCE]}, "both"),
    ({"target-branches": "bad..name"}, "'..'"),
    ({"fast-forward": "yes"}, "boolean"),
])
def test_bad_target_inputs(world: World, inputs, says):
    downstream(world)

    result = world.run(inputs)

    assert result.exit_code == 1, result
    [error] = result.errors
    name = "fast-forward" if "fast-forward" in inputs else "target-branches"
    assert error.title == f"Invalid input '{name}'"
    assert says in error.message
    assert world.writes_of_last_run() == []


# -- issue 17 item 6: a PR opened with the job's token starts no checks -------------------------

def test_a_pr_opened_with_the_job_token_warns_that_its_checks_will_not_start(world: World):
    world.hotfix("alice", "fix/crash", {2: "line 3 fixed"}, "Fix crash")

    result = world.run()  # the sandbox's default token acts as github-actions[bot]

    assert result.exit_code == 0, result
    [warning] = [w for w in result.warnings if w.title == "Pull request checks will not start"]
    number = result.outputs["pr-number"]
    assert f"#{number} was opened with the job's GITHUB_TOKEN" in warning.message
    assert "app-id and app-private-key" in warning.message
    assert "secrets" in warning.message and f"close and reopen #{number}" in warning.message
    assert results(result)["main"]["ci-blocked"] is True
    assert "**not started**" in result.summary

    quiet = world.run()  # nothing moved, nothing opened: no event, nothing to warn about
    assert quiet.outputs["result"] == "unchanged"
    assert not [w for w in quiet.warnings if w.title == "Pull request checks will not start"]

    world.hotfix("bob", "fix/login", {6: "line 7 fixed"}, "Fix login")
    moved = world.run()  # the head moves: its synchronize event starts nothing either
    assert moved.outputs["result"] == "updated"
    [warning] = [w for w in moved.warnings if w.title == "Pull request checks will not start"]
    assert "was updated with the job's GITHUB_TOKEN" in warning.message


def test_a_pr_opened_with_a_personal_token_does_not_warn(world: World):
    world.hotfix("bob", "fix/crash", {2: "line 3 fixed"}, "Fix crash")

    result = world.run(token=world.tokens["alice"])

    assert result.exit_code == 0, result
    [pull] = world.pulls()
    assert pull.user.login == "alice"
    assert not [w for w in result.warnings if w.title == "Pull request checks will not start"]
    assert results(result)["main"]["ci-blocked"] is False


# -- the cascade: dispatch-workflow starts the build of each branch that moved ------------------

def test_the_cascade_starts_the_build_of_the_branch_fast_forwarded(world: World):
    downstream(world)
    world.emu.set_workflow("acme/web", "build.yml", dispatch_inputs=[])

    result = world.run({"target-branches": ["develop", "next"], "fast-forward": True,
                        "dispatch-workflow": "build.yml"})

    assert result.exit_code == 0, result
    [dispatch] = world.emu.dispatches  # develop moved; next got a PR (built when merged)
    assert (dispatch.workflow, dispatch.ref, dispatch.inputs) == ("build.yml", "develop", {})
    assert json.loads(result.outputs["dispatched"]) == ["develop"]
    out = results(result)
    assert (out["develop"]["build"], out["next"]["build"]) == ("started", "")
    assert [n.title for n in result.commands("notice")].count("Build started") == 1
    assert "- `develop`: build.yml started" in result.summary

    again = world.run({"target-branches": ["develop", "next"], "fast-forward": True,
                       "dispatch-workflow": "build.yml"})
    assert again.exit_code == 0, again
    assert len(world.emu.dispatches) == 1  # up to date now: nothing started twice
    assert json.loads(again.outputs["dispatched"]) == []


def test_a_build_that_cannot_start_fails_the_step_after_the_sync(world: World):
    release = downstream(world)
    world.emu.set_workflow("acme/web", "build.yml", dispatch_inputs=None)  # no dispatch trigger

    result = world.run({"target-branches": ["develop"], "fast-forward": True,
                        "dispatch-workflow": "build.yml"})

    assert result.exit_code == 1
    assert world.sha("develop") == release  # the sync itself stands
    titles = [e.title for e in result.errors]
    assert titles == ["Build not started", "Cascade incomplete"]
    assert "gh workflow run build.yml --ref develop" in result.errors[-1].message
    assert json.loads(result.outputs["dispatched"]) == []
    assert results(result)["develop"]["build"] == "failed"


@pytest.mark.parametrize("name", ["build", "../build.yml", "a b.yml", "build.yml\nx"])
def test_a_dispatch_workflow_that_is_no_file_name_is_refused_before_anything(
        world: World, name: str):
    downstream(world)
    result = world.run({"target-branches": ["develop"], "fast-forward": True,
                        "dispatch-workflow": name})
    assert result.exit_code == 1
    assert result.errors[0].title == "Invalid input 'dispatch-workflow'"
    assert world.writes_of_last_run() == []
