"""AWS sessions for the actions: environment credentials, an optional role chain, standard retries.

Credentials come from the environment (OIDC via aws-actions/configure-aws-credentials upstream, or
the runner's instance role). ``AWS_ENDPOINT_URL`` (and ``AWS_ENDPOINT_URL_<SERVICE>``) is honoured
by botocore itself, so the same code talks to moto. Every credential minted here is masked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from release_kit.action import commands
from release_kit.errors import (
    ExternalServiceError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    ReleaseKitError,
)

if TYPE_CHECKING:
    import boto3
    from botocore.config import Config

ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_SESSION_NAME_INVALID = re.compile(r"[^\w+=,.@-]")
MAX_SESSION_NAME = 64


def validate_role_arn(arn: str, input_name: str) -> str:
    """An IAM role ARN (``arn:aws:iam::123456789012:role/name``), else an InputError."""
    if not ROLE_ARN.match(arn):
        raise InputError(
            input_name,
            f"{arn!r} is not an IAM role ARN.",
            hint="Use the form arn:aws:iam::<12-digit account id>:role/<role name>.",
        )
    return arn


def session_name(repository: str, run_id: str, suffix: str = "") -> str:
    """A role session name from the repository and run id: ``[\\w+=,.@-]``, at most 64 chars.

    The run id is kept whole (it is what CloudTrail users search for); the repository part is
    shortened first.
    """
    tail = "-".join(p for p in (run_id, suffix) if p)
    tail = _SESSION_NAME_INVALID.sub("-", tail)[:MAX_SESSION_NAME]
    head = _SESSION_NAME_INVALID.sub("-", repository.replace("/", "@")) or "release-kit"
    room = MAX_SESSION_NAME - len(tail) - (1 if tail else 0)
    name = f"{head[:room]}-{tail}" if tail and room > 0 else (tail or head)
    return name[:MAX_SESSION_NAME].strip("-") or "release-kit"


def retry_config() -> Config:
    from botocore.config import Config  # noqa: PLC0415 - botocore: as boto3 in base_session

    return Config(retries={"mode": "standard", "max_attempts": 5}, user_agent_extra="release-kit")


def base_session(region: str) -> boto3.Session:
    import boto3  # noqa: PLC0415 - only actions that talk to AWS pay for boto3

    return boto3.Session(region_name=region)


def assume_role_chain(
    region: str,
    role_arns: Sequence[str],
    session_name: str,
    session: boto3.Session | None = None,
) -> boto3.Session:
    """Assume each role in turn, each with the previous role's credentials.

    ``[]`` returns the environment's session. The credentials of every hop are masked.
    """
    import boto3  # noqa: PLC0415 - as in base_session

    current = session or base_session(region)
    for arn in role_arns:
        sts = current.client("sts", region_name=region, config=retry_config())
        with aws_errors(f"assuming role {arn}"):
            creds = sts.assume_role(RoleArn=arn, RoleSessionName=session_name)["Credentials"]
        for secret in (creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]):
            commands.add_mask(secret)
        current = boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=region,
        )
    return current


def client(session: boto3.Session, service: str, region: str | None = None) -> Any:
    """A client with standard retries (endpoint from ``AWS_ENDPOINT_URL`` when set)."""
    return session.client(  # type: ignore[call-overload]
        service, region_name=region or session.region_name, config=retry_config()
    )


_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
           "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken",
           "ExpiredTokenException"}


@contextmanager
def aws_errors(doing: str) -> Iterator[None]:
    """Translate botocore errors into typed errors that say what to do."""
    from botocore.exceptions import (  # noqa: PLC0415 - botocore: as boto3 in base_session
        BotoCoreError,
        ClientError,
        NoCredentialsError,
    )

    try:
        yield
    except NoCredentialsError as exc:
        raise PermissionDeniedError(
            f"No AWS credentials were found while {doing}.",
            hint="Configure credentials before this step (aws-actions/configure-aws-credentials "
            "with OIDC and `permissions: id-token: write`), or use a runner with an instance role.",
        ) from exc
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        message = str(error.get("Message", ""))
        err: ReleaseKitError
        if code in _DENIED:
            err = PermissionDeniedError(
                f"AWS denied {doing}: {code}: {message}",
                hint="Check the role's IAM policy and trust relationship.",
                code=code,
            )
        elif code.endswith("NotFoundException") or code == "ResourceNotFound":
            err = NotFoundError(f"AWS found nothing while {doing}: {code}: {message}", code=code)
        else:
            err = ExternalServiceError(f"AWS failed while {doing}: {code}: {message}", code=code)
        raise err from exc
    except BotoCoreError as exc:
        raise ExternalServiceError(f"AWS failed while {doing}: {exc}") from exc
