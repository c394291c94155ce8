"""Shared AWS helpers: role ARN validation, session names, the role chain against moto."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import boto3
import pytest
from moto import mock_aws

from release_kit.aws import assume_role_chain, aws_errors, session_name, validate_role_arn
from release_kit.errors import InputError, NotFoundError, PermissionDeniedError

TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}'


@pytest.mark.parametrize("arn", [
    "arn:aws:iam::123456789012:role/cicd",
    "arn:aws-us-gov:iam::123456789012:role/path/to/helm-deployer",
])
def test_valid_role_arns(arn: str) -> None:
    assert validate_role_arn(arn, "cicd-role-arn") == arn


@pytest.mark.parametrize("arn", [
    "arn:aws:iam::123456789012:user/bob",
    "arn:aws:iam::12345:role/x",
    "role/cicd",
    "arn:aws:sts::123456789012:assumed-role/x/y",
])
def test_invalid_role_arns_name_the_input(arn: str) -> None:
    with pytest.raises(InputError) as info:
        validate_role_arn(arn, "helm-role-arn")
    assert info.value.input_name == "helm-role-arn"
    assert "arn:aws:iam::<12-digit account id>:role/" in str(info.value)


def test_session_name_is_valid_and_bounded_and_keeps_run_id() -> None:
    name = session_name("acme/" + "very-long-repository-name" * 5, "12345678901", "helm")
    assert len(name) <= 64
    assert name.endswith("12345678901-helm")
    assert set(name) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=,.@-")
    assert session_name("acme/web", "7") == "acme@web-7"


@mock_aws
def test_role_chain_assumes_second_role_with_first_roles_credentials() -> None:
    iam = boto3.client("iam", region_name="us-east-1")
    first = iam.create_role(RoleName="cicd", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    second = iam.create_role(RoleName="helm", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    out = io.StringIO()
    with redirect_stdout(out):
        session = assume_role_chain("us-east-1", [first, second], "acme@web-1")
    identity = session.client("sts", region_name="us-east-1").get_caller_identity()
    assert identity["Arn"].endswith(":assumed-role/helm/acme@web-1")
    creds = session.get_credentials()
    assert creds is not None
    masks = [line.removeprefix("::add-mask::") for line in out.getvalue().splitlines()]
    assert creds.access_key in masks and creds.secret_key in masks and creds.token in masks
    assert len(masks) == 6  # three secrets per hop, two hops


def test_aws_errors_are_typed() -> None:
    from botocore.exceptions import ClientError, NoCredentialsError

    with pytest.raises(PermissionDeniedError) as denied, aws_errors("describing the cluster"):
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "DescribeCluster")
    assert denied.value.code == "AccessDeniedException"
    with pytest.raises(NotFoundError), aws_errors("describing the cluster"):
        raise ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "x"}}, "DescribeCluster")
    with pytest.raises(PermissionDeniedError) as nocreds, aws_errors("listing"):
        raise NoCredentialsError
    assert "configure-aws-credentials" in str(nocreds.value)
