"""EKS bearer tokens, built as ``aws eks get-token`` builds them, and the exec plugin tool.

A token is a presigned STS ``GetCallerIdentity`` URL on the regional STS host, with the
``x-k8s-aws-id: <cluster>`` header signed into it and ``X-Amz-Expires=60``, encoded as
``k8s-aws-v1.`` + unpadded base64url. EKS calls that URL to learn who the caller is, so the
token carries no secret beyond a short-lived signature; it is still masked.

``release-kit eks-token --cluster C --region R [--role-arn A]...`` prints an ``ExecCredential``
for kubectl/helm. It re-assumes the role chain from the environment's credentials on each call,
so nothing secret is written into the kubeconfig and tokens refresh during long helmfile runs.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from release_kit.action import commands

if TYPE_CHECKING:
    import boto3

PREFIX = "k8s-aws-v1."
CLUSTER_HEADER = "x-k8s-aws-id"
URL_EXPIRES = 60
# EKS accepts a token for 15 minutes after signing; clients refresh a minute early.
TOKEN_LIFETIME = timedelta(minutes=14)
EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"


def sts_host(region: str) -> str:
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"sts.{region}.{suffix}"


@dataclass(frozen=True)
class Token:
    value: str
    expires: datetime

    def exec_credential(self) -> dict[str, object]:
        return {
            "kind": "ExecCredential",
            "apiVersion": EXEC_API_VERSION,
            "spec": {},
            "status": {
                "expirationTimestamp": self.expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "token": self.value,
            },
        }


def get_token(session: boto3.Session, cluster: str, region: str,
              now: datetime | None = None) -> Token:
    """Sign the token with ``session``'s credentials (masked before it is returned)."""
    from botocore.model import ServiceId  # noqa: PLC0415
    from botocore.signers import RequestSigner  # noqa: PLC0415

    from release_kit.aws import aws_errors  # noqa: PLC0415

    with aws_errors("signing the EKS token"):
        credentials = session.get_credentials()
        if credentials is None:
            from botocore.exceptions import NoCredentialsError  # noqa: PLC0415

            raise NoCredentialsError
        signer = RequestSigner(ServiceId("sts"), region, "sts", "v4", credentials, session.events)
        url = signer.generate_presigned_url(
            {
                "method": "GET",
                "url": f"https://{sts_host(region)}/?Action=GetCallerIdentity&Version=2011-06-15",
                "body": {},
                "headers": {CLUSTER_HEADER: cluster},
                "context": {},
            },
            operation_name="GetCallerIdentity",
            region_name=region,
            expires_in=URL_EXPIRES,
        )
    encoded = base64.urlsafe_b64encode(url.encode("utf-8")).decode("ascii").rstrip("=")
    token = Token(PREFIX + encoded, (now or datetime.now(UTC)) + TOKEN_LIFETIME)
    commands.add_mask(token.value)
    return token


def plugin_args(
    cluster: str, region: str, role_arns: Sequence[str], session_name: str
) -> list[str]:
    """The ``eks-token`` arguments that reproduce this chain (role ARNs are not secrets)."""
    args = ["eks-token", "--cluster", cluster, "--region", region]
    for arn in role_arns:
        args += ["--role-arn", arn]
    if session_name:
        args += ["--session-name", session_name]
    return args


def main(argv: Sequence[str]) -> int:
    """``release-kit eks-token``: print an ExecCredential on stdout (nothing else goes there)."""
    parser = argparse.ArgumentParser(
        prog="release-kit eks-token",
        description="Print an EKS ExecCredential (like `aws eks get-token`), assuming the given "
        "roles in order from the environment's AWS credentials.",
    )
    parser.add_argument("--cluster", required=True, help="EKS cluster name")
    parser.add_argument("--region", required=True, help="AWS region of the cluster")
    parser.add_argument("--role-arn", action="append", default=[],
                        help="role to assume, in order (repeat for a chain)")
    parser.add_argument("--session-name", default="release-kit-eks-token",
                        help="role session name")
    args = parser.parse_args(list(argv))

    from release_kit.aws import assume_role_chain  # noqa: PLC0415
    from release_kit.errors import ReleaseKitError  # noqa: PLC0415

    # stdout belongs to the ExecCredential; masks (and anything else) go to stderr, which
    # kubectl and helm pass through to the log.
    with contextlib.redirect_stdout(sys.stderr):
        try:
            session = assume_role_chain(args.region, args.role_arn, args.session_name)
            token = get_token(session, args.cluster, args.region)
        except ReleaseKitError as exc:
            print(f"release-kit eks-token: {exc}", file=sys.stderr)
            return 1
    sys.stdout.write(json.dumps(token.exec_credential()) + "\n")
    return 0
