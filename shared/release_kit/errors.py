"""The errors an action can end with.

Each carries what went wrong and what to do about it; the runner turns one into a single
``::error title=...::`` line and exit code 1. Adapters raise these (not library exceptions) for
the cases an action must tell apart, so entrypoints never inspect HTTP status codes.
"""

from __future__ import annotations


class ReleaseKitError(Exception):
    """Base class: a failure the user can act on."""

    title = "release-kit failed"

    def __init__(
        self, message: str, *, hint: str | None = None, title: str | None = None, code: str = ""
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code  # the service's machine-readable cause, e.g. an AWS error code
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message


class InputError(ReleaseKitError):
    """An input (``with:`` value) is wrong. Raised before anything is written."""

    def __init__(self, input_name: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint, title=f"Invalid input '{input_name}'")
        self.input_name = input_name


class NotFoundError(ReleaseKitError):
    title = "Not found"


class ConflictError(ReleaseKitError):
    title = "Conflict"


class PermissionDeniedError(ReleaseKitError):
    title = "Permission denied"


class ExternalServiceError(ReleaseKitError):
    title = "External service failed"
