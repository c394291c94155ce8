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

from tests.workflows.model import (
    ACTIONS,
    EXAMPLE,
    OWNED,
    ROOT,
    SUITE,
    suite_action,
    suite_workflow,
    workflow_path,
)

BIN = Path(sys.executable).parent
REPO_CONFIG = ROOT / ".github" / "zizmor.yml"
EXAMPLE_WORKFLOWS = [*sorted((EXAMPLE / ".github" / "workflows").glob("*.yml")),
                     EXAMPLE / "optional" / "deploy-manual.yml"]


def tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{name} is not installed next to {sys.executable} (pip install -e '.[dev]')")
    return str(path)


# `config`: a file for --config, DISCOVERED for none (zizmor finds .github/zizmor.yml above the
# inputs by itself), or NO_CONFIG for zizmor's defaults.
DISCOVERED = Path("<discovered>")
NO_CONFIG = Path("<none>")


def zizmor(paths: list[Path], config: Path) -> list[dict[str, object]]:
    argv = [tool("zizmor"), "--offline", "--strict-collection", "--format", "json"]
    if config == NO_CONFIG:
        argv.append("--no-config")
    elif config != DISCOVERED:
        argv += ["--config", str(config)]
    result = subprocess.run([*argv, *map(str, paths)], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode in (0, *range(10, 15)), result.stderr
    findings = json.loads(result.stdout or "[]")
    assert isinstance(findings, list)
    return findings


def describe(findings: list[dict[str, object]]) -> str:
    return json.dumps(findings, indent=1)[:6000]


def primary_feature(finding: dict[str, object]) -> str:
    """The text zizmor points at (for unpinned-uses: the `uses:` value)."""
    locations = finding["locations"]
    assert isinstance(locations, list)
    primary = [loc for loc in locations if loc["symbolic"]["kind"] == "Primary"]
    return str(primary[0]["concrete"]["feature"]) if primary else ""


def test_zizmor_finds_nothing_in_the_workflows() -> None:
    files = [workflow_path(name) for name in OWNED]
    # As `make lint` runs it (--config), and as a bare `zizmor .github/workflows` finds it.
    for config in (DISCOVERED, REPO_CONFIG):
        findings = zizmor(files, config)
        assert findings == [], describe(findings)


def test_the_config_relaxes_only_the_pinning_of_the_suites_own_references() -> None:
    """With zizmor's defaults, the only findings in the workflows are the `@v1` references to
    this suite's actions and reusable workflows, which the `acme-platform/*` policy allows."""
    findings = zizmor([workflow_path(name) for name in OWNED], NO_CONFIG)
    assert findings, "expected the suite's @v1 references to need the unpinned-uses policy"
    for finding in findings:
        uses = primary_feature(finding)
        assert finding["ident"] == "unpinned-uses", describe([finding])
        assert suite_action(uses) or suite_workflow(uses), describe([finding])


def test_the_config_keeps_third_party_actions_hash_pinned(tmp_path: Path) -> None:
    """`actions/*` at a tag passes zizmor's defaults; the repository's policy refuses it, and
    refuses an owner that only starts like the placeholder."""
    workflow = tmp_path / "probe.yml"
    workflow.write_text(
        "name: probe\non: push\npermissions: {}\njobs:\n  probe:\n    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/setup-python@v5\n"
        "      - uses: acme-platform-fork/github-actions/actions/semver-bump@v1\n"
        f"      - uses: {SUITE}actions/semver-bump@v1\n")
    findings = zizmor([workflow], REPO_CONFIG)
    flagged = sorted(primary_feature(f) for f in findings if f["ident"] == "unpinned-uses")
    assert flagged == ["acme-platform-fork/github-actions/actions/semver-bump@v1",
                       "actions/setup-python@v5"], describe(findings)


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
