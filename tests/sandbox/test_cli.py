"""``release-kit sandbox`` as a subprocess: exports, GitHub API, moto, clean exit on SIGTERM."""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from release_kit_sandbox.cli import exports, main

from .gitutil import api, commit, git

RELEASE_KIT = Path(sys.executable).parent / "release-kit"


def read_exports(proc: subprocess.Popen[str], lines: int = 8) -> dict[str, str]:
    env: dict[str, str] = {}
    assert proc.stdout is not None
    for _ in range(lines):
        line = proc.stdout.readline()
        assert line.startswith("export "), line
        name, _, value = line.removeprefix("export ").rstrip("\n").partition("=")
        env[name] = shlex.split(value)[0]
    return env


@pytest.mark.timeout(60)
def test_cli_serves_github_and_aws(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    git(src, "init", "--quiet", "--initial-branch=trunk")
    sha = commit(src, {"a.txt": "a"}, "seed")
    git(src, "tag", "v0.1.0")
    proc = subprocess.Popen(
        [str(RELEASE_KIT), "sandbox", "--repo", "acme/web", "--repo", f"acme/src={src}",
         "--env-file", str(tmp_path / "sandbox.env")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        env = read_exports(proc, lines=10)
        assert set(env) == {
            "GITHUB_API_URL", "GITHUB_SERVER_URL", "GITHUB_TOKEN", "AWS_ENDPOINT_URL",
            "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION",
            "RELEASE_KIT_GITHUB_WRITE_SPACING", "SANDBOX_KUBE_SERVER",
        }
        assert (tmp_path / "sandbox.env").read_text().count("export ") == 10
        with urllib.request.urlopen(f"{env['SANDBOX_KUBE_SERVER']}/api/v1/namespaces") as resp:
            assert json.loads(resp.read())["kind"] == "NamespaceList"
        headers = {"Authorization": f"token {env['GITHUB_TOKEN']}"}
        req = urllib.request.Request(f"{env['GITHUB_API_URL']}/repos/acme/web", headers=headers)
        with urllib.request.urlopen(req) as resp:
            repo = json.loads(resp.read())
        assert (repo["full_name"], repo["default_branch"]) == ("acme/web", "main")
        req = urllib.request.Request(
            f"{env['GITHUB_API_URL']}/repos/acme/src/git/ref/tags/v0.1.0", headers=headers
        )
        with urllib.request.urlopen(req) as resp:
            assert json.loads(resp.read())["object"]["sha"] == sha
        req = urllib.request.Request(f"{env['GITHUB_API_URL']}/repos/acme/src", headers=headers)
        with urllib.request.urlopen(req) as resp:
            assert json.loads(resp.read())["default_branch"] == "trunk"

        import boto3

        ecr = boto3.client(
            "ecr",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region_name=env["AWS_DEFAULT_REGION"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )
        ecr.create_repository(repositoryName="web")
        names = [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]]
        assert names == ["web"]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert code == 0


@pytest.mark.timeout(60)
def test_cli_seeds_collaborators_and_takes_faults_over_http() -> None:
    proc = subprocess.Popen(
        [str(RELEASE_KIT), "sandbox", "--no-aws", "--repo", "acme/web", "--repo", "acme/api",
         "--user", "alice", "--collaborators", "acme/web=bob,carol"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        env = read_exports(proc, lines=3)
        url, token = env["GITHUB_API_URL"], env["GITHUB_TOKEN"]
        assert api(url, "GET", "/repos/acme/web/assignees/alice", token=token)[0] == 404
        assert api(url, "GET", "/repos/acme/web/assignees/carol", token=token)[0] == 204
        assert api(url, "GET", "/repos/acme/api/assignees/alice", token=token)[0] == 204
        status, _, body = api(url, "POST", "/repos/acme/web/issues",
                              {"title": "t", "assignees": ["alice"]}, token=token)
        assert status == 422
        assert body["errors"] == [{"resource": "Issue", "code": "invalid", "field": "assignees",
                                   "value": "alice"}]
        fault = {"status": 502, "count": 1, "method": "POST", "path": "/issues$",
                 "when": "after"}
        assert api(url, "POST", "/_sandbox/faults", fault)[0] == 201
        assert api(url, "POST", "/repos/acme/web/issues", {"title": "t"}, token=token)[0] == 502
        _, _, listed = api(url, "GET", "/repos/acme/web/issues", token=token)
        assert [i["title"] for i in listed] == ["t"]  # the write landed
        _, _, log = api(url, "GET", "/_sandbox/requests")
        assert [(r["method"], r["status"]) for r in log][-2:] == [("POST", 502), ("GET", 200)]
        assert log[-2]["fault"]["handler_status"] == 201
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert code == 0


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--repo", "acme/web", "--collaborators", "acme/web"], "OWNER/NAME=LOGIN"),
        (["--repo", "acme/web", "--collaborators", "acme/api=bob"], "no such --repo"),
    ],
)
def test_bad_collaborators_are_usage_errors(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--no-aws", *argv])
    assert exc.value.code == 2
    assert says in capsys.readouterr().err


def test_exports_are_shell_quoted() -> None:
    lines = exports({"GITHUB_TOKEN": "a b'c", "GITHUB_API_URL": "http://x", "EXTRA": "1"})
    assert lines == [
        "export GITHUB_API_URL=http://x",
        "export GITHUB_TOKEN='a b'\"'\"'c'",
        "export EXTRA=1",
    ]


def test_bad_repo_spec_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--repo", "not-a-repo"])
    assert exc.value.code == 2
    assert "OWNER/NAME" in capsys.readouterr().err


@pytest.mark.timeout(60)
def test_host_is_where_both_listen_and_what_the_urls_name(tmp_path: Path) -> None:
    """127.0.0.2 is loopback too, but only a server bound to it (not to 127.0.0.1) answers there."""
    proc = subprocess.Popen(
        [str(RELEASE_KIT), "sandbox", "--repo", "acme/web", "--host", "127.0.0.2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        env = read_exports(proc, lines=10)
        assert env["SANDBOX_KUBE_SERVER"].startswith("http://127.0.0.2:")
        assert env["GITHUB_API_URL"].startswith("http://127.0.0.2:")
        assert env["GITHUB_SERVER_URL"].startswith("http://127.0.0.2:")
        assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.2:")
        headers = {"Authorization": f"token {env['GITHUB_TOKEN']}"}
        req = urllib.request.Request(f"{env['GITHUB_API_URL']}/repos/acme/web", headers=headers)
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert json.loads(resp.read())["url"].startswith(env["GITHUB_API_URL"] + "/repos/")
        for url in (env["GITHUB_API_URL"], env["AWS_ENDPOINT_URL"]):
            elsewhere = url.replace("127.0.0.2", "127.0.0.1") + "/"
            with pytest.raises(OSError):  # connection refused: not listening on 127.0.0.1
                urllib.request.urlopen(elsewhere, timeout=5)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert code == 0


@pytest.mark.parametrize(("host", "message"), [
    ("0.0.0.0", "no address to connect to"),
    ("::1", "IPv6"),
    ("bad host", "IPv4 address or a host name"),
    ("", "IPv4 address or a host name"),
])
def test_a_host_clients_cannot_use_is_a_usage_error(
    host: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--host", host])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err
