"""``release_kit.github`` against the GitHub emulator, over real HTTP: retries of every method,
rate limits, the spacing of writes, pagination, creates after an ambiguous failure, counting,
typed errors and GitHub App authentication.

Waits are recorded by a fake ``sleep`` (the policy's decisions are what is checked, not the
machine's clock), except where a test says it waits for real.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest

from release_kit.errors import InputError, PermissionDeniedError
from release_kit.github import (
    API_CALLS,
    ActionsCannotCreatePullRequests,
    AmbiguousWrite,
    GitHubApi,
    GitHubNotFound,
    GitHubServiceError,
    GitHubValidationFailed,
    ResourceNotAccessible,
    RetryPolicy,
    connect,
)
from release_kit.github.rest import api_url, rate_limit_wait
from release_kit_sandbox import GitHubEmulator
from tests.keys import rsa_pem

REPO = "acme/web"
QUICK = RetryPolicy(retries=3, backoff=0.01, secondary_wait=0.01, write_spacing=0)


@pytest.fixture
def emu(github_emulator: GitHubEmulator) -> Iterator[GitHubEmulator]:
    github_emulator.create_repo(REPO, default_branch="main")
    API_CALLS.reset()
    yield github_emulator
    github_emulator.clear_faults()


class Waits(list[float]):
    """A fake ``sleep``: records each wait instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(emu: GitHubEmulator, token: str | None = None, policy: RetryPolicy = QUICK,
           waits: Waits | None = None) -> GitHubApi:
    return GitHubApi(token or emu.default_token, base_url=emu.url, policy=policy,
                     sleep=waits if waits is not None else Waits())


def statuses(emu: GitHubEmulator, path: str, method: str = "GET") -> list[int]:
    return [r.status for r in emu.requests if r.path == path and r.method == method]


def read_repo(api: GitHubApi) -> Any:
    return api.get(f"/repos/{REPO}", doing="reading the repository")


# -- retries: every method -----------------------------------------------------------------------


def test_502s_are_retried_with_full_jitter_and_the_call_succeeds(emu: GitHubEmulator) -> None:
    emu.inject_fault(502, count=2, path=f"^/repos/{REPO}$")
    waits = Waits()
    policy = RetryPolicy(retries=3, backoff=1.0, write_spacing=0)
    assert read_repo(client(emu, policy=policy, waits=waits))["full_name"] == REPO
    assert statuses(emu, f"/repos/{REPO}") == [502, 502, 200]
    assert len(waits) == 2
    assert 0 <= waits[0] <= 1.0 and 0 <= waits[1] <= 2.0  # uniform in [0, backoff * 2**n]


def test_full_jitter_spreads_and_is_capped() -> None:
    policy = RetryPolicy(backoff=1.0, backoff_cap=30.0)
    rng = random.Random(7)
    late = [policy.backoff_wait(10, rng) for _ in range(200)]
    assert max(late) <= 30.0 and min(late) < 5.0  # capped, and spread down to near zero
    assert len({round(w, 3) for w in late}) > 150


@pytest.mark.parametrize("method", ["PATCH", "PUT", "DELETE"])
def test_replayable_writes_are_retried_after_a_502(emu: GitHubEmulator, method: str) -> None:
    api = client(emu)
    issue = api.request("POST", f"/repos/{REPO}/issues", doing="creating",
                        json={"title": "t", "body": "b"}).data
    api.request("POST", f"/repos/{REPO}/labels", doing="labelling",
                json={"name": "gone", "color": "ffffff"})
    target, body, expected = {
        "PATCH": (f"/repos/{REPO}/issues/{issue['number']}", {"body": "new"}, 200),
        "PUT": (f"/repos/{REPO}/issues/{issue['number']}/lock", None, 204),
        "DELETE": (f"/repos/{REPO}/labels/gone", None, 204),
    }[method]
    emu.inject_fault(502, count=1, method=method, path=f"^{target}$")
    api.write(method, target, json=body, doing="writing")
    assert statuses(emu, target, method) == [502, expected]
    if method == "PATCH":
        assert api.get(target, doing="reading")["body"] == "new"


def test_a_permanent_502_ends_with_an_error_that_says_what_was_tried(
        emu: GitHubEmulator) -> None:
    emu.inject_fault(502, count=None, path=f"^/repos/{REPO}$")
    with pytest.raises(GitHubServiceError) as caught:
        read_repo(client(emu, policy=RetryPolicy(retries=2, backoff=0.01, write_spacing=0)))
    error = caught.value
    assert error.status == 502
    assert "reading the repository" in error.message
    assert "3 attempts" in error.message and "no retries left" in error.message
    assert "already attempted" not in str(error)
    assert statuses(emu, f"/repos/{REPO}") == [502, 502, 502]


def test_an_unreachable_api_is_a_service_error() -> None:
    api = GitHubApi("t0ken", base_url="http://127.0.0.1:9", policy=QUICK, sleep=Waits())
    with pytest.raises(GitHubServiceError, match=r"127\.0\.0\.1:9|no answer"):
        read_repo(api)
    assert [c[2] for c in API_CALLS.calls[-4:]] == [0, 0, 0, 0]


# -- rate limits -----------------------------------------------------------------------------------


def test_secondary_rate_limit_waits_for_retry_after_on_a_patch(emu: GitHubEmulator) -> None:
    api = client(emu)
    issue = api.request("POST", f"/repos/{REPO}/issues", doing="creating",
                        json={"title": "t"}).data
    path = f"/repos/{REPO}/issues/{issue['number']}"
    emu.inject_rate_limit(count=1, retry_after=7, path=f"^{path}$", method="PATCH")
    waits = Waits()
    client(emu, waits=waits).write("PATCH", path, json={"body": "x"}, doing="editing")
    assert waits == [7.0]
    assert statuses(emu, path, "PATCH") == [403, 200]


def test_a_secondary_limit_without_headers_waits_a_minute_then_longer() -> None:
    policy = RetryPolicy()  # the defaults: GitHub's guidance
    first = rate_limit_wait({}, 0, policy, now=1000.0)
    second = rate_limit_wait({}, 1, policy, now=1000.0)
    assert first == 60.0 and second == 120.0
    assert rate_limit_wait({"retry-after": "3"}, 5, policy, now=1000.0) == 3.0
    primary = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1030"}
    assert rate_limit_wait(primary, 0, policy, now=1000.0) == 31.0


def test_primary_rate_limit_429_waits_until_the_reset(emu: GitHubEmulator) -> None:
    emu.inject_rate_limit(count=1, retry_after=1, secondary=False, status=429,
                          path=f"^/repos/{REPO}$")
    waits = Waits()
    assert read_repo(client(emu, waits=waits))["full_name"] == REPO
    assert len(waits) == 1 and 0 <= waits[0] <= 3.0
    assert statuses(emu, f"/repos/{REPO}") == [429, 200]


def test_a_wait_beyond_the_budget_fails_at_once_and_says_so(emu: GitHubEmulator) -> None:
    emu.inject_rate_limit(count=1, retry_after=120, path=f"^/repos/{REPO}$")
    waits = Waits()
    policy = RetryPolicy(retries=3, max_wait=5, write_spacing=0)
    with pytest.raises(GitHubServiceError) as caught:
        read_repo(client(emu, policy=policy, waits=waits))
    assert waits == []
    assert "would have waited 120 s" in caught.value.message
    assert "RELEASE_KIT_GITHUB_MAX_WAIT=5" in caught.value.message


def test_mutating_requests_are_spaced_by_the_policy(emu: GitHubEmulator) -> None:
    clock = [100.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds

    api = GitHubApi(emu.default_token, base_url=emu.url, sleep=sleep, clock=lambda: clock[0],
                    policy=RetryPolicy(write_spacing=1.0))
    for n in range(3):
        api.request("POST", f"/repos/{REPO}/labels", doing="labelling",
                    json={"name": f"l{n}", "color": "ffffff"})
    read_repo(api)  # reads are not spaced
    assert len(waits) == 2 and all(w == pytest.approx(1.0) for w in waits)


def test_the_policy_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("RETRIES", "2"), ("BACKOFF", "0.25"), ("MAX_WAIT", "30"),
                        ("SECONDARY_WAIT", "5"), ("WRITE_SPACING", "0"), ("TIMEOUT", "9")):
        monkeypatch.setenv(f"RELEASE_KIT_GITHUB_{name}", value)
    policy = RetryPolicy.from_env()
    assert (policy.retries, policy.backoff, policy.max_wait, policy.secondary_wait,
            policy.write_spacing, policy.timeout) == (2, 0.25, 30, 5, 0, 9)


def test_a_bad_policy_variable_is_an_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELEASE_KIT_GITHUB_RETRIES", "many")
    with pytest.raises(InputError) as caught:
        RetryPolicy.from_env()
    assert caught.value.input_name == "RELEASE_KIT_GITHUB_RETRIES"


# -- creates after an ambiguous failure ----------------------------------------------------------


def test_a_create_is_not_replayed_blindly(emu: GitHubEmulator) -> None:
    emu.inject_fault(502, count=1, method="POST", path=f"^/repos/{REPO}/labels$")
    with pytest.raises(AmbiguousWrite):
        client(emu).request("POST", f"/repos/{REPO}/labels", doing="labelling",
                            json={"name": "x", "color": "ffffff"})
    assert statuses(emu, f"/repos/{REPO}/labels", "POST") == [502]


def test_create_looks_before_it_tries_again(emu: GitHubEmulator) -> None:
    emu.inject_fault(502, count=2, method="POST", path=f"^/repos/{REPO}/issues$")
    api = client(emu)
    looked: list[str] = []

    def find() -> dict[str, Any] | None:
        looked.append("find")
        return None

    data = api.create(f"/repos/{REPO}/issues", {"title": "once"}, doing="creating", find=find)
    assert data["title"] == "once"
    assert looked == ["find", "find"]
    assert statuses(emu, f"/repos/{REPO}/issues", "POST") == [502, 502, 201]


def test_create_adopts_what_landed(emu: GitHubEmulator) -> None:
    api = client(emu)
    existing = api.request("POST", f"/repos/{REPO}/issues", doing="creating",
                           json={"title": "landed"}).data
    emu.inject_fault(502, count=1, method="POST", path=f"^/repos/{REPO}/issues$")
    data = api.create(f"/repos/{REPO}/issues", {"title": "landed"}, doing="creating",
                      find=lambda: existing)
    assert data is existing
    assert statuses(emu, f"/repos/{REPO}/issues", "POST") == [201, 502]


def test_a_rate_limited_create_is_retried_without_looking(emu: GitHubEmulator) -> None:
    emu.inject_rate_limit(count=1, retry_after=1, method="POST", path=f"^/repos/{REPO}/issues$")
    looked: list[int] = []
    data = client(emu).create(f"/repos/{REPO}/issues", {"title": "t"}, doing="creating",
                              find=lambda: looked.append(1))
    assert data["title"] == "t" and looked == []


# -- base URL, paging, counting --------------------------------------------------------------------


def test_base_url_comes_from_the_environment(
    emu: GitHubEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("RELEASE_KIT_GITHUB_API_URL", emu.url + "/")
    assert connect(emu.default_token).get(f"/repos/{REPO}", doing="reading")["name"] == "web"
    monkeypatch.delenv("RELEASE_KIT_GITHUB_API_URL")
    monkeypatch.setenv("GITHUB_API_URL", emu.url + "/")
    assert connect(emu.default_token).base_url == emu.url


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


def test_listings_follow_link_headers_100_per_page(emu: GitHubEmulator) -> None:
    api = client(emu)
    for n in range(130):
        api.request("POST", f"/repos/{REPO}/labels", doing="labelling",
                    json={"name": f"l{n:03}", "color": "ffffff"})
    names = [label["name"] for label in api.paginate(f"/repos/{REPO}/labels", doing="listing")]
    assert len(names) == 130 and len(set(names)) == 130
    listed = [r for r in emu.requests if r.path == f"/repos/{REPO}/labels" and r.method == "GET"]
    assert len(listed) == 2
    assert listed[0].query.get("per_page") == ["100"]
    assert listed[1].query.get("page") == ["2"]  # from the Link header


def test_a_next_link_to_another_host_is_refused(emu: GitHubEmulator) -> None:
    with pytest.raises(GitHubServiceError, match="refusing to send the token"):
        client(emu).get("https://evil.example/repos", doing="following a link")


def test_every_request_is_counted_with_method_path_and_status(emu: GitHubEmulator) -> None:
    emu.inject_fault(502, count=1, path=f"^/repos/{REPO}$")
    api = client(emu)
    read_repo(api)
    api.request("POST", f"/repos/{REPO}/labels", doing="labelling",
                json={"name": "deploy", "color": "00ff00"})
    with pytest.raises(GitHubNotFound):
        api.get(f"/repos/{REPO}/labels/nope", doing="reading a label")
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
    with pytest.raises(GitHubNotFound) as caught:
        client(emu).get("/repos/acme/missing", doing="reading acme/missing")
    assert "reading acme/missing" in caught.value.message
    assert caught.value.hint


def test_missing_permission_is_resource_not_accessible(emu: GitHubEmulator) -> None:
    emu.add_token("ghs_readonly", permissions={"contents": "read", "issues": "read"})
    with pytest.raises(ResourceNotAccessible) as caught:
        client(emu, "ghs_readonly").request("POST", f"/repos/{REPO}/labels", doing="labelling",
                                            json={"name": "deploy", "color": "00ff00"})
    assert "Resource not accessible by integration" in caught.value.message
    assert "permissions" in (caught.value.hint or "")
    assert statuses(emu, f"/repos/{REPO}/labels", "POST") == [403]  # not retried


def test_actions_forbidden_to_create_prs_is_its_own_error(emu: GitHubEmulator) -> None:
    emu.add_token("ghs_no_prs", can_create_pull_requests=False)
    api = client(emu, "ghs_no_prs")
    sha = api.get(f"/repos/{REPO}/branches/main", doing="reading")["commit"]["sha"]
    api.request("POST", f"/repos/{REPO}/git/refs", doing="branching",
                json={"ref": "refs/heads/feature", "sha": sha})
    with pytest.raises(ActionsCannotCreatePullRequests):
        api.request("POST", f"/repos/{REPO}/pulls", doing="opening the PR",
                    json={"base": "main", "head": "feature", "title": "Feature"})
    assert isinstance(ActionsCannotCreatePullRequests("x"), PermissionDeniedError)


def test_422_carries_githubs_errors_list(emu: GitHubEmulator) -> None:
    api = client(emu)
    label = {"name": "deploy", "color": "00ff00"}
    api.request("POST", f"/repos/{REPO}/labels", doing="labelling", json=label)
    with pytest.raises(GitHubValidationFailed) as caught:
        api.request("POST", f"/repos/{REPO}/labels", doing="labelling", json=label)
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


def test_github_app_mints_a_masked_token_for_one_repository_and_the_permissions_asked(
    emu: GitHubEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    pem = rsa_pem()
    emu.add_app(4242, pem, installations={"acme": 77})
    # Secrets stores often hold the key with literal "\n" escapes: accepted as well.
    api = connect(app_id="4242", app_private_key=pem.replace("\n", "\\n"), repository=REPO,
                  permissions={"issues": "write"}, base_url=emu.url, policy=QUICK)
    assert api.get(f"/repos/{REPO}", doing="reading")["full_name"] == REPO

    minted = [r for r in emu.requests if r.path == "/app/installations/77/access_tokens"]
    assert [r.status for r in minted] == [201]
    assert minted[0].request_json == {"repositories": ["web"], "permissions": {"issues": "write"}}
    token = minted[0].response_json["token"]
    masks = [line.removeprefix("::add-mask::") for line in capsys.readouterr().out.splitlines()
             if line.startswith("::add-mask::")]
    assert token in masks
    key_lines = [line for line in pem.splitlines() if line and not line.startswith("-----")]
    assert set(key_lines) <= set(masks)  # the key itself is masked too, line by line
    repo_reads = [r for r in emu.requests if r.path == f"/repos/{REPO}"]
    assert repo_reads[-1].login == "sandbox-app-4242[bot]"


def test_github_app_not_installed_on_the_repository_is_an_input_error(
        emu: GitHubEmulator) -> None:
    pem = rsa_pem()
    emu.add_app(4243, pem, installations={"other-org": 78})
    with pytest.raises(InputError, match="not installed on acme/web"):
        connect(app_id="4243", app_private_key=pem, repository=REPO, base_url=emu.url,
                policy=QUICK)


@pytest.mark.parametrize("key", ["-----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY-----",
                                 "not a key"])
def test_an_unusable_private_key_is_an_input_error(emu: GitHubEmulator, key: str) -> None:
    emu.add_app(4244, rsa_pem(), installations={"acme": 79})
    with pytest.raises(InputError) as caught:
        connect(app_id="4244", app_private_key=key, repository=REPO, base_url=emu.url,
                policy=QUICK)
    assert caught.value.input_name == "app-private-key"
    assert "PEM" in (caught.value.hint or "")
