"""Run an action entrypoint: parse inputs, call ``main``, turn errors into annotations.

An entrypoint is ``actions/<name>/main.py``: a script that names the action's inputs model (an
``ActionInputs``) and the function ``f(inputs, rt)`` that runs it, and ends with
``raise SystemExit(run(Inputs, f))``. The same function serves the container, the
``release-kit <action>`` CLI (which runs that script) and the test harness.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from release_kit.action import cancel, commands
from release_kit.action.context import Context
from release_kit.action.inputs import ActionInputs, InputErrors, env_name
from release_kit.action.outputs import Outputs, Summary
from release_kit.errors import ReleaseKitError

if TYPE_CHECKING:
    import argparse

    from release_kit.action.metadata import ActionMetadata

I = TypeVar("I", bound=ActionInputs)  # noqa: E741


@dataclass
class Runtime:
    """What an entrypoint gets besides its inputs."""

    context: Context
    outputs: Outputs
    summary: Summary
    environ: Mapping[str, str]


def script_dir() -> Path:
    """The folder of the script being run (``main.py``: the action folder)."""
    return Path(str(sys.modules["__main__"].__file__)).resolve().parent


def run(
    inputs_cls: type[I],
    main: Callable[[I, Runtime], None],
    argv: Sequence[str] | None = None,
    *,
    action_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Run one action and return its exit code (0 success, 1 failure, 143 cancelled).

    Everything the action prints, on stdout and stderr, is neutralised (``commands``), and
    SIGTERM becomes :class:`~release_kit.action.cancel.Cancelled` for its clean-up.
    """
    with commands.neutralised_output(), cancel.cancellable():
        return _run(inputs_cls, main, argv, action_dir=action_dir, environ=environ)


def _run(
    inputs_cls: type[I],
    main: Callable[[I, Runtime], None],
    argv: Sequence[str] | None,
    *,
    action_dir: Path | None,
    environ: Mapping[str, str] | None,
) -> int:
    action_dir = action_dir or script_dir()
    env = dict(os.environ if environ is None else environ)
    args = list(sys.argv[1:] if argv is None else argv)
    # On the runner, GitHub has already turned action.yml into INPUT_* variables (defaults
    # included), so a step does not read it again: PyYAML and the parse are ~25 ms of every
    # start. A local run (no GITHUB_ACTIONS) reads it to apply the defaults the same way, flags
    # need it too, and such a run also checks that every output set is declared there (the
    # test harness, which runs as the runner does, checks that after each run).
    local = not env.get("GITHUB_ACTIONS")
    metadata = None
    if args or local:
        from release_kit.action.metadata import ActionMetadata  # noqa: PLC0415 - as the comment

        metadata = ActionMetadata.load(action_dir / "action.yml")
        if args:
            env.update(parse_flags(metadata, args))
        if local:
            for name, value in metadata.evaluated_defaults(env).items():
                env.setdefault(env_name(name), value)
    try:
        inputs = inputs_cls.from_environ(env)
    except InputErrors as exc:  # every invalid input, a model validator's error included
        for err in exc.errors:
            commands.error(str(err), title=err.title)
        return 1
    for secret in inputs.secrets():
        commands.add_mask(secret)

    runtime = Runtime(
        context=Context.from_env(env),
        outputs=Outputs(env.get("GITHUB_OUTPUT") or None,
                        declared=metadata.outputs if metadata else None),
        summary=Summary(env.get("GITHUB_STEP_SUMMARY") or None),
        environ=env,
    )
    try:
        main(inputs, runtime)
    except ReleaseKitError as exc:
        commands.error(str(exc), title=exc.title)
        return 1
    except cancel.Cancelled as exc:
        commands.error(f"The run was cancelled ({exc}); what this step had started was wound "
                       "down.", title="Cancelled")
        return 128 + exc.signum
    except KeyboardInterrupt:
        commands.error("interrupted", title="Cancelled")
        return 130
    except BrokenPipeError:
        raise  # the reader went away (`| head`): nothing left to tell; the CLI exits quietly
    except Exception as exc:  # the last line of defence: one readable line, no stack by default
        commands.error(
            f"{type(exc).__name__}: {exc}. This is a bug in release-kit; re-run with debug "
            "logging (RUNNER_DEBUG=1) for the traceback and report it.",
            title=f"{action_dir.name} crashed",
        )
        if commands.debug_enabled():
            import traceback  # noqa: PLC0415 - only a crash in debug mode prints a stack

            commands.info(traceback.format_exc())
        return 1
    return 0


def parse_flags(metadata: ActionMetadata, argv: Sequence[str]) -> dict[str, str]:
    """``--<input-name> VALUE`` flags -> ``INPUT_*`` variables (they win over the environment)."""
    parser = build_parser(metadata)
    namespace = parser.parse_args(list(argv))
    return {
        env_name(name): value
        for name, value in vars(namespace).items()
        if value is not None
    }


def build_parser(metadata: ActionMetadata, prog: str | None = None) -> argparse.ArgumentParser:
    import argparse  # noqa: PLC0415 - only a run with flags (or --help) pays for argparse

    parser = argparse.ArgumentParser(
        prog=prog or f"release-kit {metadata.raw.get('x-command', '') or metadata.name}".strip(),
        description=metadata.description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Each flag sets the input of the same name and wins over INPUT_* variables.\n"
        "Boolean flags given without a value mean true.",
    )
    for spec in metadata.inputs.values():
        default = spec.default if spec.default is not None else ""
        help_text = spec.description or spec.name
        if spec.required and spec.default is None:
            help_text += " (required)"
        elif default != "":
            help_text += f" (default: {default!r})"
        is_bool = default in {"true", "false"}
        parser.add_argument(
            f"--{spec.name}",
            dest=spec.name,
            metavar="VALUE",
            help=help_text.replace("%", "%%"),
            nargs="?" if is_bool else None,
            const="true" if is_bool else None,
            default=None,
        )
    return parser
