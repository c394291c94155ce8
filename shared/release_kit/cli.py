"""``release-kit``: run an action locally, or one of the tools (sandbox, eks-token, ...).

``release-kit <action> [--<input> VALUE ...]`` loads ``actions/<action>/main.py`` and runs it
exactly as the container does. Imports stay lazy so that each command pays only for itself.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path

# Work an action starts before anything else is imported, from its raw argv and environment:
# name -> "module:function". It may only start reads whose results the run claims later.
EARLY: dict[str, str] = {
    "semver-bump": "release_kit.release.early:start",
}

# Tools that are not actions: name -> "module:function" taking argv and returning an exit code.
TOOLS: dict[str, str] = {
    "sandbox": "release_kit_sandbox.cli:main",
    "rehearse": "release_kit_sandbox.rehearsal:main",
    "eks-token": "release_kit.eks.token:main",
}


def actions_dir() -> Path:
    """Where the ``actions/`` folder is: ``RELEASE_KIT_ACTIONS_DIR``, else next to ``shared/``."""
    configured = os.environ.get("RELEASE_KIT_ACTIONS_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "actions"


def available_actions() -> list[str]:
    root = actions_dir()
    if not root.is_dir():
        return []
    return sorted(p.parent.name for p in root.glob("*/main.py"))


def load_entrypoint(action: str) -> object:
    path = actions_dir() / action / "main.py"
    module_name = f"release_kit_action_{action.replace('-', '_')}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def usage() -> str:
    lines = ["usage: release-kit <command> [--help] [options]", "", "actions:"]
    lines += [f"  {name}" for name in available_actions()]
    lines += ["", "tools:"] + [f"  {name}" for name in sorted(TOOLS)]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # stdout was closed early (`release-kit ... | head`): exit quietly like other CLI tools,
        # and keep the interpreter from complaining while it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


def _main(argv: Sequence[str] | None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(usage())
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command in TOOLS:
        module_name, _, func = TOOLS[command].partition(":")
        tool = getattr(importlib.import_module(module_name), func)
        return int(tool(rest))
    if command in available_actions():
        if command in EARLY:
            module_name, _, func = EARLY[command].partition(":")
            getattr(importlib.import_module(module_name), func)(rest, os.environ)
        from release_kit.action.runner import run  # noqa: PLC0415

        module = load_entrypoint(command)
        return run(
            module.Inputs,  # type: ignore[attr-defined]
            module.main,  # type: ignore[attr-defined]
            rest,
            action_dir=actions_dir() / command,
        )
    print(f"release-kit: unknown command {command!r}\n\n{usage()}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
