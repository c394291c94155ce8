"""Injected faults through ``/_sandbox/faults`` (HTTP) and the Python API, and the request log
at ``/_sandbox/requests``: one mechanism, GitHub-shaped answers."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest

from release_kit_sandbox import Fault, FaultSpecError, GitHubEmulator

from .contract import problems
from .gitutil import api

ISSUES = "/repos/acme/web/issues"


@pytest.fixture
def emu(github_emulator: GitHubEmulator) -> GitHubEmulator:
    github_emulator.create_repo("acme/web")
    github_emulator.create_repo("acme/api")
    return github_emulator


def gh(emu: GitHubEmulator, method: str, path: str, body: Any = None,
       timeout: float = 10) -> tuple[int, dict[str, str], Any]:
    """A GitHub API call with the default token."""
    return api(emu.url, method, path, body, token=emu.default_token, timeout=timeout)


def fault(emu: GitHubEmulator, **spec: Any) -> dict[str, Any]:
    """POST /_sandbox/faults (no token: the control API needs none)."""
    status, _, body = api(emu.url, "POST", "/_sandbox/faults", spec)
    assert status == 201, body
    assert isinstance(body, dict)
    return body


def issue_count(emu: GitHubEmulator, repo: str = "acme/web") -> int:
    return len(emu.repo(repo).issues)


def test_before_502_answers_without_writing(emu: GitHubEmulator) -> None:
    made = fault(emu, status=502, count=1, method="POST", path=r"/issues$", when="before")
    assert (made["status"], made["count"], made["when"]) == (502, 1, "before")
    status, _, body = gh(emu, "POST", ISSUES, {"title": "t"})
    assert status == 502
    assert body["message"] == "Server Error"
    assert issue_count(emu) == 0
    assert gh(emu, "POST", ISSUES, {"title": "t"})[0] == 201
    assert issue_count(emu) == 1
    record = emu.writes()[0]
    assert record.fault == {"id": made["id"], "status": 502, "when": "before",
                            "rate_limit": None}


def test_after_502_commits_the_write_and_loses_the_answer(emu: GitHubEmulator) -> None:
    fault(emu, status=502, count=1, method="POST", path=r"/issues$", when="after")
    status, headers, body = gh(emu, "POST", ISSUES, {"title": "landed"})
    assert status == 502
    assert "Location" not in headers  # the handler's answer is gone, its change is not
    assert body["message"] == "Server Error"
    assert [i.title for i in emu.repo("acme/web").issues.values()] == ["landed"]
    _, _, listed = gh(emu, "GET", ISSUES)
    assert [i["title"] for i in listed] == ["landed"]
    record = emu.writes()[0]
    assert record.status == 502
    assert record.fault is not None
    assert (record.fault["when"], record.fault["handler_status"]) == ("after", 201)


def test_after_fault_on_patch_commits_the_edit(emu: GitHubEmulator) -> None:
    assert gh(emu, "POST", ISSUES, {"title": "t", "body": "old"})[0] == 201
    fault(emu, status=502, method="PATCH", path=r"/issues/1$", when="after")
    assert gh(emu, "PATCH", ISSUES + "/1", {"body": "new"})[0] == 502
    assert emu.repo("acme/web").issues[1].body == "new"


def test_three_502s_then_success_and_the_fault_is_used_up(emu: GitHubEmulator) -> None:
    fault(emu, status=502, count=3, method="POST", path=r"/issues$")
    statuses = [gh(emu, "POST", ISSUES, {"title": "t"})[0] for _ in range(4)]
    assert statuses == [502, 502, 502, 201]
    assert issue_count(emu) == 1
    assert api(emu.url, "GET", "/_sandbox/faults")[2] == []


def test_method_and_path_filters(emu: GitHubEmulator) -> None:
    fault(emu, status=502, count=1, method="PATCH", path=r"^/repos/acme/web/issues/\d+$")
    assert gh(emu, "POST", ISSUES, {"title": "t"})[0] == 201  # method does not match
    assert gh(emu, "GET", ISSUES + "/1")[0] == 200  # method does not match
    assert gh(emu, "POST", "/repos/acme/api/issues", {"title": "t"})[0] == 201
    assert gh(emu, "PATCH", "/repos/acme/api/issues/1", {"body": "b"})[0] == 200  # path
    assert gh(emu, "PATCH", ISSUES + "/1", {"body": "b"})[0] == 502
    assert gh(emu, "PATCH", ISSUES + "/1", {"body": "b"})[0] == 200


def test_count_null_is_always_until_deleted(emu: GitHubEmulator) -> None:
    fault(emu, status=503, count=None, path=r"^/repos/acme/web$")
    assert [gh(emu, "GET", "/repos/acme/web")[0] for _ in range(5)] == [503] * 5
    listed = api(emu.url, "GET", "/_sandbox/faults")[2]
    assert [(f["count"], f["hits"]) for f in listed] == [(None, 5)]
    status, _, body = api(emu.url, "DELETE", "/_sandbox/faults")
    assert (status, body) == (204, None)
    assert gh(emu, "GET", "/repos/acme/web")[0] == 200
    assert emu.faults.active() == []


def test_delete_one_fault_by_id(emu: GitHubEmulator) -> None:
    first = fault(emu, status=502, count=None, path="^/repos/acme/web$")
    fault(emu, status=500, count=None, path="^/repos/acme/api$")
    assert api(emu.url, "DELETE", f"/_sandbox/faults/{first['id']}")[0] == 204
    assert api(emu.url, "DELETE", f"/_sandbox/faults/{first['id']}")[0] == 404
    assert gh(emu, "GET", "/repos/acme/web")[0] == 200
    assert gh(emu, "GET", "/repos/acme/api")[0] == 500


def test_control_api_is_outside_the_faults_and_the_log(emu: GitHubEmulator) -> None:
    fault(emu, status=502, count=None)  # every GitHub request, whatever its path
    status, _, rows = api(emu.url, "GET", "/_sandbox/requests")
    assert (status, rows) == (200, [])
    assert gh(emu, "GET", "/repos/acme/web")[0] == 502
    assert api(emu.url, "DELETE", "/_sandbox/faults")[0] == 204
    rows = api(emu.url, "GET", "/_sandbox/requests")[2]
    assert [(r["method"], r["path"], r["status"]) for r in rows] == [
        ("GET", "/repos/acme/web", 502)
    ]
    assert all(not r.path.startswith("/_sandbox") for r in emu.requests)


def test_unknown_control_paths_and_methods(emu: GitHubEmulator) -> None:
    status, _, body = api(emu.url, "GET", "/_sandbox/nope")
    assert status == 404
    assert "no sandbox control endpoint" in body["message"]
    assert api(emu.url, "PUT", "/_sandbox/faults", {})[0] == 405
    assert api(emu.url, "POST", "/_sandbox/requests", {})[0] == 405


@pytest.mark.parametrize(
    ("spec", "named"),
    [
        ({"status": 502, "when": "later"}, "when"),
        ({"status": 200}, "status"),
        ({"status": 502, "count": 0}, "count"),
        ({"status": 502, "path": "("}, "path"),
        ({"status": 502, "method": "FETCH"}, "method"),
        ({"status": 502, "retry_after": -1}, "retry_after"),
        ({"status": 502, "latency": "slow"}, "latency"),
        ({"status": 502, "rate_limit": "tertiary"}, "rate_limit"),
        ({"status": 502, "rate_limit": "secondary"}, "403 or 429"),
        ({"status": 502, "typo": 1}, "typo"),
        ({"count": 2}, None),  # no status: the default 502 is fine
        ({"status": None}, "needs a status"),
        ([], "JSON object"),
    ],
)
def test_bad_fault_specs_are_refused_by_name(
    emu: GitHubEmulator, spec: Any, named: str | None
) -> None:
    status, _, body = api(emu.url, "POST", "/_sandbox/faults", spec)
    if named is None:
        assert status == 201
        assert body["status"] == 502
        return
    assert status == 422, body
    assert body["message"].startswith("invalid fault: ")
    assert named in body["message"]
    assert emu.faults.active() == []


def test_bad_json_is_400(emu: GitHubEmulator) -> None:
    import urllib.error
    import urllib.request

    req = urllib.request.Request(emu.url + "/_sandbox/faults", data=b"{", method="POST")
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req)
    assert exc.value.code == 400


def test_python_and_http_feed_one_mechanism(emu: GitHubEmulator) -> None:
    made = emu.inject_fault(502, count=2, path=r"/issues$", method="post", when="after")
    listed = api(emu.url, "GET", "/_sandbox/faults")[2]
    assert listed == [made.to_json()]
    assert listed[0]["method"] == "POST"
    fault(emu, latency=0.01, count=None)
    assert [f.status for f in emu.faults.active()] == [502, None]
    with pytest.raises(FaultSpecError, match="when"):
        emu.inject_fault(502, when="during")
    with pytest.raises(FaultSpecError, match="count"):
        emu.add_fault(Fault(status=502, count=-1))


# -- rate limits --------------------------------------------------------------------------------


def test_secondary_limit_with_retry_after(emu: GitHubEmulator) -> None:
    fault(emu, rate_limit="secondary", retry_after=3, method="PATCH")
    assert gh(emu, "POST", ISSUES, {"title": "t"})[0] == 201
    status, headers, body = gh(emu, "PATCH", ISSUES + "/1", {"body": "b"})
    assert status == 403
    assert body["message"].startswith("You have exceeded a secondary rate limit. Please wait a "
                                      "few minutes before you try again.")
    assert headers["X-GitHub-Request-Id"] in body["message"]
    assert "secondary-rate-limits" in body["documentation_url"]
    assert headers["Retry-After"] == "3"
    assert int(headers["X-RateLimit-Remaining"]) > 0  # not the primary quota
    assert emu.repo("acme/web").issues[1].body is None
    assert problems(emu.requests) == []


def test_secondary_limit_without_retry_after(emu: GitHubEmulator) -> None:
    fault(emu, rate_limit="secondary", status=429)
    status, headers, body = gh(emu, "GET", "/repos/acme/web")
    assert status == 429
    assert "secondary rate limit" in body["message"]
    assert "Retry-After" not in headers
    assert int(headers["X-RateLimit-Remaining"]) > 0
    emu.inject_rate_limit(retry_after=None)  # the Python spelling of the same thing
    status, headers, _ = gh(emu, "GET", "/repos/acme/web")
    assert (status, "Retry-After" in headers) == (403, False)
    assert problems(emu.requests) == []


def test_primary_limit(emu: GitHubEmulator) -> None:
    fault(emu, rate_limit="primary", reset=30)
    status, headers, body = gh(emu, "GET", "/repos/acme/web")
    assert status == 403
    assert body["message"].startswith("API rate limit exceeded for user ID ")
    assert headers["X-RateLimit-Remaining"] == "0"
    assert headers["X-RateLimit-Used"] == headers["X-RateLimit-Limit"]
    assert int(time.time()) + 28 <= int(headers["X-RateLimit-Reset"]) <= int(time.time()) + 31
    assert "Retry-After" not in headers
    fault(emu, rate_limit="primary", status=429)
    status, headers, _ = gh(emu, "GET", "/repos/acme/web")
    assert (status, headers["X-RateLimit-Remaining"]) == (429, "0")
    assert gh(emu, "GET", "/repos/acme/web")[0] == 200
    assert problems(emu.requests) == []


def test_429_with_retry_after(emu: GitHubEmulator) -> None:
    fault(emu, status=429, retry_after=2, message="Too Many Requests")
    status, headers, body = gh(emu, "GET", "/repos/acme/web")
    assert (status, headers["Retry-After"], body["message"]) == (429, "2", "Too Many Requests")


# -- latency ------------------------------------------------------------------------------------


def test_latency_before(emu: GitHubEmulator) -> None:
    fault(emu, latency=0.3, count=1, path="^/repos/acme/web$")
    started = time.monotonic()
    assert gh(emu, "GET", "/repos/acme/web")[0] == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    assert gh(emu, "GET", "/repos/acme/web")[0] == 200
    assert time.monotonic() - started < 0.3
    assert [r.latency for r in emu.requests] == [0.3, 0.0]


def test_latency_after_a_write_is_a_timeout_that_landed(emu: GitHubEmulator) -> None:
    fault(emu, latency=1.0, when="after", method="POST", path=r"/issues$")
    with pytest.raises((TimeoutError, socket.timeout)):
        gh(emu, "POST", ISSUES, {"title": "slow"}, timeout=0.3)
    assert [i.title for i in emu.repo("acme/web").issues.values()] == ["slow"]
    deadline = time.monotonic() + 5
    while not emu.requests and time.monotonic() < deadline:  # the server finishes its answer
        time.sleep(0.05)
    assert [(r.status, r.latency) for r in emu.requests] == [(201, 1.0)]


def test_a_request_begun_before_a_reset_is_not_logged_after_it(emu: GitHubEmulator) -> None:
    fault(emu, latency=0.5, path="^/repos/acme/web$")
    with pytest.raises((TimeoutError, socket.timeout)):
        gh(emu, "GET", "/repos/acme/web", timeout=0.1)
    emu.clear_requests()  # as the next test's reset would
    time.sleep(0.7)
    assert emu.requests == []


def test_latency_and_error_together(emu: GitHubEmulator) -> None:
    fault(emu, status=502, latency=0.2, count=1)
    started = time.monotonic()
    assert gh(emu, "GET", "/repos/acme/web")[0] == 502
    assert time.monotonic() - started >= 0.2


# -- request log --------------------------------------------------------------------------------


def test_request_log(emu: GitHubEmulator) -> None:
    before = time.time()
    gh(emu, "POST", ISSUES, {"title": "t"})
    gh(emu, "GET", ISSUES + "?state=all&per_page=5")
    gh(emu, "GET", "/repos/acme/web/issues/9")
    status, _, rows = api(emu.url, "GET", "/_sandbox/requests")
    assert status == 200
    assert [(r["seq"], r["method"], r["path"], r["status"]) for r in rows] == [
        (1, "POST", ISSUES, 201),
        (2, "GET", ISSUES, 200),
        (3, "GET", ISSUES + "/9", 404),
    ]
    assert rows[1]["query"] == {"state": ["all"], "per_page": ["5"]}
    assert rows[0]["route"] == "/repos/{owner}/{repo}/issues"
    assert rows[0]["login"] == "github-actions[bot]"
    assert rows[0]["fault"] is None
    assert before <= rows[0]["time"] <= rows[2]["time"] <= time.time()
    assert "request_json" not in rows[0]
    newer = api(emu.url, "GET", "/_sandbox/requests?since=2&bodies=1")[2]
    assert [r["seq"] for r in newer] == [3]
    assert newer[0]["response_json"]["message"] == "Not Found"
    first = api(emu.url, "GET", "/_sandbox/requests?since=0&bodies=true")[2][0]
    assert first["request_json"] == {"title": "t"}
    assert api(emu.url, "GET", "/_sandbox/requests?since=x")[0] == 422
    assert api(emu.url, "DELETE", "/_sandbox/requests")[0] == 204
    assert api(emu.url, "GET", "/_sandbox/requests")[2] == []
    gh(emu, "GET", "/repos/acme/web")
    assert [r["seq"] for r in api(emu.url, "GET", "/_sandbox/requests")[2]] == [1]
    assert issue_count(emu) == 1  # clearing the log keeps the state


def test_fault_responses_match_githubs_error_shape(emu: GitHubEmulator) -> None:
    for spec in ({"status": 404}, {"status": 422}, {"status": 401}, {"rate_limit": "secondary"},
                 {"rate_limit": "primary", "status": 429}, {"status": 502, "when": "after"}):
        fault(emu, **spec)
        gh(emu, "POST", ISSUES, {"title": "t"})
    assert [r.status for r in emu.requests] == [404, 422, 401, 403, 429, 502]
    assert problems(emu.requests) == []
