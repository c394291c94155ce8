"""``release-kit sandbox``: the GitHub emulator, moto, a Kubernetes API and a simulated helmfile.

    release-kit sandbox [--repo OWNER/NAME[=PATH] ...] [--user LOGIN ...]
                        [--collaborators OWNER/NAME=LOGIN[,LOGIN...] ...]
                        [--token LOGIN=TOKEN[:PERMISSION=LEVEL,...] ...]
                        [--pr REPO:HEAD[:base=B][:title=T][:labels=A,B][:merged] ...]
                        [--ecr-image REPO[:TAG] ...]
                        [--host ADDRESS] [--port N] [--aws-port N] [--no-aws] [--no-kube]
                        [--env-file FILE] [--background [--log FILE]]

Starts everything, seeds what the flags ask for (``release_kit_sandbox.seed``), then prints
``export NAME=value`` lines (flushed at once) and serves until SIGINT or SIGTERM, then exits 0.
The exports point the actions at the sandbox: ``GITHUB_API_URL``, ``GITHUB_SERVER_URL`` (where
repositories are clonable: ``$GITHUB_SERVER_URL/OWNER/NAME.git``), ``GITHUB_TOKEN``,
``AWS_ENDPOINT_URL`` and dummy AWS credentials; ``SANDBOX_KUBE_SERVER`` and
``SANDBOX_KUBECONFIG`` (the Kubernetes API and a kubeconfig for it: deploy-helmfile's
``kubeconfig`` input); ``SANDBOX_BIN``, the folder of the simulated ``helmfile``, and ``PATH``:
the PATH this command was given with that folder first; ``SANDBOX_PID`` (``kill
"$SANDBOX_PID"`` stops it). Every value is literal, so the lines can be read as NAME=value
pairs as well as sourced.

If anything cannot start or be seeded, the reason is printed and the exit code is 1 before any
export line is written (usage errors: 2). ``--background`` serves from a child process and
returns once the sandbox is ready (0, the exports on stdout: ``eval "$(release-kit sandbox
--background ...)"``) or could not start (1, the reason on stderr); its output goes to ``--log``
(default: ``sandbox.log`` in its working folder, exported as ``SANDBOX_LOG``).
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from release_kit_sandbox.github.gitrepo import GitCommandError
from release_kit_sandbox.kube import FakeKubernetes, install_simulated_helmfile
from release_kit_sandbox.runtime import AWS_ENV, Sandbox
from release_kit_sandbox.seed import (
    ImageSpec,
    PullSpec,
    SeedError,
    TokenSpec,
    make_pull,
    push_image,
)

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


class StartupError(Exception):
    """The sandbox could not start or be seeded; the message says why."""


def _repo_spec(value: str) -> tuple[str, Path | None]:
    name, sep, path = value.partition("=")
    owner, slash, repo = name.partition("/")
    if not owner or not slash or not repo or "/" in repo:
        raise argparse.ArgumentTypeError(f"expected OWNER/NAME[=PATH], got {value!r}")
    if sep:
        source = Path(path).expanduser()
        if not (source / ".git").exists() and not (source / "HEAD").exists():
            raise argparse.ArgumentTypeError(
                f"{path!r} is not a git repository (give the folder of a clone, or leave out "
                f"=PATH for a repository with one commit)")
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


def _parsed(kind: Any) -> Any:
    """An argparse type from a spec class's ``parse`` (its ValueError is the usage error)."""
    def parse(value: str) -> Any:
        try:
            return kind.parse(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = kind.__name__
    return parse


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
        description="Serve a GitHub API emulator, moto (AWS), a Kubernetes API and a simulated "
                    "helmfile, seeded with what the actions need; print export lines.",
        epilog="Stop it with Ctrl-C, or kill \"$SANDBOX_PID\".",
    )
    p.add_argument("--repo", action="append", default=[], type=_repo_spec,
                   metavar="OWNER/NAME[=PATH]",
                   help="repository to create; seeded from the git repository at PATH when given")
    p.add_argument("--user", action="append", default=[], metavar="LOGIN",
                   help="a known user, assignable in every repository without --collaborators")
    p.add_argument("--collaborators", action="append", default=[], type=_collaborators_spec,
                   metavar="OWNER/NAME=LOGIN[,LOGIN...]",
                   help="the only users (besides the owner) assignable in that --repo")
    p.add_argument("--token", action="append", default=[], type=_parsed(TokenSpec),
                   metavar="LOGIN=TOKEN[:PERMISSION=LEVEL,...]",
                   help="a token acting as LOGIN; with permissions (e.g. contents=read,"
                        "issues=write) only those, else everything")
    p.add_argument("--pr", action="append", default=[], type=_parsed(PullSpec),
                   metavar="REPO:HEAD[:base=B][:title=T][:labels=A,B][:merged]",
                   help="a pull request from HEAD (made with one commit if missing) into B "
                        "(default branch), with labels; merged when 'merged' is given")
    p.add_argument("--ecr-image", action="append", default=[], type=_parsed(ImageSpec),
                   metavar="REPO[:TAG]",
                   help="in ECR repository REPO, the image built for the head of REPO's "
                        "default branch, tagged sha-<commit> (or TAG)")
    p.add_argument("--host", type=_host, default="127.0.0.1", metavar="ADDRESS",
                   help="address to listen on, named in the exported URLs (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="GitHub API port (default: a free one)")
    p.add_argument("--aws-port", type=int, default=0, help="moto port (default: a free one)")
    p.add_argument("--no-aws", action="store_true", help="do not start moto")
    p.add_argument("--no-kube", action="store_true",
                   help="no Kubernetes API and no simulated helmfile")
    p.add_argument("--env-file", type=Path, help="also write the export lines to this file")
    p.add_argument("--background", action="store_true",
                   help="serve from a child process; return once ready (exit 0) or not (1)")
    p.add_argument("--log", type=Path, help="with --background: where its output goes")
    return p


def check(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """What the flags say about each other (usage errors, exit 2)."""
    repos = {name.lower() for name, _ in args.repo}
    named = [("--collaborators", name) for name, _ in args.collaborators]
    named += [("--pr", spec.repo) for spec in args.pr]
    named += [("--ecr-image", spec.repo) for spec in args.ecr_image]
    for flag, name in named:
        if name.lower() not in repos:
            p.error(f"{flag} {name}: no such --repo; add --repo {name}")
    if args.ecr_image and args.no_aws:
        p.error("--ecr-image needs AWS (moto): remove --no-aws")
    if args.log and not args.background:
        p.error("--log is for --background (in the foreground the output is yours)")


def exports(env: dict[str, str]) -> list[str]:
    """``export NAME=value`` lines, shell-quoted, in a stable order. Every value is literal (no
    ``$PATH`` to expand): a script may read the lines as NAME=value pairs as well as source them."""
    names = [n for n in EXPORT_ORDER if n in env] + sorted(set(env) - set(EXPORT_ORDER))
    return [f"export {name}={shlex.quote(env[name])}" for name in names]


@dataclass
class Served:
    """Everything a ``release-kit sandbox`` runs, and the environment that reaches it."""

    sandbox: Sandbox
    workdir: Path
    kube: FakeKubernetes | None = None
    env: dict[str, str] = field(default_factory=dict)
    seeded: list[str] = field(default_factory=list)  # one line per seed, for the log


@contextlib.contextmanager
def serving(args: argparse.Namespace, workdir: Path) -> Iterator[Served]:
    """Start and seed everything, or raise StartupError (what started is stopped again)."""
    with contextlib.ExitStack() as stack:
        try:
            sandbox = stack.enter_context(Sandbox(aws=not args.no_aws, github_port=args.port,
                                                  aws_port=args.aws_port, host=args.host))
            served = Served(sandbox, workdir)
            served.env = sandbox.env()
            if not args.no_kube:
                served.kube = stack.enter_context(FakeKubernetes(host=args.host))
                kubeconfig = served.kube.write_kubeconfig(workdir / "kubeconfig")
                helmfile = install_simulated_helmfile(workdir / "bin" / "helmfile")
                bin_dir = str(helmfile.parent)
                served.env.update({"SANDBOX_KUBE_SERVER": served.kube.url,
                                   "SANDBOX_KUBECONFIG": str(kubeconfig),
                                   "SANDBOX_BIN": bin_dir,
                                   # the caller's PATH (ours) with the simulated helmfile first
                                   "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")])})
            seed(served, args)
        except (SeedError, GitCommandError, OSError, subprocess.SubprocessError) as exc:
            raise StartupError(str(exc)) from exc
        yield served


def seed(served: Served, args: argparse.Namespace) -> None:
    emu = served.sandbox.github
    for name, source in args.repo:
        repo = emu.create_repo(name, source=source)
        served.seeded.append(f"repository {name} ({repo.default_branch})")
    for login in args.user:
        emu.add_user(login)
    for name, logins in args.collaborators:
        emu.set_collaborators(name, logins)
    for spec in args.token:
        emu.add_token(spec.token, login=spec.login, permissions=spec.permissions)
        served.seeded.append(f"token of {spec.login}"
                             + (f" ({', '.join(f'{k}: {v}' for k, v in spec.permissions.items())})"
                                if spec.permissions else ""))
    for pull in args.pr:
        number = make_pull(emu, pull)
        served.seeded.append(f"{pull.repo}#{number} from {pull.head}"
                             + (f" [{', '.join(pull.labels)}]" if pull.labels else "")
                             + (" merged" if pull.merged else ""))
    if args.ecr_image:
        import boto3  # noqa: PLC0415 - boto3: only an --ecr-image pays for it

        ecr = boto3.client("ecr", endpoint_url=served.sandbox.aws_endpoint,
                           region_name=AWS_ENV["AWS_REGION"],
                           aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
                           aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"])
        for image in args.ecr_image:
            repo = emu.repo(image.repo)
            head = repo.git.resolve(f"refs/heads/{repo.default_branch}")
            if head is None:
                raise SeedError(f"--ecr-image {image.repo}: its default branch has no commit")
            tag = image.tag or f"sha-{head}"
            push_image(ecr, image.repo, tag, head, f"{emu.server_url}/{image.repo}")
            served.seeded.append(f"ECR image {image.repo}:{tag} (revision {head[:7]})")
    emu.clear_requests()  # the request log starts with the first request of yours


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(list(sys.argv[1:] if argv is None else argv))
    check(p, args)
    if args.background:
        return _background(args)
    return _foreground(args)


def _ready_text(served: Served, args: argparse.Namespace) -> str:
    served.env["SANDBOX_PID"] = str(os.getpid())
    text = "\n".join(exports(served.env)) + "\n"
    if args.env_file:
        tmp = args.env_file.with_name(args.env_file.name + ".tmp")
        tmp.write_text(text)
        os.replace(tmp, args.env_file)
    return text


def _status(served: Served, args: argparse.Namespace) -> str:
    repos = ", ".join(name for name, _ in args.repo) or "none"
    lines = [f"release-kit sandbox: serving {served.sandbox.github.url} (repos: {repos}); "
             "Ctrl-C to stop"]
    lines += [f"  seeded {line}" for line in served.seeded]
    return "\n".join(lines)


@contextlib.contextmanager
def _signals() -> Iterator[threading.Event]:
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _foreground(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="release-kit-sandbox-"))
    try:
        with _signals() as stop, serving(args, workdir) as served:
            text = _ready_text(served, args)
            try:
                sys.stdout.write(text)
                sys.stdout.flush()
            except BrokenPipeError:  # the reader (e.g. `head`) went away; keep serving
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            print(_status(served, args), file=sys.stderr, flush=True)
            while not stop.wait(0.5):
                pass
    except StartupError as exc:
        print(f"release-kit sandbox: could not start: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def _background(args: argparse.Namespace) -> int:
    """Fork before anything starts (no threads yet); the child reports ready or not through a
    pipe, then serves with its output in the log; the parent prints what it heard and exits."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write_end)
        with os.fdopen(read_end, "rb") as pipe:
            heard = pipe.read().decode()
        status, _, text = heard.partition("\n")
        if status == "ready":
            sys.stdout.write(text)
            sys.stdout.flush()
            return 0
        os.waitpid(pid, 0)
        print(f"release-kit sandbox: could not start: {text or 'it exited'}", file=sys.stderr)
        return 1
    os.close(read_end)
    os.setsid()  # not in the caller's process group: its Ctrl-C is not ours
    workdir = Path(tempfile.mkdtemp(prefix="release-kit-sandbox-"))
    told = False
    code = 0
    try:
        with _signals() as stop, serving(args, workdir) as served:
            log = args.log or workdir / "sandbox.log"
            served.env["SANDBOX_LOG"] = str(log)
            text = _ready_text(served, args)
            with open(log, "ab") as out, open(os.devnull, "rb") as nothing:
                os.dup2(nothing.fileno(), 0)
                os.dup2(out.fileno(), 1)
                os.dup2(out.fileno(), 2)
            print(_status(served, args), file=sys.stderr, flush=True)
            os.write(write_end, f"ready\n{text}".encode())
            os.close(write_end)
            told = True
            while not stop.wait(0.5):
                pass
    except BaseException as exc:  # the parent waits for a word: it gets the reason
        code = 1
        if not told:
            why = str(exc) if isinstance(exc, StartupError) else f"{type(exc).__name__}: {exc}"
            os.write(write_end, f"failed\n{why}".encode())
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    os._exit(code)


if __name__ == "__main__":
    raise SystemExit(main())
