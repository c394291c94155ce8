"""Run the release-ticket entrypoint in this process, one thread per job.

20 interpreters starting at once on a 2-core CI machine would make the concurrency test slow;
threads calling the same entrypoint (each with its own client) write to the emulator just as
concurrently. Inputs are parsed from ``INPUT_*`` variables as in the container, but before the
threads start (parsing reads a class-level environment). The subprocess path is covered by the
other tests and by the benchmark.
"""

from __future__ import annotations

from typing import Any

from release_kit.action import Context, Outputs, Runtime, Summary
from release_kit.action.inputs import env_name
from release_kit.action.metadata import ActionMetadata
from release_kit.cli import actions_dir, load_entrypoint

ACTION = load_entrypoint("release-ticket")
METADATA = ActionMetadata.load(actions_dir() / "release-ticket" / "action.yml")


def parse_inputs(inputs: dict[str, str]) -> Any:
    """The Inputs model from input values (action.yml defaults for the rest); not thread-safe."""
    environ = {env_name(name): value for name, value in METADATA.evaluated_defaults({}).items()}
    environ.update({env_name(name): value for name, value in inputs.items()})
    return ACTION.Inputs.from_environ(environ)


def run_operation(parsed: Any, *, repository: str, run_id: str, server_url: str,
                  environ: dict[str, str] | None = None) -> dict[str, str]:
    """Run one operation with parsed inputs (thread-safe); returns the outputs."""
    outputs = Outputs("", declared=METADATA.outputs)
    runtime = Runtime(
        context=Context(repository=repository, run_id=run_id, sha="ab" * 20,
                        server_url=server_url),
        outputs=outputs,
        summary=Summary(""),
        metadata=METADATA,
        environ=environ or {},
    )
    ACTION.main(parsed, runtime)
    return outputs.values
