"""reintegrate-pr's inputs: the model of its ``action.yml``, checked before anything is read."""

from __future__ import annotations

from typing import Literal, Self

from release_kit.action.inputs import Bool, Lines, field_validator, model_validator
from release_kit.errors import InputError
from release_kit.github.inputs import GitHubAuthInputs
from release_kit.refnames import ref_name_problem
from release_kit.reintegration import cascade
from release_kit.reintegration.branching import branch_prefix_problem
from release_kit.reintegration.content import DEFAULT_BODY, DEFAULT_TITLE, check_templates


class ReintegrateInputs(GitHubAuthInputs):
    source_branch: str = ""  # action.yml: ${{ github.ref_name }}
    target_branch: str = ""  # empty (and no target-branches): the repository's default branch
    target_branches: Lines = []
    fast_forward: Bool = False
    branch_prefix: str = "reintegrate/"
    title: str = DEFAULT_TITLE
    body: str = DEFAULT_BODY
    labels: Lines = ["reintegration"]
    reviewers: Lines = []
    on_permission_denied: Literal["fail", "issue"] = "issue"
    dispatch_workflow: str = ""

    @field_validator("source_branch", "target_branch")
    @classmethod
    def _short_name(cls, value: str) -> str:
        return value.removeprefix("refs/heads/")

    @field_validator("target_branches")
    @classmethod
    def _short_names(cls, value: list[str]) -> list[str]:
        return [name.removeprefix("refs/heads/") for name in value]

    @field_validator("branch_prefix")
    @classmethod
    def _valid_prefix(cls, value: str) -> str:
        problem = branch_prefix_problem(value)
        if problem:
            raise ValueError(f"{value!r} cannot start a branch name: {problem}. "
                             "Use something like reintegrate/")
        return value

    @model_validator(mode="after")
    def _check(self) -> Self:
        if not self.source_branch:
            raise InputError("source-branch", "no source branch was given and the run has no "
                             "github.ref_name.", hint="Set source-branch, e.g. release/1.4.0.")
        if self.target_branch and self.target_branches:
            raise InputError("target-branches", "target-branch and target-branches are both "
                             "given.", hint="List every target in target-branches, one per "
                             "line, and remove target-branch.")
        for name in self.target_branches:
            problem = ref_name_problem(name)
            if problem:
                raise InputError("target-branches", f"{name!r} is not a branch name: {problem}.")
        duplicates = sorted({n for n in self.target_branches
                             if self.target_branches.count(n) > 1})
        if duplicates:
            raise InputError("target-branches", f"{', '.join(duplicates)} is listed twice.",
                             hint="List each target once.")
        check_templates(self.title, self.body)
        problem = cascade.workflow_problem(self.dispatch_workflow) if self.dispatch_workflow \
            else ""
        if problem:
            raise InputError("dispatch-workflow", f"{self.dispatch_workflow!r}: {problem}.")
        return self

    def targets(self) -> list[str]:
        """The targets given (empty: the repository's default branch)."""
        return self.target_branches or ([self.target_branch] if self.target_branch else [])

    @property
    def target_input(self) -> str:
        return "target-branches" if self.target_branches else "target-branch"
