"""Carry out a reintegration plan on GitHub, one idempotent step at a time.

Each step looks before it writes, so a re-run converges: the intermediate branch only moves
forward, an existing PR is updated rather than duplicated, labels are only added, reviewers
already requested are not requested again, and the conflicts comment is posted once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from release_kit.action import commands
from release_kit.errors import ConflictError, PermissionDeniedError
from release_kit.github.errors import ActionsCannotCreatePullRequests, GitHubValidationFailed
from release_kit.github.reintegration import ReintegrationRepo, read_facts
from release_kit.markers import marker
from release_kit.reintegration.branching import BranchStep
from release_kit.reintegration.guidance import (
    conflict_steps,
    permission_denied_hint,
    permission_issue_body,
)
from release_kit.reintegration.mergeability import (
    DEFAULT_WAIT_SECONDS,
    poll_delays,
    poll_mergeable,
)
from release_kit.reintegration.model import Pull
from release_kit.reintegration.plan import (
    PullRequestSettings,
    ReintegrationPlan,
    plan_reintegration,
    up_to_date,
)
from release_kit.reintegration.pulls import CONFLICTS_LABEL, conflict_label_change, pull_update
from release_kit.reintegration.report import TargetReport
from release_kit.reintegration.reviewers import choose_reviewers

OnPermissionDenied = Literal["fail", "issue"]


# The login of the job's GITHUB_TOKEN: GitHub starts no workflow for the events it causes
# (a pull request it opens, a push it makes), except workflow_dispatch and repository_dispatch.
JOB_TOKEN_LOGIN = "github-actions[bot]"


@dataclass(frozen=True)
class Options:
    on_permission_denied: OnPermissionDenied = "issue"
    mergeability_wait: float = DEFAULT_WAIT_SECONDS  # in total
    sleep: Callable[[float], None] = time.sleep
    fast_forward: bool = False  # a target with no commits of its own is moved, not PR'd
    app_auth: bool = False  # a GitHub App's token: its events start workflows


@dataclass(frozen=True)
class TargetBranch:
    """One branch to bring the source into, and the inputs that shape its PR."""

    source: str
    source_sha: str
    target: str
    head: str  # the intermediate branch of this target
    settings: PullRequestSettings
    server_url: str


def sync_target(hub: ReintegrationRepo, job: TargetBranch, options: Options) -> TargetReport:
    """Bring ``job.source`` into one target: nothing, a fast-forward, or a pull request."""
    compared = hub.compare(job.target, job.source)
    outcome = TargetReport(job.source, job.target, job.head, compared.ahead_by, compared.html_url)
    if up_to_date(compared):
        outcome.result = "up-to-date"
        return outcome
    if options.fast_forward and compared.behind_by == 0:
        if fast_forward_target(hub, job, outcome, options):
            return outcome
        compared = hub.compare(job.target, job.source)  # it may have moved meanwhile
        outcome.ahead_by, outcome.source_compare_url = compared.ahead_by, compared.html_url
        if up_to_date(compared):
            outcome.result = "up-to-date"
            return outcome
    facts = read_facts(hub, server_url=job.server_url, source=job.source,
                       source_sha=job.source_sha, target=job.target, head=job.head,
                       source_vs_target=compared)
    plan = plan_reintegration(facts, job.settings)
    plan = plan.with_known_users(hub.existing_users(plan.reviewers))
    reintegrate(hub, plan, outcome, options)
    return outcome


def fast_forward_target(hub: ReintegrationRepo, job: TargetBranch, outcome: TargetReport,
                        options: Options) -> bool:
    """Move the target to the source (refs API, never forced); False when GitHub refuses.

    A refusal (the target got commits of its own meanwhile: "Update is not a fast forward";
    a protected branch that takes changes only through pull requests) is a warning, and the
    caller opens a pull request instead.
    """
    try:
        hub.fast_forward(job.target, job.source_sha)
    except (GitHubValidationFailed, PermissionDeniedError) as exc:
        commands.warning(f"Could not fast-forward {job.target} to {job.source} ({exc.message}); "
                         "opening a pull request instead.", title="Fast-forward refused")
        outcome.done.append(f"could not fast-forward `{job.target}` ({exc.message}): a pull "
                            "request instead")
        return False
    outcome.result = "fast-forwarded"
    outcome.target_sha = job.source_sha
    outcome.done.append(f"fast-forwarded `{job.target}` to `{job.source}` "
                        f"({job.source_sha[:7]})")
    if not options.app_auth:
        commands.notice(f"Fast-forwarded {job.target}. If github-token is the job's "
                        "GITHUB_TOKEN, GitHub starts no push workflow for this: dispatch "
                        f"{job.target}'s build (workflow_dispatch), or use a GitHub App's "
                        "credentials.", title="Fast-forward")
    return True


def reintegrate(hub: ReintegrationRepo, plan: ReintegrationPlan, outcome: TargetReport,
                options: Options) -> None:
    """Move the intermediate branch, then open or update the PR; ``outcome`` records it all."""
    merge_conflict = move_branch(hub, plan.branch, outcome)
    try:
        pull = hub.open_pull(plan.head, plan.target)
        if pull is None:
            pull = create_pull(hub, plan, outcome, options)
            if pull is None:  # the repository does not let workflows open PRs; an issue says so
                return
        else:
            update_pull(hub, plan, pull, outcome)
    except Exception:
        clean_up_branch(hub, plan.branch, outcome)
        raise
    outcome.pr_number, outcome.pr_url = pull.number, pull.url
    request_reviews(hub, plan, pull, outcome)
    report_conflicts(hub, plan, pull, outcome, options, merge_conflict=merge_conflict)
    if outcome.result != "created":
        outcome.result = "updated" if outcome.wrote else "unchanged"
    warn_if_ci_blocked(pull, outcome, options)


def warn_if_ci_blocked(pull: Pull, outcome: TargetReport, options: Options) -> None:
    """Warn when GitHub will not start the PR's workflows for what this run did.

    GitHub starts no workflow for events made with the job's own GITHUB_TOKEN: the PR it
    opens gets no ``pull_request`` run, a push to its head no ``synchronize`` run. Which token
    this run has is told by the PR itself: one the job token opened is authored by
    ``github-actions[bot]`` (an App's token shows the App, a personal token its user); with App
    credentials the events always start workflows.
    """
    acted = outcome.result == "created" or outcome.moved_head
    if options.app_auth or not acted or pull.author.lower() != JOB_TOKEN_LOGIN:
        return
    outcome.ci_blocked = True
    commands.warning(
        f"#{pull.number} was {'opened' if outcome.result == 'created' else 'updated'} with the "
        "job's GITHUB_TOKEN, and GitHub starts no workflow for events made with that token: its "
        "checks will not run (required checks then block the merge). To have them run, give "
        "this action a GitHub App (app-id and app-private-key) or a token from a secret "
        "(github-token: ${{ secrets.NAME }}, with contents, pull requests and issues write); "
        f"or close and reopen #{pull.number} (a person's event starts them): {pull.url}",
        title="Pull request checks will not start")


def clean_up_branch(hub: ReintegrationRepo, step: BranchStep, outcome: TargetReport) -> None:
    """Delete the intermediate branch if this run created it and nothing else landed on it.

    A run that fails before its PR exists leaves nothing behind; a branch someone pushed to
    in the meantime is theirs too, and stays.
    """
    if not outcome.created_branch or hub.branch_sha(step.branch) != step.source_sha:
        return
    hub.delete_branch(step.branch)
    outcome.created_branch = False
    commands.info(f"Deleted {step.branch}: this run created it and is failing before its pull "
                  "request exists.")


def move_branch(hub: ReintegrationRepo, step: BranchStep, outcome: TargetReport) -> bool:
    """Apply ``step`` to the intermediate branch; True when the source could not be merged in."""
    if step.action == "create":
        try:
            hub.create_branch(step.branch, step.source_sha)
            outcome.created_branch = outcome.moved_head = True
        except GitHubValidationFailed as exc:
            if not exc.mentions("already exists"):
                raise
            if hub.branch_sha(step.branch) != step.source_sha:
                raise ConflictError(
                    f"the branch {step.branch} was created by someone else while this job ran.",
                    hint="Re-run the job: it will bring that branch up to date safely.",
                ) from exc
            return False
    elif step.action == "fast-forward":
        try:
            hub.fast_forward(step.branch, step.source_sha)
            outcome.moved_head = True
        except GitHubValidationFailed as exc:
            raise ConflictError(
                f"{step.branch} received new commits while this job ran, so it was not moved.",
                hint="Re-run the job: it merges the source into the branch and keeps those "
                "commits.",
            ) from exc
    elif step.action == "merge-source":
        message = f"Merge {step.source} into {step.branch}"
        result = hub.merge(step.branch, step.source_sha, message)
        if result == "conflict":
            commands.warning(
                f"{step.branch} has commits of its own that conflict with the newest commits "
                f"of {step.source}; it was left as it is. The pull request says how to resolve "
                "this.",
                title="Could not merge the source into the intermediate branch",
            )
            return True
        if result == "nothing-to-merge":
            return False
        outcome.moved_head = True
    else:
        return False
    outcome.done.append(step.describe())
    return False


def create_pull(
    hub: ReintegrationRepo, plan: ReintegrationPlan, outcome: TargetReport, options: Options
) -> Pull | None:
    """Open the PR (None when the repository setting forbids it and an issue was opened)."""
    desired = plan.desired
    try:
        pull = hub.create_pull(base=plan.target, head=plan.head, title=desired.title,
                               body=desired.body)
    except ActionsCannotCreatePullRequests:
        permission_denied(hub, plan, outcome, options)
        return None
    except GitHubValidationFailed as exc:
        # Another run opened it between our look and our write: update that one instead.
        existing = hub.open_pull(plan.head, plan.target) if exc.mentions("already exists") else None
        if existing is None:
            raise
        update_pull(hub, plan, existing, outcome)
        return existing
    outcome.result = "created"
    outcome.done.append(f"opened pull request #{pull.number}: {desired.title}")
    if desired.labels:
        hub.add_labels(pull.number, desired.labels)
    return replace(pull, labels=pull.labels + desired.labels)


def update_pull(hub: ReintegrationRepo, plan: ReintegrationPlan, pull: Pull,
                outcome: TargetReport) -> None:
    change = pull_update(pull, plan.desired)
    if change.edits:
        hub.edit_pull(pull.number, change.edits)
        outcome.done.append(f"updated the {' and '.join(change.edits)} of #{pull.number}")
    if change.add_labels:
        hub.add_labels(pull.number, change.add_labels)
        outcome.done.append(f"labelled #{pull.number} {', '.join(change.add_labels)}")


def request_reviews(hub: ReintegrationRepo, plan: ReintegrationPlan, pull: Pull,
                    outcome: TargetReport) -> None:
    choice = choose_reviewers(plan.reviewers, known=plan.known_users, pr_author=pull.author,
                              already_requested=pull.requested_reviewers)
    for login, why in choice.skipped:
        commands.warning(f"Not requesting a review from {login}: {login} {why}.",
                         title="Reviewer skipped")
    if not choice.request:
        return
    try:
        hub.request_reviewers(pull.number, choice.request)
    except GitHubValidationFailed as exc:
        commands.warning(f"Could not request reviews from {', '.join(choice.request)}: "
                         f"{exc.message}", title="Reviewers not requested")
        return
    outcome.reviewers = choice.request
    outcome.done.append(f"requested reviews from {', '.join(choice.request)}")


def report_conflicts(
    hub: ReintegrationRepo,
    plan: ReintegrationPlan,
    pull: Pull,
    outcome: TargetReport,
    options: Options,
    *,
    merge_conflict: bool,
) -> None:
    """Wait for GitHub's mergeability; label and explain conflicts (the comment once)."""
    latest = pull

    def fetch() -> bool | None:
        nonlocal latest
        latest = hub.pull(pull.number)
        return latest.mergeable

    outcome.mergeable = poll_mergeable(fetch, poll_delays(options.mergeability_wait),
                                       options.sleep)
    outcome.conflicts = merge_conflict or outcome.mergeable is False
    if outcome.mergeable is None and not merge_conflict:
        commands.warning(
            f"GitHub had not computed whether #{pull.number} can be merged after "
            f"{options.mergeability_wait:g}s; conflicts are not reported for this run.",
            title="Mergeability unknown",
        )
    change = conflict_label_change(latest.labels, False if outcome.conflicts else outcome.mergeable)
    if change == "add":
        hub.add_labels(pull.number, [CONFLICTS_LABEL])
        outcome.done.append(f"labelled #{pull.number} {CONFLICTS_LABEL}")
    elif change == "remove":
        hub.remove_label(pull.number, CONFLICTS_LABEL)
        outcome.done.append(f"removed the {CONFLICTS_LABEL} label from #{pull.number}")
    if not outcome.conflicts:
        return
    mark = marker("reintegration-conflicts", plan.head)
    if not hub.has_comment(pull.number, mark):
        steps = conflict_steps(head=plan.head, source=plan.source, target=plan.target)
        hub.comment(pull.number, mark=mark, body=f"{steps}\n\n{mark}")
        outcome.done.append(f"commented on #{pull.number} how to resolve the conflicts")
    commands.warning(f"#{pull.number} has conflicts with {plan.target}; see {pull.url}",
                     title="Reintegration has conflicts")


def permission_denied(
    hub: ReintegrationRepo, plan: ReintegrationPlan, outcome: TargetReport, options: Options
) -> None:
    """The repository forbids workflows from opening PRs: fail, or open an issue with the link."""
    hint = permission_denied_hint(hub.full_name, plan.compare_url)
    message = (f"GitHub Actions is not permitted to create pull requests in {hub.full_name}, "
               f"so {plan.head} -> {plan.target} was not opened.")
    if options.on_permission_denied == "fail":
        raise PermissionDeniedError(message, hint=hint)
    assignees = choose_reviewers(plan.reviewers, known=plan.known_users).request
    made = hub.ensure_issue(
        mark=marker("reintegration", f"{plan.head} into {plan.target}"),
        title=f"Open the pull request: {plan.desired.title}",
        body=permission_issue_body(repository=hub.full_name, source=plan.source,
                                   target=plan.target, head=plan.head, url=plan.compare_url,
                                   pr_body=plan.desired.body),
        labels=plan.desired.labels,
        assignees=assignees,
    )
    number, url = made.issue.number, made.issue.html_url
    outcome.result = "issue-created"
    outcome.issue_number, outcome.issue_url = number, url
    if made.unassigned:
        commands.warning(f"GitHub could not assign {', '.join(made.unassigned)} to issue "
                         f"#{number}; they are @-mentioned in it instead.",
                         title="Not assigned")
    if made.created:
        outcome.done.append(f"opened issue #{number} with the link to open the pull request")
    commands.warning(f"{message} Issue #{number} has the link to open it: {url}. {hint}",
                     title="Pull request not created")
