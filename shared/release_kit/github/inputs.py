"""Inputs shared by the actions that talk to GitHub: a token, or a GitHub App."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from release_kit.action.inputs import ActionInputs, SecretStr

if TYPE_CHECKING:
    from release_kit.github.rest import GitHubApi


class GitHubAuthInputs(ActionInputs):
    """``github-token``, or ``app-id`` + ``app-private-key`` (an installation token, masked)."""

    github_token: SecretStr = SecretStr("")
    app_id: str = ""
    app_private_key: SecretStr = SecretStr("")

    def github(self, repository: str, permissions: Mapping[str, str] | None = None) -> GitHubApi:
        """A client that can act on ``repository``: the token, or an App installation token for
        that repository alone with ``permissions``."""
        # requests: paid once the inputs are valid
        from release_kit.github.client import connect  # noqa: PLC0415

        return connect(
            self.github_token.get_secret_value() or None,
            app_id=self.app_id or None,
            app_private_key=self.app_private_key.get_secret_value() or None,
            repository=repository,
            permissions=permissions,
        )
