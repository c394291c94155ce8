"""The history read before the inputs are parsed: git walks it while Python starts up.

``git log <tag>..HEAD`` walks every commit of the range before it writes the first one (a
quarter of a second at 50,000 commits), and the action's imports take about as long. The CLI
calls :func:`start` first thing for semver-bump: from the raw inputs (flags, ``INPUT_*``) it
guesses the log the release will read (the highest version tag's range, as
:class:`release_kit.release.history.Ranges` reads it first) and starts it. The run then reads
that log when it asks for the very same one; otherwise the guess is stopped at exit. A guess
never decides anything, and any doubt (a package, a preview, a bad input) means no guess.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

# action.yml's defaults of the inputs read here (tests/semver_bump checks they agree).
DEFAULTS = {"strategy": "labels", "tag-prefix": "v", "operation": "auto", "packages": ""}
PULL_REQUEST_EVENTS = frozenset({"pull_request", "pull_request_target"})


def start(argv: Sequence[str], environ: Mapping[str, str]) -> None:
    """Start the log the release will most likely read; never fails (the run reports)."""
    try:
        _start(argv, environ)
    except Exception:  # a guess that cannot be made is no guess
        return


def raw_inputs(argv: Sequence[str], environ: Mapping[str, str]) -> dict[str, str]:
    """The inputs :data:`DEFAULTS` names, as the runner will see them (flags win)."""
    found = {}
    for name, default in DEFAULTS.items():
        value = (environ.get(f"INPUT_{name.upper()}") or "").strip() or default
        for index, arg in enumerate(argv):
            if arg == f"--{name}" and index + 1 < len(argv):
                value = argv[index + 1].strip() or default
            elif arg.startswith(f"--{name}="):
                value = arg.partition("=")[2].strip() or default
        found[name] = value
    return found


def _start(argv: Sequence[str], environ: Mapping[str, str]) -> None:
    inputs = raw_inputs(argv, environ)
    operation = inputs["operation"]
    if operation == "auto":
        event = environ.get("GITHUB_EVENT_NAME", "")
        operation = "preview" if event in PULL_REQUEST_EVENTS else "release"
    if operation != "release" or inputs["packages"] or \
            inputs["strategy"] not in {"labels", "conventional-commits"}:
        return
    # the early start must not pay before it guesses
    from release_kit.git import GitHistory  # noqa: PLC0415
    from release_kit.versioning.tags import TagFormat, versions  # noqa: PLC0415 - as GitHistory

    workspace = Path((environ.get("GITHUB_WORKSPACE") or "").strip() or os.getcwd())
    git = GitHistory(workspace)
    state = git.checkout()
    if state.shallow:
        return
    candidates = versions([(t.name, t.sha) for t in git.tags(merged_into=None)],
                          TagFormat(inputs["tag-prefix"]))
    if candidates and candidates[0].sha != state.head:
        git.start(f"{candidates[0].sha}..{state.head}", boundary=True,
                  first_parent=inputs["strategy"] == "labels")
