"""Run .github/workflows/test-actions.yml here, the way act would, minus the containers.

`make act` runs the workflow under the real act and a Docker engine (a few minutes); this test,
part of every test run, plays the runner for that one workflow in seconds: `run:` steps go to bash (with `$GITHUB_ENV`, `$GITHUB_OUTPUT`), each
`uses: ./actions/<name>` step goes through the action harness (the entrypoint the container
runs, with the same INPUT_* and GITHUB_* variables), and the `if:` / `${{ }}` expressions of the
workflow are evaluated by a small evaluator for the subset it uses. The workflow's own check
steps then decide: a wrong output fails the check step, which fails this test.

Steps skipped here: actions/checkout (a local clone of this repository instead), setup-python
and the pip install (this interpreter's environment already has the package).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from release_kit_sandbox.local_runner import parse_file_command, run_action
from tests.workflows.model import ACTIONS, ROOT, jobs, load, suite_action, workflow_path

ACTIONS_UNDER_TEST = ("semver-bump", "release-ticket", "reintegrate-pr", "deploy-helmfile",
                      "promote-image")
SKIPPED_USES = ("actions/checkout@", "actions/setup-python@")
REPOSITORY = "acme/selftest"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}", re.S)


class Expressions:
    """`steps.<id>.outputs.<name>`, `env.<NAME>`, literals, ==, !=, !, &&, ||, contains, toJSON."""

    def __init__(self, steps: dict[str, dict[str, str]], env: dict[str, str]) -> None:
        self.steps, self.env = steps, env

    def evaluate(self, expression: str) -> Any:
        python = re.sub(r"toJSON\(steps\.([\w-]+)\.outputs\)", r"_json(_steps.get('\1', {}))",
                        expression)
        python = re.sub(r"steps\.([\w-]+)\.outputs\.([\w-]+)",
                        r"_steps.get('\1', {}).get('\2', '')", python)
        python = re.sub(r"\benv\.(\w+)", r"_env.get('\1', '')", python)
        python = python.replace("&&", " and ").replace("||", " or ")
        python = re.sub(r"!(?!=)", " not ", python).replace("contains(", "_contains(")
        scope = {"true": True, "false": False, "_steps": self.steps, "_env": self.env, "_json": json.dumps,
                 "_contains": lambda haystack, needle: needle in haystack}
        return eval(python, {"__builtins__": {}}, scope)

    def condition(self, step: dict[str, Any]) -> bool:
        text = str(step.get("if", "true"))
        match = EXPRESSION.fullmatch(text.strip())
        return bool(self.evaluate(match[1] if match else text))

    def render(self, value: object) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        return EXPRESSION.sub(lambda m: self.text(self.evaluate(m[1])), str(value))

    @staticmethod
    def text(value: object) -> str:
        return ("true" if value else "false") if isinstance(value, bool) else str(value)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A clone of this repository at HEAD, standing in for the checkout."""
    clone = tmp_path / "workspace"
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(ROOT), str(clone)],
                   check=True, timeout=60)
    subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", "--detach", "HEAD"],
                   check=True, timeout=60)
    return clone


@pytest.fixture
def background() -> Iterator[list[int]]:
    """Process groups started by the workflow's steps; ended (by id) after the test."""
    groups: list[int] = []
    yield groups
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)


def run_script(script: str, env: dict[str, str], cwd: Path, groups: list[int]) -> str:
    proc = subprocess.Popen(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                            cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    groups.append(proc.pid)
    output, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, f"step failed (exit {proc.returncode}):\n{script}\n---\n{output}"
    return output


def test_the_self_test_workflow_passes(workspace: Path, tmp_path: Path,
                                       background: list[int]) -> None:
    workflow = load(workflow_path("test-actions"))
    missing = [name for name in ACTIONS_UNDER_TEST if not (ACTIONS / name / "main.py").is_file()]
    if missing:  # only while the actions are being written (issues 3-7)
        pytest.skip(f"actions not landed yet: {', '.join(missing)}")
    (job,) = jobs(workflow).values()
    sha = subprocess.run(["git", "-C", str(workspace), "rev-parse", "HEAD"], check=True,
                         capture_output=True, text=True).stdout.strip()
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    github = {"GITHUB_REPOSITORY": REPOSITORY, "GITHUB_SHA": sha, "GITHUB_REF": "refs/heads/main",
              "GITHUB_REF_NAME": "main", "GITHUB_EVENT_NAME": "workflow_dispatch",
              "GITHUB_WORKSPACE": str(workspace), "RUNNER_TEMP": str(runner_temp)}
    job_env: dict[str, str] = {}  # what the steps wrote to $GITHUB_ENV
    outputs: dict[str, dict[str, str]] = {}
    expr = Expressions(outputs, job_env)
    base = {key: value for key, value in os.environ.items()
            if not key.startswith(("GITHUB_", "AWS_", "RUNNER_", "INPUT_"))}
    base["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{base.get('PATH', '')}"
    ran: list[str] = []

    for index, step in enumerate(job["steps"]):
        uses = str(step.get("uses", ""))
        label = step.get("id") or step.get("name") or uses or f"step {index}"
        if uses.startswith(SKIPPED_USES) or str(step.get("name", "")).startswith("Install"):
            continue
        if not expr.condition(step):
            continue
        step_env = {key: expr.render(value) for key, value in (step.get("env") or {}).items()}
        if "run" in step:
            files = {name: tmp_path / f"{index}-{name.lower()}" for name in
                     ("GITHUB_ENV", "GITHUB_OUTPUT")}
            for path in files.values():
                path.touch()
            env = {**base, **github, **job_env, **step_env,
                   **{name: str(path) for name, path in files.items()}}
            run_script(str(step["run"]), env, workspace, background)
            job_env.update(parse_file_command(files["GITHUB_ENV"].read_text()))
            if step.get("id"):
                outputs[step["id"]] = parse_file_command(files["GITHUB_OUTPUT"].read_text())
        else:
            name = suite_action(uses)
            assert name, f"{label}: unexpected uses {uses!r}"
            inputs = {key: expr.render(value) for key, value in (step.get("with") or {}).items()}
            env = {**github, **job_env, **step_env}
            result = run_action(name, inputs, env=env, workspace=workspace)
            assert result.exit_code == 0, f"{label} ({name}) failed:\n{result}"
            outputs[step["id"]] = result.outputs
        ran.append(label)

    # Every action step and every check ran (the checks that found nothing wrong are skipped
    # by their `if:`, as on a runner; the ones that ran would have failed the test above).
    assert {"semver", "ticket", "report", "reintegrate", "plan", "deploy", "promote"} <= set(ran)
    assert outputs["semver"]["version"] == "1.1.0"
    assert json.loads(outputs["promote"]["tags"]) == [
        {"tag": "1.1.0", "action": "created"}, {"tag": "latest", "action": "created"}]
