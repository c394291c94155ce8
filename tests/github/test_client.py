"""``release_kit.github`` against the GitHub emulator: retries, rate limits, counting, typed
errors and GitHub App authentication, over real HTTP with PyGithub."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from github import Github

from release_kit.errors import InputError, PermissionDeniedError
from release_kit.github import (
    API_CALLS,
    ActionsCannotCreatePullRequests,
    GitHubNotFound,
    GitHubServiceError,
    GitHubValidationFailed,
    ResourceNotAccessible,
    connect,
    github_errors,
)
from release_kit.github.client import api_url, retry_policy
from release_kit.sandbox import GitHubEmulator

REPO = "acme/web"


@pytest.fixture
def emu(github_emulator: GitHubEmulator) -> Iterator[GitHubEmulator]:
    github_emulator.create_repo(REPO, default_branch="main")
    API_CALLS.reset()
    yield github_emulator
    github_emulator.clear_faults()


def client(emu: GitHubEmulator, token: str | None = None, **retry: Any) -> Github:
    """A client with a quick retry policy (the default backs off for up to a minute)."""
    policy = retry_policy(**{"total": 3, "backoff_factor": 0.01, **retry})
    return connect(token or emu.default_token, base_url=emu.url, retry=policy)


def statuses(emu: GitHubEmulator, path: str) -> list[int]:
    return [r.status for r in emu.requests if r.path == path]


# -- retries and rate limits -----------------------------------------------------------------------


def test_502_faults_are_retried_and_the_call_succeeds(emu: GitHubEmulator) -> None:
    emu.inject_fault(502, count=2, path=f"^/repos/{REPO}$")
    with github_errors("reading the repository"):
        repo = client(emu).get_repo(REPO)
    assert repo.full_name == REPO
    assert statuses(emu, f"/repos/{REPO}") == [502, 502, 200]


def test_a_permanent_502_ends_with_a_service_error_not_a_hang(emu: GitHubEmulator) -> None:
    emu.inject_fault(502, count=None, path=f"^/repos/{REPO}$")
    started = time.monotonic()
    with pytest.raises(GitHubServiceError) as caught, github_errors("reading the repository"):
        client(emu, total=2).get_repo(REPO)
    assert caught.value.status == 502
    assert "reading the repository" in caught.value.message
    assert statuses(emu, f"/repos/{REPO}") == [502, 502, 502]  # first try + 2 retries
    assert time.monotonic() - started < 10


def test_secondary_rate_limit_waits_for_retry_after(emu: GitHubEmulator) -> None:
    emu.inject_rate_limit(count=1, retry_after=1, path=f"^/repos/{REPO}$")
    started = time.monotonic()
    assert client(emu).get_repo(REPO).full_name == REPO
    assert time.monotonic() - started >= 1.0
    assert statuses(emu, f"/repos/{REPO}") == [403, 200]


def test_primary_rate_limit_429_waits_until_the_reset(emu: GitHubEmulator) -> None:
    emu.inject_rate_limit(count=1, retry_after=1, secondary=False, status=429,
                          path=f"^/repos/{REPO}$")
    started = time.monotonic()
    assert client(emu).get_repo(REPO).full_name == REPO
    assert time.monotonic() - started >= 1.0
    assert statuses(emu, f"/repos/{REPO}") == [429, 200]


def test_a_wait_longer_than_the_cap_fails_at_once(emu: GitHubEmulator) -> None:
    emu.inject_rate_limit(count=1, retry_after=120, path=f"^/repos/{REPO}$")
    started = time.monotonic()
    with pytest.raises(GitHubServiceError, match="rate limit"), github_errors("reading"):
        client(emu, max_rate_limit_wait=5).get_repo(REPO)
    assert time.monotonic() - started < 5


def test_an_unreachable_api_is_a_service_error() -> None:
    gh = connect("t0ken", base_url="http://127.0.0.1:9",
                 retry=retry_policy(total=1, backoff_factor=0.01))
    with pytest.raises(GitHubServiceError, match="Could not reach GitHub"), github_errors("reading"):
        gh.get_repo(REPO)


def test_the_retry_policy_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELEASE_KIT_GITHUB_RETRIES", "2")
    monkeypatch.setenv("RELEASE_KIT_GITHUB_BACKOFF", "0.25")
    monkeypatch.setenv("RELEASE_KIT_GITHUB_MAX_WAIT", "30")
    policy = retry_policy()
    assert (policy.total, policy.backoff_factor, policy.max_rate_limit_wait) == (2, 0.25, 30)
    assert {429, 502, 503, 403} <= set(policy.status_forcelist or ())


# -- base URL, paging, counting --------------------------------------------------------------------


def test_base_url_comes_from_github_api_url(
    emu: GitHubEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_API_URL", emu.url + "/")
    assert connect(emu.default_token).get_repo(REPO).default_branch == "main"


def test_release_kit_api_url_wins_over_the_runners_github_api_url(
    emu: GitHubEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A runner keeps its own GITHUB_API_URL; the suite's variable points the actions elsewhere."""
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("RELEASE_KIT_GITHUB_API_URL", f" {emu.url}/ ")
    assert connect(emu.default_token).get_repo(REPO).default_branch == "main"
    assert any(r.path == f"/repos/{REPO}" for r in emu.requests)


@pytest.mark.parametrize(("environ", "expected"), [
    ({}, "https://api.github.com"),
    ({"GITHUB_API_URL": "https://ghe.example/api/v3/"}, "https://ghe.example/api/v3"),
    ({"GITHUB_API_URL": "https://ghe.example/api/v3", "RELEASE_KIT_GITHUB_API_URL": "  "},
     "https://ghe.example/api/v3"),  # blank: not given
    ({"GITHUB_API_URL": "https://ghe.example/api/v3",
      "RELEASE_KIT_GITHUB_API_URL": "http://172.17.0.1:8080"}, "http://172.17.0.1:8080"),
])
def test_api_url_order(environ: dict[str, str], expected: str) -> None:
    assert api_url(environ) == expected


def test_lists_ask_for_100_per_page(emu: GitHubEmulator) -> None:
    repo = client(emu).get_repo(REPO)
    list(repo.get_issues(state="all"))
    list(repo.get_labels())
    listed = [r for r in emu.requests if r.path in {f"/repos/{REPO}/issues", f"/repos/{REPO}/labels"}]
    assert len(listed) == 2
    assert all(r.query.get("per_page") == ["100"] for r in listed)


def test_every_request_is_counted_with_method_path_and_status(emu: GitHubEmulator) -> None:
    emu.inject_fault(502, count=1, path=f"^/repos/{REPO}$")
    repo = client(emu).get_repo(REPO)
    repo.create_label("deploy", "00ff00")
    with pytest.raises(GitHubNotFound), github_errors("reading a label"):
        repo.get_label("nope")
    assert API_CALLS.calls == [
        ("GET", f"/repos/{REPO}", 502),
        ("GET", f"/repos/{REPO}", 200),
        ("POST", f"/repos/{REPO}/labels", 201),
        ("GET", f"/repos/{REPO}/labels/nope", 404),
    ]
    assert API_CALLS.total == 4
    assert API_CALLS.writes == 1
    assert API_CALLS.by_method() == {"GET": 3, "POST": 1}


# -- typed errors ----------------------------------------------------------------------------------


def test_404_is_not_found(emu: GitHubEmulator) -> None:
    with pytest.raises(GitHubNotFound) as caught, github_errors("reading acme/missing"):
        client(emu).get_repo("acme/missing")
    assert "reading acme/missing" in caught.value.message
    assert caught.value.hint


def test_missing_permission_is_resource_not_accessible(emu: GitHubEmulator) -> None:
    emu.add_token("ghs_readonly", permissions={"contents": "read", "issues": "read"})
    repo = client(emu, "ghs_readonly").get_repo(REPO)
    with pytest.raises(ResourceNotAccessible) as caught, github_errors("creating a label"):
        repo.create_label("deploy", "00ff00")
    assert "Resource not accessible by integration" in caught.value.message
    assert "permissions" in (caught.value.hint or "")
    assert API_CALLS.calls[-1] == ("POST", f"/repos/{REPO}/labels", 403)  # counted, not retried
    assert statuses(emu, f"/repos/{REPO}/labels") == [403]


def test_actions_forbidden_to_create_prs_is_its_own_error(emu: GitHubEmulator) -> None:
    emu.add_token("ghs_no_prs", can_create_pull_requests=False)
    repo = client(emu, "ghs_no_prs").get_repo(REPO)
    main_sha = repo.get_branch("main").commit.sha
    repo.create_git_ref("refs/heads/feature", main_sha)
    with pytest.raises(ActionsCannotCreatePullRequests), github_errors("opening the PR"):
        repo.create_pull(base="main", head="feature", title="Feature")
    assert isinstance(ActionsCannotCreatePullRequests("x"), PermissionDeniedError)


def test_422_carries_githubs_errors_list(emu: GitHubEmulator) -> None:
    repo = client(emu).get_repo(REPO)
    repo.create_label("deploy", "00ff00")
    with pytest.raises(GitHubValidationFailed) as caught, github_errors("creating a label"):
        repo.create_label("deploy", "00ff00")
    assert caught.value.has_code("already_exists")
    assert not caught.value.has_code("missing_field")
    assert caught.value.errors and caught.value.errors[0]["resource"] == "Label"


# -- authentication --------------------------------------------------------------------------------


def test_no_token_is_an_input_error() -> None:
    with pytest.raises(InputError) as caught:
        connect(None, base_url="http://127.0.0.1:9")
    assert caught.value.input_name == "github-token"


def test_app_id_without_key_is_an_input_error() -> None:
    with pytest.raises(InputError) as caught:
        connect(None, app_id="1", repository=REPO, base_url="http://127.0.0.1:9")
    assert caught.value.input_name == "app-private-key"


def rsa_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def test_github_app_mints_a_masked_installation_token_that_works(
    emu: GitHubEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    pem = rsa_pem()
    emu.add_app(4242, pem, installations={"acme": 77})
    # Secrets stores often hold the key with literal "\n" escapes: accepted as well.
    gh = connect(app_id="4242", app_private_key=pem.replace("\n", "\\n"), repository=REPO,
                 base_url=emu.url, retry=retry_policy(total=1, backoff_factor=0.01))
    assert gh.get_repo(REPO).full_name == REPO

    minted = [r for r in emu.requests if r.path == "/app/installations/77/access_tokens"]
    assert [r.status for r in minted] == [201]
    token = minted[0].response_json["token"]
    masks = [line.removeprefix("::add-mask::") for line in capsys.readouterr().out.splitlines()
             if line.startswith("::add-mask::")]
    assert token in masks
    key_lines = [line for line in pem.splitlines() if line and not line.startswith("-----")]
    assert set(key_lines) <= set(masks)  # the key itself is masked too, line by line
    repo_reads = [r for r in emu.requests if r.path == f"/repos/{REPO}"]
    assert repo_reads[-1].login == "sandbox-app-4242[bot]"


def test_github_app_not_installed_for_the_owner_is_not_found(emu: GitHubEmulator) -> None:
    pem = rsa_pem()
    emu.add_app(4243, pem, installations={"other-org": 78})
    with pytest.raises(GitHubNotFound):
        connect(app_id="4243", app_private_key=pem, repository=REPO, base_url=emu.url,
                retry=retry_policy(total=1, backoff_factor=0.01))
