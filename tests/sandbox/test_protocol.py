"""Protocol: auth, errors, permissions, pagination, headers, fault injection, records, apps."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from github import Auth, Github, GithubException, GithubIntegration

from release_kit_sandbox import GitHubEmulator

from .gitutil import pygithub


def call(
    emu: GitHubEmulator,
    method: str,
    path: str,
    body: Any = None,
    token: str | None = "default",
    scheme: str = "token",
) -> tuple[int, dict[str, str], Any]:
    """Raw HTTP: (status, headers, parsed JSON or None)."""
    headers = {"Accept": "application/vnd.github+json"}
    if token is not None:
        headers["Authorization"] = f"{scheme} {emu.default_token if token == 'default' else token}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(emu.url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req) as resp:
            raw = resp.read()
            return resp.status, dict(resp.headers), json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        raw = err.read()
        return err.code, dict(err.headers), json.loads(raw) if raw else None


@pytest.fixture
def emu(github_emulator: GitHubEmulator) -> GitHubEmulator:
    github_emulator.create_repo("acme/web")
    return github_emulator


def test_authentication(emu: GitHubEmulator) -> None:
    status, _, body = call(emu, "GET", "/repos/acme/web", token=None)
    assert status == 401
    assert body["message"] == "Requires authentication"
    status, _, body = call(emu, "GET", "/repos/acme/web", token="wrong")
    assert (status, body["message"]) == (401, "Bad credentials")
    status, _, body = call(emu, "GET", "/repos/acme/web", scheme="Bearer")
    assert status == 200
    assert body["full_name"] == "acme/web"


def test_not_found_shapes(emu: GitHubEmulator) -> None:
    for path in ("/repos/acme/nope", "/repos/acme/web/issues/99", "/no/such/endpoint",
                 "/repos/acme/web/releases/123"):
        status, _, body = call(emu, "GET", path)
        assert status == 404, path
        assert body["message"] == "Not Found"
        assert body["documentation_url"] == "https://docs.github.com/rest"


def test_invalid_json_is_400(emu: GitHubEmulator) -> None:
    req = urllib.request.Request(
        emu.url + "/repos/acme/web/issues", data=b"{nope", method="POST",
        headers={"Authorization": f"token {emu.default_token}"},
    )
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req)
    assert exc.value.code == 400
    assert json.loads(exc.value.read())["message"] == "Problems parsing JSON"


def test_token_permissions(emu: GitHubEmulator) -> None:
    emu.add_token("reader", permissions={"contents": "read", "issues": "read"})
    gh = pygithub(emu, "reader")
    repo = gh.get_repo("acme/web")
    assert repo.get_branch("main").name == "main"
    assert repo.permissions.push is False
    with pytest.raises(GithubException) as exc:
        repo.create_issue("nope")
    assert exc.value.status == 403
    assert exc.value.data["message"] == "Resource not accessible by integration"
    with pytest.raises(GithubException) as exc:
        repo.create_git_ref("refs/heads/x", repo.get_branch("main").commit.sha)
    assert exc.value.status == 403
    with pytest.raises(GithubException) as exc:
        list(repo.get_deployments())  # no deployments permission at all
    assert exc.value.status == 403
    emu.add_token("pr-writer", permissions={"pull_requests": "write", "contents": "read"})
    status, _, _ = call(emu, "POST", "/repos/acme/web/labels", {"name": "x"}, token="pr-writer")
    assert status == 403
    assert [r.login for r in emu.requests if r.status == 403][-1] == "github-actions[bot]"


def test_pagination_link_headers(emu: GitHubEmulator) -> None:
    for n in range(250):
        status, _, _ = call(emu, "POST", "/repos/acme/web/issues", {"title": f"issue {n}"})
        assert status == 201
    status, headers, page1 = call(emu, "GET", "/repos/acme/web/issues?per_page=100&state=open")
    assert status == 200
    assert len(page1) == 100
    base = f"{emu.url}/repos/acme/web/issues"
    assert headers["Link"] == (
        f'<{base}?state=open&per_page=100&page=2>; rel="next", '
        f'<{base}?state=open&per_page=100&page=3>; rel="last"'
    )
    status, headers, page3 = call(emu, "GET", "/repos/acme/web/issues?per_page=100&page=3")
    assert len(page3) == 50
    assert 'rel="prev"' in headers["Link"]
    assert 'rel="first"' in headers["Link"]
    assert 'rel="next"' not in headers["Link"]
    _, _, default_page = call(emu, "GET", "/repos/acme/web/issues")
    assert len(default_page) == 30
    _, _, capped = call(emu, "GET", "/repos/acme/web/issues?per_page=500")
    assert len(capped) == 100
    gh = Github(base_url=emu.url, auth=Auth.Token(emu.default_token), per_page=100,
                seconds_between_requests=None, seconds_between_writes=None)
    numbers = [i.number for i in gh.get_repo("acme/web").get_issues()]
    assert numbers == list(range(250, 0, -1))
    pages = [r for r in emu.requests if r.path == "/repos/acme/web/issues" and r.method == "GET"]
    assert len(pages) >= 3


def test_response_headers(emu: GitHubEmulator) -> None:
    _, headers, _ = call(emu, "GET", "/repos/acme/web")
    assert headers["X-RateLimit-Limit"] == "5000"
    assert int(headers["X-RateLimit-Remaining"]) < 5000
    assert int(headers["X-RateLimit-Reset"]) > time.time()
    assert int(headers["X-RateLimit-Used"]) >= 1
    assert headers["X-GitHub-Request-Id"]
    assert headers["Content-Type"].startswith("application/json")


def test_fault_injection(emu: GitHubEmulator) -> None:
    emu.inject_fault(status=502, count=2, path=r"/issues$", method="POST")
    assert call(emu, "POST", "/repos/acme/web/issues", {"title": "a"})[0] == 502
    assert call(emu, "GET", "/repos/acme/web/issues")[0] == 200  # method does not match
    assert call(emu, "POST", "/repos/acme/web/issues", {"title": "a"})[0] == 502
    assert call(emu, "POST", "/repos/acme/web/issues", {"title": "a"})[0] == 201
    statuses = [r.status for r in emu.requests if r.method == "POST"]
    assert statuses == [502, 502, 201]
    assert [r.status for r in emu.writes()] == [502, 502, 201]


def test_rate_limits(emu: GitHubEmulator) -> None:
    emu.inject_rate_limit(count=1, retry_after=7)
    status, headers, body = call(emu, "GET", "/repos/acme/web")
    assert (status, headers["Retry-After"]) == (403, "7")
    assert "secondary rate limit" in body["message"]
    emu.inject_rate_limit(count=1, retry_after=30, secondary=False, status=429)
    status, headers, body = call(emu, "GET", "/repos/acme/web")
    assert status == 429
    assert headers["X-RateLimit-Remaining"] == "0"
    assert int(headers["X-RateLimit-Reset"]) >= int(time.time()) + 28
    assert call(emu, "GET", "/repos/acme/web")[0] == 200


def test_latency(emu: GitHubEmulator) -> None:
    emu.inject_latency(0.3, count=1, path="/repos/acme/web$")
    started = time.monotonic()
    assert call(emu, "GET", "/repos/acme/web")[0] == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    assert call(emu, "GET", "/repos/acme/web")[0] == 200
    assert time.monotonic() - started < 0.3


def test_pygithub_retries_through_injected_502(emu: GitHubEmulator) -> None:
    from urllib3.util.retry import Retry

    emu.inject_fault(status=502, count=2, path="/repos/acme/web$")
    gh = Github(base_url=emu.url, auth=Auth.Token(emu.default_token),
                retry=Retry(total=3, backoff_factor=0, status_forcelist=[502]),
                seconds_between_requests=None, seconds_between_writes=None)
    assert gh.get_repo("acme/web").full_name == "acme/web"
    assert [r.status for r in emu.requests] == [502, 502, 200]


def test_records_and_reset(emu: GitHubEmulator) -> None:
    call(emu, "POST", "/repos/acme/web/issues", {"title": "t"})
    record = emu.writes()[-1]
    assert (record.method, record.path, record.status) == ("POST", "/repos/acme/web/issues", 201)
    assert record.request_json == {"title": "t"}
    assert record.response_json["number"] == 1
    assert record.login == "github-actions[bot]"
    assert record.route == "/repos/{owner}/{repo}/issues"
    url = emu.url
    emu.reset()
    assert emu.url == url
    assert emu.requests == []
    assert call(emu, "GET", "/repos/acme/web")[0] == 404
    emu.create_repo("acme/web")
    assert call(emu, "GET", "/repos/acme/web/issues/1")[0] == 404


def test_github_app_auth(emu: GitHubEmulator) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    emu.create_repo("other/thing", private=True)
    emu.create_repo("other/open")
    emu.add_app(app_id=123, private_key_pem=pem, installations={"acme": 77},
                permissions={"contents": "write", "issues": "write", "metadata": "read"})
    integration = GithubIntegration(auth=Auth.AppAuth(123, pem), base_url=emu.url)
    installation = integration.get_repo_installation("acme", "web")
    assert installation.id == 77
    token = integration.get_access_token(77)
    assert token.token.startswith("ghs_")
    gh = pygithub(emu, token.token)
    repo = gh.get_repo("acme/web")
    issue = repo.create_issue("from the app")
    assert issue.user.login == "sandbox-app-123[bot]"
    with pytest.raises(GithubException) as exc:
        gh.get_repo("other/thing")  # not installed on that account: private, so invisible
    assert exc.value.status == 404
    public = gh.get_repo("other/open")  # public: readable as for anyone, but not writable
    with pytest.raises(GithubException) as exc:
        public.create_issue("not ours")
    assert exc.value.status == 403
    with pytest.raises(GithubException) as exc:
        list(repo.get_deployments())  # not granted
    assert exc.value.status == 403
    # a JWT from an unknown key is refused
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    bad_pem = other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()).decode()
    bad = GithubIntegration(auth=Auth.AppAuth(123, bad_pem), base_url=emu.url)
    with pytest.raises(GithubException) as exc:
        bad.get_repo_installation("acme", "web")
    assert exc.value.status == 401
    # installation tokens cannot call app endpoints, JWTs cannot call repo endpoints
    assert call(emu, "GET", "/app", token=token.token)[0] == 401
    jwt_token = Auth.AppAuth(123, pem).token
    assert call(emu, "GET", "/repos/acme/web", token=jwt_token, scheme="Bearer")[0] == 403
