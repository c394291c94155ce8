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

from release_kit.sandbox.cli import exports, main

from .gitutil import commit, git

RELEASE_KIT = Path(sys.executable).parent / "release-kit"


def read_exports(proc: subprocess.Popen[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    assert proc.stdout is not None
    for _ in range(10):
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
        env = read_exports(proc)
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
