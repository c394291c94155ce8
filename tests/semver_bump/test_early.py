"""The log semver-bump starts before its inputs are parsed: the guess, and when none is made."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from release_kit.git import GitHistory
from release_kit.git import history as module
from release_kit.release import early
from release_kit.release.history import Ranges
from release_kit.versioning.tags import TagFormat, versions
from tests.harness import ACTIONS_DIR
from tests.sandbox.gitutil import ENV, git


@pytest.fixture(autouse=True)
def nothing_left_running() -> Iterator[None]:
    yield
    module.discard_started()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    for message, tag in (("feat: one", "v1.0.0"), ("fix: two", "v1.1.0"), ("fix: three", "")):
        git(path, "commit", "-q", "--allow-empty", "-m", message)
        if tag:
            git(path, "tag", tag)
    return path


def started() -> list[tuple[str, ...]]:
    return list(module._STARTED)


def test_the_defaults_are_action_yml_s() -> None:
    metadata = yaml.safe_load((ACTIONS_DIR / "semver-bump" / "action.yml").read_text())
    assert {name: str(metadata["inputs"][name]["default"]) for name in early.DEFAULTS} == \
        early.DEFAULTS


def test_flags_win_over_inputs_and_defaults_fill_in() -> None:
    env = {"INPUT_STRATEGY": "labels", "INPUT_TAG-PREFIX": " rel- ", "INPUT_PACKAGES": ""}
    assert early.raw_inputs(["--strategy", "conventional-commits", "--dry-run"], env) == {
        "strategy": "conventional-commits", "tag-prefix": "rel-", "operation": "auto",
        "packages": ""}
    assert early.raw_inputs(["--operation=preview"], {})["operation"] == "preview"


@pytest.mark.parametrize("strategy", ["conventional-commits", "labels"])
def test_the_guess_is_the_log_the_release_reads_first(repo: Path, strategy: str) -> None:
    early.start(["--strategy", strategy], {**ENV, "GITHUB_WORKSPACE": str(repo)})
    assert len(started()) == 1
    history = GitHistory(repo)
    ranges = Ranges(history, history.head())
    candidates = versions([(t.name, t.sha) for t in history.tags(merged_into=None)],
                          TagFormat("v"))
    previous, subjects = ranges.read(candidates, lambda _, c: [x.subject for x in c],
                                     first_parent=strategy == "labels")
    assert previous is not None and previous.tag == "v1.1.0" and subjects == ["fix: three"]
    assert started() == []  # read: the run claimed the guess


@pytest.mark.parametrize(("argv", "env"), [
    (["--packages", "packages/*", "--strategy", "conventional-commits"], {}),
    (["--operation", "preview"], {}),
    ([], {"GITHUB_EVENT_NAME": "pull_request"}),
    (["--strategy", "semantic"], {}),
    (["--tag-prefix", "release-"], {}),  # no such tags: nothing to guess
])
def test_no_guess_when_in_doubt(repo: Path, argv: list[str], env: dict[str, str]) -> None:
    early.start(argv, {**ENV, "GITHUB_WORKSPACE": str(repo), **env})
    assert started() == []


def test_no_guess_and_no_error_outside_a_repository(tmp_path: Path) -> None:
    early.start([], {**ENV, "GITHUB_WORKSPACE": str(tmp_path / "nowhere")})
    git(tmp_path, "init", "-q")
    early.start([], {**ENV, "GITHUB_WORKSPACE": str(tmp_path)})  # no commit yet
    assert started() == []


def test_tag_at_head_needs_no_log(repo: Path) -> None:
    git(repo, "tag", "v1.1.1")
    early.start([], {**ENV, "GITHUB_WORKSPACE": str(repo)})
    assert started() == []
