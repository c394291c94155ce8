"""The one way to get a GitHub client: a token, or a GitHub App installation token.

- The API's address: ``RELEASE_KIT_GITHUB_API_URL``, else ``GITHUB_API_URL`` (GitHub Enterprise
  Server and the sandbox work unchanged), else github.com's.
- Requests, retries, pagination and creates: :mod:`release_kit.github.rest`.
- A GitHub App's installation token is minted for one repository and only the permissions the
  operation needs, then masked, as is the App's private key.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from release_kit.action import commands
from release_kit.errors import InputError
from release_kit.github.errors import GitHubNotFound
from release_kit.github.rest import GitHubApi, RetryPolicy, api_url

Permissions = Mapping[str, str]


def connect(
    token: str | None = None,
    *,
    app_id: str | None = None,
    app_private_key: str | None = None,
    repository: str | None = None,
    permissions: Permissions | None = None,
    base_url: str | None = None,
    policy: RetryPolicy | None = None,
) -> GitHubApi:
    """A client that can act on ``repository`` (``owner/name``), by token or GitHub App.

    With ``app_id`` and ``app_private_key`` an installation token is minted for ``repository``
    alone, with ``permissions`` (e.g. ``{"issues": "write"}``; None asks for the installation's
    own). Otherwise ``token`` is used.
    """
    url = (base_url or api_url()).rstrip("/")
    if app_id or app_private_key:
        if not (app_id and app_private_key):
            missing = "app-private-key" if app_id else "app-id"
            raise InputError(missing, "app-id and app-private-key must be given together.")
        if not repository or "/" not in repository:
            raise InputError("app-id", "GitHub App auth needs the target repository (owner/name).")
        token = installation_token(app_id, app_private_key, repository, url,
                                   permissions=permissions, policy=policy)
    if not token:
        raise InputError(
            "github-token",
            "no GitHub token was given.",
            hint="Pass github-token (the default is ${{ github.token }}), or app-id and "
            "app-private-key; locally, export GITHUB_TOKEN.",
        )
    return GitHubApi(token, base_url=url, policy=policy)


def app_jwt(app_id: str, private_key: str, now: float | None = None) -> str:
    """The App's own token (RS256 JWT, 9 minutes, issued a minute back for clock drift)."""
    import jwt  # noqa: PLC0415 - only App auth needs it (and cryptography behind it)

    key = private_key.replace("\\n", "\n").strip()
    commands.add_mask(key)
    issued = int(now if now is not None else time.time()) - 60
    try:
        return jwt.encode({"iat": issued, "exp": issued + 540, "iss": app_id}, key,
                          algorithm="RS256")
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        raise InputError(
            "app-private-key", f"the private key cannot sign ({type(exc).__name__}: {exc}).",
            hint="Paste the whole PEM file the App's settings page generated, from "
            "-----BEGIN ... PRIVATE KEY----- to the END line.") from None


def installation_token(
    app_id: str,
    private_key: str,
    repository: str,
    base_url: str,
    *,
    permissions: Permissions | None = None,
    policy: RetryPolicy | None = None,
) -> str:
    """Mint an installation token of the App, scoped to ``repository`` (and masked)."""
    owner, _, name = repository.partition("/")
    app = GitHubApi(app_jwt(app_id, private_key), base_url=base_url, policy=policy)
    try:
        installation = app.get(f"/repos/{owner}/{name}/installation",
                               doing=f"finding the GitHub App's installation on {repository}")
    except GitHubNotFound:
        raise InputError(
            "app-id", f"the GitHub App {app_id} is not installed on {repository}.",
            hint="Install the App on that repository (or its organisation).") from None
    body: dict[str, object] = {"repositories": [name]}
    if permissions:
        body["permissions"] = dict(permissions)
    minted = app.request(
        "POST", f"/app/installations/{installation['id']}/access_tokens",
        doing=f"minting a GitHub App installation token for {repository}", json=body,
        replayable=True,  # each call mints a new token: asking twice is harmless
    ).data
    token = str(minted["token"])
    commands.add_mask(token)
    app.close()
    return token
