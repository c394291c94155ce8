"""``release-kit sandbox`` as a subprocess: exports, GitHub API, moto, clean exit on SIGTERM."""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from release_kit_sandbox.cli import exports, main

from .gitutil import api, commit, git

RELEASE_KIT = Path(sys.executable).parent / "release-kit"
EXPORTS = 14  # with AWS and the Kubernetes API: the 8 of GitHub and AWS, and 6 more


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
        env = read_exports(proc, lines=EXPORTS)
        assert set(env) == {
            "GITHUB_API_URL", "GITHUB_SERVER_URL", "GITHUB_TOKEN", "AWS_ENDPOINT_URL",
            "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION",
            "RELEASE_KIT_GITHUB_WRITE_SPACING", "SANDBOX_KUBE_SERVER", "SANDBOX_KUBECONFIG",
            "SANDBOX_BIN", "SANDBOX_PID", "PATH",
        }
        # the helmfile first on this caller's own PATH, as a literal value
        assert env["PATH"] == f"{env['SANDBOX_BIN']}:{os.environ['PATH']}"
        assert (tmp_path / "sandbox.env").read_text().count("export ") == EXPORTS
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
        env = read_exports(proc, lines=EXPORTS)
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


# -- start-up failures: the reason, a non-zero exit, and no export line -------------------------


def sandbox_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(RELEASE_KIT), "sandbox", *args], capture_output=True, text=True,
                          timeout=timeout, check=False)


@pytest.mark.parametrize("mode", [[], ["--background"]])
def test_a_repo_path_that_is_no_repository_fails_before_any_export(
        tmp_path: Path, mode: list[str]) -> None:
    """The README recipe's `--repo acme/api=../api` where ../api is no clone: it says so."""
    proc = sandbox_cli(*mode, "--repo", "acme/web", "--repo", f"acme/api={tmp_path / 'api'}",
                       "--env-file", str(tmp_path / "sandbox.env"))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert f"{str(tmp_path / 'api')!r} is not a git repository" in proc.stderr
    assert not (tmp_path / "sandbox.env").exists()


@pytest.mark.parametrize("mode", [[], ["--background"]])
def test_a_seed_that_cannot_be_made_fails_before_any_export(
        tmp_path: Path, mode: list[str]) -> None:
    started = time.monotonic()
    proc = sandbox_cli(*mode, "--no-aws", "--repo", "acme/web", "--pr",
                       "acme/web:feature/x:base=nope", "--env-file", str(tmp_path / "env"))
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert ("could not start: --pr acme/web:feature/x: base branch nope: GitHub answered 404 "
            "Branch not found") in proc.stderr
    assert not (tmp_path / "env").exists()
    assert time.monotonic() - started < 30  # nothing kept serving


def test_a_port_in_use_fails_before_any_export() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = sandbox_cli("--no-aws", "--no-kube", "--port", str(port))
    assert proc.returncode == 1 and proc.stdout == ""
    assert "could not start:" in proc.stderr and "Address already in use" in proc.stderr


@pytest.mark.parametrize(("argv", "says"), [
    (["--pr", "acme/web"], "expected REPO:HEAD"),
    (["--pr", "acme/web:x:colour=red"], "options are base=BRANCH"),
    (["--pr", "nope:x"], "--pr: expected OWNER/NAME first"),
    (["--pr", "acme/api:x"], "--pr acme/api: no such --repo"),
    (["--token", "alice"], "expected LOGIN=TOKEN"),
    (["--token", "ci=t:contents=all"], "is not PERMISSION=read|write|admin"),
    (["--ecr-image", "acme/web:a:b"], "expected REPO[:TAG]"),
    (["--ecr-image", "acme/api"], "--ecr-image acme/api: no such --repo"),
    (["--ecr-image", "acme/web", "--no-aws"], "--ecr-image needs AWS"),
    (["--log", "x.log"], "--log is for --background"),
])
def test_bad_seeds_are_usage_errors(argv: list[str], says: str,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--repo", "acme/web", *argv])
    assert exc.value.code == 2
    assert says in capsys.readouterr().err


# -- the background and what is seeded ----------------------------------------------------------


@pytest.mark.timeout(120)
def test_background_seeds_what_the_actions_need_and_stops_on_sigterm(tmp_path: Path) -> None:
    proc = sandbox_cli(
        "--background", "--repo", "acme/web", "--user", "alice",
        "--token", "ci=ghs_ci:contents=read,issues=write",
        "--pr", "acme/web:feature/login:labels=deploy,minor",
        "--pr", "acme/web:fix/crash:title=Fix the crash:labels=patch:merged",
        "--ecr-image", "acme/web", "--ecr-image", "acme/web:latest")
    assert proc.returncode == 0, proc.stderr
    env = dict(line.removeprefix("export ").split("=", 1) for line in proc.stdout.splitlines())
    env = {name: shlex.split(value)[0] for name, value in env.items()}
    pid = int(env["SANDBOX_PID"])
    try:
        url, token = env["GITHUB_API_URL"], env["GITHUB_TOKEN"]
        _, _, pulls = api(url, "GET", "/repos/acme/web/pulls?state=all", token=token)
        seen = {p["head"]["ref"]: p for p in pulls}
        assert [label["name"] for label in seen["feature/login"]["labels"]] == ["deploy",
                                                                               "minor"]
        assert seen["feature/login"]["state"] == "open"
        assert seen["fix/crash"]["title"] == "Fix the crash"
        assert seen["fix/crash"]["merged_at"] is not None
        _, _, main_branch = api(url, "GET", "/repos/acme/web/branches/main", token=token)
        head = main_branch["commit"]["sha"]
        assert api(url, "GET", "/user", token="ghs_ci")[2]["login"] == "ci"
        status, _, _ = api(url, "POST", "/repos/acme/web/git/refs",
                           {"ref": "refs/heads/x", "sha": head}, token="ghs_ci")
        assert status == 403  # contents: read
        assert api(url, "GET", "/repos/acme/web/assignees/alice", token=token)[0] == 204

        import boto3

        ecr = boto3.client("ecr", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        images = ecr.describe_images(repositoryName="acme/web")["imageDetails"]
        assert sorted(t for i in images for t in i.get("imageTags", [])) == [
            "latest", f"sha-{head}"]
        (found,) = ecr.batch_get_image(repositoryName="acme/web",
                                       imageIds=[{"imageTag": f"sha-{head}"}])["images"]
        config_digest = json.loads(found["imageManifest"])["config"]["digest"]
        layer = ecr.get_download_url_for_layer(repositoryName="acme/web",
                                               layerDigest=config_digest)
        with urllib.request.urlopen(layer["downloadUrl"], timeout=10) as resp:
            labels = json.loads(resp.read())["config"]["Labels"]
        assert labels["org.opencontainers.image.revision"] == head

        helmfile = Path(env["SANDBOX_BIN"]) / "helmfile"
        version = subprocess.run([str(helmfile), "--version"], capture_output=True, text=True,
                                 timeout=30, check=True)
        assert "simulated" in version.stdout
        kubeconfig = json.loads(Path(env["SANDBOX_KUBECONFIG"]).read_text())
        assert kubeconfig["clusters"][0]["cluster"]["server"] == env["SANDBOX_KUBE_SERVER"]
        log = Path(env["SANDBOX_LOG"]).read_text()
        assert "seeded acme/web#2 from fix/crash [patch] merged" in log
        _, _, requests = api(url, "GET", "/_sandbox/requests")
        assert all(r["login"] != "github-actions[bot]" or r["path"] != "/repos/acme/web/pulls"
                   or r["method"] != "POST" for r in requests)  # seeding left no log behind
    finally:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        os.kill(pid, signal.SIGKILL)
        pytest.fail("the background sandbox did not stop on SIGTERM")
    assert not Path(env["SANDBOX_BIN"]).exists()  # its working folder went with it
