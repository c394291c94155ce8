"""The imperative shell's rare paths (races, refusals, slow mergeability) on an in-memory repo.

The end-to-end tests cover the common paths against the emulator; these drive ``steps`` through
a small stand-in for ``ReintegrationRepo`` that keeps state and records writes, so races that
the emulator cannot stage deterministically are exercised too.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from release_kit.errors import ConflictError, PermissionDeniedError
from release_kit.github.errors import ActionsCannotCreatePullRequests, GitHubValidationFailed
from release_kit.github.issues import Issue, NewIssue
from release_kit.reintegrate.steps import Options, reintegrate
from release_kit.reintegration.branching import BranchStep
from release_kit.reintegration.model import Comparison, Desired, Pull
from release_kit.reintegration.plan import ReintegrationPlan
from release_kit.reintegration.report import TargetReport

SOURCE_SHA = "s" * 40


def refused(message: str) -> GitHubValidationFailed:
    return GitHubValidationFailed(f"GitHub refused the request: {message}",
                                  [{"code": "custom", "message": message}])


@dataclass
class Repo:
    """State and behaviour of one repository, as much as ``steps`` uses."""

    full_name: str = "acme/web"
    branches: dict[str, str] = field(default_factory=dict)
    pulls: list[Pull] = field(default_factory=list)
    mergeable_answers: list[bool | None] = field(default_factory=lambda: [None, True])
    fail: dict[str, Exception] = field(default_factory=dict)
    writes: list[tuple[str, Any]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    hidden_pull: Pull | None = None  # opened by "another run" between our look and our write

    def _maybe_fail(self, name: str) -> None:
        if name in self.fail:
            raise self.fail.pop(name)

    def branch_sha(self, branch: str) -> str | None:
        return self.branches.get(branch)

    def create_branch(self, branch: str, sha: str) -> None:
        self._maybe_fail("create_branch")
        self.writes.append(("create_branch", branch))
        self.branches[branch] = sha

    def fast_forward(self, branch: str, sha: str) -> None:
        self._maybe_fail("fast_forward")
        self.writes.append(("fast_forward", branch))
        self.branches[branch] = sha

    def merge(self, base: str, head: str, message: str) -> str:
        self.writes.append(("merge", base))
        return "merged"

    def open_pull(self, head: str, base: str) -> Pull | None:
        return self.pulls[0] if self.pulls else None

    def create_pull(self, *, base: str, head: str, title: str, body: str) -> Pull:
        if self.hidden_pull is not None:
            self.pulls.append(self.hidden_pull)
            raise refused("A pull request already exists for acme:reintegrate/release/1.4.0.")
        self._maybe_fail("create_pull")
        pull = Pull(7, title, "github-actions[bot]", url="https://x/pull/7", body=body)
        self.pulls.append(pull)
        self.writes.append(("create_pull", 7))
        return pull

    def edit_pull(self, number: int, fields: dict[str, str]) -> None:
        self.writes.append(("edit_pull", fields))
        self.pulls[0] = replace(self.pulls[0], **fields)

    def add_labels(self, number: int, labels: list[str]) -> None:
        self.writes.append(("add_labels", tuple(labels)))
        self.pulls[0] = replace(self.pulls[0], labels=self.pulls[0].labels + tuple(labels))

    def remove_label(self, number: int, label: str) -> None:
        self.writes.append(("remove_label", label))

    def request_reviewers(self, number: int, logins: list[str]) -> None:
        self._maybe_fail("request_reviewers")
        self.writes.append(("request_reviewers", tuple(logins)))

    def pull(self, number: int) -> Pull:
        answer = self.mergeable_answers.pop(0) if self.mergeable_answers else None
        return replace(self.pulls[0], mergeable=answer)

    def has_comment(self, number: int, mark: str) -> bool:
        return any(mark in body for body in self.comments)

    def comment(self, number: int, *, mark: str, body: str) -> None:
        self.writes.append(("comment", number))
        self.comments.append(body)

    def delete_branch(self, branch: str) -> None:
        self.writes.append(("delete_branch", branch))
        self.branches.pop(branch, None)

    def ensure_issue(self, **kwargs: Any) -> NewIssue:
        self.writes.append(("ensure_issue", kwargs))
        return NewIssue(Issue(9, "title", "body", "open", "https://x/issues/9"), True)


def plan(action: str = "create", reviewers: tuple[str, ...] = ("alice",)) -> ReintegrationPlan:
    return ReintegrationPlan(
        source="release/1.4.0",
        target="main",
        head="reintegrate/release/1.4.0",
        branch=BranchStep(action, "reintegrate/release/1.4.0", "release/1.4.0", SOURCE_SHA),
        desired=Desired("Reintegrate release/1.4.0 into main", "body", ("reintegration",)),
        commits=(),
        pulls=(),
        reviewers=reviewers,
        compare_url="https://x/acme/web/compare/main...reintegrate/release/1.4.0?expand=1",
        known_users=frozenset({"alice"}),
    )


def run(repo: Repo, the_plan: ReintegrationPlan | None = None, **options: Any) -> TargetReport:
    outcome = TargetReport("release/1.4.0", "main", "reintegrate/release/1.4.0", 1,
                      Comparison("main", "release/1.4.0", 1, 0).html_url)
    wait = options.pop("wait", 1.0)
    reintegrate(repo, the_plan or plan(), outcome,
                Options(mergeability_wait=wait, sleep=lambda _: None, **options))
    return outcome


def test_a_pr_opened_by_another_run_meanwhile_is_updated_not_duplicated():
    repo = Repo(hidden_pull=Pull(3, "Old title", "github-actions[bot]", url="https://x/pull/3",
                                 body="body", labels=("reintegration",)))
    outcome = run(repo)
    assert (outcome.result, outcome.pr_number) == ("updated", 3)
    assert ("edit_pull", {"title": "Reintegrate release/1.4.0 into main"}) in repo.writes
    assert len(repo.pulls) == 1


def test_branch_created_meanwhile_at_the_same_commit_is_fine():
    repo = Repo(branches={}, fail={"create_branch": refused("Reference already exists")})
    repo.branches["reintegrate/release/1.4.0"] = SOURCE_SHA  # the other run's branch
    outcome = run(repo)
    assert outcome.result == "created"
    assert not any(line.startswith("created `") for line in outcome.done)
    assert ("create_pull", 7) in repo.writes


def test_branch_created_meanwhile_elsewhere_stops_the_run():
    repo = Repo(fail={"create_branch": refused("Reference already exists")})
    repo.branches["reintegrate/release/1.4.0"] = "o" * 40
    with pytest.raises(ConflictError, match="Re-run"):
        run(repo)
    assert repo.writes == []


def test_fast_forward_refused_because_someone_pushed_meanwhile():
    repo = Repo(fail={"fast_forward": refused("Update is not a fast forward")})
    with pytest.raises(ConflictError, match="keeps those commits"):
        run(repo, plan("fast-forward"))
    assert repo.writes == []


def test_review_request_refused_is_a_warning(capsys):
    repo = Repo(fail={"request_reviewers": refused("Reviews may only be requested from "
                                                   "collaborators.")})
    outcome = run(repo)
    assert outcome.result == "created" and outcome.reviewers == ()
    assert "::warning title=Reviewers not requested::" in capsys.readouterr().out


def test_mergeability_never_known_is_a_warning_without_labels(capsys):
    repo = Repo(mergeable_answers=[])
    outcome = run(repo, wait=0.5)
    assert (outcome.conflicts, outcome.mergeable) == (False, None)
    assert ("add_labels", ("conflicts",)) not in repo.writes
    assert "Mergeability unknown" in capsys.readouterr().out


def test_permission_denied_fail_mode_cleans_up_the_branch_it_created():
    repo = Repo(fail={"create_pull": ActionsCannotCreatePullRequests("not permitted")})
    with pytest.raises(PermissionDeniedError) as err:
        run(repo, on_permission_denied="fail")
    assert "compare/main...reintegrate/release/1.4.0?expand=1" in str(err.value)
    assert ("delete_branch", "reintegrate/release/1.4.0") in repo.writes
    assert "reintegrate/release/1.4.0" not in repo.branches


def test_a_failing_run_keeps_a_branch_it_did_not_create():
    repo = Repo(branches={"reintegrate/release/1.4.0": "0" * 40},
                fail={"create_pull": ActionsCannotCreatePullRequests("not permitted")})
    with pytest.raises(PermissionDeniedError):
        run(repo, plan("fast-forward"), on_permission_denied="fail")
    assert not [w for w in repo.writes if w[0] == "delete_branch"]
    assert "reintegrate/release/1.4.0" in repo.branches


def test_a_branch_someone_pushed_to_meanwhile_is_kept():
    repo = Repo(fail={"create_pull": ActionsCannotCreatePullRequests("not permitted")})
    real_create = repo.create_pull

    def pushed_then_refused(**kwargs: Any) -> Pull:
        repo.branches["reintegrate/release/1.4.0"] = "f" * 40  # a person pushed meanwhile
        return real_create(**kwargs)

    repo.create_pull = pushed_then_refused  # type: ignore[method-assign]
    with pytest.raises(PermissionDeniedError):
        run(repo, on_permission_denied="fail")
    assert not [w for w in repo.writes if w[0] == "delete_branch"]


def test_permission_denied_issue_mode_assigns_known_reviewers_only():
    repo = Repo(fail={"create_pull": ActionsCannotCreatePullRequests("not permitted")})
    outcome = run(repo, plan(reviewers=("alice", "ghost")), on_permission_denied="issue")
    assert (outcome.result, outcome.issue_number, outcome.pr_number) == ("issue-created", 9, None)
    [(_, issue)] = [w for w in repo.writes if w[0] == "ensure_issue"]
    assert issue["assignees"] == ("alice",)
    assert "compare/main...reintegrate/release/1.4.0?expand=1" in issue["body"]
