"""The pure core of reintegrate-pr: no server, plain data in, decisions out."""

from __future__ import annotations

import pytest

from release_kit.errors import InputError
from release_kit.reintegration import content
from release_kit.reintegration.branching import (
    branch_prefix_problem,
    intermediate_branch,
    plan_branch,
)
from release_kit.reintegration.guidance import (
    ACTIONS_SETTING,
    conflict_steps,
    new_pull_url,
    permission_denied_hint,
)
from release_kit.reintegration.mergeability import poll_delays, poll_mergeable, wait_budget
from release_kit.reintegration.model import ComparedCommit, Comparison, Desired, Pull, unique_names
from release_kit.reintegration.plan import (
    Facts,
    PullRequestSettings,
    plan_reintegration,
    up_to_date,
)
from release_kit.reintegration.pulls import conflict_label_change, pull_update
from release_kit.reintegration.report import TargetReport, target_summary
from release_kit.reintegration.reviewers import candidates, choose_reviewers


def commit(sha: str, message: str, author: str | None = "alice") -> ComparedCommit:
    return ComparedCommit(sha=sha * 40 if len(sha) == 1 else sha, message=message, author=author,
                  url=f"https://github.com/acme/web/commit/{sha}")


def compared(ahead: int, behind: int = 0, commits: tuple[ComparedCommit, ...] = ()) -> Comparison:
    return Comparison("main", "release/1.4.0", ahead, behind, commits,
                      "https://github.com/acme/web/compare/main...release/1.4.0")


# -- branching --------------------------------------------------------------------------------


def test_missing_intermediate_branch_is_created_at_the_source_head():
    step = plan_branch("reintegrate/release/1.4.0", "release/1.4.0", "abc", None)
    assert (step.action, step.source_sha) == ("create", "abc")
    assert step.writes


@pytest.mark.parametrize(
    ("ahead", "behind", "action"),
    [
        (0, 0, "keep"),  # already at the source
        (0, 2, "fast-forward"),  # behind the source only
        (3, 0, "keep"),  # people pushed, and it already holds the whole source
        (3, 2, "merge-source"),  # people pushed, and the source moved on: merge, never reset
    ],
)
def test_existing_intermediate_branch_only_moves_forward(ahead, behind, action):
    source_vs_branch = Comparison("release/1.4.0", "reintegrate/release/1.4.0", ahead, behind)
    step = plan_branch("reintegrate/release/1.4.0", "release/1.4.0", "abc", source_vs_branch)
    assert step.action == action
    assert step.writes == (action != "keep")
    assert "reintegrate/release/1.4.0" in step.describe()


def test_intermediate_branch_name():
    assert intermediate_branch("reintegrate/", "release/1.4.0") == "reintegrate/release/1.4.0"
    assert intermediate_branch("sync/", "main", "env/dev") == "sync/main-into-env/dev"


@pytest.mark.parametrize("prefix", ["reintegrate/", "sync-", "hotfix/back-to-main/", "x"])
def test_valid_prefixes(prefix):
    assert branch_prefix_problem(prefix) is None


@pytest.mark.parametrize(
    ("prefix", "why"),
    [
        ("", "empty"),
        ("bad prefix/", "space"),
        ("a..b/", "'..'"),
        ("-x/", "starts with"),
        ("/x", "starts with"),
        (".hidden/", "starts with '.'"),
        ("x.lock/", ".lock"),
        ("a~b/", "~"),
        ("a//b", "'//'"),
        ("a@{b", "'@{'"),
        ("what?/", "?"),
    ],
)
def test_invalid_prefixes_say_why(prefix, why):
    problem = branch_prefix_problem(prefix)
    assert problem is not None and why in problem


# -- content ----------------------------------------------------------------------------------


def test_referenced_pull_numbers_from_merge_and_squash_subjects():
    commits = [
        commit("a", "Fix crash on empty cart (#12)"),
        commit("b", "Merge pull request #15 from acme/fix-login\n\nFix login"),
        commit("c", "Mention #99 in the middle is not a reference"),
    ]
    assert content.referenced_pull_numbers(commits) == {12, 15}


def test_hotfix_pulls_are_the_merged_ones_among_the_commits():
    commits = (commit("a", "Fix crash (#12)"), commit("b", "Tidy"), commit("c", "Other"))
    closed = [
        Pull(12, "Fix crash", "alice", merged=True, merge_commit_sha="z" * 40),  # by number
        Pull(13, "Tidy", "bob", merged=True, merge_commit_sha="b" * 40),  # by merge commit
        Pull(14, "Abandoned", "carol", merged=False, merge_commit_sha="c" * 40),  # not merged
        Pull(9, "Old hotfix", "dave", merged=True, merge_commit_sha="f" * 40),  # reintegrated
    ]
    assert [p.number for p in content.hotfix_pulls(commits, closed)] == [12, 13]


def test_commit_and_pull_lists():
    commits = [commit("a", "Fix crash (#12)\n\nlong body"), commit("b", "Tidy", author=None)]
    text = content.commit_list(commits)
    assert text.splitlines() == [
        # A subject is text: its "(#12)" is escaped (the pull list links the PR itself).
        r"- [`aaaaaaa`](https://github.com/acme/web/commit/a) Fix crash \(\#12\) (alice)",
        "- [`bbbbbbb`](https://github.com/acme/web/commit/b) Tidy",
    ]
    assert content.pull_list([Pull(12, "Fix crash", "alice")]) == "- #12 Fix crash (alice)"
    assert content.pull_list([]) == "_none_"


def test_long_lists_are_cut_with_a_link_to_the_comparison():
    commits = [commit(f"{i:040x}", f"change {i}") for i in range(content.MAX_LISTED + 5)]
    text = content.commit_list(commits, "https://example.test/compare")
    lines = text.splitlines()
    assert len(lines) == content.MAX_LISTED + 1
    assert lines[-1] == "- ... and [5 more](https://example.test/compare)"


def test_default_templates_render():
    commits = (commit("a", "Fix crash (#12)"),)
    pulls = (Pull(12, "Fix crash", "alice"),)
    assert content.render_title(content.DEFAULT_TITLE, source="release/1.4.0",
                                target="main") == "Reintegrate release/1.4.0 into main"
    body = content.render_pull_body(content.DEFAULT_BODY, source="release/1.4.0", target="main",
                               commits=commits, pulls=pulls)
    assert "Brings the hotfixes of `release/1.4.0` back into `main`." in body
    assert "- #12 Fix crash (alice)" in body
    assert r"Fix crash \(\#12\) (alice)" in body


@pytest.mark.parametrize(
    ("title", "body", "input_name", "variable"),
    [
        ("Reintegrate {version}", content.DEFAULT_BODY, "title", "{version}"),
        ("{commits}", content.DEFAULT_BODY, "title", "{commits}"),  # multi-line: body only
        (content.DEFAULT_TITLE, "Hotfixes: {changes}", "body", "{changes}"),
    ],
)
def test_unknown_template_variables_are_input_errors(title, body, input_name, variable):
    with pytest.raises(InputError) as err:
        content.check_templates(title, body)
    assert err.value.input_name == input_name
    assert variable in err.value.message


def test_malformed_template_is_an_input_error():
    with pytest.raises(InputError) as err:
        content.check_templates(content.DEFAULT_TITLE, "unclosed {source")
    assert err.value.input_name == "body"


# -- reviewers --------------------------------------------------------------------------------


def test_default_reviewers_are_the_hotfix_authors_once_each():
    pulls = [Pull(1, "a", "alice"), Pull(2, "b", "Bob"), Pull(3, "c", "ALICE")]
    assert candidates([], pulls) == ["alice", "Bob"]
    assert candidates(["@carol", "carol", "dave"], pulls) == ["carol", "dave"]


def test_choose_reviewers_skips_author_bots_and_unknown_users():
    choice = choose_reviewers(
        ["alice", "github-actions[bot]", "ghost", "bob", "carol"],
        known={"alice", "bob", "carol", "github-actions[bot]"},
        pr_author="Alice",
        already_requested={"CAROL"},
    )
    assert choice.request == ("bob",)
    assert [login for login, _ in choice.skipped] == ["alice", "github-actions[bot]", "ghost"]
    assert "author" in choice.skipped[0][1]
    assert "not a GitHub user" in choice.skipped[2][1]


def test_unique_names_is_case_insensitive_and_keeps_order():
    assert unique_names(["b", " a ", "B", "", "A"]) == ("b", "a")


# -- pull updates -----------------------------------------------------------------------------


def test_pull_update_is_empty_when_nothing_changed():
    pull = Pull(5, "T", "bot", body="line 1\r\nline 2\n", labels=("reintegration", "urgent"))
    change = pull_update(pull, Desired("T", "line 1\nline 2", ("Reintegration",)))
    assert change.empty and change.edits == {}


def test_pull_update_rewrites_title_and_body_and_only_adds_labels():
    pull = Pull(5, "Old", "bot", body="old", labels=("urgent",))
    change = pull_update(pull, Desired("New", "new", ("reintegration", "urgent")))
    assert change.edits == {"title": "New", "body": "new"}
    assert change.add_labels == ("reintegration",)
    assert not change.empty


@pytest.mark.parametrize(
    ("labels", "mergeable", "change"),
    [
        ((), False, "add"),
        (("Conflicts",), False, None),
        (("conflicts",), True, "remove"),
        ((), True, None),
        (("conflicts",), None, None),  # unknown: leave it as it is
    ],
)
def test_conflict_label_follows_mergeability(labels, mergeable, change):
    assert conflict_label_change(labels, mergeable) == change


# -- mergeability -----------------------------------------------------------------------------


def test_poll_delays_double_and_stay_within_the_budget():
    assert poll_delays(60) == [1, 2, 4, 8, 16, 29]
    assert sum(poll_delays(0.5)) == pytest.approx(0.5)
    assert poll_delays(0) == []


def test_poll_mergeable_stops_at_the_first_answer():
    answers = iter([None, None, False, True])
    slept: list[float] = []
    assert poll_mergeable(lambda: next(answers), [1, 2, 4, 8], slept.append) is False
    assert slept == [1, 2]


def test_poll_mergeable_gives_up_after_the_budget():
    slept: list[float] = []
    assert poll_mergeable(lambda: None, [1, 2], slept.append) is None
    assert slept == [1, 2]


def test_wait_budget_from_the_environment():
    assert wait_budget({}) == 60
    assert wait_budget({"RELEASE_KIT_MERGEABILITY_WAIT": "0.2"}) == 0.2
    assert wait_budget({"RELEASE_KIT_MERGEABILITY_WAIT": "soon"}) == 60


# -- guidance ---------------------------------------------------------------------------------


def test_new_pull_url():
    assert new_pull_url("https://github.com/", "acme/web", "main", "reintegrate/release/1.4.0") \
        == "https://github.com/acme/web/compare/main...reintegrate/release/1.4.0?expand=1"


def test_conflict_steps_work_on_the_intermediate_branch_only():
    text = conflict_steps(head="reintegrate/release/1.4.0", source="release/1.4.0",
                          target="main")
    commands = [line for line in text.splitlines() if line.startswith("git ")]
    assert commands == [
        "git fetch origin",
        "git switch reintegrate/release/1.4.0",
        "git merge --ff-only origin/reintegrate/release/1.4.0",
        "git merge origin/release/1.4.0",
        "git merge origin/main",
        "git add --update",
        "git commit --no-edit",
        "git push origin reintegrate/release/1.4.0",
    ]
    assert not any("switch release/" in c or "push origin release/" in c for c in commands)


def test_permission_hint_names_the_setting_the_app_and_the_link():
    hint = permission_denied_hint("acme/web", "https://x.test/compare")
    assert ACTIONS_SETTING in hint
    assert "Allow GitHub Actions to create and approve pull requests" in hint
    assert "app-id" in hint and "https://x.test/compare" in hint


# -- plan and report --------------------------------------------------------------------------


def test_up_to_date_when_the_source_has_nothing_new():
    assert up_to_date(compared(0, behind=7))
    assert not up_to_date(compared(1))


def test_plan_reintegration():
    commits = (commit("a", "Fix crash (#12)"), commit("b", "Fix typo (#13)", author="bob"))
    facts = Facts(
        repository="acme/web",
        server_url="https://github.com",
        source="release/1.4.0",
        source_sha="b" * 40,
        target="main",
        head="reintegrate/release/1.4.0",
        source_vs_target=compared(2, commits=commits),
        head_vs_source=None,
        closed_pulls=(Pull(12, "Fix crash", "alice", merged=True),
                      Pull(13, "Fix typo", "bob", merged=True)),
    )
    plan = plan_reintegration(facts, PullRequestSettings(labels=("reintegration", "Reintegration", "x")))
    assert plan.branch.action == "create" and plan.branch.source_sha == "b" * 40
    assert plan.desired.title == "Reintegrate release/1.4.0 into main"
    assert "- #12 Fix crash (alice)\n- #13 Fix typo (bob)" in plan.desired.body
    assert plan.desired.labels == ("reintegration", "x")
    assert plan.reviewers == ("alice", "bob")
    assert plan.compare_url.endswith("/acme/web/compare/main...reintegrate/release/1.4.0?expand=1")
    assert plan.with_known_users(frozenset({"bob"})).known_users == {"bob"}


def test_summary_and_outputs():
    outcome = TargetReport("release/1.4.0", "main", "reintegrate/release/1.4.0", 2,
                      "https://github.com/acme/web/compare/main...release/1.4.0",
                      result="created", pr_number=5, pr_url="https://github.com/acme/web/pull/5",
                      conflicts=True, mergeable=False, reviewers=("alice",),
                      done=["opened pull request #5"])
    text = target_summary(outcome)
    assert "[#5](https://github.com/acme/web/pull/5)" in text
    assert "[`main...release/1.4.0`](https://github.com/acme/web/compare/main...release/1.4.0)" \
        in text
    assert "2 commit(s) to bring back" in text and "- opened pull request #5" in text
    assert "**yes**" in text and "@alice" in text
    assert outcome.outputs() == {"result": "created", "pr-number": 5,
                                 "pr-url": "https://github.com/acme/web/pull/5",
                                 "issue-number": None, "conflicts": True}
    idle = TargetReport("release/1.4.0", "main", "reintegrate/release/1.4.0", 0, "",
                   result="up-to-date")
    assert "nothing to bring back" in target_summary(idle)
    assert "nothing: everything was already as it should be" in target_summary(idle)
