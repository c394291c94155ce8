"""An action's ``action.yml``: its inputs and outputs, and the runner's default expressions.

The metadata is the one source of truth for input names, descriptions and defaults: the CLI's
``--help``, local default evaluation and the test harness all read it from here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

_EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")

# ``${{ github.<name> }}`` -> the environment variable the runner exports for it.
GITHUB_CONTEXT_ENV = {
    "github.token": "GITHUB_TOKEN",
    "github.repository": "GITHUB_REPOSITORY",
    "github.repository_owner": "GITHUB_REPOSITORY_OWNER",
    "github.sha": "GITHUB_SHA",
    "github.ref": "GITHUB_REF",
    "github.ref_name": "GITHUB_REF_NAME",
    "github.actor": "GITHUB_ACTOR",
    "github.event_name": "GITHUB_EVENT_NAME",
    "github.server_url": "GITHUB_SERVER_URL",
    "github.api_url": "GITHUB_API_URL",
    "github.run_id": "GITHUB_RUN_ID",
    "github.workspace": "GITHUB_WORKSPACE",
    "github.head_ref": "GITHUB_HEAD_REF",
    "github.base_ref": "GITHUB_BASE_REF",
}


@dataclass(frozen=True)
class InputSpec:
    name: str
    description: str
    default: str | None
    required: bool

    @property
    def is_expression(self) -> bool:
        return self.default is not None and "${{" in self.default


@dataclass(frozen=True)
class ActionMetadata:
    name: str
    description: str
    inputs: dict[str, InputSpec]
    outputs: dict[str, str]
    raw: Mapping[str, Any]

    @classmethod
    def load(cls, path: Path) -> ActionMetadata:
        return _load(path.resolve())

    def evaluated_defaults(self, environ: Mapping[str, str]) -> dict[str, str]:
        """Input defaults as the runner would set them, expressions evaluated from ``environ``."""
        return {
            name: evaluate(spec.default, environ)
            for name, spec in self.inputs.items()
            if spec.default is not None
        }


@cache
def _load(path: Path) -> ActionMetadata:
    import yaml  # noqa: PLC0415 - a step on the runner does not read action.yml (runner.py)

    # libyaml's loader when PyYAML has it: every run reads its action.yml, 15x faster in C.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # a safe loader either way
    inputs = {
        name: InputSpec(
            name=name,
            description=str((spec or {}).get("description", "")).strip(),
            default=None if (spec or {}).get("default") is None else str(spec["default"]),
            required=bool((spec or {}).get("required", False)),
        )
        for name, spec in (raw.get("inputs") or {}).items()
    }
    outputs = {
        name: str((spec or {}).get("description", "")).strip()
        for name, spec in (raw.get("outputs") or {}).items()
    }
    return ActionMetadata(
        name=str(raw.get("name", path.parent.name)),
        description=str(raw.get("description", "")).strip(),
        inputs=inputs,
        outputs=outputs,
        raw=raw,
    )


def evaluate(template: str, environ: Mapping[str, str]) -> str:
    """Evaluate the ``${{ github.* }}`` expressions the actions use as defaults.

    Only context lookups are supported (that is all our metadata uses); anything else
    evaluates to an empty string, as an unset context value does on the runner.
    """

    def lookup(match: re.Match[str]) -> str:
        variable = GITHUB_CONTEXT_ENV.get(match.group(1))
        return environ.get(variable, "") if variable else ""

    return _EXPRESSION.sub(lookup, template)
