"""build.yml's image step, run as the runner runs it: its `run:` script with bash, the real AWS
CLI against the sandbox's moto ECR (which serves layer download URLs), and a `docker` on PATH
that stands in for the daemon: `build` records the labels it was given, `push` stores an image
with those labels in moto, as a push would. What the step pushes is what a later run reads back.

The step reuses an existing `sha-<commit>` only when every platform of it carries the three
labels it writes itself; anything else is an error that says what was found, and nothing is
built, pushed or overwritten.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from release_kit.registry.provenance import BUILT_BY, BUILT_BY_BUILD, REVISION, SOURCE
from release_kit_sandbox import Sandbox
from release_kit_sandbox.local_runner import Annotation, parse_commands, parse_file_command
from tests.promote_image.images import IN_TOTO, image, index, push, tags_of
from tests.workflows.model import jobs, load, workflow_path

SHA = "0123456789abcdef0123456789abcdef01234567"
OTHER = "fedcba9876543210fedcba9876543210fedcba98"
ACCOUNT = "123456789012"
REGISTRY = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
SERVER, REPO = "https://github.com", "acme/web"
OURS = {REVISION: SHA, SOURCE: f"{SERVER}/{REPO}", BUILT_BY: BUILT_BY_BUILD}
# The step's env, as the workflow spells it: the test gives each name its value.
STEP_ENV = {
    "REGISTRY": "${{ steps.ecr.outputs.registry }}",
    "REPOSITORY": "${{ inputs.ecr-repository || github.event.repository.name }}",
    "SHA": "${{ inputs.sha }}",
    "DOCKERFILE": "${{ inputs.dockerfile }}",
    "CONTEXT": "${{ inputs.docker-context }}",
    "AWS_PAGER": "",
}

DOCKER = '''\
"""docker without a daemon: `build` records its labels, `push` stores that image in moto."""
import hashlib, json, os, sys
from pathlib import Path

import boto3

state = Path(os.environ["DOCKER_STUB_DIR"])
args = sys.argv[1:]
with (state / "calls").open("a") as calls:
    calls.write(json.dumps(args) + "\\n")
if args[0] == "build":
    labels = dict(args[i + 1].split("=", 1) for i, a in enumerate(args) if a == "--label")
    tag = args[args.index("--tag") + 1]
    (state / "built.json").write_text(json.dumps({"tag": tag, "labels": labels}))
elif args[0] == "push":
    mode = os.environ.get("DOCKER_STUB_PUSH", "")
    if mode == "fail":
        sys.exit(1)
    built = json.loads((state / "built.json").read_text())
    assert built["tag"] == args[1], (built, args)
    repository, _, tag = args[1].split("/", 1)[1].partition(":")
    ecr = boto3.client("ecr")

    def blob(data, media_type):
        upload = ecr.initiate_layer_upload(repositoryName=repository)["uploadId"]
        ecr.upload_layer_part(repositoryName=repository, uploadId=upload, partFirstByte=0,
                              partLastByte=len(data) - 1, layerPartBlob=data)
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        ecr.complete_layer_upload(repositoryName=repository, uploadId=upload,
                                  layerDigests=[digest])
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": {"Labels": built["labels"]}}).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": blob(config, "application/vnd.oci.image.config.v1+json"),
        "layers": [blob(os.urandom(64), "application/vnd.oci.image.layer.v1.tar+gzip")]})
    ecr.put_image(repositoryName=repository, imageTag=tag, imageManifest=manifest,
                  imageManifestMediaType="application/vnd.oci.image.manifest.v1+json",
                  imageDigest="sha256:" + hashlib.sha256(manifest.encode()).hexdigest())
    if mode == "race":  # another run's push won: ours is refused (an immutable tag)
        sys.exit(1)
else:
    sys.exit(f"docker stub: unexpected command {args}")
'''


@dataclass
class Run:
    exit_code: int
    stdout: str
    outputs: dict[str, str]
    docker: list[list[str]]

    @property
    def annotations(self) -> list[Annotation]:
        return parse_commands(self.stdout)

    def only(self, command: str) -> Annotation:
        [found] = [a for a in self.annotations if a.command == command]
        return found


@pytest.fixture
def ecr(sandbox: Sandbox) -> Any:
    import boto3

    env = sandbox.env()
    client = boto3.client("ecr", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    client.create_repository(repositoryName="web")
    return client


@pytest.fixture
def step(sandbox: Sandbox, tmp_path: Path) -> Any:
    """Run the image step's script; ``docker_push`` picks the stub's push behaviour."""
    aws = shutil.which("aws")
    if aws is None:
        pytest.fail("The AWS CLI is needed (`pip install awscli`, or AWS CLI v2): build.yml's "
                    "image step calls it, and this test runs that step.", pytrace=False)
    [data] = [s for s in jobs(load(workflow_path("build")))["image"]["steps"]
              if s.get("id") == "push"]
    assert data["env"] == STEP_ENV  # the names the test provides, wired as the workflow says
    bin_dir, state = tmp_path / "bin", tmp_path / "docker"
    bin_dir.mkdir()
    state.mkdir()
    docker = bin_dir / "docker"
    docker.write_text(f"#!{sys.executable}\n{DOCKER}")
    docker.chmod(0o755)
    context = tmp_path / "context"
    context.mkdir()

    def run(*, repository: str = "web", docker_push: str = "") -> Run:
        output = tmp_path / "github_output"
        output.write_text("")
        (state / "calls").write_text("")
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("GITHUB_", "AWS_", "RUNNER_", "INPUT_"))}
        env.update(sandbox.env())
        env.update({
            "PATH": os.pathsep.join([str(bin_dir), env.get("PATH", "")]),
            "REGISTRY": REGISTRY, "REPOSITORY": repository, "SHA": SHA,
            "DOCKERFILE": "Dockerfile", "CONTEXT": str(context), "AWS_PAGER": "",
            "GITHUB_SERVER_URL": SERVER, "GITHUB_REPOSITORY": REPO,
            "GITHUB_OUTPUT": str(output), "RUNNER_TEMP": str(tmp_path),
            "DOCKER_STUB_DIR": str(state), "DOCKER_STUB_PUSH": docker_push,
        })
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-e", "-c", str(data["run"])],
                              env=env, cwd=tmp_path, capture_output=True, text=True,
                              timeout=120, check=False)
        calls = [json.loads(line) for line in (state / "calls").read_text().splitlines()]
        return Run(proc.returncode, proc.stdout + proc.stderr,
                   parse_file_command(output.read_text()), calls)

    return run


def labels_in_ecr(ecr: Any, tag: str) -> dict[str, str]:
    """The labels of the image under ``tag``, read straight from moto (manifest, config)."""
    from release_kit.registry.ecr import EcrRepository
    from release_kit.registry.provenance import read_labels
    from release_kit.registry.references import ImageRef, Location

    repo = EcrRepository(ecr, Location("web", "us-east-1", ACCOUNT))
    manifest = repo.get_manifest(ImageRef(tag=tag))
    assert manifest is not None
    [found] = read_labels(repo, manifest)
    return dict(found.labels)


def test_builds_and_labels_then_reuses_its_own_image(ecr: Any, step: Any) -> None:
    first = step()
    assert first.exit_code == 0, first.stdout
    assert first.outputs == {"image": f"{REGISTRY}/web", "tag": f"sha-{SHA}"}
    [build, pushed] = first.docker
    assert build[0] == "build" and pushed == ["push", f"{REGISTRY}/web:sha-{SHA}"]
    assert [build[i + 1] for i, a in enumerate(build) if a == "--label"] == [
        f"{k}={v}" for k, v in OURS.items()]
    assert labels_in_ecr(ecr, f"sha-{SHA}") == OURS

    digest = tags_of(ecr, "web")[f"sha-{SHA}"]
    again = step()
    assert again.exit_code == 0, again.stdout
    assert again.docker == []  # neither built nor pushed
    notice = again.only("notice")
    assert notice.title == "Image reused" and digest in notice.message
    assert again.outputs == first.outputs


@pytest.mark.parametrize(("labels", "says"), [
    ({**OURS, REVISION: OTHER}, f"{REVISION}={OTHER}"),
    ({**OURS, SOURCE: f"{SERVER}/evil/fork"}, f"{SOURCE}={SERVER}/evil/fork"),
    ({REVISION: SHA}, f"{BUILT_BY}=(none)"),  # pushed by build.yml before it marked images
    (None, f"{REVISION}=(none)"),  # pushed by hand, no labels at all
])
def test_a_tag_it_did_not_push_is_neither_reused_nor_overwritten(
        ecr: Any, step: Any, labels: dict[str, str] | None, says: str) -> None:
    foreign = image(1, labels=labels)
    push(ecr, "web", foreign, f"sha-{SHA}")
    result = step()
    assert result.exit_code == 1
    assert result.docker == []
    error = result.only("error")
    assert error.title == "Image tag not built by this workflow"
    assert says in error.message and foreign.digest in error.message
    assert f"batch-delete-image --repository-name web --image-ids imageTag=sha-{SHA}" \
        in error.message
    assert tags_of(ecr, "web") == {f"sha-{SHA}": foreign.digest}


def test_every_platform_of_an_index_is_checked(ecr: Any, step: Any) -> None:
    attestation = image(9, layers=1, config_type=IN_TOTO)
    good = index(image(1, labels=OURS), image(2, labels=OURS), attestations=(attestation,))
    push(ecr, "web", good, f"sha-{SHA}")
    reused = step()
    assert reused.exit_code == 0, reused.stdout
    assert "2 platform(s) checked" in reused.only("notice").message
    assert reused.docker == []

    ecr.batch_delete_image(repositoryName="web", imageIds=[{"imageTag": f"sha-{SHA}"}])
    mixed = index(image(3, labels=OURS), image(4, labels={**OURS, REVISION: OTHER}))
    push(ecr, "web", mixed, f"sha-{SHA}")
    refused = step()
    assert refused.exit_code == 1
    assert f"linux/arm64/v8: {REVISION}={OTHER}" in refused.only("error").message
    assert refused.docker == []


def test_label_values_cannot_issue_workflow_commands(ecr: Any, step: Any) -> None:
    """Labels are written by whoever pushed: they reach the log as data, one line."""
    payload = "x\n::warning title=injected::owned\n##[set-output name=image;]evil %0A::debug::y"
    push(ecr, "web", image(5, labels={**OURS, REVISION: payload}), f"sha-{SHA}")
    result = step()
    assert result.exit_code == 1
    assert [a.command for a in result.annotations] == ["error"]
    assert "##[" not in result.stdout
    assert "::warning title=injected" not in result.stdout.replace(
        "%0A::warning title=injected", "")
    # Still readable once unescaped; the runner leaves "%5B" as it is, so "##[" stays inert.
    assert payload.replace("##[", "##%5B") in result.only("error").message


def test_a_failing_lookup_builds_nothing(ecr: Any, step: Any) -> None:
    result = step(repository="missing")
    assert result.exit_code == 1
    error = result.only("error")
    assert error.title == "ECR lookup failed" and "RepositoryNotFoundException" in error.message
    assert result.docker == []


def test_a_push_lost_to_a_concurrent_run_of_this_commit_is_fine(ecr: Any, step: Any) -> None:
    """Two runs of one commit (a label event and a push) both build; the second push meets
    the first's image under an immutable tag. It is this workflow's image of this commit."""
    result = step(docker_push="race")
    assert result.exit_code == 0, result.stdout
    assert result.only("notice").title == "Image reused"
    assert labels_in_ecr(ecr, f"sha-{SHA}") == OURS


def test_a_failed_push_with_nothing_there_fails(ecr: Any, step: Any) -> None:
    result = step(docker_push="fail")
    assert result.exit_code == 1
    assert result.only("error").title == "Push failed"
    assert tags_of(ecr, "web") == {}
