"""reintegrate-pr: bring a branch (the hotfixes of a release branch, or the production line)
into one or more downstream branches.

1. Check the inputs, then that the source and every target exist (nothing is written before).
2. For each target, compare target...source: nothing new in the source means up-to-date.
3. With fast-forward, a target with no commits of its own is moved to the source (refs API,
   never forced); otherwise (or when GitHub refuses the move) a pull request from an
   intermediate branch of that target: move the branch forward, open or update the PR, request
   reviews, report conflicts; or, when workflows may not open PRs, fail or open an issue.
4. Write the outputs (the first target's, and every target's as JSON) and the step summary.
   With several targets, one that fails does not stop the others; the step fails at the
   end, naming them.
"""

from __future__ import annotations

import json

from release_kit.action import commands
from release_kit.action.runner import Runtime
from release_kit.errors import InputError, ReleaseKitError
from release_kit.github.reintegration import ReintegrationRepo
from release_kit.refnames import ref_name_problem
from release_kit.reintegrate.inputs import ReintegrateInputs
from release_kit.reintegrate.steps import Options, TargetBranch, sync_target
from release_kit.reintegration.branching import intermediate_branch
from release_kit.reintegration.mergeability import wait_budget
from release_kit.reintegration.plan import PullRequestSettings
from release_kit.reintegration.report import TargetReport, overview, target_summary

# What an App token for the repository needs: the branch, the PR, labels, comments, the issue.
PERMISSIONS = {"contents": "write", "pull_requests": "write", "issues": "write"}


def reintegrate_pr(inputs: ReintegrateInputs, rt: Runtime) -> None:
    """The action: every target synced (one failing does not stop the others), then outputs."""
    repository = rt.context.require_repository()
    hub = ReintegrationRepo(inputs.github(repository, PERMISSIONS), repository)
    source = inputs.source_branch
    targets = inputs.targets() or [hub.default_branch]
    source_sha = check_branches(hub, source, targets, inputs)

    settings = PullRequestSettings(inputs.title, inputs.body, tuple(inputs.labels),
                                   tuple(inputs.reviewers))
    options = Options(inputs.on_permission_denied, wait_budget(rt.environ),
                      fast_forward=inputs.fast_forward, app_auth=bool(inputs.app_id))
    outcomes: list[TargetReport] = []
    for index, target in enumerate(targets):
        head = intermediate_branch(inputs.branch_prefix, source, target if index else None)
        job = TargetBranch(source, source_sha, target, head, settings, rt.context.server_url)
        try:
            outcome = sync_target(hub, job, options)
        except ReleaseKitError as exc:
            if len(targets) == 1 or isinstance(exc, InputError):
                raise  # one target: its error is the step's, as it always was
            commands.error(f"{target}: {exc}", title=f"Could not sync {target}: {exc.title}")
            outcome = TargetReport(source, target, head, 0, "", result="failed", error=str(exc))
        outcomes.append(outcome)

    write_reintegration_outputs(outcomes, rt)
    failed = [o.target for o in outcomes if o.result == "failed"]
    if failed:
        raise ReleaseKitError(f"{len(failed)} of {len(outcomes)} target branch(es) could not be "
                              f"synced: {', '.join(failed)} (the others were).",
                              hint="See the errors above; a re-run converges (nothing is done "
                                   "twice).", title="Reintegration incomplete")


def write_reintegration_outputs(outcomes: list[TargetReport], rt: Runtime) -> None:
    first = outcomes[0]
    rt.outputs.update({
        **first.outputs(),
        "conflicts": any(o.conflicts for o in outcomes),
        "results": json.dumps({o.target: o.to_json() for o in outcomes}),
        "fast-forwarded": json.dumps([o.target for o in outcomes
                                      if o.result == "fast-forwarded"]),
    })
    if len(outcomes) > 1:
        rt.summary.write(overview(outcomes))
    for outcome in outcomes:
        rt.summary.write(target_summary(outcome))


def check_branches(hub: ReintegrationRepo, source: str, targets: list[str],
                   inputs: ReintegrateInputs) -> str:
    """The source's head; input errors for a missing branch or a target that is the source."""
    name = inputs.target_input
    if source in targets:
        given = bool(inputs.targets())
        raise InputError(name if given else "source-branch",
                         f"source and target are both {source!r}: there is nothing to "
                         "reintegrate.", hint="The source is the release branch (e.g. "
                         "release/1.4.0), the target the branch it goes back into.")
    source_sha = hub.branch_sha(source)
    if source_sha is None:
        raise InputError("source-branch", f"the branch {source!r} does not exist in "
                         f"{hub.full_name}.", hint="Pass an existing release branch.")
    missing = [target for target in targets if hub.branch_sha(target) is None]
    if missing:
        what = (f"the branch {missing[0]!r} does not exist" if len(missing) == 1 else
                f"the branches {', '.join(repr(m) for m in missing)} do not exist")
        raise InputError(name, f"{what} in {hub.full_name}.", hint="Pass existing branches, or "
                         "leave the targets empty for the repository's default branch.")
    for index, target in enumerate(targets):
        head = intermediate_branch(inputs.branch_prefix, source, target if index else None)
        problem = ref_name_problem(head)
        if problem or head in targets or head == source:
            raise InputError(name, f"the intermediate branch of {target!r}, {head!r}, cannot be "
                             f"used: {problem or 'it is a source or target itself'}.",
                             hint="Change branch-prefix.")
    return source_sha
