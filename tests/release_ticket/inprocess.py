"""Run the release-ticket entrypoint in this process, one thread per job.

20 interpreters starting at once on a 2-core CI machine would make the concurrency test slow;
threads calling the same entrypoint (each with its own client) write to the emulator just as
concurrently. Inputs are parsed from ``INPUT_*`` variables as in the container, but before the
threads start (parsing reads a class-level environment). The subprocess path is covered by the
other tests and by the benchmark.
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path
from unittest import mock

from release_kit.action.context import Context
from release_kit.action.inputs import env_name
from release_kit.action.metadata import ActionMetadata
from release_kit.action.outputs import Outputs, Summary
from release_kit.action.runner import Runtime, run
from release_kit.ticketing import TicketInputs, release_ticket
from tests.harness import ACTIONS_DIR, ActionResult, parse_commands, parse_file_command

METADATA = ActionMetadata.load(ACTIONS_DIR / "release-ticket" / "action.yml")


def run_inline(inputs: dict[str, str], env: dict[str, str], tmp: Path) -> ActionResult:
    """The runner's ``run()`` in this process, set up as the harness sets up a subprocess.

    For the many short runs of the comment-mode and bad-input tests (no interpreter start-up);
    the harness's own subprocess runs cover the open/report/notify/close flows.
    """
    environ = dict(env)
    environ.update({env_name(k): v for k, v in METADATA.evaluated_defaults(environ).items()})
    environ.update({env_name(k): v for k, v in inputs.items()})
    output = tmp / "output"
    output.write_text("", encoding="utf-8")
    environ.update({"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(tmp / "summary")})
    stdout = io.StringIO()
    # The client factory reads GITHUB_API_URL from the process environment.
    api = {"GITHUB_API_URL": environ.get("GITHUB_API_URL", "")}
    with contextlib.redirect_stdout(stdout), mock.patch.dict(os.environ, api):
        code = run(TicketInputs, release_ticket, [], action_dir=ACTIONS_DIR / "release-ticket",
                   environ=environ)
    return ActionResult(exit_code=code, outputs=parse_file_command(output.read_text("utf-8")),
                        summary="", annotations=parse_commands(stdout.getvalue()),
                        stdout=stdout.getvalue(), stderr="")


def parse_inputs(inputs: dict[str, str]) -> TicketInputs:
    """The Inputs model from input values (action.yml defaults for the rest); not thread-safe."""
    environ = {env_name(name): value for name, value in METADATA.evaluated_defaults({}).items()}
    environ.update({env_name(name): value for name, value in inputs.items()})
    return TicketInputs.from_environ(environ)


def run_operation(parsed: TicketInputs, *, repository: str, run_id: str, server_url: str,
                  environ: dict[str, str] | None = None) -> dict[str, str]:
    """Run one operation with parsed inputs (thread-safe); returns the outputs."""
    outputs = Outputs("", declared=METADATA.outputs)
    runtime = Runtime(
        context=Context(repository=repository, run_id=run_id, sha="ab" * 20,
                        server_url=server_url),
        outputs=outputs,
        summary=Summary(""),
        environ=environ or {},
    )
    release_ticket(parsed, runtime)
    return outputs.values
