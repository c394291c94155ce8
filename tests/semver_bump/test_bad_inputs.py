"""Every bad input: one ::error naming the input, exit 1, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from release_kit_sandbox import Sandbox
from tests.semver_bump.flow import Flow

CASES = [
    ("strategy", {"strategy": "semantic"}, "labels"),
    ("default-bump", {"default-bump": "huge"}, "major"),
    ("initial-version", {"initial-version": "1.0"}, "MAJOR.MINOR.PATCH"),
    ("initial-version", {"initial-version": "v1.0.0"}, "no prefix"),
    ("tag-prefix", {"tag-prefix": "v 1"}, "git tag name"),
    ("tag-prefix", {"tag-prefix": "v~"}, "git tag name"),
    ("packages", {"packages": "libs/*"}, "no folder matching libs/*"),
    ("packages", {"packages": "packages/*"}, "packages/noversion/pyproject.toml has no static"),
    ("changelog-sections", {"changelog-sections": "Features: [feat\nFixes: fix"}, "YAML"),
    ("changelog-sections", {"changelog-sections": "- just\n- a list"}, "mapping"),
    ("changelog-sections", {"changelog-sections": "Fixes: {a: b}"}, "list of labels"),
    ("prerelease", {"prerelease": "rc_1"}, "prerelease identifier"),
    ("prerelease", {"prerelease": "rc..1"}, "prerelease identifier"),
    ("package-tag-format", {"packages": "packages/*", "package-tag-format": "v{version}"},
     "{package}"),
    ("package-tag-format", {"package-tag-format": "{name}-{version}"}, "{name}"),
    ("dry-run", {"dry-run": "yes"}, "boolean"),
]


@pytest.fixture(scope="module")
def flow(sandbox_session: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Flow:
    sandbox_session.reset()
    flow = Flow(sandbox_session, tmp_path_factory.mktemp("bad-inputs"))
    flow.commit("feat: layout", {"packages/noversion/pyproject.toml": '[project]\nname = "x"\n'})
    flow.tag("v1.0.0")
    flow.merged_pr("A change", ["feature"])
    return flow


@pytest.mark.parametrize(("name", "inputs", "says"), CASES,
                         ids=[f"{c[0]}:{next(iter(c[1].values()))}" for c in CASES])
def test_bad_input(flow: Flow, name: str, inputs: dict[str, str], says: str) -> None:
    writes = len(flow.emu.writes())
    result = flow.run({**inputs, "create-tags": True, "update-pyproject": True})
    assert result.exit_code == 1, result
    assert len(result.errors) == 1, result
    assert result.errors[0].title == f"Invalid input '{name}'"
    assert says in result.errors[0].message
    assert len(flow.emu.writes()) == writes
    assert "Traceback" not in result.stdout + result.stderr


def test_no_token_outside_dry_run_is_reported(flow: Flow, tmp_path: Path) -> None:
    result = flow.run({"github-token": ""}, env={"GITHUB_TOKEN": ""})
    assert result.exit_code == 1, result
    assert result.errors[0].title == "Invalid input 'github-token'"
