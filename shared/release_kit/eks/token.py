"""EKS bearer tokens, built as ``aws eks get-token`` builds them, and the exec plugin tool.

A token is a presigned STS ``GetCallerIdentity`` URL on the regional STS host, with the
``x-k8s-aws-id: <cluster>`` header signed into it and ``X-Amz-Expires=60``, encoded as
``k8s-aws-v1.`` + unpadded base64url. EKS calls that URL to learn who the caller is, so the
token carries no secret beyond a short-lived signature; it is still masked.

``release-kit eks-token --cluster C --region R [--role-arn A]...`` prints an ``ExecCredential``
for kubectl/helm, minted from the environment's credentials through the role chain.

**Inside the action the plugin mints nothing.** A token minted in helm's process could only be
masked by a ``::add-mask::`` line on helm's stderr, which reaches the log only if helmfile passes
it through (``helmfile list`` does not). So deploy-helmfile keeps a :class:`TokenCache`: it mints
the token in its own process, masks it (the ``::add-mask::`` line is flushed first), and only then
writes it to a file (0600) in its private temporary folder; a thread replaces it before it runs
out. The kubeconfig's plugin is ``eks-token --token-cache FILE``, which serves that token while it
is valid for another minute and otherwise fails (it never mints one the log could not mask).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from release_kit.action import commands
from release_kit.aws import assume_role_chain, aws_errors
from release_kit.errors import ReleaseKitError

if TYPE_CHECKING:
    import boto3

PREFIX = "k8s-aws-v1."
CLUSTER_HEADER = "x-k8s-aws-id"
URL_EXPIRES = 60
# EKS accepts a token for 15 minutes after signing; clients refresh a minute early.
TOKEN_LIFETIME = timedelta(minutes=14)
EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"
# The action replaces its token when less than this is left; the plugin never serves one with
# less than SERVE_MARGIN left (helm caches it until its expirationTimestamp).
REFRESH_BEFORE = timedelta(minutes=5)
SERVE_MARGIN = timedelta(seconds=60)
CHECK_EVERY = 30.0


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
    from botocore.model import ServiceId  # noqa: PLC0415 - botocore: only when a token is signed
    from botocore.signers import RequestSigner  # noqa: PLC0415 - as ServiceId


    with aws_errors("signing the EKS token"):
        credentials = session.get_credentials()
        if credentials is None:
            from botocore.exceptions import NoCredentialsError  # noqa: PLC0415 - as ServiceId

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


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_cached(path: Path, cluster: str, token: Token) -> None:
    """Replace the cache file atomically; it is private (0600) from its first byte."""
    fd, name = tempfile.mkstemp(prefix=".eks-token-", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"cluster": cluster, "token": token.value,
                       "expires": _timestamp(token.expires)}, fh)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def read_cached(path: Path, cluster: str, now: datetime | None = None) -> Token | None:
    """The cached token of ``cluster`` if it is valid for SERVE_MARGIN more, else None."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        expires = datetime.strptime(str(data["expires"]), "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=UTC)
        value = str(data["token"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if data.get("cluster") != cluster or not value.startswith(PREFIX):
        return None
    if expires - (now or datetime.now(UTC)) < SERVE_MARGIN:
        return None
    return Token(value, expires)


class TokenCache:
    """The action's EKS token: minted in this process, masked, then shared with the plugin.

    ``mint`` returns a new token (``get_token`` masks it before it returns). :meth:`current`
    mints when there is no token or less than REFRESH_BEFORE is left, and writes the cache file
    only after the mask is out; :meth:`kept_fresh` does so every CHECK_EVERY seconds in a thread
    while helmfile runs.
    """

    def __init__(self, path: Path, cluster: str, mint: Callable[[], Token],
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.path, self.cluster = path, cluster
        self._mint, self._now = mint, now
        self._lock = threading.Lock()
        self._token: Token | None = None
        self.minted = 0

    def current(self) -> Token:
        with self._lock:
            if self._token is None or self._token.expires - self._now() < REFRESH_BEFORE:
                token = self._mint()
                commands.add_mask(token.value)  # get_token did; a mint of another kind must too
                write_cached(self.path, self.cluster, token)
                self._token = token
                self.minted += 1
            return self._token

    @contextlib.contextmanager
    def kept_fresh(self, every: float = CHECK_EVERY) -> Iterator[TokenCache]:
        """The cache, with a token now and a thread that refreshes it until the body ends."""
        self.current()
        stop = threading.Event()

        def refresh() -> None:
            while not stop.wait(every):
                try:
                    self.current()
                except Exception as exc:  # the next check tries again; helm fails if it must
                    commands.warning(f"Could not refresh the EKS token: {exc}",
                                     title="EKS token")

        thread = threading.Thread(target=refresh, name="eks-token-refresh", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join(timeout=5)


def plugin_args(
    cluster: str, region: str, role_arns: Sequence[str], session_name: str,
    token_cache: Path | None = None,
) -> list[str]:
    """The ``eks-token`` arguments: serve ``token_cache``, else reproduce the role chain (role
    ARNs are not secrets)."""
    args = ["eks-token", "--cluster", cluster, "--region", region]
    if token_cache is not None:
        return [*args, "--token-cache", str(token_cache)]
    for arn in role_arns:
        args += ["--role-arn", arn]
    if session_name:
        args += ["--session-name", session_name]
    return args


def eks_token(argv: Sequence[str]) -> int:
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
    parser.add_argument("--token-cache", type=Path, default=None,
                        help="serve the token the deploy-helmfile process minted and masked in "
                        "this file (never mint one)")
    args = parser.parse_args(list(argv))

    if args.token_cache is not None:
        cached = read_cached(args.token_cache, args.cluster)
        if cached is None:
            print(f"release-kit eks-token: no valid token for {args.cluster} in "
                  f"{args.token_cache} (deploy-helmfile refreshes it while it runs; a token "
                  "this plugin minted could not be masked in the log, so it mints none).",
                  file=sys.stderr)
            return 1
        sys.stdout.write(json.dumps(cached.exec_credential()) + "\n")
        return 0

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
