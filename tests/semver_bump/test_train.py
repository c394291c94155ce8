"""The release train and security releases: ``operation: train``.

The decision is a pure function of its facts (tested here without any server, every row of its
table); the operation gathers the facts from a real history on the emulator (the plan, the
draft kept up to date, the freeze issues, the PRs' labels and authors) and says publish or
skip, and why, without publishing anything.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from release_kit.errors import InputError
from release_kit.versioning.changes import MergedPullRequest
from release_kit.versioning.train import DAYS, TrainFacts, decide_train, is_security, parse_days
from release_kit_sandbox import Sandbox
from tests.semver_bump.flow import Flow

TUESDAY, WEDNESDAY = 1, 2


def facts(**overrides: object) -> TrainFacts:
    given: dict[str, object] = {"event": "schedule", "weekday": TUESDAY,
                                "days": frozenset({TUESDAY}), "tag": "v1.5.0", "since": "v1.4.0"}
    given.update(overrides)
    return TrainFacts(**given)  # type: ignore[arg-type]


# -- the decision ------------------------------------------------------------------------------

def test_the_train_publishes_on_its_day() -> None:
    decision = decide_train(facts())
    assert (decision.publish, decision.kind) == (True, "train")
    assert decision.reason == "release train of Tuesday: v1.5.0 is published"


def test_an_empty_draft_is_skipped_whatever_else_holds() -> None:
    for event in ("schedule", "workflow_dispatch", "push"):
        decision = decide_train(facts(event=event, tag="", security=("#3 Bump x",)))
        assert not decision.publish
        assert decision.reason == "nothing to release since v1.4.0: the draft is empty"
    assert decide_train(facts(tag="", since="")).reason == "nothing to release yet: the draft is empty"


def test_another_day_waits_for_the_train() -> None:
    decision = decide_train(facts(weekday=WEDNESDAY))
    assert not decision.publish
    assert decision.reason == "Wednesday is not a train day (the train runs on Tuesday)"


def test_a_manual_run_publishes_any_day() -> None:
    decision = decide_train(facts(event="workflow_dispatch", weekday=WEDNESDAY))
    assert (decision.publish, decision.kind) == (True, "manual")
    assert "on request (workflow_dispatch)" in decision.reason


@pytest.mark.parametrize(("variable", "issues", "says"), [
    ("true", (), "the freeze variable (true)"),
    ("Black Friday", (), "the freeze variable (Black Friday)"),
    ("", ((12, "Freeze for the migration"),), "issue #12 (Freeze for the migration)"),
    ("yes", ((12, "x"),), "the freeze variable (yes) and issue #12 (x)"),
])
def test_a_freeze_stops_the_train_and_manual_runs(
        variable: str, issues: tuple[tuple[int, str], ...], says: str) -> None:
    for event in ("schedule", "workflow_dispatch"):
        decision = decide_train(facts(event=event, freeze_variable=variable, freeze_issues=issues))
        assert not decision.publish
        assert decision.reason == f"release freeze declared by {says}: v1.5.0 waits until it " \
                                  "is lifted"


@pytest.mark.parametrize("variable", ["", "false", "FALSE", "0", "no", "off", " none "])
def test_a_variable_that_says_no_is_no_freeze(variable: str) -> None:
    assert decide_train(facts(freeze_variable=variable)).publish


def test_a_security_change_goes_out_at_once_even_frozen() -> None:
    for event, day in (("push", WEDNESDAY), ("schedule", WEDNESDAY), ("workflow_dispatch", 0)):
        decision = decide_train(facts(event=event, weekday=day, security=("#7 Fix XSS",),
                                freeze_issues=((12, "Freeze"),)))
        assert (decision.publish, decision.kind) == (True, "security")
        assert decision.reason == ("security release of v1.5.0 at once, outside the train: "
                                   "#7 Fix XSS; published despite the freeze declared by issue "
                                   "#12 (Freeze)")


def test_a_push_without_a_security_change_waits_for_the_train() -> None:
    decision = decide_train(facts(event="push"))
    assert not decision.publish
    assert decision.reason == "v1.5.0 holds no security change: it waits for the release train"


def test_a_freeze_reason_is_one_short_line_of_plain_text() -> None:
    decision = decide_train(facts(freeze_variable="line one\nline two " + "x" * 200))
    assert "\n" not in decision.reason
    assert "the freeze variable (line one line two xxx" in decision.reason
    assert len(decision.reason) < 200


def test_the_summary_shows_untrusted_text_as_text(flow: Flow) -> None:
    flow.merged_pr("Add search", ["feature"])
    out = train(flow, freeze="@team <img src=x> [a](b)")
    assert "<img" not in out["summary"] and "@team" not in out["summary"].replace("@\u200b", "")


@pytest.mark.parametrize(("pull", "security"), [
    (MergedPullRequest(1, "Fix XSS", "bob", ("security",)), True),
    (MergedPullRequest(2, "Fix XSS", "bob", ("bug",)), False),
    (MergedPullRequest(3, "Bump jinja2 from 3.1.2 to 3.1.4", "dependabot[bot]", ("dependencies",),
                 body="Fixes GHSA-h5c8-rqwp-cp95."), True),
    (MergedPullRequest(4, "Bump x (CVE-2024-34064)", "dependabot[bot]"), True),
    (MergedPullRequest(5, "Bump x from 1 to 2", "dependabot[bot]", ("dependencies",)), False),
    (MergedPullRequest(6, "Mentions GHSA-h5c8-rqwp-cp95", "mallory"), False),
])
def test_what_counts_as_a_security_change(pull: MergedPullRequest, security: bool) -> None:
    assert is_security(pull, frozenset({"security"})) is security


def test_days_are_parsed_and_bad_ones_named() -> None:
    assert parse_days(["tuesday"]) == frozenset({1})
    assert parse_days(["Mon, thu", "fri"]) == frozenset({0, 3, 4})
    assert parse_days(["*"]) == frozenset(range(7))
    for bad in (["tu"], ["someday"], [""], []):
        with pytest.raises(InputError) as info:
            parse_days(bad)
        assert info.value.input_name == "train-days"


# -- the operation, against the emulator -----------------------------------------------------------

TODAY = DAYS[datetime.now(UTC).weekday()]
OTHER_DAY = DAYS[(datetime.now(UTC).weekday() + 3) % 7]


@pytest.fixture
def flow(sandbox: Sandbox, tmp_path: Path) -> Flow:
    flow = Flow(sandbox, tmp_path)
    flow.commit("feat: first")
    flow.tag("v1.4.0")
    return flow


def train(flow: Flow, event: str = "schedule", **inputs: object) -> dict[str, str]:
    given: dict[str, object] = {"operation": "train", "train-days": TODAY}
    given.update({k.replace("_", "-"): v for k, v in inputs.items()})
    result = flow.run(given, env={"GITHUB_EVENT_NAME": event})
    assert result.exit_code == 0, result
    [notice] = [n for n in result.commands("notice") if n.title == "semver-bump train"]
    return {**result.outputs, "notice": notice.message, "summary": result.summary}


def test_the_train_keeps_the_draft_current_and_says_publish(flow: Flow) -> None:
    flow.merged_pr("Add search", ["feature"])
    out = train(flow)
    assert (out["publish"], out["kind"], out["tag"]) == ("true", "train", "v1.5.0")
    assert out["reason"] == f"release train of {TODAY.capitalize()}: v1.5.0 is published"
    [draft] = flow.drafts()
    assert draft["tag"] == "v1.5.0" and "Add search" in str(draft["body"])
    assert all(r.draft for r in flow.api().get_releases())  # nothing published by the train
    assert "## semver-bump train: publish" in out["summary"]


def test_an_empty_train_writes_nothing(flow: Flow) -> None:
    writes = len(flow.emu.writes())
    out = train(flow)
    assert (out["publish"], out["tag"]) == ("false", "")
    assert out["reason"] == "nothing to release since v1.4.0: the draft is empty"
    assert len(flow.emu.writes()) == writes


def test_an_open_freeze_issue_skips_and_closing_it_lets_the_train_go(flow: Flow) -> None:
    flow.merged_pr("Add search", ["feature"])
    issue = flow.api().create_issue("Freeze: data-centre move", labels=["release-freeze"])
    frozen = train(flow)
    assert frozen["publish"] == "false"
    assert frozen["reason"] == (f"release freeze declared by issue #{issue.number} (Freeze: "
                                "data-centre move): v1.5.0 waits until it is lifted")
    issue.edit(state="closed")
    assert train(flow)["publish"] == "true"


def test_the_freeze_variable_and_another_day_skip(flow: Flow) -> None:
    flow.merged_pr("Add search", ["feature"])
    assert "the freeze variable (true)" in train(flow, freeze="true")["reason"]
    other = train(flow, train_days=OTHER_DAY)
    assert other["publish"] == "false" and "is not a train day" in other["reason"]
    assert train(flow, "workflow_dispatch", train_days=OTHER_DAY)["kind"] == "manual"


def test_a_security_pr_is_released_at_once_by_the_push(flow: Flow) -> None:
    flow.merged_pr("Escape the search query", ["security"], author="bob")
    out = train(flow, "push", freeze="true", train_days=OTHER_DAY)
    assert (out["publish"], out["kind"], out["tag"], out["bump"]) == (
        "true", "security", "v1.4.1", "patch")
    assert "security release of v1.4.1 at once, outside the train: #" in out["reason"]
    assert "despite the freeze declared by the freeze variable (true)" in out["reason"]


def test_a_push_of_an_ordinary_pr_waits(flow: Flow) -> None:
    flow.merged_pr("Add search", ["feature"])
    out = train(flow, "push")
    assert (out["publish"], out["kind"]) == ("false", "skip")


def test_a_dependabot_security_update_counts(flow: Flow) -> None:
    number = flow.open_pr("Bump jinja2 from 3.1.2 to 3.1.4", ["dependencies"],
                          author="dependabot[bot]", body="Fixes GHSA-h5c8-rqwp-cp95.")
    flow.api().get_pull(number).merge(merge_method="squash")
    flow.sync()
    out = train(flow, "push")
    assert (out["publish"], out["kind"]) == ("true", "security")


def test_a_monorepo_is_refused(flow: Flow) -> None:
    result = flow.run({"operation": "train", "packages": "packages/*"})
    assert result.exit_code == 1
    assert result.errors[0].title == "Invalid input 'packages'"


def test_bad_train_days_fail_before_anything(flow: Flow) -> None:
    result = flow.run({"operation": "train", "train-days": "someday"})
    assert result.exit_code == 1
    assert result.errors[0].title == "Invalid input 'train-days'"
    assert flow.emu.writes() == []
