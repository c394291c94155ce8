"""``release-kit sandbox``: serve the GitHub emulator, moto and a Kubernetes API until interrupted.

    release-kit sandbox [--repo OWNER/NAME[=PATH] ...] [--user LOGIN ...]
                        [--collaborators OWNER/NAME=LOGIN[,LOGIN...] ...]
                        [--host ADDRESS] [--port N] [--aws-port N] [--no-aws] [--no-kube]
                        [--env-file FILE]

The Kubernetes API (``release_kit_sandbox.kube.FakeKubernetes``, what deploy-helmfile reads and
writes) is exported as ``SANDBOX_KUBE_SERVER``: the ``server`` of a kubeconfig for it.

Seeds each ``--repo`` (from the local git repository at PATH: all branches and tags; without
PATH one commit on ``main``), each ``--user`` (assignable in every repository) and each
``--collaborators`` list (the only users assignable in that repository), prints
``export NAME=value`` lines (flushed at once) and serves until SIGINT or SIGTERM, then exits 0.
Faults are injected and the request log read over HTTP under ``$GITHUB_API_URL/_sandbox/``
(see the sandbox README). Scripting:

    release-kit sandbox --repo acme/web --env-file .sandbox.env &
    while [ ! -s .sandbox.env ]; do sleep 0.1; done; . ./.sandbox.env
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import shlex
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from release_kit_sandbox.kube import FakeKubernetes
from release_kit_sandbox.runtime import Sandbox

EXPORT_ORDER = (
    "GITHUB_API_URL",
    "GITHUB_SERVER_URL",
    "GITHUB_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
)
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
HOST_NAME = re.compile(rf"{_LABEL}(\.{_LABEL})*")


def _repo_spec(value: str) -> tuple[str, Path | None]:
    name, sep, path = value.partition("=")
    owner, slash, repo = name.partition("/")
    if not owner or not slash or not repo or "/" in repo:
        raise argparse.ArgumentTypeError(f"expected OWNER/NAME[=PATH], got {value!r}")
    if sep:
        source = Path(path).expanduser()
        if not (source / ".git").exists() and not (source / "HEAD").exists():
            raise argparse.ArgumentTypeError(f"{path!r} is not a git repository")
        return name, source
    return name, None


def _collaborators_spec(value: str) -> tuple[str, list[str]]:
    name, sep, logins = value.partition("=")
    owner, slash, repo = name.partition("/")
    users = [login.strip() for login in logins.split(",") if login.strip()]
    if not owner or not slash or not repo or "/" in repo or not sep:
        raise argparse.ArgumentTypeError(
            f"expected OWNER/NAME=LOGIN[,LOGIN...] (empty after '=': nobody), got {value!r}"
        )
    return name, users
def _host(value: str) -> str:
    """An address to listen on that is also one to connect to (it goes into the URLs)."""
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        if not HOST_NAME.fullmatch(value):
            raise argparse.ArgumentTypeError(
                f"expected an IPv4 address or a host name, got {value!r}") from None
        return value
    if address.version != 4:
        raise argparse.ArgumentTypeError(f"expected an IPv4 address, got {value!r} (IPv6)")
    if address.is_unspecified:
        raise argparse.ArgumentTypeError(
            f"{value} listens everywhere but is no address to connect to; give the address "
            "clients use (e.g. a Docker bridge's gateway)"
        )
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="release-kit sandbox",
        description="Serve a local GitHub API emulator and a moto (AWS) server.",
    )
    p.add_argument(
        "--repo",
        action="append",
        default=[],
        type=_repo_spec,
        metavar="OWNER/NAME[=PATH]",
        help="repository to create; seeded from the git repository at PATH when given",
    )
    p.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="LOGIN",
        help="a known user, assignable in every repository without --collaborators",
    )
    p.add_argument(
        "--collaborators",
        action="append",
        default=[],
        type=_collaborators_spec,
        metavar="OWNER/NAME=LOGIN[,LOGIN...]",
        help="the only users (besides the owner) assignable in that --repo",
    )
    p.add_argument("--host", type=_host, default="127.0.0.1", metavar="ADDRESS",
                   help="address to listen on, named in the exported URLs (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="GitHub API port (default: a free one)")
    p.add_argument("--aws-port", type=int, default=0, help="moto port (default: a free one)")
    p.add_argument("--no-aws", action="store_true", help="do not start moto")
    p.add_argument("--no-kube", action="store_true",
                   help="do not start the Kubernetes API (SANDBOX_KUBE_SERVER)")
    p.add_argument("--env-file", type=Path, help="also write the export lines to this file")
    return p


def exports(env: dict[str, str]) -> list[str]:
    """``export NAME=value`` lines, shell-quoted, in a stable order."""
    names = [n for n in EXPORT_ORDER if n in env] + sorted(set(env) - set(EXPORT_ORDER))
    return [f"export {name}={shlex.quote(env[name])}" for name in names]


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(list(sys.argv[1:] if argv is None else argv))
    repos = {name.lower() for name, _ in args.repo}
    for name, _ in args.collaborators:
        if name.lower() not in repos:
            p.error(f"--collaborators {name}: no such --repo; add --repo {name}")
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    sandbox = Sandbox(aws=not args.no_aws, github_port=args.port, aws_port=args.aws_port,
                      host=args.host)
    kube = None if args.no_kube else FakeKubernetes(host=args.host)
    try:
        sandbox.start()
        env = sandbox.env()
        if kube is not None:
            kube.__enter__()
            env["SANDBOX_KUBE_SERVER"] = kube.url
        for name, source in args.repo:
            sandbox.github.create_repo(name, source=source)
        for login in args.user:
            sandbox.github.add_user(login)
        for name, logins in args.collaborators:
            sandbox.github.set_collaborators(name, logins)
        lines = exports(env)
        text = "\n".join(lines) + "\n"
        if args.env_file:
            tmp = args.env_file.with_name(args.env_file.name + ".tmp")
            tmp.write_text(text)
            os.replace(tmp, args.env_file)
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:  # the reader (e.g. `head`) went away; keep serving
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        served = ", ".join(name for name, _ in args.repo) or "none"
        print(f"release-kit sandbox: serving {sandbox.github.url} (repos: {served}); "
              "Ctrl-C to stop", file=sys.stderr, flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        if kube is not None:
            kube.__exit__()
        sandbox.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
