"""release-ticket's inputs: the model of its ``action.yml``, checked before anything is read,
and the chat webhooks they name."""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self

from release_kit import templates
from release_kit.action.inputs import (
    Bool,
    Lines,
    Parser,
    SecretStr,
    field_validator,
    model_validator,
)
from release_kit.action.runner import Runtime
from release_kit.chat import Notifier, Webhook, check_url, timeout_of
from release_kit.errors import InputError
from release_kit.github.inputs import GitHubAuthInputs
from release_kit.github.tickets import CommentMode
from release_kit.notify import DEFAULT_NOTIFY_ON, parse_rules
from release_kit.tickets import Status, parse_targets

Operation = Literal["open", "report", "notify-failure", "close"]

_REPOSITORY = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+")
_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?")
_RELEASE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+/-]{0,99}")


def _positive_int(text: str) -> int:
    if not (text.isdigit() and int(text) > 0):
        raise ValueError("not an issue number; give a positive integer, e.g. 42")
    return int(text)


class TicketInputs(GitHubAuthInputs):
    operation: Operation
    release: str
    ticket_repo: str = ""
    ticket_number: Annotated[int | None, Parser(_positive_int)] = None
    title: str = "Release {release}"
    driver: str = ""
    labels: Lines = ["release"]
    repository: str = ""
    stage: str = ""
    status: Status | None = None
    version: str = ""
    sha: str = ""
    message: str = ""
    targets: Lines = []
    comment_mode: CommentMode = "failures"
    fail_on_error: Bool = True
    slack_webhook_url: SecretStr = SecretStr("")
    teams_webhook_url: SecretStr = SecretStr("")
    webhook_url: SecretStr = SecretStr("")
    notify_on: Lines = list(DEFAULT_NOTIFY_ON)

    @field_validator("ticket_repo", "repository")
    @classmethod
    def _owner_name(cls, value: str) -> str:
        if not _REPOSITORY.fullmatch(value):
            raise ValueError(f"{value!r} is not owner/name (e.g. acme/releases)")
        return value

    @field_validator("release")
    @classmethod
    def _release(cls, value: str) -> str:
        if not _RELEASE.fullmatch(value):
            raise ValueError(f"{value!r} is not a release identifier: use letters, digits and "
                             "._+/- (e.g. 1.4.0 or 2026.11-train)")
        return value

    @field_validator("driver")
    @classmethod
    def _driver(cls, value: str) -> str:
        if value and not _LOGIN.fullmatch(value):
            raise ValueError(f"{value!r} is not a GitHub login")
        return value

    @field_validator("stage")
    @classmethod
    def _stage(cls, value: str) -> str:
        if len(value) > 40 or "\n" in value:
            raise ValueError("a stage is a short name on one line (at most 40 characters)")
        return value

    @model_validator(mode="after")
    def _operation_needs(self) -> Self:
        if self.operation == "report" and not self.stage:
            raise InputError("stage", "operation report needs a stage.",
                             hint="Set stage, e.g. build, dev, staging or production.")
        if self.operation == "report" and self.status is None:
            raise InputError("status", "operation report needs a status.",
                             hint="Set status: pending, in_progress, success, failure or skipped.")
        if self.operation == "notify-failure" and not self.stage:
            raise InputError("stage", "operation notify-failure needs the stage that failed.")
        if self.targets and self.operation != "open":
            raise InputError("targets", f"targets are dispatched by operation open, not "
                             f"{self.operation}.", hint="Remove targets from this step.")
        parse_targets(self.targets)
        templates.check(self.title, {"release", "driver"}, "title")
        parse_rules(self.notify_on)
        for name, url in self.webhooks().items():
            check_url(name, url)
        return self

    def webhooks(self) -> dict[str, str]:
        """input name -> address, for the webhooks given."""
        given = {"slack-webhook-url": self.slack_webhook_url,
                 "teams-webhook-url": self.teams_webhook_url,
                 "webhook-url": self.webhook_url}
        return {name: url.get_secret_value() for name, url in given.items()
                if url.get_secret_value()}

    def notifier(self, rt: Runtime) -> Notifier | None:
        """The chat webhooks, or None when none is given (slack_sdk is then never imported)."""
        hooks = [Webhook(name.removesuffix("-webhook-url").removesuffix("-url"), url)
                 for name, url in self.webhooks().items()]
        if not hooks:
            return None
        return Notifier(hooks, parse_rules(self.notify_on), timeout=timeout_of(rt.environ))
