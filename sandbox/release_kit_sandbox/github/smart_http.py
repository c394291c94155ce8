"""Git over HTTP at each repository's ``clone_url``: ``git http-backend`` behind the emulator.

``{GITHUB_SERVER_URL}/{owner}/{repo}.git`` (the ``clone_url`` the API gives) speaks git's smart
HTTP protocol, versions 0 and 2, through ``git http-backend``, the CGI program git ships for
this: ``git clone``, ``fetch``, ``pull`` and ``push`` work with a real git, on the very bare
repository the API reads, so a push moves branches, tags and open pull requests as it does on
GitHub. As on GitHub, fetching a public repository needs no credentials; pushing, and fetching a
private repository, needs a token of the emulator as the password (any user name, e.g.
``x-access-token``), and a push needs ``contents: write``. Faults and the request log are the
REST API's: git requests are in neither.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import subprocess
from collections.abc import Mapping

from release_kit_sandbox.github.state import GitHubState, Token

PATH = re.compile(r"^/(?P<owner>[^/]+)/(?P<name>[^/]+?)\.git(?P<rest>/.*)?$")
TIMEOUT = 300  # seconds for one git request (a clone of a big repository)
REALM = 'Basic realm="GitHub"'

Answer = tuple[int, dict[str, str], bytes]


def is_git(path: str) -> bool:
    """Whether ``path`` (under the server URL) is a repository's git endpoint."""
    return PATH.match(path) is not None


def _text(status: int, message: str, **headers: str) -> Answer:
    return status, {"Content-Type": "text/plain; charset=utf-8", **headers}, \
        (message + "\n").encode()


def _password(headers: Mapping[str, str]) -> str | None:
    """The password of ``Authorization: Basic``, where git puts the token (or a Bearer's)."""
    auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    scheme, _, value = auth.strip().partition(" ")
    if scheme.lower() in {"bearer", "token"}:
        return value.strip() or None
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[2] or None


def _caller(state: GitHubState, headers: Mapping[str, str]) -> Token | None:
    password = _password(headers)
    return state.tokens.get(password) if password else None


def serve(state: GitHubState, method: str, path: str, *, query: str,
          headers: Mapping[str, str], body: bytes) -> Answer:
    """One git request for ``path`` (``/{owner}/{repo}.git/...``), answered by git."""
    match = PATH.match(path)
    if match is None:
        return _text(404, "Not Found")
    owner, name, rest = match.group("owner"), match.group("name"), match.group("rest") or "/"
    repo = state.repo(owner, name)
    if repo is None:
        return _text(404, "Repository not found.")
    pushing = rest.endswith("/git-receive-pack") or "service=git-receive-pack" in query
    token = _caller(state, headers)
    if pushing or repo.private:
        if token is None:
            return _text(401, "Invalid username or token. Password authentication is not "
                         "supported for Git operations; use a token of the sandbox.",
                         **{"WWW-Authenticate": REALM})
        if not token.reaches(repo.owner, repo.name):
            return _text(404, "Repository not found.")
        if pushing and not token.allows("contents", "write"):
            return _text(403, f"Permission to {repo.full_name}.git denied to {token.login}.")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GIT_PROJECT_ROOT": str(repo.git_dir.parent),
        "GIT_HTTP_EXPORT_ALL": "1",
        "PATH_INFO": f"/{repo.git_dir.name}{rest}",
        "REQUEST_METHOD": method,
        "QUERY_STRING": query,
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": next((v for k, v in headers.items() if k.lower() == "content-type"), ""),
    }
    if token is not None:
        env["REMOTE_USER"] = token.login  # git http-backend serves receive-pack to a known user
    for header, variable in (("content-encoding", "HTTP_CONTENT_ENCODING"),
                             ("git-protocol", "HTTP_GIT_PROTOCOL")):
        value = next((v for k, v in headers.items() if k.lower() == header), None)
        if value:
            env[variable] = value
    if body:
        env["CONTENT_LENGTH"] = str(len(body))
    proc = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True,
                          timeout=TIMEOUT, check=False)
    return _cgi_answer(proc.stdout, proc.stderr)


def _cgi_answer(output: bytes, errors: bytes) -> Answer:
    """A CGI response (headers, a blank line, the body) as (status, headers, body)."""
    head, sep, payload = output.partition(b"\r\n\r\n")
    if not sep:
        head, sep, payload = output.partition(b"\n\n")
    if not sep:
        detail = errors.decode(errors="replace").strip() or "no output"
        return _text(500, f"git http-backend failed: {detail}")
    status, headers = 200, {}
    for line in head.decode("latin-1").splitlines():
        key, _, value = line.partition(":")
        if key.lower() == "status":
            status = int(value.strip().split()[0])
        elif key:
            headers[key.strip()] = value.strip()
    return status, headers, payload
