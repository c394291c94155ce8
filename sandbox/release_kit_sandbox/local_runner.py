"""Run an action exactly as the runner runs a Docker action, and capture what it produced.

Used by the test suite (``tests/harness.py``) and by the rehearsal, so both drive the actions
through the same entrypoint the container runs.

``run_action("semver-bump", {"strategy": "labels"}, sandbox=sandbox, event={...})``:

- reads ``actions/<name>/action.yml``, applies input defaults (``${{ github.* }}`` expressions
  evaluated from the run's ``GITHUB_*`` variables, as the runner does);
- sets ``INPUT_<NAME>`` (upper-cased, hyphens kept), ``GITHUB_*``, ``GITHUB_ACTIONS=true``,
  temporary ``GITHUB_OUTPUT`` / ``GITHUB_STEP_SUMMARY`` / ``GITHUB_ENV`` files and an event
  payload file, with the workspace as the working directory;
- runs the entrypoint as a subprocess (``python -m release_kit <name>``, the image's command)
  against the sandbox's GitHub emulator and moto;
- returns the exit code, outputs, step summary and the parsed workflow commands.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import release_kit
from release_kit.action.folders import find_action
from release_kit.action.inputs import env_name
from release_kit.action.metadata import ActionMetadata
from release_kit.text import render_value

_COMMAND = re.compile(r"^::([A-Za-z-]+)(?: ([^:]*))?::(.*)$")


def unescape_data(value: str) -> str:
    return value.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(value: str) -> str:
    return unescape_data(value.replace("%3A", ":").replace("%2C", ","))


@dataclass(frozen=True)
class Annotation:
    """One workflow command line: ``::command k=v,...::message``."""

    command: str
    message: str
    properties: dict[str, str]

    @property
    def title(self) -> str:
        return self.properties.get("title", "")


def parse_commands(stdout: str) -> list[Annotation]:
    found = []
    for line in stdout.splitlines():
        match = _COMMAND.match(line)
        if not match:
            continue
        props: dict[str, str] = {}
        for pair in filter(None, (match.group(2) or "").split(",")):
            key, _, value = pair.partition("=")
            props[key] = unescape_property(value)
        found.append(Annotation(match.group(1), unescape_data(match.group(3)), props))
    return found


def parse_file_command(text: str) -> dict[str, str]:
    """Parse a ``GITHUB_OUTPUT``/``GITHUB_ENV`` file (``k=v`` and ``k<<DELIM`` forms)."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, _, delimiter = line.partition("<<")
            body: list[str] = []
            i += 1
            while i < len(lines) and lines[i] != delimiter:
                body.append(lines[i])
                i += 1
            if i >= len(lines):
                raise ValueError(f"unterminated heredoc for {name!r}")
            values[name] = "\n".join(body)
        elif "=" in line:
            name, _, value = line.partition("=")
            values[name] = value
        i += 1
    return values


@dataclass
class ActionResult:
    exit_code: int
    outputs: dict[str, str]
    summary: str
    annotations: list[Annotation]
    stdout: str
    stderr: str
    env_file: dict[str, str] = field(default_factory=dict)

    def commands(self, command: str) -> list[Annotation]:
        return [a for a in self.annotations if a.command == command]

    @property
    def errors(self) -> list[Annotation]:
        return self.commands("error")

    @property
    def warnings(self) -> list[Annotation]:
        return self.commands("warning")

    @property
    def masks(self) -> list[str]:
        return [a.message for a in self.commands("add-mask")]

    def json_output(self, name: str) -> Any:
        return json.loads(self.outputs[name])

    def __str__(self) -> str:  # shown by pytest when an assertion on the result fails
        return (f"exit={self.exit_code}\n--- stdout ---\n{self.stdout}\n--- stderr ---\n"
                f"{self.stderr}\n--- outputs ---\n{self.outputs}")


def github_env(
    *,
    repository: str = "acme/web",
    sha: str = "",
    ref: str = "refs/heads/main",
    event_name: str = "push",
    actor: str = "octocat",
    run_id: str = "4242",
    run_attempt: int = 1,
) -> dict[str, str]:
    """The ``GITHUB_*`` variables of a run (without the sandbox URLs, see ``Sandbox.env()``)."""
    ref_name = ref.split("/", 2)[2] if ref.startswith(("refs/heads/", "refs/tags/")) else ref
    return {
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "GITHUB_REPOSITORY": repository,
        "GITHUB_REPOSITORY_OWNER": repository.partition("/")[0],
        "GITHUB_SHA": sha,
        "GITHUB_REF": ref,
        "GITHUB_REF_NAME": ref_name,
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_ACTOR": actor,
        "GITHUB_RUN_ID": run_id,
        "GITHUB_RUN_ATTEMPT": str(run_attempt),
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_API_URL": "https://api.github.com",
        "RUNNER_TEMP": tempfile.gettempdir(),
    }


def run_action(
    action: str | Path,
    inputs: Mapping[str, object] | None = None,
    *,
    sandbox: Any = None,
    env: Mapping[str, str] | None = None,
    event: Mapping[str, Any] | str | None = None,
    workspace: Path | None = None,
    timeout: float = 120,
    extra_path: Path | None = None,
) -> ActionResult:
    """Run ``action`` (a name under ``actions/`` or an action folder) as the runner would.

    ``env`` overrides ``GITHUB_*`` defaults (see ``github_env``); ``sandbox`` (a
    ``release_kit_sandbox.Sandbox``) contributes the GitHub and AWS endpoints and the token.
    Input values may be str, bool, int or list (one item per line). ``event`` is the payload
    (a string is written as it is, to test payloads that do not parse). ``extra_path`` is put
    first on ``PATH`` (a folder with tools such as a simulated ``helmfile``).
    """
    with start_action(action, inputs, sandbox=sandbox, env=env, event=event,
                      workspace=workspace, extra_path=extra_path) as started:
        return started.wait(timeout)


@dataclass
class StartedAction:
    """An action running as a subprocess (``start_action``): signal it, then ``wait``."""

    proc: subprocess.Popen[str]
    files: dict[str, Path]
    metadata: ActionMetadata

    def wait(self, timeout: float | None = None) -> ActionResult:
        """The finished run; an output action.yml does not declare is refused (a bug of the
        action: the step on the runner does not read action.yml to check it)."""
        try:
            stdout, stderr = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            raise
        outputs = parse_file_command(self.files["GITHUB_OUTPUT"].read_text(encoding="utf-8"))
        undeclared = sorted(set(outputs) - set(self.metadata.outputs))
        if undeclared:
            raise KeyError(f"{self.metadata.name} set outputs its action.yml does not declare: "
                           f"{', '.join(undeclared)}")
        return ActionResult(
            exit_code=self.proc.returncode,
            outputs=outputs,
            summary=self.files["GITHUB_STEP_SUMMARY"].read_text(encoding="utf-8"),
            annotations=parse_commands(stdout),
            stdout=stdout,
            stderr=stderr,
            env_file=parse_file_command(self.files["GITHUB_ENV"].read_text(encoding="utf-8")),
        )


@contextmanager
def start_action(
    action: str | Path,
    inputs: Mapping[str, object] | None = None,
    *,
    sandbox: Any = None,
    env: Mapping[str, str] | None = None,
    event: Mapping[str, Any] | str | None = None,
    workspace: Path | None = None,
    extra_path: Path | None = None,
) -> Iterator[StartedAction]:
    """``run_action``'s set-up, with the subprocess handed over while it runs (its stdout and
    stderr are pipes: read them through ``wait``). The process is killed if still running when
    the block ends."""
    # A product action runs by its name, as the runner does; another folder by its path.
    command = str(action.resolve()) if isinstance(action, Path) else action
    action_dir = find_action(command)
    if action_dir is None:
        raise KeyError(f"{action!r} is not an action of release-kit")
    metadata = ActionMetadata.load(action_dir / "action.yml")
    with tempfile.TemporaryDirectory(prefix="rk-run-") as tmp:
        tmpdir = Path(tmp)
        run_env: dict[str, str] = {
            key: value for key, value in os.environ.items()
            if not key.startswith(("INPUT_", "GITHUB_", "AWS_", "RUNNER_"))
        }
        run_env.update(github_env())
        if sandbox is not None:
            run_env.update(sandbox.env())
        run_env.update(env or {})
        files = {name: tmpdir / name.lower() for name in
                 ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV", "GITHUB_PATH")}
        for name, path in files.items():
            path.touch()
            run_env[name] = str(path)
        event_path = tmpdir / "event.json"
        event_path.write_text(event if isinstance(event, str) else json.dumps(event or {}),
                              encoding="utf-8")
        run_env["GITHUB_EVENT_PATH"] = str(event_path)
        work = workspace or (tmpdir / "workspace")
        work.mkdir(parents=True, exist_ok=True)
        run_env["GITHUB_WORKSPACE"] = str(work)
        if extra_path is not None:
            run_env["PATH"] = f"{extra_path}{os.pathsep}{run_env.get('PATH', '')}"
        run_env["PYTHONPATH"] = str(Path(release_kit.__file__).resolve().parents[1])

        # The runner sets every input: the given value, else the evaluated default.
        given = {name: render_input(value) for name, value in (inputs or {}).items()}
        unknown = set(given) - set(metadata.inputs)
        if unknown:
            raise KeyError(f"{sorted(unknown)} are not inputs of {action_dir.name}")
        defaults = metadata.evaluated_defaults(run_env)
        for name in metadata.inputs:
            run_env[env_name(name)] = given.get(name, defaults.get(name, ""))

        proc = subprocess.Popen(
            [sys.executable, "-m", "release_kit", command],
            cwd=work, env=run_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            yield StartedAction(proc, files, metadata)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()


def render_input(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return "\n".join(str(v) for v in value)
    return render_value(value)
