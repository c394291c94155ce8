"""``release-kit``: run an action locally, or one of the tools (eks-token, the sandbox's, ...).

``release-kit <action> [--<input> VALUE ...]`` runs the action's ``main.py`` exactly as the
container does (``runs.args: [<action>]``). ``<action>`` is the name of one of the product's
actions (``release_kit.action.folders``: they ship with the package) or the path of an action
folder. Tools are commands that are not actions: the product's own (``eks-token``) and those
other installed distributions register in the ``release_kit.tools`` entry-point group (the
sandbox registers ``sandbox`` and ``rehearse``); the product never imports them itself, so in
the image, where the sandbox is not installed, they are not listed. Imports stay lazy so that
each command pays only for itself.
"""

from __future__ import annotations

import importlib
import os
import runpy
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from release_kit.action.folders import ENTRYPOINT, find_action, product_actions
from release_kit.errors import ReleaseKitError

# Work an action starts before anything else is imported, from its raw argv and environment:
# name -> "module:function". It may only start reads whose results the run claims later.
EARLY: dict[str, str] = {
    "semver-bump": "release_kit.release.early:start",
}

# The product's own tools: name -> "module:function" taking argv and returning an exit code.
TOOLS: dict[str, str] = {
    "eks-token": "release_kit.eks.token:eks_token",
}
# Where other distributions register theirs (name = "module:function", the same contract).
TOOLS_GROUP = "release_kit.tools"


def available_tools() -> dict[str, str]:
    """name -> "module:function": the product's tools, then the registered ones."""
    from importlib.metadata import entry_points  # noqa: PLC0415 - scans every installed dist

    found = dict(TOOLS)
    for entry in entry_points(group=TOOLS_GROUP):
        found.setdefault(entry.name, entry.value)
    return dict(sorted(found.items()))


def load(target: str) -> Callable[..., Any]:
    module_name, _, func = target.partition(":")
    function: Callable[..., Any] = getattr(importlib.import_module(module_name), func)
    return function


def usage() -> str:
    lines = ["usage: release-kit <action> [--help] [--<input> VALUE ...]",
             "       release-kit <tool> [--help] [options]", "", "actions:"]
    lines += [f"  {name}" for name in product_actions()]
    lines += ["", "tools:"] + [f"  {name}" for name in available_tools()]
    lines += ["", "An action may also be given as the path of an action folder (action.yml "
              "and main.py)."]
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
        return 0
    command, rest = args[0], args[1:]
    try:
        folder = find_action(command)
    except ReleaseKitError as exc:
        print(f"release-kit: {exc}", file=sys.stderr)
        return 2
    if folder is not None:
        return run_entrypoint(folder, rest)
    tools = available_tools()
    if command in tools:
        return int(load(tools[command])(rest))
    print(f"release-kit: unknown command {command!r}\n\n{usage()}", file=sys.stderr)
    return 2


def run_entrypoint(folder: Path, argv: Sequence[str]) -> int:
    """Run ``folder/main.py`` as the script it is, with ``argv`` as its arguments."""
    if folder.name in EARLY:
        load(EARLY[folder.name])(argv, os.environ)
    entrypoint = folder / ENTRYPOINT
    saved = sys.argv
    sys.argv = [str(entrypoint), *argv]
    try:
        runpy.run_path(str(entrypoint), run_name="__main__")
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    finally:
        sys.argv = saved
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
