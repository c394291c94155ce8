"""The chat webhook receiver at ``/_sandbox/webhooks/<name>``: records posts, fails on demand."""

from __future__ import annotations

import json

import pytest
import requests

from release_kit_sandbox import GitHubEmulator


def post(emu: GitHubEmulator, name: str, body: object, **headers: str) -> requests.Response:
    return requests.post(emu.webhook_url(name), data=json.dumps(body),
                         headers={"Content-Type": "application/json", **headers}, timeout=10)


def control(emu: GitHubEmulator, method: str, path: str, body: object = None) -> requests.Response:
    return requests.request(method, f"{emu.url}/_sandbox/webhooks{path}",
                            data=None if body is None else json.dumps(body), timeout=10)


def test_a_post_is_recorded_and_answered_ok_like_slack(github_emulator: GitHubEmulator) -> None:
    emu = github_emulator
    answer = post(emu, "slack", {"text": "hello"}, **{"Idempotency-Key": "k1",
                                                     "Authorization": "not kept"})
    assert (answer.status_code, answer.text) == (200, "ok")
    assert answer.headers["Content-Type"].startswith("text/plain")
    [record] = control(emu, "GET", "/slack").json()["posts"]
    assert record["json"] == {"text": "hello"} and record["status"] == 200
    assert record["headers"]["idempotency-key"] == "k1"
    assert "authorization" not in record["headers"]
    assert emu.webhooks.delivered("slack") == [{"text": "hello"}]
    assert control(emu, "GET", "").json() == {"slack": 1}
    assert emu.requests == []  # the control API is not GitHub's: not in the request log


def test_armed_failures_answer_then_the_receiver_recovers(github_emulator: GitHubEmulator) -> None:
    emu = github_emulator
    armed = control(emu, "POST", "/teams/failures",
                    {"status": 429, "count": 2, "body": "slow down", "retry_after": 3})
    assert armed.status_code == 201, armed.text
    first, second, third = (post(emu, "teams", {"n": n}) for n in range(3))
    assert (first.status_code, first.text, first.headers["Retry-After"]) == (429, "slow down", "3")
    assert second.status_code == 429 and third.status_code == 200
    statuses = [p["status"] for p in control(emu, "GET", "/teams").json()["posts"]]
    assert statuses == [429, 429, 200]
    assert emu.webhooks.delivered("teams") == [{"n": 2}]
    emu.fail_webhook("teams", 500, count=None, body="rollup_error")
    assert post(emu, "teams", {}).status_code == 500 == post(emu, "teams", {}).status_code
    assert control(emu, "DELETE", "/teams/failures").status_code == 204
    assert post(emu, "teams", {}).status_code == 200
    assert len(emu.webhooks.of("teams")) == 6  # disarming keeps the posts


def test_latency_makes_a_client_time_out(github_emulator: GitHubEmulator) -> None:
    emu = github_emulator
    emu.fail_webhook("slow", 504, latency=1.5)
    with pytest.raises(requests.Timeout):
        requests.post(emu.webhook_url("slow"), json={}, timeout=0.5)
    assert [p.status for p in emu.webhooks.of("slow")] == [504]  # it arrived all the same
    emu.fail_webhook("slow", 200, latency=0.3)  # slow, and it lands
    answer = requests.post(emu.webhook_url("slow"), json={"n": 2}, timeout=5)
    assert (answer.status_code, answer.text) == (200, "ok")
    assert emu.webhooks.delivered("slow") == [{"n": 2}]


def test_clearing_and_reset_forget_posts_and_failures(github_emulator: GitHubEmulator) -> None:
    emu = github_emulator
    post(emu, "a", {})
    post(emu, "b", {})
    emu.fail_webhook("b")
    assert control(emu, "DELETE", "/a").status_code == 204
    assert control(emu, "GET", "").json() == {"b": 1}
    emu.reset()
    assert control(emu, "GET", "").json() == {}
    assert post(emu, "b", {}).status_code == 200  # the armed failure went with the reset


@pytest.mark.parametrize(("method", "path", "body", "status", "says"), [
    ("POST", "/bad name!", {}, 404, "webhook name"),
    ("PUT", "/slack", {}, 405, "POST, GET or DELETE"),
    ("POST", "/", None, 405, "GET or DELETE"),
    ("POST", "/slack/failures", {"status": 100}, 422, "200-599"),
    ("POST", "/slack/failures", {"count": 0}, 422, "positive"),
    ("POST", "/slack/failures", {"latency": 99}, 422, "0-60"),
    ("POST", "/slack/failures", {"colour": "red"}, 422, "unknown field"),
    ("POST", "/slack/failures", [1], 422, "JSON object"),
    ("PATCH", "/slack/failures", {}, 405, "POST or DELETE"),
])
def test_bad_control_requests_are_refused_with_a_reason(
        github_emulator: GitHubEmulator, method: str, path: str, body: object, status: int,
        says: str) -> None:
    answer = control(github_emulator, method, path.rstrip("/") if path == "/" else path, body)
    assert answer.status_code == status, answer.text
    assert says in answer.json()["message"]
    assert github_emulator.webhooks.failures == {}
