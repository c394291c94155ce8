"""feature-branch.yml's security checks, run as the runner runs the step: its `run:` script with
bash, the commands from env, a job summary file. The commands here stand in for bandit and
pip-audit (what they print and how they exit); their output is the pull request's text, so it
must reach the summary as text and the log without issuing workflow commands.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from release_kit_sandbox.local_runner import Annotation, parse_commands
from tests.workflows.model import jobs, load, workflow_path

STEP_ENV = {"SAST_COMMAND": "${{ inputs.sast-command }}",
            "AUDIT_COMMAND": "${{ inputs.audit-command }}"}
# What bandit prints on a finding (its own text; exit 1), and pip-audit on a vulnerable pin.
BANDIT = ("printf '%s\\n' '>> Issue: [B602:subprocess_popen_with_shell_equals_true] "
          "subprocess call with shell=True identified' '   Severity: High   Confidence: High' "
          "'   Location: ./src/app.py:12:4'; exit 1")
PIP_AUDIT = ("printf '%s\\n' 'Name   Version ID                  Fix Versions' "
             "'jinja2 3.1.2   GHSA-h5c8-rqwp-cp95 3.1.3'; exit 1")


@dataclass
class Run:
    exit_code: int
    stdout: str
    summary: str

    @property
    def annotations(self) -> list[Annotation]:
        return parse_commands(self.stdout)


@pytest.fixture
def step(tmp_path: Path) -> Any:
    job = jobs(load(workflow_path("feature-branch")))["security-checks"]
    [data] = [s for s in job["steps"] if "run" in s]
    assert data["env"] == STEP_ENV  # the names the test provides, wired as the workflow says
    assert "pull_request.head.sha" in str(job["steps"][0]["with"]["ref"])  # the PR's own code

    def run(sast: str = "", audit: str = "") -> Run:
        summary = tmp_path / "summary.md"
        summary.write_text("")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_"))}
        env.update({"SAST_COMMAND": sast, "AUDIT_COMMAND": audit,
                    "GITHUB_STEP_SUMMARY": str(summary), "RUNNER_TEMP": str(tmp_path)})
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-e", "-c", str(data["run"])],
                              env=env, cwd=tmp_path, capture_output=True, text=True,
                              timeout=60, check=False)
        return Run(proc.returncode, proc.stdout + proc.stderr, summary.read_text())

    return run


def test_clean_checks_pass_and_say_so(step: Any) -> None:
    result = step(sast="echo 'No issues identified.'", audit="echo 'No known vulnerabilities'")
    assert result.exit_code == 0, result.stdout
    assert "### SAST: no findings" in result.summary
    assert "### Dependency audit: no findings" in result.summary
    assert "No issues identified." in result.summary
    assert "error" not in [a.command for a in result.annotations]


def test_findings_fail_the_check_and_are_in_the_summary(step: Any) -> None:
    result = step(sast=BANDIT, audit=PIP_AUDIT)
    assert result.exit_code == 1
    assert "### SAST: findings (exit 1)" in result.summary
    assert "### Dependency audit: findings (exit 1)" in result.summary
    assert "B602:subprocess_popen_with_shell_equals_true" in result.summary
    assert "GHSA-h5c8-rqwp-cp95" in result.summary
    [error] = [a for a in result.annotations if a.command == "error"]
    assert error.title == "Security findings"
    assert error.message.startswith("SAST Dependency audit reported findings")


def test_only_the_commands_given_run(step: Any) -> None:
    result = step(audit=PIP_AUDIT)
    assert result.exit_code == 1
    assert "SAST" not in result.summary
    assert "### Dependency audit: findings" in result.summary


def test_tool_output_stays_text_in_the_summary_and_the_log(step: Any) -> None:
    """A finding quotes the PR's code: HTML in it is escaped in the summary, and workflow
    commands in it are not run (printed between stop-commands markers)."""
    payload = ("printf '%s\\n' '</pre><img src=x onerror=alert(1)>' "
               "'::warning title=injected::owned' '::add-mask::secret'; exit 3")
    result = step(sast=payload)
    assert result.exit_code == 1
    assert "<img" not in result.summary and "&lt;img src=x" in result.summary
    assert "&lt;/pre&gt;" in result.summary
    commands = [a.command for a in result.annotations]
    # Between ::stop-commands::<token> and ::<token>:: the runner runs nothing: the
    # injected lines are inside that span, whatever this naive parser makes of them.
    start = result.stdout.index("::stop-commands::")
    token = result.stdout[start:].split("\n", 1)[0].removeprefix("::stop-commands::")
    assert len(token) == 32 and f"::{token}::" in result.stdout
    inside = result.stdout[start:result.stdout.index(f"::{token}::")]
    assert "::warning title=injected::owned" in inside and "::add-mask::secret" in inside
    assert "group" in commands and "error" in commands


def test_a_command_is_not_spliced_into_the_script() -> None:
    job = jobs(load(workflow_path("feature-branch")))["security-checks"]
    script = str(next(s for s in job["steps"] if "run" in s)["run"])
    assert "${{" not in script
    assert 'bash -o pipefail -c "$command"' in script
