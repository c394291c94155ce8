"""Step outputs (``$GITHUB_OUTPUT``) and the step summary (``$GITHUB_STEP_SUMMARY``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path

from release_kit.action import commands
from release_kit.text import render_value


def heredoc(name: str, value: str) -> str:
    """``name<<DELIM`` form with a random delimiter that does not occur in the value."""
    while True:
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
        if delimiter not in value and delimiter not in name:
            return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


class Outputs:
    """Writes outputs to ``$GITHUB_OUTPUT``, or prints them when unset (local runs)."""

    def __init__(self, path: str | None = None, declared: Iterable[str] | None = None) -> None:
        self.path = path if path is not None else os.environ.get("GITHUB_OUTPUT") or None
        self.declared = set(declared) if declared is not None else None
        self.values: dict[str, str] = {}

    def set(self, name: str, value: object) -> None:
        if self.declared is not None and name not in self.declared:
            raise KeyError(f"output {name!r} is not declared in action.yml")
        text = render_value(value)
        self.values[name] = text
        if self.path:
            with Path(self.path).open("a", encoding="utf-8") as fh:
                fh.write(heredoc(name, text))
        else:  # a local run: shown in the log, neutralised like any text
            commands.info(heredoc(name, text).rstrip("\n") if "\n" in text else f"{name}={text}")

    def update(self, values: Mapping[str, object]) -> None:
        for name, value in values.items():
            self.set(name, value)


class Summary:
    """Appends Markdown to ``$GITHUB_STEP_SUMMARY``, or prints it when unset."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path if path is not None else os.environ.get("GITHUB_STEP_SUMMARY") or None
        self.parts: list[str] = []

    def write(self, markdown: str) -> None:
        text = markdown if markdown.endswith("\n") else markdown + "\n"
        self.parts.append(text)
        if self.path:
            with Path(self.path).open("a", encoding="utf-8") as fh:
                fh.write(text)
        else:
            commands.info(text.rstrip("\n"))

    @property
    def text(self) -> str:
        return "".join(self.parts)
