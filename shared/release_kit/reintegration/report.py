"""What a run did: the action's outputs and the step summary, from one record."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from release_kit.action.outputs import markdown_table

Result = Literal["created", "updated", "unchanged", "up-to-date", "issue-created"]


@dataclass
class Outcome:
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


def _link(text: str, url: str) -> str:
    return f"[{text}]({url})" if url else text


def summary(outcome: Outcome) -> str:
    """Markdown: what was compared, what was done, and links."""
    compared = _link(f"`{outcome.target}...{outcome.source}`", outcome.source_compare_url)
    bring = (f"{outcome.ahead_by} commit(s) to bring back" if outcome.ahead_by
             else "nothing to bring back")
    rows: list[tuple[str, str]] = [
        ("Result", f"**{outcome.result}**"),
        ("Compared", f"{compared}: {bring}"),
    ]
    if outcome.ahead_by:
        rows.append(("Head branch", f"`{outcome.head}`"))
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
    text = (f"## Reintegrate `{outcome.source}` into `{outcome.target}`\n\n"
            + markdown_table(["", ""], rows))
    done = outcome.done or ["nothing: everything was already as it should be"]
    return text + "\n**Done:**\n\n" + "\n".join(f"- {line}" for line in done) + "\n"
