"""The runner contract end to end: the fixture action run through the harness and the CLI."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from tests.harness import ROOT, run_action

from release_kit.action.runner import run

ECHO = ROOT / "tests" / "fixtures" / "actions" / "echo"


def test_inputs_reach_the_action_and_outputs_come_back() -> None:
    result = run_action(ECHO, {
        "aws-region": "eu-west-1", "dry-run": "TRUE", "tags": ["v1", "latest"],
        "payload": '{"n": 1}', "mapping": "a: b", "github-token": "ghs_tok123",
    }, env={"GITHUB_REPOSITORY": "acme/api"})
    assert result.exit_code == 0, result
    assert result.outputs["region"] == "eu-west-1"
    assert result.outputs["dry-run"] == "true"
    assert result.json_output("tags") == ["v1", "latest"]
    assert result.json_output("payload") == {"n": 1}
    assert result.json_output("mapping") == {"a": "b"}
    assert result.outputs["count"] == "3"
    assert result.outputs["repository"] == "acme/api"  # ${{ github.repository }} default
    assert result.outputs["multiline"] == "line 1\nghadelimiter_fake\nline 3"
    assert "region `eu-west-1`" in result.summary


def test_token_is_masked_before_it_is_printed() -> None:
    result = run_action(ECHO, {"aws-region": "r", "github-token": "ghs_tok123"})
    lines = result.stdout.splitlines()
    assert lines.index("::add-mask::ghs_tok123") < lines.index("token is ghs_tok123")


def test_invalid_inputs_one_error_each_exit_1_nothing_written() -> None:
    result = run_action(ECHO, {"dry-run": "yes", "count": "many", "fail": "explode"})
    assert result.exit_code == 1
    assert sorted(e.title for e in result.errors) == [
        "Invalid input 'aws-region'", "Invalid input 'count'",
        "Invalid input 'dry-run'", "Invalid input 'fail'"]
    assert result.outputs == {}
    assert result.summary == ""


def test_action_errors_become_one_error_line() -> None:
    result = run_action(ECHO, {"aws-region": "r", "fail": "conflict"})
    assert result.exit_code == 1
    (err,) = result.errors
    assert err.title == "Conflict"
    assert err.message == "tag v1 points elsewhere Set allow-move."
    input_err = run_action(ECHO, {"aws-region": "r", "fail": "input"}).errors
    assert [e.title for e in input_err] == ["Invalid input 'tags'"]


def test_crash_is_short_and_traceback_only_under_debug() -> None:
    quiet = run_action(ECHO, {"aws-region": "r", "fail": "crash"})
    assert quiet.exit_code == 1
    assert "RuntimeError: boom" in quiet.errors[0].message
    assert "Traceback" not in quiet.stdout + quiet.stderr
    loud = run_action(ECHO, {"aws-region": "r", "fail": "crash"}, env={"RUNNER_DEBUG": "1"})
    assert "Traceback" in loud.stdout


def test_an_undeclared_output_fails_locally_and_in_the_harness() -> None:
    """On the runner a step does not read action.yml; the checks are the local run's and the
    harness's (every action test and the rehearsal run through it)."""
    with pytest.raises(KeyError, match="does not declare: surprise"):
        run_action(ECHO, {"aws-region": "r", "fail": "undeclared"})
    local = _cli(str(ECHO), "--aws-region", "r", "--fail", "undeclared")
    assert local.returncode == 1
    assert "output 'surprise' is not declared in action.yml" in local.stdout


def test_a_step_on_the_runner_does_not_read_action_yml(tmp_path: Path) -> None:
    """GitHub has already applied action.yml (inputs and defaults): the step starts without
    it. A local run needs it, for defaults and flags."""
    echo = runpy.run_path(str(ECHO / "main.py"), run_name="fixture")
    inputs = {"INPUT_AWS-REGION": "r", "GITHUB_OUTPUT": str(tmp_path / "out"),
              "GITHUB_STEP_SUMMARY": str(tmp_path / "summary")}
    assert not (tmp_path / "action.yml").exists()
    on_runner = run(echo["Inputs"], echo["main"], [], action_dir=tmp_path,
                    environ={**inputs, "GITHUB_ACTIONS": "true"})
    assert on_runner == 0
    assert "region<<" in (tmp_path / "out").read_text()
    with pytest.raises(FileNotFoundError):
        run(echo["Inputs"], echo["main"], [], action_dir=tmp_path, environ=inputs)


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_"))}
    return subprocess.run([sys.executable, "-m", "release_kit", *args], capture_output=True,
                          text=True, env={**base, **(env or {})}, check=False)


def test_cli_flags_override_environment_and_apply_defaults_locally() -> None:
    proc = _cli(str(ECHO), "--aws-region", "ap-south-1", "--dry-run",
                env={"INPUT_AWS-REGION": "ignored", "GITHUB_REPOSITORY": "acme/local"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "region=ap-south-1" in proc.stdout
    assert "dry-run=true" in proc.stdout
    assert "repository=acme/local" in proc.stdout


def test_cli_help_lists_inputs_from_action_yml() -> None:
    proc = _cli(str(ECHO), "--help")
    assert proc.returncode == 0
    assert "--aws-region VALUE" in proc.stdout
    assert "A hyphenated input. (required)" in proc.stdout
    assert "(default: '3')" in proc.stdout


def test_cli_unknown_command_lists_commands() -> None:
    proc = _cli("nope")
    assert proc.returncode == 2
    assert "semver-bump" in proc.stderr


def test_local_output_printing_without_github_output(tmp_path: Path) -> None:
    proc = _cli(str(ECHO), "--aws-region", "x")
    assert "multiline<<ghadelimiter_" in proc.stdout


def test_output_piped_into_a_closed_reader_exits_quietly() -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_"))}
    producer = subprocess.Popen([sys.executable, "-m", "release_kit", str(ECHO), "--aws-region", "x"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=base)
    assert producer.stdout is not None
    producer.stdout.close()  # like `| head -n 0`: the reader is gone before anything is written
    _, stderr = producer.communicate(timeout=60)
    assert producer.returncode == 141
    assert b"Traceback" not in stderr
    assert b"BrokenPipeError" not in stderr


def test_a_secret_is_not_echoed_as_a_mask_outside_a_runner() -> None:
    """On a terminal there is no runner to redact anything: `::add-mask::<token>` would only
    print the token. On a runner (GITHUB_ACTIONS=true) it is masked before anything else. (The
    echo fixture prints its token on purpose: what matters here is the mask line.)"""
    secret = "ghs_local_terminal_secret"
    local = _cli(str(ECHO), "--aws-region", "x", "--github-token", secret)
    assert local.returncode == 0, local.stdout + local.stderr
    assert "::add-mask::" not in local.stdout + local.stderr
    on_runner = _cli(str(ECHO), "--aws-region", "x", "--github-token", secret,
                     env={"GITHUB_ACTIONS": "true"})
    assert f"::add-mask::{secret}" in on_runner.stdout.splitlines()
