"""The action test harness: ``run_action`` runs an entrypoint exactly as the runner would.

The implementation lives in ``release_kit_sandbox.local_runner`` (the rehearsal uses it too);
this module is the tests' import point.
"""

from pathlib import Path

from release_kit_sandbox.local_runner import (
    ActionResult,
    Annotation,
    StartedAction,
    github_env,
    parse_commands,
    parse_file_command,
    run_action,
    start_action,
    unescape_data,
    unescape_property,
)

ROOT = Path(__file__).resolve().parents[1]
ACTIONS_DIR = ROOT / "actions"

__all__ = [
    "ACTIONS_DIR",
    "ROOT",
    "ActionResult",
    "Annotation",
    "StartedAction",
    "github_env",
    "parse_commands",
    "parse_file_command",
    "run_action",
    "start_action",
    "unescape_data",
    "unescape_property",
]
