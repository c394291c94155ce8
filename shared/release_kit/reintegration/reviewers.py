"""Who is asked to review the reintegration PR.

By default the authors of the hotfix PRs: they know what the fix does and how it should land
on the target. The PR's own author cannot review it, and GitHub refuses review requests for
logins that do not exist or are bots; those are skipped with a reason instead of failing.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from release_kit.reintegration.model import Pull, unique_names


@dataclass(frozen=True)
class ReviewerChoice:
    request: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...] = ()  # (login, why), each worth a warning


def candidates(explicit: Sequence[str], pulls: Sequence[Pull]) -> list[str]:
    """``explicit`` when given, else the hotfix PRs' authors; deduplicated, order kept."""
    logins = explicit if explicit else [pull.author for pull in pulls]
    return list(unique_names(login.removeprefix("@") for login in logins))


def choose_reviewers(
    logins: Sequence[str],
    *,
    known: Collection[str],
    pr_author: str | None = None,
    already_requested: Collection[str] = (),
) -> ReviewerChoice:
    """Split ``logins`` into those to request now and those skipped (with why).

    ``known`` holds the logins GitHub knows (any case); ``already_requested`` are not requested
    again, silently, so that a re-run writes nothing.
    """
    known_lower = {login.lower() for login in known}
    requested_lower = {login.lower() for login in already_requested}
    request: list[str] = []
    skipped: list[tuple[str, str]] = []
    for login in unique_names(login.removeprefix("@") for login in logins):
        if pr_author and login.lower() == pr_author.lower():
            skipped.append((login, "is the author of the pull request"))
        elif login.lower().endswith("[bot]"):
            skipped.append((login, "is a bot, and bots cannot review"))
        elif login.lower() not in known_lower:
            skipped.append((login, "is not a GitHub user"))
        elif login.lower() not in requested_lower:
            request.append(login)
    return ReviewerChoice(tuple(request), tuple(skipped))
