"""Commit messages: Conventional Commits, PR references, and the strategies' changes."""

from __future__ import annotations

import pytest

from release_kit.versioning.bump import Bump
from release_kit.versioning.changes import (
    PR_RECOGNITION,
    LabelRules,
    MergedPullRequest,
    Seen,
    conventional_changes,
    label_changes,
    referenced_pull_requests,
    why_not_conventional,
    why_not_labels,
)
from release_kit.versioning.commits import (
    Commit,
    body_entries,
    parse_conventional,
    pull_request_number,
    release_as,
    strip_pull_request,
)
from release_kit.versioning.types import ReleaseTypes


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
        3: MergedPullRequest(3, "Breaking API", "alice", ("major", "feature")),
        2: MergedPullRequest(2, "Fix crash", "bob", ("bug",)),
        1: MergedPullRequest(1, "Add docs", "carol", ("docs", "no-release")),
    }
    assert referenced_pull_requests(mainline) == {1, 2, 3}
    seen = Seen()
    changes = list(label_changes(mainline, pulls, RULES, seen))
    assert [(c.number, c.bump, c.author) for c in changes] == [
        (3, Bump.MAJOR, "alice"), (2, Bump.PATCH, "bob")]  # the direct push is no PR
    assert changes[0].reason == "#3: label `major` → major"
    assert (seen.commits, seen.without_pr, seen.skipped_prs) == (4, 1, [1])
    assert list(label_changes([commit("Hotfix pushed directly")], pulls, RULES)) == []


def test_pr_without_bump_label_counts_as_default_bump() -> None:
    changes = list(label_changes([commit("Tidy (#5)")],
                                 {5: MergedPullRequest(5, "Tidy", "x", ("chore",))}, RULES))
    assert changes[0].bump is Bump.MINOR and "default-bump `minor`" in changes[0].reason


def test_pr_missing_from_metadata_uses_the_commit() -> None:
    merge = commit("Merge pull request #9 from acme/y", "Add the thing", merge=True)
    changes = list(label_changes([merge, commit("Add the thing (#9)")], {}, RULES))
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
    seen = Seen()
    changes = list(conventional_changes(history, seen=seen))
    assert seen.commits == len(history)
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
    assert changes[2].reason.endswith(": not conventional → patch")
    assert changes[4].reason.endswith(": refactor! (breaking) → major")


TYPES = ReleaseTypes.parse("chore: none\ndocs: none\nperf: minor")


def test_release_types_map_types_and_breaking_stays_major() -> None:
    history = [commit("chore(deps): bump x"), commit("docs: typo"), commit("perf: faster"),
               commit("chore!: drop py3.10"), commit("style: spaces"), commit("Update README")]
    seen = Seen()
    changes = list(conventional_changes(history, TYPES, seen))
    assert [c.bump for c in changes] == [Bump.NONE, Bump.NONE, Bump.MINOR, Bump.MAJOR,
                                         Bump.PATCH, Bump.PATCH]
    assert seen.none_types == {"chore", "docs"}
    assert TYPES.bump("feat") is Bump.MINOR  # the defaults stay unless overridden
    assert ReleaseTypes.parse('"*": none').bump("style") is Bump.NONE


@pytest.mark.parametrize(("text", "says"), [
    ("chore none", "is not `type: bump`"),
    ("chore: tiny", "'tiny' is not a bump"),
    ("9lives: patch", "is not a commit type"),
    (": patch", "is not `type: bump`"),
])
def test_release_types_reject_bad_lines(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        ReleaseTypes.parse(text)


SQUASH_BODY = """\
* feat(api): list users

* fix: off by one in paging

* Refs: #12
Co-authored-by: Bob <bob@example.com>
- docs: explain paging
"""


def test_squash_body_entries_count_only_as_an_option() -> None:
    squash = commit("Users API (#40)", SQUASH_BODY)
    plain = list(conventional_changes([squash]))
    assert [(c.title, c.bump) for c in plain] == [("Users API", Bump.PATCH)]  # the default
    listed = list(conventional_changes([squash], entries_in_body=True))
    assert [(c.title, c.bump, c.sha) for c in listed] == [
        ("api: list users", Bump.MINOR, squash.sha),
        ("off by one in paging", Bump.PATCH, squash.sha),
        ("explain paging", Bump.PATCH, squash.sha),
    ]  # footers (Refs, Co-authored-by) are no entries; the non-conventional subject is dropped
    both = commit("feat: users (#41)", "* feat: users\n* fix: paging")
    assert [c.title for c in conventional_changes([both], entries_in_body=True)] == [
        "users", "paging"]  # the subject repeated in the body counts once
    assert [e.type for e in body_entries("* custom: x\n* fix: y")] == ["fix"]
    assert [e.type for e in body_entries("* custom: x", {"custom"})] == ["custom"]


@pytest.mark.parametrize(("body", "version"), [
    ("Release-As: 2.0.0", "2.0.0"),
    ("text\n\nrelease-as: 1.4.0\n", "1.4.0"),
    ("RELEASE-AS: 3.0.0\nRelease-As: 3.1.0", "3.1.0"),
    ("We will Release-As: 2.0.0 later", None),
    ("", None),
])
def test_release_as_footer(body: str, version: str | None) -> None:
    assert release_as(body) == version


def test_release_as_is_carried_by_the_change() -> None:
    changes = list(conventional_changes([commit("chore: prepare 1.0", "Release-As: 1.0.0")],
                                        TYPES))
    assert (changes[0].bump, changes[0].release_as) == (Bump.NONE, "1.0.0")
    pr = MergedPullRequest(7, "Prepare", "al", ("chore",), body="Release-As: 2.0.0")
    labelled = list(label_changes([commit("Prepare (#7)")], {7: pr}, RULES))
    assert labelled[0].release_as == "2.0.0"


def test_why_no_release_is_explained() -> None:
    assert why_not_conventional(Seen(), "since v1.2.0", TYPES) == "no commits since v1.2.0"
    seen = Seen(commits=3, none_types={"chore", "docs"})
    assert why_not_conventional(seen, "since v1.2.0", TYPES) == (
        "the 3 commits since v1.2.0 release nothing (release-types: chore: none, docs: none)")
    assert why_not_conventional(Seen(commits=1), "since v1", TYPES).endswith(
        "merges without a message of their own")
    pushed = why_not_labels(Seen(commits=2, without_pr=2), "since v1.2.0", RULES)
    assert pushed.startswith("no merged pull request found since v1.2.0: the 2 commits are no "
                             "merged pull request") and pushed.endswith(PR_RECOGNITION)
    skipped = why_not_labels(Seen(commits=2, skipped_prs=[4, 5]), "since v1.2.0", RULES)
    assert skipped == ("the pull requests merged since v1.2.0 (#4, #5) all have a skip label "
                       "(no-release)")
    both = why_not_labels(Seen(commits=3, without_pr=1, skipped_prs=[4]), "since v1", RULES)
    assert "(#4) all have a skip label" in both and "the 1 commit is no merged" in both


@pytest.mark.parametrize(("subject", "expected"), [
    ("Feat(ui)!: dark mode (#3)", ("ui: dark mode", Bump.MAJOR, "feat! (breaking)", 3)),
    ("FEAT: shout  ", ("shout", Bump.MINOR, "feat", None)),
    ("revert!: feat: beta", ("beta", Bump.MINOR, "feat", None)),
    ("Revert: fix: crash", ("crash", Bump.PATCH, "fix", None)),
    ("revert: no type inside", ("no type inside", Bump.PATCH, "revert", None)),
])
def test_the_common_case_and_the_general_parser_agree(
        subject: str, expected: tuple[str, Bump, str, int | None]) -> None:
    [change] = conventional_changes([commit(subject)])
    assert (change.title, change.bump, change.why, change.number) == expected
    parsed = parse_conventional(subject)
    assert parsed is not None and change.labels >= {parsed.type}
