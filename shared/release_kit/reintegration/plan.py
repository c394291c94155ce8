"""The reintegration plan: a pure function of what was read from GitHub and the inputs."""

from __future__ import annotations

from dataclasses import dataclass, replace

from release_kit.reintegration import content
from release_kit.reintegration.branching import BranchStep, plan_branch
from release_kit.reintegration.guidance import new_pull_url
from release_kit.reintegration.model import ComparedCommit, Comparison, Desired, Pull, unique_names
from release_kit.reintegration.reviewers import candidates


@dataclass(frozen=True)
class PullRequestSettings:
    """The inputs that shape the PR (already validated)."""

    title: str = content.DEFAULT_TITLE
    body: str = content.DEFAULT_BODY
    labels: tuple[str, ...] = ("reintegration",)
    reviewers: tuple[str, ...] = ()  # empty: the hotfix PRs' authors


@dataclass(frozen=True)
class Facts:
    """Everything read before the first write."""

    repository: str
    server_url: str
    source: str
    source_sha: str
    target: str
    head: str  # the intermediate branch, <prefix><source>
    source_vs_target: Comparison  # compare target...source
    head_vs_source: Comparison | None  # compare source...head; None when head does not exist
    closed_pulls: tuple[Pull, ...] = ()  # closed PRs whose base is the source


@dataclass(frozen=True)
class ReintegrationPlan:
    source: str
    target: str
    head: str
    branch: BranchStep
    desired: Desired
    commits: tuple[ComparedCommit, ...]
    pulls: tuple[Pull, ...]
    reviewers: tuple[str, ...]  # candidates; see reviewers.choose_reviewers
    compare_url: str  # the "open a pull request" page for target...head
    known_users: frozenset[str] = frozenset()  # the candidates that exist on GitHub

    def with_known_users(self, known: frozenset[str]) -> ReintegrationPlan:
        """The plan once the reviewer candidates were looked up (a read after planning)."""
        return replace(self, known_users=known)


def up_to_date(source_vs_target: Comparison) -> bool:
    """Nothing in the source that the target lacks: there is nothing to reintegrate."""
    return not source_vs_target.head_has_news


def plan_reintegration(facts: Facts, settings: PullRequestSettings) -> ReintegrationPlan:
    commits = facts.source_vs_target.commits
    pulls = content.hotfix_pulls(commits, facts.closed_pulls)
    url = new_pull_url(facts.server_url, facts.repository, facts.target, facts.head)
    source_compare = facts.source_vs_target.html_url
    desired = Desired(
        title=content.render_title(settings.title, source=facts.source, target=facts.target),
        body=content.render_pull_body(
            settings.body,
            source=facts.source,
            target=facts.target,
            commits=commits,
            pulls=pulls,
            compare_url=source_compare,
        ),
        labels=unique_names(settings.labels),
    )
    return ReintegrationPlan(
        source=facts.source,
        target=facts.target,
        head=facts.head,
        branch=plan_branch(facts.head, facts.source, facts.source_sha, facts.head_vs_source),
        desired=desired,
        commits=commits,
        pulls=tuple(pulls),
        reviewers=tuple(candidates(settings.reviewers, pulls)),
        compare_url=url,
    )

