"""Commit messages: Conventional Commits, PR references, and the strategies' changes."""

from __future__ import annotations

import pytest

from release_kit.versioning.bump import Bump
from release_kit.versioning.changes import (
    LabelRules,
    PullRequest,
    conventional_changes,
    label_changes,
    referenced_pull_requests,
)
from release_kit.versioning.commits import (
    Commit,
    parse_conventional,
    pull_request_number,
    strip_pull_request,
)


def commit(subject: str, body: str = "", *, sha: str = "", merge: bool = False) -> Commit:
    sha = sha or f"{abs(hash(subject)):040x}"[:40]
    return Commit(sha, subject, body, ("p1", "p2") if merge else ("p1",))


@pytest.mark.parametrize(("subject", "body", "kind", "scope", "breaking", "description"), [
    ("feat: add login", "", "feat", "", False, "add login"),
    ("feat(api): add login", "", "feat", "api", False, "add login"),
    ("fix(api)!: drop v1", "", "fix", "api", True, "drop v1"),
    ("refactor!: rename", "", "refactor", "", True, "rename"),
    ("Feat: shout", "", "feat", "", False, "shout"),
    ("chore: bump", "Some text.\n\nBREAKING CHANGE: the config moved", "chore", "", True, "bump"),
    ("chore: bump", "BREAKING-CHANGE: gone", "chore", "", True, "bump"),
    ('Revert "feat(ui): dark mode"', "This reverts commit abc.", "feat", "ui", False, "dark mode"),
    ("revert: fix!: undo the undo", "", "fix", "", True, "undo the undo"),
])
def test_parse_conventional(subject: str, body: str, kind: str, scope: str, breaking: bool,
                            description: str) -> None:
    parsed = parse_conventional(subject, body)
    assert parsed is not None
    assert (parsed.type, parsed.scope, parsed.breaking, parsed.description) == (
        kind, scope, breaking, description)


@pytest.mark.parametrize("subject", ["Update README", "feat:no space", "feat : spaced",
                                     "(scope): x", "Merge pull request #4 from a/b", ""])
def test_not_conventional(subject: str) -> None:
    assert parse_conventional(subject) is None


def test_breaking_footer_must_be_a_footer_token() -> None:
    parsed = parse_conventional("feat: x", "mentions breaking change: in prose")
    assert parsed is not None and not parsed.breaking


@pytest.mark.parametrize(("subject", "number"), [
    ("Merge pull request #12 from acme/feature-x", 12),
    ("Add login (#34)", 34),
    ("feat: add login (#7)", 7),
    ("Fix #12 crash", None),
    ("Add (#34) in the middle", None),
    ("Merge branch 'main' into feature", None),
])
def test_pull_request_number(subject: str, number: int | None) -> None:
    assert pull_request_number(subject) == number


def test_strip_pull_request() -> None:
    assert strip_pull_request("Add login (#34)") == "Add login"
    assert strip_pull_request("Add login") == "Add login"


RULES = LabelRules.of(major=["major"], minor=["minor", "feature"], patch=["fix", "bug"],
                      skip=["no-release"], default=Bump.MINOR)


def test_label_changes_from_merge_and_squash_commits() -> None:
    mainline = [
        commit("Merge pull request #3 from acme/x", "Breaking API\n\ndetails", merge=True),
        commit("Fix crash (#2)"),
        commit("Add docs (#1)"),
        commit("Hotfix pushed directly", sha="d" * 40),
    ]
    pulls = {
        3: PullRequest(3, "Breaking API", "alice", ("major", "feature")),
        2: PullRequest(2, "Fix crash", "bob", ("bug",)),
        1: PullRequest(1, "Add docs", "carol", ("docs", "no-release")),
    }
    assert referenced_pull_requests(mainline) == {1, 2, 3}
    changes = label_changes(mainline, pulls, RULES)
    assert [(c.number, c.bump, c.author) for c in changes] == [
        (3, Bump.MAJOR, "alice"), (2, Bump.PATCH, "bob")]  # the direct push is no PR
    assert changes[0].reason == "#3 (label `major`)"
    assert label_changes([commit("Hotfix pushed directly")], pulls, RULES) == []


def test_pr_without_bump_label_counts_as_default_bump() -> None:
    changes = label_changes([commit("Tidy (#5)")], {5: PullRequest(5, "Tidy", "x", ("chore",))},
                            RULES)
    assert changes[0].bump is Bump.MINOR and "default `minor`" in changes[0].reason


def test_pr_missing_from_metadata_uses_the_commit() -> None:
    merge = commit("Merge pull request #9 from acme/y", "Add the thing", merge=True)
    changes = label_changes([merge, commit("Add the thing (#9)")], {}, RULES)
    assert len(changes) == 1  # the same PR is counted once
    assert (changes[0].title, changes[0].number, changes[0].bump) == ("Add the thing", 9,
                                                                      Bump.MINOR)


def test_conventional_changes() -> None:
    history = [
        commit("Merge pull request #4 from acme/z", "feat: z", merge=True),  # no content: skipped
        commit("Merge branch 'main' into z", merge=True),
        commit("feat(ui): dark mode (#4)"),
        commit("fix: crash"),
        commit("Update README"),
        commit('Revert "feat: beta flag"'),
        commit("refactor!: new config"),
        commit("feat: merged with a message", merge=True),
    ]
    changes = conventional_changes(history)
    assert [(c.title, c.bump, c.number) for c in changes] == [
        ("ui: dark mode", Bump.MINOR, 4),
        ("crash", Bump.PATCH, None),
        ("Update README", Bump.PATCH, None),
        ("beta flag", Bump.MINOR, None),
        ("new config", Bump.MAJOR, None),
        ("merged with a message", Bump.MINOR, None),
    ]
    assert changes[0].labels == {"feat"}
    assert changes[4].labels == {"refactor", "breaking"}
