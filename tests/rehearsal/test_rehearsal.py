"""The rehearsal (the README's main command) runs in the suite: whole flow and failure path."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from release_kit.environments.naming import preview_namespace

pytestmark = pytest.mark.timeout(300)


def rehearse(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], str]:
    report = tmp_path / "report.md"
    proc = subprocess.run(
        [sys.executable, "-m", "release_kit", "rehearse", "--report", str(report), *args],
        capture_output=True, text=True, timeout=280, check=False, cwd=tmp_path,
    )
    return proc, report.read_text(encoding="utf-8") if report.exists() else ""


def test_whole_release_process(tmp_path: Path) -> None:
    proc, report = rehearse(tmp_path)
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    assert "FAIL" not in out
    for check in ("both services share the preview namespace of the branch",
                  "the preview namespace is gone with the last PR",
                  "the ticket is all green and closed",
                  "promotion moved manifests only (0 bytes)",
                  "every promoted image was built from the commit released",
                  "the hotfix is tagged v0.1.1",
                  "each feature PR has one comment: merging it releases v0.1.0",
                  "the v0.1.0 releases stay drafts until @alice publishes them",
                  "the hotfix PR's comment says it releases v0.1.1",
                  "the hotfix release v0.1.1 is published once production runs it",
                  "a reintegration PR brings the hotfix back to main"):
        assert f"ok   {check}" in out
    # Deploys are simulated, and say so.
    assert "SIMULATED helmfile" in out
    # Both services' previews landed in the one namespace of the branch.
    namespace = preview_namespace("feature/login")
    assert namespace.startswith("preview-feature-login-")
    assert out.count(f"preview: deployed in namespace {namespace}") == 2
    assert "qa1: deployed in namespace qa1" in out
    assert "qa1: destroyed" in out
    # The report: ticket body (closed), releases, tags, deployments, PRs of both services.
    assert "Outcome: released; checks passed" in report
    assert re.search(r"## Release ticket acme/releases#\d+ \(closed\)", report)
    assert "<!-- release-kit:ticket-begin -->" in report
    for repo in ("acme/web", "acme/api"):
        assert f"## {repo}" in report
    assert "| v0.1.1 | v0.1.1 | False |" in report  # the hotfix release, published
    # The PR comments: what each PR releases if merged now, one per PR.
    assert report.count("### Release-preview comments") == 2
    assert "> **v0.1.0**: a minor release from nothing (the first release)" in report
    assert "> **v0.1.1**: a patch release from 0.1.0" in report
    assert "> > The base release/0.1.0 is a hotfix branch: every change is a patch." in report
    assert "v0.1.0, v0.1.1" in report or "v0.1.1, v0.1.0" in report
    assert "| production | " in report and "| staging | " in report
    assert "Reintegrate release/0.1.0 into main" in report
    assert "layer bytes moved by promotion: 0" in report


def test_failure_path_marks_the_stage_and_pings_the_driver(tmp_path: Path) -> None:
    proc, report = rehearse(tmp_path, "--fail", "staging")
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    assert "The release stopped: staging failed" in out
    assert "ok   the ticket marks staging failed" in out
    assert "ok   the ticket pings the release driver @alice" in out
    assert "ok   the ticket stays open" in out
    assert "CrashLoopBackOff" in out  # the failure diagnostics reached the log
    assert "Hotfix" not in out  # the release stopped before the hotfix
    assert re.search(r"## Release ticket acme/releases#\d+ \(open\)", report)
    assert "@alice" in report


def test_helmfile_and_kubeconfig_go_together(tmp_path: Path) -> None:
    proc, _ = rehearse(tmp_path, "--helmfile", "/usr/bin/true")
    assert proc.returncode == 2
    assert "--helmfile and --kubeconfig go together" in proc.stderr
