"""Credentials for OCI registries, and the challenges registries answer with.

A registry says how to authenticate in the ``WWW-Authenticate`` header of a 401: ``Basic`` (send
the username and password), or ``Bearer realm=...,service=...,scope=...`` (get a token from the
realm for those scopes, with the username and password as basic auth, or anonymously; then send
the token). Credentials per registry come from the action's inputs, else from a Docker
``config.json`` (``$DOCKER_CONFIG/config.json``, else ``~/.docker/config.json``), whose ``auths``
entries ``docker login`` writes. Credential helpers (``credsStore``/``credHelpers``) are not run.

Pure: nothing here talks to the network; ``oci.Client`` does, and masks every secret.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from release_kit.errors import InputError
from release_kit.registry.references import DOCKER_HUB, DOCKER_HUB_ALIASES

_PARAM = re.compile(r'\s*([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?')


@dataclass(frozen=True)
class Credentials:
    """A username and a password (or token); ``identity_token`` is an OAuth2 refresh token
    (``identitytoken`` in config.json, as ``az acr login`` writes)."""

    username: str = ""
    password: str = field(default="", repr=False)
    identity_token: str = field(default="", repr=False)
    origin: str = ""  # where they came from, for error messages (never the secret)

    def secrets(self) -> list[str]:
        return [s for s in (self.password, self.identity_token) if s]


@dataclass(frozen=True)
class Challenge:
    """One ``WWW-Authenticate`` challenge."""

    scheme: str  # lower-case: "bearer" or "basic"
    params: dict[str, str]

    @property
    def realm(self) -> str:
        return self.params.get("realm", "")


def parse_challenge(header: str) -> Challenge | None:
    """The first challenge of a ``WWW-Authenticate`` header (registries send one)."""
    scheme, _, rest = header.strip().partition(" ")
    if not scheme:
        return None
    params: dict[str, str] = {}
    pos = 0
    while pos < len(rest):
        match = _PARAM.match(rest, pos)
        if not match or match.end() == pos:
            break
        quoted, bare = match.group(2), match.group(3)
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare or ""
        params[match.group(1).lower()] = value
        pos = match.end()
    return Challenge(scheme.lower(), params)


def config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    folder = env.get("DOCKER_CONFIG")
    if folder:
        return Path(folder) / "config.json"
    return Path(env.get("HOME") or Path.home()) / ".docker" / "config.json"


def _keys(registry: str) -> list[str]:
    """The ``auths`` keys ``docker login`` may have written for ``registry``."""
    if registry == DOCKER_HUB:
        hosts = ["https://index.docker.io/v1/", *sorted(DOCKER_HUB_ALIASES)]
    else:
        hosts = [registry]
    return hosts + [f"{scheme}://{h}" for h in hosts for scheme in ("https", "http")
                    if "://" not in h]


def from_docker_config(registry: str, env: Mapping[str, str] | None = None) -> Credentials | None:
    """``registry``'s entry in the Docker config.json, or None (no file, no entry)."""
    path = config_path(env)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise _bad_config(path, f"cannot be read as JSON ({exc.__class__.__name__})") from None
    if not isinstance(document, dict):
        raise _bad_config(path, "is not a JSON object")
    auths = document.get("auths") or {}
    if not isinstance(auths, dict):
        raise _bad_config(path, "has an `auths` that is not an object")
    normalised = {key.rstrip("/"): value for key, value in auths.items()}
    for key in _keys(registry):
        entry = auths.get(key, normalised.get(key.rstrip("/")))
        if isinstance(entry, dict):
            return _credentials(entry, registry, path)
    return None


def _credentials(entry: dict[str, object], registry: str, path: Path) -> Credentials:
    origin = f"{path} (auths entry for {registry})"
    username, password = str(entry.get("username") or ""), str(entry.get("password") or "")
    encoded = str(entry.get("auth") or "")
    if encoded and not username:
        try:
            username, sep, password = base64.b64decode(encoded).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            sep = ""
        if not sep:
            raise _bad_config(path, f"has an `auth` for {registry} that is not "
                                    "base64(username:password)")
    return Credentials(username, password, str(entry.get("identitytoken") or ""), origin)


def _bad_config(path: Path, problem: str) -> InputError:
    return InputError("DOCKER_CONFIG", f"The Docker config {path} {problem}.",
                      hint="Fix or remove the file (docker login writes it), or give "
                           "registry-username and registry-password instead.")


def basic(credentials: Credentials) -> str:
    """The ``Authorization`` value for basic auth."""
    raw = f"{credentials.username}:{credentials.password}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")
