"""Find a container engine that actually works, and build the action image with it.

Shared by the container test and the image benchmark. An engine counts only if ``<engine> info``
succeeds: a ``docker`` client without a daemon does not.

Environment:

- ``RELEASE_KIT_CONTAINER_ENGINE``: the engine command to use, or ``none`` to use none (the
  container tests then skip; this is how the skip path is exercised on a machine that has one).
- ``RELEASE_KIT_CONTAINER_TESTS=required``: no working engine fails the container tests instead
  of skipping them (.ci/run sets it: CI starts an engine, tools/docker-engine.sh).
- ``CONTAINER``: the engine command ``../shared/tools/container-engine.sh env`` exports.
- ``BASE_IMAGE``: the image to build FROM. Unset: the Dockerfile's pinned default when the engine
  has it, else the stand-in tools/docker-engine.sh makes where no registry answers (a digest names
  content, so no local image can answer to the pinned reference; docs/image.md).
- ``RELEASE_KIT_IMAGE_HELM_TOOLS``: the Dockerfile's INSTALL_HELM_TOOLS (default ``auto``, the
  Dockerfile's own default, which runners and act use: offline the helm tools are skipped).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGINE_ENV = "RELEASE_KIT_CONTAINER_ENGINE"
REQUIRED_ENV = "RELEASE_KIT_CONTAINER_TESTS"
# docker before podman: podman resolves the Dockerfile's short base-image name only where
# registries.conf has search registries (see base_image for how that is avoided).
CANDIDATES = ("podman-local", "docker", "podman")
# The Dockerfile's default base: python:3.12-slim pinned by digest (`make lock` updates it).
DEFAULT_BASE_IMAGE = re.search(r"^ARG BASE_IMAGE=(\S+)$", (ROOT / "Dockerfile").read_text(),
                               re.MULTILINE)[1]  # type: ignore[index]
# Local Debian bases for machines where no registry is reachable, used when BASE_IMAGE is not set
# and the engine lacks the default: tools/docker-engine.sh's stand-in (docker), and the one
# ../shared/tools/container-engine.sh imports (podman).
STAND_IN_IMAGE = "localhost/release-kit-base:stand-in"
LOCAL_BASE_IMAGES = (STAND_IN_IMAGE, "localhost/python-base:3.11-bookworm")
DOCKERFILE_DEFAULTS = {"BASE_IMAGE": DEFAULT_BASE_IMAGE, "INSTALL_HELM_TOOLS": "auto"}
BUILD_INPUTS = ("Dockerfile", ".dockerignore", "requirements", "shared", "actions")


@dataclass(frozen=True)
class Engine:
    command: str
    is_podman: bool

    def argv(self, *args: str) -> list[str]:
        return [self.command, *args]

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(*args), capture_output=True, text=True, timeout=timeout, check=False
        )

    def has_image(self, ref: str) -> bool:
        return self.run("image", "inspect", ref, timeout=60).returncode == 0

    def bridge_gateway(self) -> str:
        """The host's address on the engine's default bridge network: where a container started
        without ``--network`` (a GitHub-hosted runner's Docker action) reaches the host."""
        network, template = (("podman", "{{range .Subnets}}{{.Gateway}}{{end}}") if self.is_podman
                             else ("bridge", "{{range .IPAM.Config}}{{.Gateway}}{{end}}"))
        proc = self.run("network", "inspect", network, "--format", template, timeout=60)
        gateway = proc.stdout.strip()
        if proc.returncode != 0 or not gateway:
            raise RuntimeError(f"no gateway for the {network} network: {proc.stderr.strip()}")
        return gateway


def _works(command: str, environ: Mapping[str, str]) -> tuple[bool, bool]:
    """(engine runs, is podman) for ``command`` resolved on ``environ['PATH']``."""
    path = shutil.which(command, path=environ.get("PATH", ""))
    if path is None:
        return False, False
    try:
        info = subprocess.run(
            [path, "info"], capture_output=True, text=True, timeout=30, check=False,
            env=dict(environ),
        )
        version = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=30, check=False,
            env=dict(environ),
        )
    except (OSError, subprocess.TimeoutExpired):
        return False, False
    return info.returncode == 0, "podman" in version.stdout.lower()


def find_engine(environ: Mapping[str, str] | None = None) -> tuple[Engine | None, str]:
    """The first working engine, or None and why there is none (a skip reason)."""
    env = os.environ if environ is None else environ
    override = env.get(ENGINE_ENV, "").strip()
    if override.lower() == "none":
        return None, f"{ENGINE_ENV}=none: container engine disabled"
    candidates = [override] if override else [c for c in (env.get("CONTAINER"), *CANDIDATES) if c]
    tried = []
    for command in candidates:
        works, is_podman = _works(command, env)
        if works:
            resolved = shutil.which(command, path=env.get("PATH", "")) or command
            return Engine(resolved, is_podman), ""
        tried.append(command)
    return None, f"no working container engine (tried {', '.join(tried)}: missing or `info` fails)"


def engine_required(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return env.get(REQUIRED_ENV, "").strip().lower() == "required"


def base_image(engine: Engine, environ: Mapping[str, str] | None = None) -> str | None:
    """The BASE_IMAGE build argument: $BASE_IMAGE, else the Dockerfile default when present
    locally, else a local Debian base image when present; else the build pulls the default
    (fully qualified for podman, which may have no search registries for short names)."""
    env = os.environ if environ is None else environ
    if env.get("BASE_IMAGE"):
        return env["BASE_IMAGE"]
    if engine.has_image(DEFAULT_BASE_IMAGE):
        return DEFAULT_BASE_IMAGE
    for local in LOCAL_BASE_IMAGES:
        if engine.has_image(local):
            return local
    return f"docker.io/library/{DEFAULT_BASE_IMAGE}" if engine.is_podman else None


def build_args(engine: Engine, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The build arguments that differ from the Dockerfile's defaults. The classic builder keys
    its cache on the arguments passed, not only on their values: without needless ones the
    image shares layers with the builds of act and of a runner, which pass none (act's up to the
    first COPY: its build context carries other file metadata)."""
    env = os.environ if environ is None else environ
    args = {"INSTALL_HELM_TOOLS": env.get("RELEASE_KIT_IMAGE_HELM_TOOLS", "auto")}
    base = base_image(engine, env)
    if base:
        args["BASE_IMAGE"] = base
    return {key: value for key, value in args.items() if DOCKERFILE_DEFAULTS.get(key) != value}


def content_tag(args: Mapping[str, str]) -> str:
    """An image tag derived from everything the build reads: same inputs, same (reused) image."""
    digest = hashlib.sha256()
    for key in sorted(args):
        digest.update(f"{key}={args[key]}\n".encode())
    for name in BUILD_INPUTS:
        path = ROOT / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if "__pycache__" in file.parts or file.suffix == ".pyc" or ".egg-info" in str(file):
                continue
            digest.update(str(file.relative_to(ROOT)).encode())
            digest.update(file.read_bytes() if file.exists() else b"")
    return f"localhost/release-kit-test:{digest.hexdigest()[:16]}"


@dataclass(frozen=True)
class BuiltImage:
    tag: str
    seconds: float  # 0.0 when an existing image was reused
    reused: bool


def build_image(engine: Engine, environ: Mapping[str, str] | None = None,
                *, force: bool = False, timeout: float = 900) -> BuiltImage:
    """Build the repository's Dockerfile (or reuse the image built from the same inputs)."""
    args = build_args(engine, environ)
    tag = content_tag(args)
    if not force and engine.has_image(tag):
        return BuiltImage(tag, 0.0, reused=True)
    argv = ["build", "-t", tag, "-f", str(ROOT / "Dockerfile")]
    if engine.is_podman:
        argv += ["--format", "docker"]  # keeps the Dockerfile's SHELL (OCI format drops it)
    for key, value in args.items():
        argv += ["--build-arg", f"{key}={value}"]
    started = time.monotonic()
    proc = engine.run(*argv, str(ROOT), timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(
            f"image build failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )
    seconds = time.monotonic() - started
    remove_stale_images(engine, keep=tag)
    return BuiltImage(tag, seconds, reused=False)


def remove_stale_images(engine: Engine, keep: str) -> None:
    """Drop earlier test images (built from older sources) so they do not pile up on disk."""
    repository = keep.rpartition(":")[0]
    listed = engine.run("images", "--format", "{{.Repository}}:{{.Tag}}", timeout=60)
    stale = [ref for ref in listed.stdout.split()
             if ref.rpartition(":")[0] == repository and ref != keep]
    if stale:
        engine.run("rmi", *stale, timeout=120)  # best effort: an image in use stays


def image_size(engine: Engine, tag: str) -> int:
    """Image size in bytes."""
    proc = engine.run("image", "inspect", tag, "--format", "{{.Size}}", timeout=60)
    proc.check_returncode()
    return int(proc.stdout.strip().splitlines()[0])
