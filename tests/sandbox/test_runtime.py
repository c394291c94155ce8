"""Sandbox (emulator + moto) as the fixtures give it: env, per-test reset, thread safety."""

from __future__ import annotations

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import boto3

from release_kit_sandbox import GitHubEmulator, Sandbox


def _ecr(box: Sandbox):  # type: ignore[no-untyped-def]
    env = box.env()
    return boto3.client(
        "ecr",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name=env["AWS_DEFAULT_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )


def test_env_points_at_both_servers(sandbox: Sandbox) -> None:
    env = sandbox.env()
    assert env["GITHUB_API_URL"] == sandbox.github.url
    assert env["GITHUB_SERVER_URL"] == sandbox.github.server_url
    assert env["GITHUB_TOKEN"] == sandbox.github.default_token
    assert env["AWS_ENDPOINT_URL"] == sandbox.aws_endpoint
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_DEFAULT_REGION"]) == ("testing", "us-east-1")
    assert sandbox.env(token="other")["GITHUB_TOKEN"] == "other"


def test_moto_state_first(sandbox: Sandbox) -> None:
    _ecr(sandbox).create_repository(repositoryName="leftover")
    assert len(_ecr(sandbox).describe_repositories()["repositories"]) == 1


def test_moto_state_is_reset_between_tests(sandbox: Sandbox) -> None:
    assert _ecr(sandbox).describe_repositories()["repositories"] == []


def test_concurrent_writers_get_distinct_numbers(github_emulator: GitHubEmulator) -> None:
    github_emulator.create_repo("acme/web")

    def create(n: int) -> int:
        req = urllib.request.Request(
            f"{github_emulator.url}/repos/acme/web/issues",
            data=json.dumps({"title": f"t{n}"}).encode(),
            method="POST",
            headers={"Authorization": f"token {github_emulator.default_token}"},
        )
        with urllib.request.urlopen(req) as resp:
            return int(json.loads(resp.read())["number"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(create, range(40)))
    assert sorted(numbers) == list(range(1, 41))
    assert len(github_emulator.writes()) == 40
