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
                  "the hotfix PR's comment says it releases v0.1.1",
                  "the hotfix release v0.1.1 is published once production runs it",
                  "a reintegration PR brings the hotfix back to main",
                  # issue 17: the ticket starts the release, sync and cascade, composite
                  # images, the release train, security releases, chat
                  "the v0.1.0 releases stay drafts until @alice starts the release",
                  "the ticket dispatched both services; each released on its tag",
                  "development fast-forwarded to release/0.1.0 and rebuilt by the cascade",
                  "a re-run of the release run's steps posts nothing to chat again",
                  "after the hotfix a sync PR brings release/0.1.0 into development (it has a "
                  "commit of its own)",
                  "the reintegration and sync PRs were opened with the App: their checks run",
                  "the development image is tagged <own>-<main> and its labels list both "
                  "commits (promote-image reports them)",
                  "a train run skips while a freeze issue is open",
                  "the next train run publishes v0.2.0 (and releases it)",
                  "acme/api's train has nothing to release: skipped",
                  "a PR labelled security is released at once: acme/api v0.1.1",
                  "chat: each release published and production deploy posted once to each "
                  "webhook (Slack, Teams, JSON)"):
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
    # The ticket drove the release: dispatches, the train's reason, the release on the tag.
    assert "dispatched acme/web:release-kit.yml@main" in out
    assert "release flow dispatched on the tag: acme/api:release-kit.yml@v0.1.0" in out
    assert "release train (schedule): skip: release freeze declared by issue #" in out
    assert "security release of v0.1.1 at once, outside the train" in out
    # Chat: each event once, in the report; the composite image and what is inside it.
    assert "## Chat posts" in report and "published: 📦 acme/web 0.2.0 released" in report
    assert "posts per webhook: slack 10, teams 10, webhook 10" in report
    assert "production: 🚀 acme/web 0.1.1 deployed to production" in report
    assert re.search(r"## The development image `([0-9a-f]{7})-([0-9a-f]{7})`", report)
    assert "### Contributors" in report and "| `acme/web` | `main` |" in report


def test_failure_path_marks_the_stage_and_pings_the_driver(tmp_path: Path) -> None:
    proc, report = rehearse(tmp_path, "--fail", "staging")
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    assert "The release stopped: staging failed" in out
    assert "ok   the ticket marks staging failed" in out
    assert "ok   the ticket pings the release driver @alice" in out
    assert "ok   the ticket stays open" in out
    assert "CrashLoopBackOff" in out  # the failure diagnostics reached the log
    assert "ok   chat is told that staging failed" in out
    assert "Hotfix" not in out  # the release stopped before the hotfix
    assert re.search(r"## Release ticket acme/releases#\d+ \(open\)", report)
    assert "@alice" in report


def test_helmfile_and_kubeconfig_go_together(tmp_path: Path) -> None:
    proc, _ = rehearse(tmp_path, "--helmfile", "/usr/bin/true")
    assert proc.returncode == 2
    assert "--helmfile and --kubeconfig go together" in proc.stderr
