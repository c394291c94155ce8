"""End to end: conventional commits, monorepo packages, hotfix branches, local and shallow runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from release_kit_sandbox import Sandbox
from tests.harness import ROOT
from tests.sandbox.gitutil import ENV, git
from tests.semver_bump.flow import Flow

CORE = """\
# The core library; comments must survive the bump.
[project]
name = "acme-core"
version = "0.3.0"  # managed by semver-bump
dependencies = []
"""


def pyproject(name: str, version: str) -> str:
    return f'[project]\nname = "{name}"\nversion = "{version}"\n'


def test_conventional_flow(sandbox: Sandbox, tmp_path: Path) -> None:
    flow = Flow(sandbox, tmp_path)
    flow.tag("v0.4.1", annotated=True)
    flow.commit("fix(parser): handle tabs")
    flow.commit("docs: explain tags")
    flow.commit("feat: config file\n\nBREAKING CHANGE: settings.ini is no longer read")
    flow.merged_pr("feat: export CSV", [], method="merge", commits=["feat(export): CSV writer"])

    result = flow.run({"strategy": "conventional-commits"})

    assert result.exit_code == 0, result
    assert (result.outputs["previous-version"], result.outputs["version"],
            result.outputs["bump"]) == ("0.4.1", "1.0.0", "major")
    changelog = result.outputs["changelog"]
    assert changelog.index("### Breaking changes\n\n- config file") < \
        changelog.index("### Features\n\n- export: CSV writer") < \
        changelog.index("### Fixes\n\n- parser: handle tabs") < \
        changelog.index("### Other changes\n\n- explain tags")
    assert "Merge pull request" not in changelog
    drafts = flow.drafts()
    assert len(drafts) == 1 and drafts[0]["tag"] == "v1.0.0"


def test_monorepo_three_packages(sandbox: Sandbox, tmp_path: Path) -> None:
    flow = Flow(sandbox, tmp_path)
    flow.commit("chore: layout", {
        "packages/core/pyproject.toml": CORE,
        "packages/api/pyproject.toml": pyproject("acme-api", "1.0.0"),
        "packages/cli/pyproject.toml": pyproject("acme-cli", "2.1.0"),
    })
    for tag in ("core-v0.3.0", "api-v1.0.0", "cli-v2.1.0"):
        flow.tag(tag)
    base = flow.head()
    flow.commit("fix(api): timeout", {"packages/api/client.py": "timeout = 5\n"})
    flow.checkout("elsewhere", base)  # api-v1.0.1 already made, on another line of history
    flow.commit("fix(api): other timeout", {"packages/api/client.py": "timeout = 9\n"})
    flow.tag("api-v1.0.1")
    flow.checkout("main", "origin/main")
    flow.commit("feat(core): plugins", {"packages/core/plugins.py": "PLUGINS = []\n"})

    inputs = {"strategy": "conventional-commits", "packages": "packages/*",
              "update-pyproject": True, "create-tags": True}
    result = flow.run(inputs)

    assert result.exit_code == 0, result
    packages = {p["name"]: p for p in result.json_output("packages")}
    assert packages["cli"] == {"name": "cli", "path": "packages/cli", "previous_version": "2.1.0",
                               "version": "2.1.0", "bump": "none", "tag": "cli-v2.1.0",
                               "skipped": "unchanged",
                               "reason": "no commits touching packages/cli since cli-v2.1.0"}
    assert packages["api"]["skipped"] == "tag-exists" and packages["api"]["version"] == "1.0.1"
    assert packages["core"] == {"name": "core", "path": "packages/core",
                                "previous_version": "0.3.0", "version": "0.4.0", "bump": "minor",
                                "tag": "core-v0.4.0", "skipped": None, "reason": None}
    assert (result.outputs["version"], result.outputs["tag"], result.outputs["bump"]) == (
        "0.4.0", "core-v0.4.0", "minor")
    assert "## core 0.4.0" in result.outputs["changelog"] and "api" not in \
        result.outputs["changelog"].split("## core")[0]
    assert "| core | 0.3.0 | 0.4.0 | minor | core-v0.4.0 |" in result.summary

    bare = flow.repo.git_dir
    committed = git(bare, "show", "main:packages/core/pyproject.toml")
    assert committed == CORE.replace('"0.3.0"', '"0.4.0"').rstrip("\n")
    assert git(bare, "rev-parse", "core-v0.4.0^{commit}") == flow.head()
    assert git(bare, "log", "-1", "--format=%s", "core-v0.4.0") == "chore(release): core 0.4.0"
    assert git(bare, "show", "main:packages/api/pyproject.toml").endswith('version = "1.0.0"')
    assert git(bare, "tag", "--list", "cli-*") == "cli-v2.1.0"
    assert flow.drafts() == []

    writes = len(flow.emu.writes())
    again = flow.run(inputs, workspace=flow.workspace("main", name="ws-rerun"))
    assert again.exit_code == 0, again
    assert len(flow.emu.writes()) == writes  # converged: nothing left to write
    assert {p["name"]: p["skipped"] for p in again.json_output("packages")} == {
        "api": "tag-exists", "cli": "unchanged", "core": "unchanged"}


def test_hotfix_branch_is_a_patch_and_its_own_draft(sandbox: Sandbox, tmp_path: Path) -> None:
    flow = Flow(sandbox, tmp_path)
    flow.commit("feat: first")
    flow.tag("v1.2.0")
    flow.merged_pr("Big feature on main", ["feature"])
    assert flow.run().outputs["version"] == "1.3.0"  # main's draft

    flow.checkout("release/1.2.0", "v1.2.0")
    git(flow.dev, "push", "--quiet", "origin", "release/1.2.0")
    fix = flow.merged_pr("Urgent fix labelled as a feature", ["feature"], base="release/1.2.0")
    result = flow.run({"create-tags": True}, branch="release/1.2.0")

    assert result.exit_code == 0, result
    assert (result.outputs["previous-version"], result.outputs["version"],
            result.outputs["bump"]) == ("1.2.0", "1.2.1", "patch")
    assert "hotfix branch" in result.summary
    assert f"- Urgent fix labelled as a feature (#{fix}) @alice" in result.outputs["changelog"]
    drafts = {d["tag"]: d for d in flow.drafts()}
    assert set(drafts) == {"v1.3.0", "v1.2.1"}  # one draft per branch
    assert drafts["v1.2.1"]["target"] == flow.head("release/1.2.0")
    assert "release/1.2.0" in str(drafts["v1.2.1"]["body"])
    assert git(flow.repo.git_dir, "rev-parse", "v1.2.1^{commit}") == flow.head("release/1.2.0")

    writes = len(flow.emu.writes())
    again = flow.run({"create-tags": True}, branch="release/1.2.0",
                     workspace=flow.workspace("release/1.2.0", name="ws-rerun"))
    assert again.exit_code == 0, again
    assert again.outputs["bump"] == "none" and len(flow.emu.writes()) == writes


def test_local_dry_run_needs_no_github_at_all(tmp_path: Path) -> None:
    repo = tmp_path / "checkout"
    repo.mkdir()
    git(repo, "init", "--quiet", "-b", "trunk")
    git(repo, "commit", "--quiet", "--allow-empty", "-m", "feat: start")
    git(repo, "tag", "v0.9.0")
    git(repo, "commit", "--quiet", "--allow-empty", "-m", "fix: the thing (#3)")
    env = {k: v for k, v in ENV.items() if not k.startswith(("GITHUB_", "INPUT_", "RUNNER_"))}
    env.update({"PYTHONPATH": str(ROOT / "shared"), "GITHUB_API_URL": "http://127.0.0.1:9"})
    proc = subprocess.run(
        [sys.executable, "-m", "release_kit", "semver-bump", "--strategy",
         "conventional-commits", "--dry-run"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "version=0.9.1\n" in proc.stdout and "bump=patch\n" in proc.stdout
    assert "### Fixes\n\n- the thing (#3)" in proc.stdout
    assert "::error" not in proc.stdout and "::warning" not in proc.stdout


def test_shallow_checkout_fails_with_the_fix(sandbox: Sandbox, tmp_path: Path) -> None:
    flow = Flow(sandbox, tmp_path)
    flow.tag("v1.0.0")
    flow.commit("fix: one")
    flow.commit("fix: two")
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "--quiet", "--depth", "1", f"file://{flow.repo.git_dir}",
                    str(shallow)], env=ENV, check=True)
    result = flow.run(workspace=shallow)
    assert result.exit_code == 1
    assert len(result.errors) == 1 and "fetch-depth: 0" in result.errors[0].message
    assert flow.emu.writes() == []


def test_monorepo_with_labels_follows_the_prs_that_touched_each_package(
        sandbox: Sandbox, tmp_path: Path) -> None:
    flow = Flow(sandbox, tmp_path)
    flow.commit("layout", {"packages/core/pyproject.toml": CORE,
                           "packages/api/pyproject.toml": pyproject("acme-api", "1.0.0")})
    flow.tag("core-v0.3.0")
    flow.tag("api-v1.0.0")
    fix = flow.merged_pr("Retry API calls", ["bug"], method="merge",
                         files={"packages/api/retry.py": "RETRIES = 3\n"},
                         commits=["retry", "tests"])
    flow.merged_pr("Top-level docs", ["docs"], files={"README.md": "docs\n"})

    result = flow.run({"packages": "packages/*", "dry-run": True})

    assert result.exit_code == 0, result
    packages = {p["name"]: (p["version"], p["bump"], p["skipped"])
                for p in result.json_output("packages")}
    assert packages == {"api": ("1.0.1", "patch", None), "core": ("0.3.0", "none", "unchanged")}
    assert f"## api 1.0.1\n\n### Fixes\n\n- Retry API calls (#{fix}) @alice" in \
        result.outputs["changelog"]
    assert "Top-level docs" not in result.outputs["changelog"]
