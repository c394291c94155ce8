"""Changes: what goes into a release, each with the bump it asks for and why.

A strategy turns history into changes, one at a time (a history can hold tens of thousands of
commits; nothing is kept that the release does not need):

- :func:`label_changes`: one change per PR merged on the mainline (first-parent history: GitHub's
  merge and squash commits), described by the PR (title, author, labels) and bumped by its
  labels. Commits pushed without a PR are not releases of their own.
- :func:`conventional_changes`: one change per commit (and, as an option, per conventional line
  of its body), bumped by its Conventional Commit type through ``release-types``.

Both count what they saw in a :class:`Seen`, from which "no release" is explained.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from release_kit.text import code
from release_kit.versioning.bump import Bump
from release_kit.versioning.commits import (
    _HEADER,
    KNOWN_TYPES,
    Commit,
    ConventionalCommit,
    body_entries,
    parse_conventional,
    pull_request_number,
    release_as,
    split_pull_request,
    strip_pull_request,
)
from release_kit.versioning.types import ReleaseTypes


@dataclass(frozen=True)
class MergedPullRequest:
    """The metadata of a merged PR the changelog and the labels strategy need."""

    number: int
    title: str
    author: str = ""
    labels: tuple[str, ...] = ()
    merged_at: str = ""
    body: str = ""


@dataclass(slots=True)
class Change:
    """One changelog entry. ``labels`` choose its section; ``why`` names the rule that bumped it.

    ``release_as``: the version a ``Release-As:`` footer of the change asks for ("" when none).
    """

    title: str
    bump: Bump
    why: str
    labels: frozenset[str] = frozenset()
    number: int | None = None
    author: str = ""
    sha: str = ""
    release_as: str = ""

    @property
    def ref(self) -> str:
        """``#12`` for a PR, else the short sha."""
        return f"#{self.number}" if self.number is not None else self.sha[:7]

    @property
    def reason(self) -> str:
        """``#12: label `feature` → minor``, ``1a2b3c4: fix → patch``."""
        return f"{self.ref}: {self.why} → {self.bump}"


@dataclass
class Seen:
    """What a strategy read, to explain a release that is not there."""

    commits: int = 0  # commits read in the range
    without_pr: int = 0  # labels: mainline commits that are no merged PR
    skipped_prs: list[int] = field(default_factory=list)  # labels: PRs with a skip label
    none_types: set[str] = field(default_factory=set)  # conventional: types that bump nothing


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
        return self.default, f"no bump label, default-bump `{self.default}`"

    def skipped(self, labels: Iterable[str]) -> bool:
        return not self.skip.isdisjoint(labels)

    def describe(self) -> str:
        """The labels that mean something, as a PR author needs to know them."""
        parts = [f"{name}: {', '.join(code(x) for x in sorted(labels))}"
                 for name, labels in (("major", self.major), ("minor", self.minor),
                                      ("patch", self.patch), ("left out", self.skip)) if labels]
        return "; ".join(parts)


def referenced_pull_requests(commits: Iterable[Commit]) -> set[int]:
    return {n for n in (pull_request_number(c.subject) for c in commits) if n is not None}


def label_changes(
    mainline: Iterable[Commit], pulls: Mapping[int, MergedPullRequest], rules: LabelRules,
    seen: Seen | None = None,
) -> Iterator[Change]:
    """Changes of the PRs the first-parent commits merged; PRs with a skip label are left out."""
    seen = seen if seen is not None else Seen()
    numbers: set[int] = set()
    for commit in mainline:
        seen.commits += 1
        number = pull_request_number(commit.subject)
        if number is None:
            seen.without_pr += 1  # commits pushed without a PR carry no labels: only PRs count
            continue
        if number in numbers:
            continue
        numbers.add(number)
        forced = release_as(commit.body) or ""
        pr = pulls.get(number)
        if pr is None:  # e.g. a PR merged into another branch first: the commit describes it
            yield Change(commit_title(commit), rules.default,
                         f"no PR metadata, default-bump `{rules.default}`", frozenset(), number,
                         "", commit.sha, forced)
        elif rules.skipped(pr.labels):
            seen.skipped_prs.append(number)
        else:
            bump, why = rules.bump(pr.labels)
            yield Change(pr.title, bump, why, frozenset(pr.labels), number, pr.author,
                         commit.sha, release_as(pr.body) or forced)


def commit_title(commit: Commit) -> str:
    """What a commit is about: a GitHub merge commit's body line is the PR title."""
    if commit.is_merge and pull_request_number(commit.subject) is not None:
        first = next((line.strip() for line in commit.body.splitlines() if line.strip()), "")
        if first:
            return first
    return strip_pull_request(commit.subject)


_LABELS: dict[tuple[str, bool], frozenset[str]] = {}


def _labels(kind: str, breaking: bool) -> frozenset[str]:
    """The changelog labels of a type (shared: one set per type, not one per commit)."""
    key = (kind, breaking)
    found = _LABELS.get(key)
    if found is None:
        found = _LABELS[key] = frozenset({kind, "breaking"} if breaking else {kind})
    return found


def conventional_changes(
    commits: Iterable[Commit], types: ReleaseTypes | None = None, seen: Seen | None = None, *,
    entries_in_body: bool = False,
) -> Iterator[Change]:
    """Breaking -> major; otherwise the type's bump in ``types`` (feat minor, others patch).

    Merge commits without a message of their own are skipped: the commits they merge count.
    With ``entries_in_body`` the body lines that are conventional headers (of a known type, or
    one ``types`` names) are changes of their own, as a squash commit lists its commits.
    """
    types = types or ReleaseTypes()
    seen = seen if seen is not None else Seen()
    known = KNOWN_TYPES | types.levels.keys()
    match = _HEADER.match
    # What a (type, breaking) pair means, worked out once per pair: (bump, why, labels).
    rules: dict[tuple[str, bool], tuple[Bump, str, frozenset[str]] | None] = {}
    count = 0
    for commit in commits:
        count += 1
        subject, body = commit.subject, commit.body
        forced = (release_as(body) or "") if body else ""
        header = match(subject)
        if header is not None and not entries_in_body and (not body or "BREAKING" not in body):
            # The common case, without the general parser (which handles reverts and footers).
            kind, scope, bang, description = header.groups()
            rule = rules.get((kind, bool(bang)))
            if rule is None:
                lowered = kind.lower()  # a revert (None) is parsed as what it reverts
                rule = rules[kind, bool(bang)] = None if lowered == "revert" else \
                    _rule(lowered, bool(bang), types, seen)
            if rule is not None:
                description, number = split_pull_request(description)
                yield Change(f"{scope.strip()}: {description}" if scope else description, *rule,
                             number, "", commit.sha, forced)
                continue
        parsed = parse_conventional(subject, body)
        if parsed is None and len(commit.parents) > 1:
            continue  # a plain merge: what it merged is counted
        if entries_in_body and body:
            listed = body_entries(body, known)
            if listed:
                if parsed is not None and _same(parsed) not in {_same(e) for e in listed}:
                    yield _change(parsed, commit.sha, types, seen, forced)
                for entry in listed:
                    yield _change(entry, commit.sha, types, seen, "")
                continue
        if parsed is None:
            title, number = split_pull_request(subject.strip())
            yield Change(title, types.other, "not conventional", frozenset(), number, "",
                         commit.sha, forced)
        else:
            yield _change(parsed, commit.sha, types, seen, forced)
    seen.commits += count


def _rule(kind: str, breaking: bool, types: ReleaseTypes,
          seen: Seen) -> tuple[Bump, str, frozenset[str]]:
    """The bump, the reason and the changelog labels of a type (breaking or not)."""
    if breaking:
        return Bump.MAJOR, f"{kind}! (breaking)", _labels(kind, True)
    bump = types.levels.get(kind, types.other)
    if not bump:
        seen.none_types.add(kind)
    return bump, kind, _labels(kind, False)


def _same(entry: ConventionalCommit) -> tuple[str, str, str]:
    """What makes two entries the same change (a squash subject keeps its ``(#N)``)."""
    return entry.type, entry.scope, strip_pull_request(entry.description)


def _change(parsed: ConventionalCommit, sha: str, types: ReleaseTypes, seen: Seen,
            forced: str) -> Change:
    kind, scope, description, breaking = parsed
    description, number = split_pull_request(description)
    return Change(f"{scope}: {description}" if scope else description,
                  *_rule(kind, breaking, types, seen), number, "", sha, forced)


PR_RECOGNITION = (
    "semver-bump recognises a pull request by GitHub's merge commit (`Merge pull request #N "
    "from ...`) or the ` (#N)` GitHub ends a squash commit's subject with; commits pushed "
    "without a pull request are released with the next one (or use strategy: "
    "conventional-commits)"
)


def why_not_labels(seen: Seen, since: str, rules: LabelRules) -> str:
    """Why the labels strategy found nothing to release ``since`` (``since v1.2.0``)."""
    if seen.commits == 0:
        return f"no commits {since}"
    skipped = ""
    if seen.skipped_prs:
        shown = ", ".join(f"#{n}" for n in seen.skipped_prs[:10])
        if len(seen.skipped_prs) > 10:
            shown += f" and {len(seen.skipped_prs) - 10} more"
        skipped = (f"the pull requests merged {since} ({shown}) all have a skip label "
                   f"({', '.join(sorted(rules.skip))})")
    if not seen.without_pr:
        return skipped
    pushed = (f"{seen.without_pr} commit{'s' if seen.without_pr > 1 else ''} "
              f"{'are' if seen.without_pr > 1 else 'is'} no merged pull request")
    if skipped:
        return f"{skipped}, and the {pushed}; {PR_RECOGNITION}"
    return f"no merged pull request found {since}: the {pushed}; {PR_RECOGNITION}"


def why_not_conventional(seen: Seen, since: str, types: ReleaseTypes) -> str:
    """Why the conventional-commits strategy found nothing to release ``since``."""
    if seen.commits == 0:
        return f"no commits {since}"
    what = "commit" if seen.commits == 1 else f"{seen.commits} commits"
    if seen.none_types:
        kinds = ", ".join(f"{k}: none" for k in sorted(seen.none_types))
        return f"the {what} {since} release nothing (release-types: {kinds})"
    return f"the {what} {since} are merges without a message of their own"


__all__ = [
    "Change",
    "LabelRules",
    "MergedPullRequest",
    "Seen",
    "commit_title",
    "conventional_changes",
    "label_changes",
    "referenced_pull_requests",
    "why_not_conventional",
    "why_not_labels",
]
