"""The runtime contract with the GitHub Actions runner, used by every entrypoint."""

from release_kit.action import commands
from release_kit.action.context import Context
from release_kit.action.inputs import ActionInputs, Bool, JsonValue, Lines, YamlMapping
from release_kit.action.outputs import Outputs, Summary
from release_kit.action.runner import Runtime, run

__all__ = [
    "ActionInputs",
    "Bool",
    "Context",
    "JsonValue",
    "Lines",
    "Outputs",
    "Runtime",
    "Summary",
    "YamlMapping",
    "commands",
    "run",
]
