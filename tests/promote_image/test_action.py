"""promote-image end to end: the entrypoint as the runner runs it, against the sandbox's moto
server (``AWS_ENDPOINT_URL``). ECR writes are counted on the server side (``ecr_writes``)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from release_kit.registry.provenance import BUILT_BY, BUILT_BY_BUILD, REVISION
from release_kit_sandbox import Sandbox
from tests.harness import ActionResult, run_action
from tests.promote_image.conftest import REGION, SOURCE_ACCOUNT, TARGET_ACCOUNT, TARGET_ROLE
from tests.promote_image.images import image, index, push, tags_of, upload_blob

SHA = "0123456789abcdef0123456789abcdef01234567"
OTHER = "fedcba9876543210fedcba9876543210fedcba98"
RELEASE_TAGS = ["{version}", "{major}.{minor}", "{major}", "latest"]


def ecr_client(sandbox: Sandbox, role_arn: str = "") -> Any:
    import boto3

    env = sandbox.env()
    kwargs = {"endpoint_url": env["AWS_ENDPOINT_URL"], "region_name": REGION,
              "aws_access_key_id": env["AWS_ACCESS_KEY_ID"],
              "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"]}
    if role_arn:
        creds = boto3.client("sts", **kwargs).assume_role(
            RoleArn=role_arn, RoleSessionName="tests")["Credentials"]
        kwargs.update(aws_access_key_id=creds["AccessKeyId"],
                      aws_secret_access_key=creds["SecretAccessKey"],
                      aws_session_token=creds["SessionToken"])
    return boto3.client("ecr", **kwargs)


@pytest.fixture
def ecr(sandbox: Sandbox) -> Any:
    client = ecr_client(sandbox)
    client.create_repository(repositoryName="acme/web")
    return client


def promote(sandbox: Sandbox, **inputs: object) -> ActionResult:
    given: dict[str, object] = {"repository": "acme/web", "aws-region": REGION,
                                "tags": RELEASE_TAGS, "version": "1.4.0"}
    given.update({k.replace("_", "-"): v for k, v in inputs.items()})
    return run_action("promote-image", given, sandbox=sandbox, env={"GITHUB_SHA": SHA})


def actions(result: ActionResult) -> dict[str, str]:
    return {entry["tag"]: entry["action"] for entry in result.json_output("tags")}


def test_promotes_the_commit_image_to_release_tags(
        sandbox: Sandbox, ecr: Any, ecr_writes: Counter[str]) -> None:
    img = image(1)
    push(ecr, "acme/web", img, f"sha-{SHA}")
    ecr_writes.clear()
    result = promote(sandbox)  # source defaults to sha-${{ github.sha }}
    assert result.exit_code == 0, result
    assert actions(result) == {"1.4.0": "created", "1.4": "created", "1": "created",
                               "latest": "created"}
    assert result.outputs["digest"] == img.digest
    assert result.outputs["image"] == (
        f"{SOURCE_ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/acme/web@{img.digest}")
    assert result.outputs["bytes-copied"] == "0"
    assert ecr_writes == {"put_image": 4}
    assert tags_of(ecr, "acme/web") == dict.fromkeys(
        [f"sha-{SHA}", "1.4.0", "1.4", "1", "latest"], img.digest)
    assert f"| `1.4` | `{img.digest}` | created |" in result.summary
    assert "Bytes copied: **0**" in result.summary


def test_oci_index_and_rerun_without_writes(
        sandbox: Sandbox, ecr: Any, ecr_writes: Counter[str]) -> None:
    idx = index(image(1), image(2))
    push(ecr, "acme/web", idx, "build-42")
    first = promote(sandbox, source="build-42", tags=["{sha7}-{version}", "{version}"])
    assert first.exit_code == 0, first
    assert actions(first) == {"0123456-1.4.0": "created", "1.4.0": "created"}
    got = ecr.batch_get_image(repositoryName="acme/web", imageIds=[{"imageTag": "1.4.0"}])
    assert got["images"][0]["imageManifest"].encode() == idx.manifest.data

    ecr_writes.clear()
    again = promote(sandbox, source="build-42", tags=["{sha7}-{version}", "{version}"])
    assert again.exit_code == 0, again
    assert set(actions(again).values()) == {"unchanged"}
    assert sum(ecr_writes.values()) == 0
    # The manifest, then for verify-revision its children and each platform's config.
    assert ("ECR API calls: BatchGetImage=2, DescribeImages=1, GetDownloadUrlForLayer=2"
            in again.stdout)
    assert [w.title for w in again.commands("warning")] == ["Image revision not verified"]


def test_moves_latest_but_refuses_to_move_a_release_tag(
        sandbox: Sandbox, ecr: Any, ecr_writes: Counter[str]) -> None:
    old, new = image(1), image(2)
    push(ecr, "acme/web", old, "latest")
    push(ecr, "acme/web", new, f"sha-{SHA}")
    moved = promote(sandbox, tags=["{version}", "latest"])
    assert moved.exit_code == 0, moved
    assert actions(moved) == {"1.4.0": "created", "latest": "moved"}
    assert tags_of(ecr, "acme/web")["latest"] == new.digest
    assert f"moved (from `{old.digest}`)" in moved.summary

    push(ecr, "acme/web", old, "sha-old")
    ecr_writes.clear()
    refused = promote(sandbox, source="sha-old", tags=["{version}", "latest"])
    assert refused.exit_code == 1
    [error] = refused.errors
    assert "'1.4.0'" in error.message
    assert new.digest in error.message and old.digest in error.message
    assert "allow-move" in error.message
    assert sum(ecr_writes.values()) == 0
    assert tags_of(ecr, "acme/web")["latest"] == new.digest  # not moved either


def test_allow_move_star(sandbox: Sandbox, ecr: Any) -> None:
    old, new = image(1), image(2)
    push(ecr, "acme/web", old, "1.4")
    push(ecr, "acme/web", new, f"sha-{SHA}")
    result = promote(sandbox, tags=["{major}.{minor}"], allow_move="*")
    assert result.exit_code == 0, result
    assert actions(result) == {"1.4": "moved"}


def test_immutable_repository(sandbox: Sandbox, ecr: Any, ecr_writes: Counter[str]) -> None:
    ecr.create_repository(repositoryName="acme/locked", imageTagMutability="IMMUTABLE")
    old, new = image(1), image(2)
    push(ecr, "acme/locked", old, "latest")
    push(ecr, "acme/locked", new, f"sha-{SHA}")
    ecr_writes.clear()
    result = promote(sandbox, repository="acme/locked", tags=["{version}", "latest"])
    assert result.exit_code == 1
    [error] = result.errors
    assert "immutable" in error.message and "'latest'" in error.message
    assert sum(ecr_writes.values()) == 0


def test_missing_source(sandbox: Sandbox, ecr: Any) -> None:
    result = promote(sandbox)
    assert result.exit_code == 1
    [error] = result.errors
    assert f"acme/web:sha-{SHA}" in error.message
    assert f"account {SOURCE_ACCOUNT}" in error.message
    assert REGION in error.message
    assert error.title == "Not found"


def test_dry_run_writes_nothing(sandbox: Sandbox, ecr: Any, ecr_writes: Counter[str]) -> None:
    old, new = image(1), image(2)
    push(ecr, "acme/web", old, "latest")
    push(ecr, "acme/web", new, f"sha-{SHA}")
    before = tags_of(ecr, "acme/web")
    ecr_writes.clear()
    result = promote(sandbox, dry_run=True)
    assert result.exit_code == 0, result
    assert actions(result) == {"1.4.0": "created", "1.4": "created", "1": "created",
                               "latest": "moved"}
    assert sum(ecr_writes.values()) == 0
    assert tags_of(ecr, "acme/web") == before
    assert "dry run" in result.summary
    assert any("Dry run" in n.message for n in result.commands("notice"))


def test_cross_account_with_roles(sandbox: Sandbox, ecr: Any) -> None:
    """Target account 222222222222 through target-role-to-assume. moto has no
    GetDownloadUrlForLayer, so the target already holds the blobs here (the copy of missing
    blobs is covered in test_promote_cross_registry.py); the child manifests and tags move."""
    a, b = image(1), image(2)
    idx = index(a, b)
    push(ecr, "acme/web", idx, f"sha-{SHA}")
    target = ecr_client(sandbox, TARGET_ROLE)
    target.create_repository(repositoryName="prod/web")
    for child in (a, b):
        for data in child.blobs.values():
            upload_blob(target, "prod/web", data)
    inputs = {"target_repository": "prod/web", "target_registry_id": TARGET_ACCOUNT,
              "target_role_to_assume": TARGET_ROLE, "tags": ["{version}"]}
    result = promote(sandbox, **inputs)
    assert result.exit_code == 0, result
    assert actions(result) == {"1.4.0": "created"}
    assert result.outputs["image"] == (
        f"{TARGET_ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/prod/web@{idx.digest}")
    assert "2 child manifest(s)" in result.summary
    assert tags_of(target, "prod/web") == {"1.4.0": idx.digest}
    for child in (a, b):
        found = target.batch_get_image(repositoryName="prod/web",
                                       imageIds=[{"imageDigest": child.digest}])["images"]
        assert found[0]["imageManifest"].encode() == child.manifest.data
    assert len(result.masks) >= 3  # the assumed role's credentials

    again = promote(sandbox, **inputs)
    assert actions(again) == {"1.4.0": "unchanged"}


BASE_INPUTS = {"repository": "acme/web", "aws-region": REGION, "tags": RELEASE_TAGS,
               "version": "1.4.0"}
RUN_ENV = {"GITHUB_SHA": SHA, "GITHUB_REF": "refs/heads/release/1.4",
           "GITHUB_REF_NAME": "release/1.4"}


@pytest.mark.parametrize(("inputs", "input_name", "says"), [
    ({"tags": ""}, "tags", "required"),
    ({"tags": ["x" * 129]}, "tags", "128"),
    ({"tags": ["{version}-{ref_name}"]}, "tags", "'/'"),
    ({"tags": ["{major}"], "version": ""}, "version", "{major}"),
    ({"tags": ["{version}"], "version": "1.4"}, "version", "semantic version"),
    ({"tags": ["{build}"]}, "tags", "unknown template variable"),
    ({"source": "acme/web:1.0"}, "source", "neither an image tag nor a digest"),
    ({"revision": SHA[:7]}, "revision", "full commit SHA"),
    ({"verify-revision": "maybe"}, "verify-revision", "boolean"),
])
def test_bad_input_is_one_error_and_nothing_is_written(
    sandbox: Sandbox, ecr: Any, ecr_writes: Counter[str],
    inputs: dict[str, object], input_name: str, says: str,
) -> None:
    """The bad inputs the issue lists, each through the runner with a registry to write to."""
    push(ecr, "acme/web", image(1), f"sha-{SHA}")
    ecr_writes.clear()
    result = run_action("promote-image", {**BASE_INPUTS, **inputs}, sandbox=sandbox, env=RUN_ENV)
    assert result.exit_code == 1
    [error] = result.errors
    assert error.title == f"Invalid input '{input_name}'"
    assert says in error.message
    assert sum(ecr_writes.values()) == 0
    assert set(tags_of(ecr, "acme/web")) == {f"sha-{SHA}"}


@pytest.mark.parametrize(("inputs", "input_name", "says"), [
    ({"tags": ["v {version}"]}, "tags", "' '"),
    ({"source": "sha256:1234"}, "source", "not a sha256 digest"),
    ({"allow-move": "release/*"}, "allow-move", "'release/*' contains"),
    ({"dry-run": "yes"}, "dry-run", "boolean"),
    ({"repository": "Acme/Web"}, "repository", "ECR repository name"),
    ({"target-repository": "a//b"}, "target-repository", "ECR repository name"),
    ({"aws-region": "Europe"}, "aws-region", "not an AWS region"),
    ({"registry-id": "acme"}, "registry-id", "account id"),
    ({"target-registry-id": "12345"}, "target-registry-id", "account id"),
    ({"role-to-assume": "admin"}, "role-to-assume", "IAM role ARN"),
])
def test_more_bad_inputs_fail_before_any_aws_call(
    capsys: pytest.CaptureFixture[str], inputs: dict[str, object], input_name: str, says: str,
) -> None:
    """In process (no subprocess, no AWS endpoint or credentials at all): the runner reports
    one error naming the input, so the entrypoint never reached AWS."""
    from release_kit.action.inputs import env_name
    from release_kit.action.runner import run
    from release_kit.promote import PromoteInputs, promote_image
    from release_kit_sandbox.local_runner import render_input
    from tests.harness import ACTIONS_DIR, parse_commands

    environ = {**RUN_ENV, "GITHUB_ACTIONS": "true"}
    environ.update({env_name(k): render_input(v) for k, v in {**BASE_INPUTS, **inputs}.items()})
    code = run(PromoteInputs, promote_image, [], action_dir=ACTIONS_DIR / "promote-image",
               environ=environ)
    errors = [c for c in parse_commands(capsys.readouterr().out) if c.command == "error"]
    assert code == 1
    assert [e.title for e in errors] == [f"Invalid input '{input_name}'"]
    assert says in errors[0].message


def test_cross_account_dry_run_reports_the_blobs_it_would_copy(
        sandbox: Sandbox, ecr: Any, ecr_writes: Counter[str]) -> None:
    img = image(3, layers=4)
    push(ecr, "acme/web", img, f"sha-{SHA}")
    target = ecr_client(sandbox, TARGET_ROLE)
    target.create_repository(repositoryName="acme/web")
    upload_blob(target, "acme/web", next(iter(img.blobs.values())))  # the config is there
    ecr_writes.clear()
    result = promote(sandbox, target_registry_id=TARGET_ACCOUNT,
                     target_role_to_assume=TARGET_ROLE, tags=["{version}"], dry_run=True)
    assert result.exit_code == 0, result
    assert actions(result) == {"1.4.0": "created"}
    declared = sum(len(data) for data in list(img.blobs.values())[1:])
    assert f"Would copy 4 blob(s), {declared} bytes declared." in result.summary
    assert result.outputs["bytes-copied"] == "0"
    assert sum(ecr_writes.values()) == 0


# ---- verify-revision ----------------------------------------------------------------------------


def test_the_revision_label_of_the_commit_is_verified_and_reported(
        sandbox: Sandbox, ecr: Any) -> None:
    img = image(1, labels={REVISION: SHA, BUILT_BY: BUILT_BY_BUILD})
    push(ecr, "acme/web", img, f"sha-{SHA}")
    result = promote(sandbox, tags=["{version}"])
    assert result.exit_code == 0, result
    assert result.outputs["revision"] == SHA
    assert f"Revision: `{SHA}`, the commit being released" in result.summary
    assert result.commands("warning") == []
    assert "GetDownloadUrlForLayer=1" in result.stdout  # the config, read through its URL


def test_an_image_of_another_commit_is_refused_and_nothing_is_written(
        sandbox: Sandbox, ecr: Any, ecr_writes: Counter[str]) -> None:
    """sha-<commit> was overwritten by a build of another commit (a mutable repository)."""
    img = image(2, labels={REVISION: OTHER})
    push(ecr, "acme/web", img, f"sha-{SHA}")
    before = tags_of(ecr, "acme/web")
    for dry_run in (False, True):
        ecr_writes.clear()
        result = promote(sandbox, dry_run=dry_run)
        assert result.exit_code == 1
        [error] = result.errors
        assert error.title == "Image revision mismatch"
        assert OTHER in error.message and SHA in error.message
        assert f"acme/web:sha-{SHA}" in error.message and img.digest in error.message
        assert sum(ecr_writes.values()) == 0
        assert tags_of(ecr, "acme/web") == before


def test_revision_names_the_commit_the_source_was_built_from(
        sandbox: Sandbox, ecr: Any) -> None:
    """A workflow that promotes an older build passes that build's commit."""
    img = image(3, labels={REVISION: OTHER})
    push(ecr, "acme/web", img, f"sha-{OTHER}")
    result = promote(sandbox, source=f"sha-{OTHER}", revision=OTHER, tags=["{version}"])
    assert result.exit_code == 0, result
    assert result.outputs["revision"] == OTHER


def test_verify_revision_false_reads_no_config(sandbox: Sandbox, ecr: Any) -> None:
    push(ecr, "acme/web", image(4, labels={REVISION: OTHER}), f"sha-{SHA}")
    result = promote(sandbox, verify_revision=False, tags=["{version}"])
    assert result.exit_code == 0, result
    assert result.outputs["revision"] == ""
    assert "GetDownloadUrlForLayer" not in result.stdout
    assert "Revision: not checked (`verify-revision: false`)." in result.summary


def test_an_unlabelled_image_is_a_warning_or_with_require_revision_an_error(
        sandbox: Sandbox, ecr: Any, ecr_writes: Counter[str]) -> None:
    push(ecr, "acme/web", image(5), f"sha-{SHA}")
    warned = promote(sandbox, tags=["{version}"])
    assert warned.exit_code == 0, warned
    [warning] = warned.commands("warning")
    assert warning.title == "Image revision not verified"
    assert REVISION in warning.message and "require-revision" in warning.message
    assert "Revision: **unknown**" in warned.summary
    assert warned.outputs["revision"] == ""

    ecr_writes.clear()
    refused = promote(sandbox, require_revision=True, tags=["{major}"])
    assert refused.exit_code == 1
    [error] = refused.errors
    assert error.title == "Image revision missing"
    assert sum(ecr_writes.values()) == 0


def test_a_config_the_registry_lacks_is_an_error(
        sandbox: Sandbox, ecr: Any, ecr_writes: Counter[str]) -> None:
    """The manifest names a config that was never uploaded (ECR would refuse such a PutImage;
    moto does not): the label cannot be read, so nothing is promoted."""
    img = image(6, labels={REVISION: SHA})
    push(ecr, "acme/web", img, f"sha-{SHA}", blobs=False)
    ecr_writes.clear()
    result = promote(sandbox, tags=["{version}"])
    assert result.exit_code == 1
    [error] = result.errors
    assert "LayersNotFoundException" in error.message
    assert "verify-revision" in error.message  # why the config was wanted (the hint)
    assert sum(ecr_writes.values()) == 0
