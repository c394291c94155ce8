"""Changes: what goes into a release, each with the bump it asks for and why.

A strategy turns history into changes (one file per strategy would be overkill for two small
functions; each is one function here):

- :func:`label_changes`: one change per PR merged on the mainline (first-parent history: GitHub's
  merge and squash commits), described by the PR (title, author, labels) and bumped by its
  labels. Commits pushed without a PR are not releases of their own.
- :func:`conventional_changes`: one change per commit, bumped by its Conventional Commit type.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from release_kit.text import code
from release_kit.versioning.bump import Bump
from release_kit.versioning.commits import (
    Commit,
    is_plain_merge,
    parse_conventional,
    pull_request_number,
    strip_pull_request,
)


@dataclass(frozen=True)
class PullRequest:
    """The metadata of a merged PR the changelog and the labels strategy need."""

    number: int
    title: str
    author: str = ""
    labels: tuple[str, ...] = ()
    merged_at: str = ""
    body: str = ""


@dataclass(frozen=True)
class Change:
    """One changelog entry. ``labels`` choose its section; ``reason`` explains its bump."""

    title: str
    bump: Bump
    reason: str
    labels: frozenset[str] = frozenset()
    number: int | None = None
    author: str = ""
    sha: str = ""


@dataclass(frozen=True)
class LabelRules:
    major: frozenset[str]
    minor: frozenset[str]
    patch: frozenset[str]
    skip: frozenset[str]
    default: Bump

    @classmethod
    def of(
        cls,
        *,
        major: Iterable[str],
        minor: Iterable[str],
        patch: Iterable[str],
        skip: Iterable[str],
        default: Bump,
    ) -> LabelRules:
        return cls(frozenset(major), frozenset(minor), frozenset(patch), frozenset(skip), default)

    def bump(self, labels: Iterable[str]) -> tuple[Bump, str]:
        """The highest bump the labels ask for (and the label), else the default."""
        names = set(labels)
        for level, wanted in ((Bump.MAJOR, self.major), (Bump.MINOR, self.minor),
                              (Bump.PATCH, self.patch)):
            hit = sorted(names & wanted)
            if hit:
                return level, f"label {code(hit[0])}"  # a label is free text: shown as code
        return self.default, f"no bump label, default `{self.default}`"


def referenced_pull_requests(commits: Iterable[Commit]) -> set[int]:
    return {n for n in (pull_request_number(c.subject) for c in commits) if n is not None}


def label_changes(
    mainline: Iterable[Commit], pulls: Mapping[int, PullRequest], rules: LabelRules
) -> list[Change]:
    """Changes of the PRs the first-parent commits merged; PRs with a skip label are left out."""
    changes: list[Change] = []
    seen: set[int] = set()
    for commit in mainline:
        number = pull_request_number(commit.subject)
        if number is None or number in seen:
            continue  # commits pushed without a PR carry no labels: only PRs are released
        seen.add(number)
        pr = pulls.get(number)
        if pr is None:  # e.g. a PR merged into another branch first: the commit describes it
            bump, why = rules.default, f"no PR metadata, default `{rules.default}`"
            changes.append(Change(commit_title(commit), bump, f"#{number} ({why})", frozenset(),
                                  number, "", commit.sha))
        elif not rules.skip & set(pr.labels):
            bump, why = rules.bump(pr.labels)
            changes.append(Change(pr.title, bump, f"#{number} ({why})", frozenset(pr.labels),
                                  number, pr.author, commit.sha))
    return changes


def commit_title(commit: Commit) -> str:
    """What a commit is about: a GitHub merge commit's body line is the PR title."""
    if commit.is_merge and pull_request_number(commit.subject) is not None:
        first = next((line.strip() for line in commit.body.splitlines() if line.strip()), "")
        if first:
            return first
    return strip_pull_request(commit.subject)


_CONVENTIONAL_BUMP = {"feat": Bump.MINOR}


def conventional_changes(commits: Iterable[Commit]) -> list[Change]:
    """breaking -> major, ``feat`` -> minor, anything else (even non-conventional) -> patch.

    Merge commits without a message of their own are skipped: the commits they merge count.
    """
    changes: list[Change] = []
    for commit in commits:
        if is_plain_merge(commit):
            continue
        number = pull_request_number(commit.subject)
        parsed = parse_conventional(commit.subject, commit.body)
        if parsed is None:
            title = strip_pull_request(commit.subject)
            changes.append(Change(title, Bump.PATCH, f"{commit.short_sha} (not conventional: "
                                  "patch)", frozenset(), number, "", commit.sha))
            continue
        if parsed.breaking:
            bump, kind = Bump.MAJOR, f"{parsed.type}!"
        else:
            bump, kind = _CONVENTIONAL_BUMP.get(parsed.type, Bump.PATCH), parsed.type
        description = strip_pull_request(parsed.description)
        title = f"{parsed.scope}: {description}" if parsed.scope else description
        labels = {parsed.type} | ({"breaking"} if parsed.breaking else set())
        changes.append(Change(title, bump, f"{commit.short_sha} ({kind}: {bump})",
                              frozenset(labels), number, "", commit.sha))
    return changes
