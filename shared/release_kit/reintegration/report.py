"""What a run did: the action's outputs and the step summary, from one record."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from release_kit.text import inline, markdown_table

Result = Literal["created", "updated", "unchanged", "up-to-date", "issue-created",
                 "fast-forwarded", "failed"]


@dataclass
class TargetReport:
    """Filled in as the steps run; ``done`` lists every write in plain words."""

    source: str
    target: str
    head: str
    ahead_by: int
    source_compare_url: str
    result: Result = "unchanged"
    pr_number: int | None = None
    pr_url: str = ""
    issue_number: int | None = None
    issue_url: str = ""
    conflicts: bool = False
    mergeable: bool | None = None
    reviewers: tuple[str, ...] = ()
    done: list[str] = field(default_factory=list)
    created_branch: bool = False  # by this run (deleted again if the run fails before its PR)
    moved_head: bool = False  # this run created or moved the PR's head branch
    ci_blocked: bool = False  # GitHub starts no workflow for the PR's events made by this run
    target_sha: str = ""  # fast-forwarded: where the target is now
    error: str = ""  # failed: why

    @property
    def wrote(self) -> bool:
        return bool(self.done)

    def outputs(self) -> dict[str, object]:
        return {
            "result": self.result,
            "pr-number": self.pr_number,
            "pr-url": self.pr_url,
            "issue-number": self.issue_number,
            "conflicts": self.conflicts,
        }

    def to_json(self) -> dict[str, object]:
        """This target's entry of the ``results`` output."""
        head = self.head if self.result not in {"up-to-date", "fast-forwarded", "failed"} else ""
        return {**self.outputs(), "head": head, "sha": self.target_sha,
                "ci-blocked": self.ci_blocked, "error": self.error}


def _link(text: str, url: str) -> str:
    return f"[{text}]({url})" if url else text


def target_summary(outcome: TargetReport) -> str:
    """Markdown: what was compared, what was done, and links."""
    compared = _link(f"`{outcome.target}...{outcome.source}`", outcome.source_compare_url)
    bring = (f"{outcome.ahead_by} commit(s) to bring back" if outcome.ahead_by
             else "nothing to bring back")
    rows: list[tuple[str, str]] = [
        ("Result", f"**{outcome.result}**"),
        ("Compared", f"{compared}: {bring}"),
    ]
    if outcome.result == "fast-forwarded":
        rows.append(("Target", f"`{outcome.target}` fast-forwarded to `{outcome.target_sha[:7]}`"
                               " (it had no commits of its own)"))
    elif outcome.ahead_by and outcome.result != "failed":
        rows.append(("Head branch", f"`{outcome.head}`"))
    if outcome.error:
        rows.append(("Error", inline(outcome.error)))
    if outcome.pr_number is not None:
        rows.append(("Pull request", _link(f"#{outcome.pr_number}", outcome.pr_url)))
    if outcome.issue_number is not None:
        rows.append(("Issue", _link(f"#{outcome.issue_number}", outcome.issue_url)))
    if outcome.pr_number is not None:
        if outcome.conflicts:
            conflicts = "**yes**: the pull request has a comment with the steps to resolve them"
        elif outcome.mergeable is None:
            conflicts = "unknown: GitHub had not computed mergeability in time"
        else:
            conflicts = "no"
        rows.append(("Conflicts", conflicts))
    if outcome.reviewers:
        rows.append(("Reviewers requested", ", ".join(f"@{r}" for r in outcome.reviewers)))
    if outcome.ci_blocked:
        rows.append(("Checks", "**not started**: the pull request's events were made with the "
                               "job's GITHUB_TOKEN (see the warning)"))
    text = (f"## Reintegrate `{outcome.source}` into `{outcome.target}`\n\n"
            + markdown_table(["", ""], rows))
    done = outcome.done or ["nothing: everything was already as it should be"]
    return text + "\n**Done:**\n\n" + "\n".join(f"- {line}" for line in done) + "\n"


def overview(outcomes: list[TargetReport]) -> str:
    """Markdown: one row per target (several targets), before each target's own section."""
    rows = []
    for o in outcomes:
        change = (_link(f"PR #{o.pr_number}", o.pr_url) if o.pr_number is not None
                  else _link(f"issue #{o.issue_number}", o.issue_url)
                  if o.issue_number is not None
                  else f"`{o.target_sha[:7]}`" if o.target_sha else "")
        conflicts = "**yes**" if o.conflicts else "no" if o.pr_number is not None else ""
        rows.append([f"`{o.target}`", f"**{o.result}**", change, conflicts])
    source = outcomes[0].source if outcomes else ""
    return (f"## Sync `{source}` into {len(outcomes)} branches\n\n"
            + markdown_table(["Target", "Result", "Pull request / issue / commit", "Conflicts"],
                             rows) + "\n")
