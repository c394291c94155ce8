"""reintegrate-pr: bring the hotfixes of a release branch back into the default branch.

1. Check the inputs, then that both branches exist (nothing is written before that).
2. Compare target...source: nothing new in the source means up-to-date, and nothing is written.
3. Read the rest (the intermediate branch, the hotfix PRs, the reviewers) and plan.
4. Apply the plan: move the intermediate branch forward, open or update the PR, request
   reviews, report conflicts; or, when workflows may not open PRs, fail or open an issue.
5. Write the outputs and the step summary.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import field_validator, model_validator

from release_kit.action import Lines, Runtime, run
from release_kit.errors import InputError
from release_kit.github.inputs import GitHubAuthInputs
from release_kit.github.reintegration import ReintegrationRepo, read_facts
from release_kit.reintegration.branching import intermediate_branch, prefix_problem
from release_kit.reintegration.content import DEFAULT_BODY, DEFAULT_TITLE, check_templates
from release_kit.reintegration.mergeability import wait_budget
from release_kit.reintegration.plan import Settings, plan_reintegration, up_to_date
from release_kit.reintegration.report import Outcome, summary
from release_kit.reintegration.steps import Options, reintegrate

# What an App token for the repository needs: the branch, the PR, labels, comments, the issue.
PERMISSIONS = {"contents": "write", "pull_requests": "write", "issues": "write"}


class Inputs(GitHubAuthInputs):
    source_branch: str = ""  # action.yml: ${{ github.ref_name }}
    target_branch: str = ""  # empty: the repository's default branch
    branch_prefix: str = "reintegrate/"
    title: str = DEFAULT_TITLE
    body: str = DEFAULT_BODY
    labels: Lines = ["reintegration"]
    reviewers: Lines = []
    on_permission_denied: Literal["fail", "issue"] = "issue"

    @field_validator("source_branch", "target_branch")
    @classmethod
    def _short_name(cls, value: str) -> str:
        return value.removeprefix("refs/heads/")

    @field_validator("branch_prefix")
    @classmethod
    def _valid_prefix(cls, value: str) -> str:
        problem = prefix_problem(value)
        if problem:
            raise ValueError(f"{value!r} cannot start a branch name: {problem}. "
                             "Use something like reintegrate/")
        return value

    @model_validator(mode="after")
    def _check(self) -> Self:
        if not self.source_branch:
            raise InputError("source-branch", "no source branch was given and the run has no "
                             "github.ref_name.", hint="Set source-branch, e.g. release/1.4.0.")
        check_templates(self.title, self.body)
        return self


def main(inputs: Inputs, rt: Runtime) -> None:
    repository = rt.context.require_repository()
    hub = ReintegrationRepo(inputs.github(repository, PERMISSIONS), repository)
    source = inputs.source_branch
    target = inputs.target_branch or hub.default_branch
    source_sha = check_branches(hub, source, target, target_given=bool(inputs.target_branch))

    compared = hub.compare(target, source)
    head = intermediate_branch(inputs.branch_prefix, source)
    outcome = Outcome(source, target, head, compared.ahead_by, compared.html_url)
    if up_to_date(compared):
        outcome.result = "up-to-date"
    else:
        facts = read_facts(hub, server_url=rt.context.server_url, source=source,
                           source_sha=source_sha, target=target, head=head,
                           source_vs_target=compared)
        plan = plan_reintegration(facts, Settings(inputs.title, inputs.body,
                                                  tuple(inputs.labels), tuple(inputs.reviewers)))
        plan = plan.with_known_users(hub.existing_users(plan.reviewers))
        options = Options(inputs.on_permission_denied, wait_budget(rt.environ))
        reintegrate(hub, plan, outcome, options)

    rt.outputs.update(outcome.outputs())
    rt.summary.write(summary(outcome))


def check_branches(hub: ReintegrationRepo, source: str, target: str, *, target_given: bool) -> str:
    """The source's head; input errors for a missing branch or source == target."""
    if source == target:
        name = "target-branch" if target_given else "source-branch"
        raise InputError(name, f"source and target are both {source!r}: there is nothing to "
                         "reintegrate.", hint="The source is the release branch (e.g. "
                         "release/1.4.0), the target the branch it goes back into.")
    source_sha = hub.branch_sha(source)
    if source_sha is None:
        raise InputError("source-branch", f"the branch {source!r} does not exist in "
                         f"{hub.full_name}.", hint="Pass an existing release branch.")
    if hub.branch_sha(target) is None:
        raise InputError("target-branch", f"the branch {target!r} does not exist in "
                         f"{hub.full_name}.", hint="Pass an existing branch, or leave it empty "
                         "for the repository's default branch.")
    return source_sha


if __name__ == "__main__":
    raise SystemExit(run(Inputs, main))
