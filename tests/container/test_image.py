"""The action image: built from the root Dockerfile, run as the runner runs a Docker action.

The runner mounts the workspace at ``/github/workspace`` (the working directory), the file-command
files under ``/github/file_commands``, the event under ``/github/workflow`` and a home under
``/github/home``, passes ``INPUT_*`` and ``GITHUB_*`` with ``-e``, and runs the image's entrypoint
with ``runs.args``. These tests do the same with docker or podman, and like a GitHub-hosted runner
they start the container on the engine's default bridge network, with the runner's own
``GITHUB_API_URL``: the sandbox listens on the bridge's gateway address and the actions find it
through ``RELEASE_KIT_GITHUB_API_URL`` (what .github/workflows/test-actions.yml does there).
Every product action runs once against the sandbox.

Without a working engine they skip, unless ``RELEASE_KIT_CONTAINER_TESTS=required`` (CI), which
makes that a failure; the detection itself is tested below, engine or not.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import boto3
import pytest

from release_kit.action.inputs import env_name
from release_kit.action.metadata import ActionMetadata
from release_kit.registry.manifests import DOCKER_MANIFEST
from release_kit_sandbox import Sandbox
from release_kit_sandbox.kube import FakeKubernetes
from release_kit_sandbox.local_runner import github_env, parse_commands, parse_file_command
from tests.container.engine import (
    DEFAULT_BASE_IMAGE,
    DOCKERFILE_DEFAULTS,
    ENGINE_ENV,
    LOCAL_BASE_IMAGES,
    REQUIRED_ENV,
    STAND_IN_IMAGE,
    BuiltImage,
    Engine,
    base_image,
    build_args,
    build_image,
    engine_required,
    find_engine,
)
from tests.promote_image import images

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_ACTIONS = ROOT / "tests" / "fixtures" / "actions"
CONTAINER_ACTIONS = Path(__file__).resolve().parent / "actions"
PRODUCT_ACTIONS = sorted(p.parent.name for p in (ROOT / "actions").glob("*/main.py"))


# -- engine detection (always runs) ---------------------------------------------------------------


def fake_engine(folder: Path, name: str, *, info_ok: bool, version: str) -> None:
    script = folder / name
    script.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = info ]; then exit {0 if info_ok else 1}; fi\n'
        f'if [ "$1" = --version ]; then echo "{version}"; fi\n',
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_no_engine_on_path_gives_a_skip_reason(tmp_path: Path) -> None:
    engine, reason = find_engine({"PATH": str(tmp_path)})
    assert engine is None
    assert "no working container engine" in reason and "docker" in reason


def test_a_docker_client_without_daemon_does_not_count(tmp_path: Path) -> None:
    fake_engine(tmp_path, "docker", info_ok=False, version="Docker version 28.2.2")
    engine, reason = find_engine({"PATH": str(tmp_path)})
    assert engine is None
    assert "`info` fails" in reason


def test_a_running_podman_is_found(tmp_path: Path) -> None:
    fake_engine(tmp_path, "docker", info_ok=False, version="Docker version 28.2.2")
    fake_engine(tmp_path, "podman", info_ok=True, version="podman version 4.3.1")
    engine, _ = find_engine({"PATH": str(tmp_path)})
    assert engine == Engine(str(tmp_path / "podman"), is_podman=True)


def test_the_engine_can_be_disabled(tmp_path: Path) -> None:
    fake_engine(tmp_path, "podman", info_ok=True, version="podman version 4.3.1")
    engine, reason = find_engine({"PATH": str(tmp_path), ENGINE_ENV: "none"})
    assert engine is None
    assert ENGINE_ENV in reason


def engine_with_images(folder: Path, images: list[str], *, is_podman: bool) -> Engine:
    """A stub engine whose `image inspect` knows only ``images``."""
    script = folder / "engine"
    known = " ".join(f'"{image}"' for image in images)
    script.write_text(
        "#!/bin/sh\n"
        f'for known in {known}; do [ "$3" = "$known" ] && exit 0; done\n'
        "exit 1\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return Engine(str(script), is_podman=is_podman)


def test_base_image_choice(tmp_path: Path) -> None:
    assert re.fullmatch(r"python:3\.\d+-slim@sha256:[0-9a-f]{64}", DEFAULT_BASE_IMAGE)
    bare_podman = engine_with_images(tmp_path, [], is_podman=True)
    assert base_image(bare_podman, {}) == f"docker.io/library/{DEFAULT_BASE_IMAGE}"
    assert base_image(bare_podman, {"BASE_IMAGE": "my/base:1"}) == "my/base:1"
    bare_docker = engine_with_images(tmp_path, [], is_podman=False)
    assert base_image(bare_docker, {}) is None  # the Dockerfile's default, pulled by docker
    pinned = engine_with_images(tmp_path, [DEFAULT_BASE_IMAGE, STAND_IN_IMAGE], is_podman=False)
    assert base_image(pinned, {}) == DEFAULT_BASE_IMAGE  # the real base first, when it is there
    for local in LOCAL_BASE_IMAGES:
        offline = engine_with_images(tmp_path, [local], is_podman=True)
        assert base_image(offline, {}) == local


def test_build_args_leave_out_the_dockerfiles_defaults(tmp_path: Path) -> None:
    """Defaults passed explicitly would miss the cache of act's builds, which pass none."""
    declared = dict(re.findall(r"^ARG (\w+)=(\S+)$", (ROOT / "Dockerfile").read_text(), re.M))
    assert {key: declared[key] for key in DOCKERFILE_DEFAULTS} == DOCKERFILE_DEFAULTS
    with_base = engine_with_images(tmp_path, [DEFAULT_BASE_IMAGE], is_podman=False)
    assert build_args(with_base, {}) == {}
    assert build_args(with_base, {"RELEASE_KIT_IMAGE_HELM_TOOLS": "false"}) == {
        "INSTALL_HELM_TOOLS": "false"}
    offline = engine_with_images(tmp_path, [STAND_IN_IMAGE], is_podman=False)
    assert build_args(offline, {}) == {"BASE_IMAGE": STAND_IN_IMAGE}


def engine_or_skip(environ: Mapping[str, str] | None = None) -> Engine:
    """The engine, else a skip; else a failure where the engine is required (CI)."""
    found, reason = find_engine(environ)
    if found is None:
        if engine_required(environ):
            pytest.fail(f"{REQUIRED_ENV}=required, but {reason}")
        pytest.skip(reason)
    return found


def test_a_required_engine_that_is_missing_fails_instead_of_skipping(tmp_path: Path) -> None:
    with pytest.raises(pytest.fail.Exception, match="no working container engine"):
        engine_or_skip({"PATH": str(tmp_path), REQUIRED_ENV: "required"})
    with pytest.raises(pytest.skip.Exception, match="no working container engine"):
        engine_or_skip({"PATH": str(tmp_path)})


# -- the image ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def engine() -> Engine:
    return engine_or_skip()


@pytest.fixture(scope="session")
def bridge_sandbox(engine: Engine) -> Iterator[Sandbox]:
    """A sandbox on the engine's bridge gateway, where containers on that bridge reach the host."""
    with Sandbox(host=engine.bridge_gateway()) as box:
        yield box


@pytest.fixture
def sandbox(bridge_sandbox: Sandbox) -> Sandbox:
    """(Overrides the loopback sandbox of tests/conftest.py for this module.)"""
    bridge_sandbox.reset()
    return bridge_sandbox


def runner_env(sandbox: Sandbox) -> dict[str, str]:
    """What the self-test workflow writes to $GITHUB_ENV: the sandbox under the names the runner
    leaves alone (its GITHUB_API_URL stays https://api.github.com), and moto."""
    env = {key: value for key, value in sandbox.env().items() if key.startswith("AWS_")}
    env["RELEASE_KIT_GITHUB_API_URL"] = sandbox.github.url
    env["RELEASE_KIT_GITHUB_SERVER_URL"] = sandbox.github.server_url
    return env


@pytest.fixture(scope="session")
def image(engine: Engine) -> BuiltImage:
    """The image, built once per session (and reused across sessions while inputs are equal)."""
    return build_image(engine)


def run_in_image(
    engine: Engine,
    image: BuiltImage,
    action_dir: Path,
    inputs: Mapping[str, str],
    tmp_path: Path,
    *,
    env: Mapping[str, str] | None = None,
    mount_actions: bool = True,
    workspace: Path | None = None,
) -> dict[str, Any]:
    """``docker run`` the way the runner does for ``action_dir`` (a Docker action)."""
    workspace = workspace or tmp_path / "workspace"
    files = tmp_path / "file_commands"
    workflow = tmp_path / "workflow"
    home = tmp_path / "home"
    for folder in (workspace, files, workflow, home):
        folder.mkdir(exist_ok=True)
    for name in ("out", "summary", "env", "path"):
        (files / name).touch()
    (workflow / "event.json").write_text(json.dumps({}), encoding="utf-8")

    run_env = github_env()
    run_env.update(env or {})
    run_env.update({
        "GITHUB_WORKSPACE": "/github/workspace",
        "GITHUB_OUTPUT": "/github/file_commands/out",
        "GITHUB_STEP_SUMMARY": "/github/file_commands/summary",
        "GITHUB_ENV": "/github/file_commands/env",
        "GITHUB_PATH": "/github/file_commands/path",
        "GITHUB_EVENT_PATH": "/github/workflow/event.json",
        "RUNNER_TEMP": "/github/runner_temp",
        "HOME": "/github/home",
    })
    metadata = ActionMetadata.load(action_dir / "action.yml")
    defaults = metadata.evaluated_defaults(run_env)
    for name in metadata.inputs:
        run_env[env_name(name)] = inputs.get(name, defaults.get(name, ""))
    # No --network: the default bridge, as for a Docker action on a GitHub-hosted runner.
    argv = ["run", "--rm", "--workdir", "/github/workspace",
            "-v", f"{workspace}:/github/workspace",
            "-v", f"{files}:/github/file_commands",
            "-v", f"{workflow}:/github/workflow",
            "-v", f"{home}:/github/home"]
    args = list(metadata.raw["runs"].get("args", [action_dir.name]))
    if mount_actions:  # a test fixture action, not baked into the image: run by its path
        argv += ["-v", f"{action_dir.parent}:/opt/fixture-actions:ro"]
        args[0] = f"/opt/fixture-actions/{action_dir.name}"
    for key, value in run_env.items():
        argv += ["-e", f"{key}={value}"]
    argv += [image.tag, *args]
    proc = engine.run(*argv, timeout=180)
    return {
        "exit_code": proc.returncode,
        "stdout": proc.stdout,
        "stderr": proc.stderr,
        "annotations": parse_commands(proc.stdout),
        "outputs": parse_file_command((files / "out").read_text(encoding="utf-8")),
        "summary": (files / "summary").read_text(encoding="utf-8"),
    }


@pytest.mark.container
@pytest.mark.timeout(900)
def test_echo_action_runs_with_the_runners_mounts(
    engine: Engine, image: BuiltImage, tmp_path: Path
) -> None:
    result = run_in_image(
        engine, image, FIXTURE_ACTIONS / "echo",
        {"aws-region": "eu-west-1", "tags": "v1\n v1.2 \n\n", "dry-run": "TRUE",
         "payload": '{"a": [1, 2]}'},
        tmp_path,
        env={"GITHUB_TOKEN": "ghs_container_secret"},
    )
    assert result["exit_code"] == 0, result
    outputs = result["outputs"]
    assert outputs["region"] == "eu-west-1"
    assert outputs["dry-run"] == "true"
    assert json.loads(outputs["tags"]) == ["v1", "v1.2"]
    assert json.loads(outputs["payload"]) == {"a": [1, 2]}
    assert outputs["repository"] == "acme/web"  # ${{ github.repository }} default
    assert outputs["multiline"] == "line 1\nghadelimiter_fake\nline 3"
    assert "region `eu-west-1`" in result["summary"]
    masks = [a.message for a in result["annotations"] if a.command == "add-mask"]
    assert "ghs_container_secret" in masks


@pytest.mark.container
@pytest.mark.timeout(900)
def test_bad_input_fails_in_the_container_with_one_error(
    engine: Engine, image: BuiltImage, tmp_path: Path
) -> None:
    result = run_in_image(
        engine, image, FIXTURE_ACTIONS / "echo", {"aws-region": "x", "dry-run": "yes"}, tmp_path
    )
    assert result["exit_code"] == 1
    errors = [a for a in result["annotations"] if a.command == "error"]
    assert [e.title for e in errors] == ["Invalid input 'dry-run'"]
    assert result["outputs"] == {}


@pytest.mark.container
@pytest.mark.timeout(900)
def test_an_action_reaches_the_sandbox_from_the_container(
    engine: Engine, image: BuiltImage, sandbox: Any, tmp_path: Path
) -> None:
    sandbox.github.create_repo("acme/web", default_branch="main")
    result = run_in_image(
        engine, image, CONTAINER_ACTIONS / "repo-info", {"github-token": sandbox.github.default_token},
        tmp_path, env=runner_env(sandbox),
    )
    assert result["exit_code"] == 0, result
    assert result["outputs"] == {"full-name": "acme/web", "default-branch": "main"}
    assert any(r.path == "/repos/acme/web" for r in sandbox.github.requests)


def git(cwd: Path, *args: str) -> str:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
           "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
           "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.com",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          check=True)
    return proc.stdout.strip()


@pytest.mark.container
@pytest.mark.timeout(900)
@pytest.mark.skipif(not (ROOT / "actions" / "semver-bump" / "main.py").is_file(),
                    reason="semver-bump has not landed")
def test_semver_bump_reads_the_mounted_checkout_with_git_in_the_image(
    engine: Engine, image: BuiltImage, sandbox: Any, tmp_path: Path
) -> None:
    """The image has the git CLI, and the runner's workspace mount is a usable checkout."""
    repo = sandbox.github.create_repo("acme/web", default_branch="main")
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "--quiet", str(repo.git_dir), str(checkout))
    git(checkout, "tag", "v1.4.2")
    (checkout / "feature.txt").write_text("x\n", encoding="utf-8")
    git(checkout, "add", "feature.txt")
    git(checkout, "commit", "--quiet", "-m", "feat: export CSV")
    head = git(checkout, "rev-parse", "HEAD")

    result = run_in_image(
        engine, image, ROOT / "actions" / "semver-bump",
        {"strategy": "conventional-commits", "dry-run": "true",
         "github-token": sandbox.github.default_token}, tmp_path,
        env={**runner_env(sandbox), "GITHUB_SHA": head}, mount_actions=False,
        workspace=checkout,
    )
    assert result["exit_code"] == 0, result
    assert (result["outputs"]["previous-version"], result["outputs"]["version"],
            result["outputs"]["bump"]) == ("1.4.2", "1.5.0", "minor")
    assert sandbox.github.writes() == []  # dry run


# -- every product action once, against the sandbox, as the self-test workflow runs them ----------


@pytest.fixture
def seeded(sandbox: Sandbox, tmp_path: Path) -> tuple[Path, str]:
    """acme/web in the sandbox from a local history (main with one commit, a release branch with
    one hotfix), and a checkout of main as the workspace: (checkout, the run's commit)."""
    source = tmp_path / "source"
    source.mkdir()
    git(source, "init", "--quiet", "--initial-branch=main")
    (source / "app.txt").write_text("v1\n", encoding="utf-8")
    git(source, "add", "app.txt")
    git(source, "commit", "--quiet", "-m", "feat: the app")
    head = git(source, "rev-parse", "HEAD")
    git(source, "checkout", "--quiet", "-b", "release/1.0.0")
    (source / "fix.txt").write_text("fix\n", encoding="utf-8")
    git(source, "add", "fix.txt")
    git(source, "commit", "--quiet", "-m", "fix: a hotfix on the release branch")
    git(source, "checkout", "--quiet", "main")
    sandbox.github.create_repo("acme/web", source=source)
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "--quiet", str(source), str(checkout))
    return checkout, head


def run_product_action(engine: Engine, image: BuiltImage, sandbox: Sandbox, seeded: tuple[Path, str],
                       tmp_path: Path, action: str, inputs: Mapping[str, str],
                       env: Mapping[str, str] | None = None) -> dict[str, Any]:
    checkout, head = seeded
    result = run_in_image(
        engine, image, ROOT / "actions" / action,
        {"github-token": sandbox.github.default_token, **inputs}, tmp_path,
        env={**runner_env(sandbox), "GITHUB_SHA": head, **(env or {})},
        mount_actions=False, workspace=checkout,
    )
    assert result["exit_code"] == 0, result
    return result


@pytest.mark.container
@pytest.mark.timeout(900)
def test_release_ticket_opens_the_ticket_in_the_sandbox(
    engine: Engine, image: BuiltImage, sandbox: Sandbox, seeded: tuple[Path, str], tmp_path: Path
) -> None:
    result = run_product_action(engine, image, sandbox, seeded, tmp_path, "release-ticket",
                                {"operation": "open", "release": "1.1.0", "driver": "",
                                 "fail-on-error": "true"})
    outputs = result["outputs"]
    assert outputs["created"] == "true"
    issue = sandbox.github.repo("acme/web").issues[int(outputs["ticket-number"])]
    assert issue.title == "Release 1.1.0"
    # links name the sandbox (RELEASE_KIT_GITHUB_SERVER_URL), not the runner's github.com
    assert outputs["ticket-url"].startswith(sandbox.github.server_url + "/acme/web/issues/")


@pytest.mark.container
@pytest.mark.timeout(900)
def test_reintegrate_pr_opens_the_pull_request_in_the_sandbox(
    engine: Engine, image: BuiltImage, sandbox: Sandbox, seeded: tuple[Path, str], tmp_path: Path
) -> None:
    result = run_product_action(engine, image, sandbox, seeded, tmp_path, "reintegrate-pr",
                                {"source-branch": "release/1.0.0", "target-branch": "main"})
    outputs = result["outputs"]
    assert (outputs["result"], outputs["conflicts"]) == ("created", "false")
    pull = sandbox.github.repo("acme/web").issues[int(outputs["pr-number"])].pull
    assert pull is not None and (pull.head_ref, pull.base_ref) == ("reintegrate/release/1.0.0", "main")


@pytest.mark.container
@pytest.mark.timeout(900)
def test_deploy_helmfile_records_the_deployment_in_the_sandbox(
    engine: Engine, image: BuiltImage, sandbox: Sandbox, seeded: tuple[Path, str], tmp_path: Path
) -> None:
    checkout, head = seeded
    stub = checkout / ".selftest" / "bin" / "helmfile"  # the image may have no helm tools
    stub.parent.mkdir(parents=True)
    stub.write_text('#!/bin/sh\necho "$@" >> .selftest/helmfile.calls\n'
                    'case " $* " in *" apply "*) exit 2;; esac\nexit 0\n', encoding="utf-8")
    stub.chmod(0o755)
    (checkout / ".selftest" / "helmfile.yaml").write_text("releases: []\n", encoding="utf-8")
    # The action checks the namespace's owner and creates it through the Kubernetes API: the
    # sandbox's (what `release-kit sandbox` serves as SANDBOX_KUBE_SERVER), listening on the
    # bridge's gateway like the GitHub emulator, so that the container reaches it.
    with FakeKubernetes(host=engine.bridge_gateway()) as kube:
        kube.write_kubeconfig(checkout / ".selftest" / "kubeconfig")
        result = run_product_action(
            engine, image, sandbox, seeded, tmp_path, "deploy-helmfile",
            {"operation": "deploy", "environment": "dev", "kubeconfig": ".selftest/kubeconfig",
             "helmfile": ".selftest/helmfile.yaml", "image": "acme/web", "image-tag": "1.1.0",
             "url": "https://{namespace}.example"},
            env={"PATH": ".selftest/bin:/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:"
                         "/usr/bin:/sbin:/bin"},
        )
        assert "dev" in kube.namespaces
    outputs = result["outputs"]
    assert (outputs["result"], outputs["namespace"], outputs["url"]) == (
        "deployed", "dev", "https://dev.example")
    assert "--environment dev --namespace dev" in (
        checkout / ".selftest" / "helmfile.calls").read_text(encoding="utf-8")
    deployment = sandbox.github.repo("acme/web").deployments[int(outputs["deployment-id"])]
    assert (deployment.sha, deployment.environment) == (head, "dev")
    assert deployment.statuses[-1].state == "success"


@pytest.mark.container
@pytest.mark.timeout(900)
def test_promote_image_tags_the_image_in_moto(
    engine: Engine, image: BuiltImage, sandbox: Sandbox, seeded: tuple[Path, str], tmp_path: Path
) -> None:
    _, head = seeded
    ecr = boto3.client("ecr", endpoint_url=sandbox.aws_endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    ecr.create_repository(repositoryName="acme/web")
    # Labelled as build.yml labels it: promote-image checks the revision against the commit.
    built = images.image(7, media_type=DOCKER_MANIFEST,
                         labels={"org.opencontainers.image.revision": head})
    images.push(ecr, "acme/web", built, f"sha-{head}")
    # verify-revision (on by default) reads that config blob through the download URL ECR hands
    # out, which the sandbox serves on its own address (the bridge's gateway here).
    result = run_product_action(engine, image, sandbox, seeded, tmp_path, "promote-image",
                                {"repository": "acme/web", "tags": "{version}\nlatest",
                                 "version": "1.1.0", "aws-region": "us-east-1"})
    assert result["outputs"]["revision"] == head  # the label was read and checked
    assert json.loads(result["outputs"]["tags"]) == [
        {"tag": "1.1.0", "action": "created"}, {"tag": "latest", "action": "created"}]
    tagged = ecr.describe_images(repositoryName="acme/web")["imageDetails"]
    assert sorted(tag for detail in tagged for tag in detail.get("imageTags", [])) == [
        "1.1.0", "latest", f"sha-{head}"]


@pytest.mark.container
@pytest.mark.timeout(900)
@pytest.mark.parametrize("action", PRODUCT_ACTIONS or ["(none yet)"])
def test_each_product_action_is_in_the_image(
    engine: Engine, image: BuiltImage, action: str
) -> None:
    if action == "(none yet)":
        proc = engine.run("run", "--rm", image.tag, "--help", timeout=120)
        assert proc.returncode == 0 and "usage: release-kit" in proc.stdout
        return
    proc = engine.run("run", "--rm", image.tag, action, "--help", timeout=120)
    assert proc.returncode == 0, proc.stderr
    metadata = ActionMetadata.load(ROOT / "actions" / action / "action.yml")
    for name in metadata.inputs:
        assert f"--{name}" in proc.stdout


@pytest.mark.container
@pytest.mark.timeout(900)
def test_the_image_holds_the_product_and_not_its_sandbox(engine: Engine, image: BuiltImage) -> None:
    """The image installs the product alone: its CLI lists what runs there (the actions and
    eks-token), the sandbox's tools are unknown, and no sandbox module can be imported."""
    listing = engine.run("run", "--rm", image.tag, timeout=120)
    assert listing.returncode == 0, listing.stderr
    tools = listing.stdout.split("tools:", 1)[1].split("\n\n", 1)[0].split()
    assert tools == ["eks-token"]
    for action in PRODUCT_ACTIONS:
        assert f"  {action}\n" in listing.stdout
    unknown = engine.run("run", "--rm", image.tag, "sandbox", timeout=120)
    assert unknown.returncode == 2 and "unknown command 'sandbox'" in unknown.stderr
    imports = engine.run("run", "--rm", "--entrypoint", "python", image.tag, "-c",
                         "import importlib.util as u; import release_kit; "
                         "print(u.find_spec('release_kit_sandbox'), u.find_spec('moto'))",
                         timeout=120)
    assert imports.returncode == 0, imports.stderr
    assert imports.stdout.split() == ["None", "None"]


# -- what the image holds (issue 15: small, no installers, no sandbox) ----------------------------

INSPECT = r"""
import importlib.util, json, os, sys, sysconfig
import boto3, botocore.exceptions
site = sysconfig.get_path("purelib")
clients = {}
for service in ("ecr", "eks", "sts", "s3"):
    try:
        boto3.client(service, region_name="us-east-1")
        clients[service] = True
    except botocore.exceptions.UnknownServiceError:
        clients[service] = False
import kubernetes.client, kubernetes.config  # the synchronous client, without aiohttp
print(json.dumps({
    "prefix": sys.prefix,
    "site": sorted(os.listdir(site)),
    "modules": {m: importlib.util.find_spec(m) is not None
                for m in ("pip", "setuptools", "wheel", "uv", "aiohttp", "kubernetes.aio",
                          "release_kit")},
    "clients": clients,
    "caches": [p for p in ("/root/.cache", "/tmp/build-tools", "/tmp/pip-venv", "/tmp/requirements")
               if os.path.exists(p)],
}))
"""


@pytest.mark.container
@pytest.mark.timeout(900)
def test_the_image_holds_the_product_and_its_dependencies_only(
    engine: Engine, image: BuiltImage
) -> None:
    proc = engine.run("run", "--rm", "--entrypoint", "/opt/venv/bin/python", image.tag,
                      "-c", INSPECT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    held = json.loads(proc.stdout)
    assert held["prefix"] == "/opt/venv"
    assert held["modules"] == {"pip": False, "setuptools": False, "wheel": False, "uv": False,
                               "aiohttp": False, "kubernetes.aio": False, "release_kit": True}
    assert not [name for name in held["site"]
                if re.match(r"(pip|setuptools|wheel|uv|_distutils_hack)\b", name)]
    assert held["clients"] == {"ecr": True, "eks": True, "sts": True, "s3": False}
    assert held["caches"] == []


@pytest.mark.container
@pytest.mark.timeout(900)
def test_the_callers_checkout_cannot_shadow_the_products_modules(
    engine: Engine, image: BuiltImage, tmp_path: Path
) -> None:
    """The runner starts the action in the caller's checkout (/github/workspace): modules there
    named like the product's or a dependency's are never imported."""
    for name in ("release_kit/__init__.py", "yaml.py", "semver.py"):
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_text("raise SystemExit('imported from the checkout')\n", encoding="utf-8")
    proc = engine.run("run", "--rm", "-v", f"{tmp_path}:/github/workspace",
                      "--workdir", "/github/workspace", image.tag, "semver-bump", "--help",
                      timeout=120)
    assert proc.returncode == 0 and "--strategy" in proc.stdout, proc.stdout + proc.stderr
