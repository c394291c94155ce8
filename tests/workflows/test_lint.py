"""zizmor (offline) and check-jsonschema over the workflows, the onboarding example and the actions.

Both run as subprocesses exactly as `make lint` runs them. `--strict-collection` matters: without
it zizmor skips a file it cannot parse with a warning and still reports "No findings".
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.workflows.model import ACTIONS, EXAMPLE, OWNED, ROOT, workflow_path

BIN = Path(sys.executable).parent
REPO_CONFIG = ROOT / ".github" / "zizmor.yml"
EXAMPLE_WORKFLOWS = [*sorted((EXAMPLE / ".github" / "workflows").glob("*.yml")),
                     EXAMPLE / "optional" / "deploy-manual.yml"]


def tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{name} is not installed next to {sys.executable} (pip install -e '.[dev]')")
    return str(path)


def zizmor(paths: list[Path], config: Path | None) -> list[dict[str, object]]:
    argv = [tool("zizmor"), "--offline", "--strict-collection", "--format", "json"]
    if config is not None:
        argv += ["--config", str(config)]
    result = subprocess.run([*argv, *map(str, paths)], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode in (0, *range(10, 15)), result.stderr
    findings = json.loads(result.stdout or "[]")
    assert isinstance(findings, list)
    return findings


def describe(findings: list[dict[str, object]]) -> str:
    return json.dumps(findings, indent=1)[:6000]


def test_zizmor_finds_nothing_in_the_workflows() -> None:
    files = [workflow_path(name) for name in OWNED]
    # The repository's config only adjusts a rule for action.yml files; the workflows are clean
    # with zizmor's defaults too.
    for config in (None, REPO_CONFIG):
        findings = zizmor(files, config)
        assert findings == [], describe(findings)


def test_zizmor_finds_nothing_in_the_actions() -> None:
    actions = sorted(ACTIONS.glob("*/action.yml"))
    assert actions, "no actions/<name>/action.yml yet"
    findings = zizmor(actions, REPO_CONFIG)
    assert findings == [], describe(findings)


def test_zizmor_finds_nothing_in_the_onboarding_example() -> None:
    findings = zizmor(EXAMPLE_WORKFLOWS, EXAMPLE / ".github" / "zizmor.yml")
    assert findings == [], describe(findings)


def check_jsonschema(schema: str, paths: list[Path]) -> None:
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", schema, *map(str, paths)],
        capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_match_the_github_workflow_schema() -> None:
    check_jsonschema("vendor.github-workflows",
                     [*(workflow_path(name) for name in OWNED), *EXAMPLE_WORKFLOWS])


def test_actions_match_the_github_action_schema() -> None:
    check_jsonschema("vendor.github-actions", sorted(ACTIONS.glob("*/action.yml")))
