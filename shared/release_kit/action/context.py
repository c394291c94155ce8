"""The ``GITHUB_*`` context of a run, typed, with the event payload parsed on demand.

The GitHub the actions work against may differ from the runner's own:
``RELEASE_KIT_GITHUB_SERVER_URL`` and ``RELEASE_KIT_GITHUB_API_URL`` come before
``GITHUB_SERVER_URL`` and ``GITHUB_API_URL``, which runners set themselves and do not let a
workflow change (the self-test points the actions at the sandbox this way). Links to the run
itself stay on the runner's server.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from release_kit.errors import InputError


@dataclass(frozen=True)
class Context:
    repository: str = ""
    sha: str = ""
    ref: str = ""
    ref_name: str = ""
    event_name: str = ""
    event_path: str = ""
    server_url: str = "https://github.com"  # links to repositories, commits, comparisons
    api_url: str = "https://api.github.com"
    runner_server_url: str = "https://github.com"  # where this run is shown
    run_id: str = ""
    run_attempt: int = 1
    actor: str = ""
    workspace: Path = field(default_factory=Path.cwd)
    head_ref: str = ""
    base_ref: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Context:
        env = os.environ if environ is None else environ

        def get(name: str, default: str = "") -> str:
            return env.get(name, "").strip() or default

        attempt = get("GITHUB_RUN_ATTEMPT", "1")
        return cls(
            repository=get("GITHUB_REPOSITORY"),
            sha=get("GITHUB_SHA"),
            ref=get("GITHUB_REF"),
            ref_name=get("GITHUB_REF_NAME"),
            event_name=get("GITHUB_EVENT_NAME"),
            event_path=get("GITHUB_EVENT_PATH"),
            server_url=(get("RELEASE_KIT_GITHUB_SERVER_URL")
                        or get("GITHUB_SERVER_URL", "https://github.com")).rstrip("/"),
            api_url=(get("RELEASE_KIT_GITHUB_API_URL")
                     or get("GITHUB_API_URL", "https://api.github.com")).rstrip("/"),
            runner_server_url=get("GITHUB_SERVER_URL", "https://github.com").rstrip("/"),
            run_id=get("GITHUB_RUN_ID"),
            run_attempt=int(attempt) if attempt.isdigit() else 1,
            actor=get("GITHUB_ACTOR"),
            workspace=Path(get("GITHUB_WORKSPACE") or os.getcwd()),
            head_ref=get("GITHUB_HEAD_REF"),
            base_ref=get("GITHUB_BASE_REF"),
        )

    @cached_property
    def event(self) -> dict[str, Any]:
        """The webhook payload of the triggering event (``{}`` when there is none).

        A file that is not a JSON object is an input error naming ``GITHUB_EVENT_PATH``: acting
        on an empty payload instead would quietly do something else than the event asked.
        """
        if not self.event_path:
            return {}
        path = Path(self.event_path)
        if not path.is_file():
            return {}
        hint = ("The runner writes this file; when running locally, point GITHUB_EVENT_PATH at "
                "a webhook payload (a JSON object), or unset it.")
        try:
            data = json.loads(path.read_text(encoding="utf-8") or "{}")
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError("GITHUB_EVENT_PATH", f"the event payload {path} is not valid JSON "
                             f"({exc}).", hint=hint) from None
        if not isinstance(data, dict):
            raise InputError("GITHUB_EVENT_PATH", f"the event payload {path} is a JSON "
                             f"{type(data).__name__}, not an object.", hint=hint)
        return data

    @property
    def owner(self) -> str:
        return self.repository.partition("/")[0]

    @property
    def repo_name(self) -> str:
        return self.repository.partition("/")[2]

    def require_repository(self) -> str:
        if "/" not in self.repository:
            raise InputError(
                "GITHUB_REPOSITORY",
                "the repository is unknown (GITHUB_REPOSITORY is not set to owner/name)",
                hint="Set GITHUB_REPOSITORY=owner/name when running locally.",
            )
        return self.repository

    @property
    def run_url(self) -> str:
        """Link to this workflow run (and attempt), or "" outside Actions."""
        if not (self.repository and self.run_id):
            return ""
        url = f"{self.runner_server_url}/{self.repository}/actions/runs/{self.run_id}"
        return f"{url}/attempts/{self.run_attempt}" if self.run_attempt > 1 else url
