#!/usr/bin/env python3
"""Regenerate what pins the action image: the two lock files and the base image's digest.

    make lock               # after a change to pyproject.toml's dependencies or requirements/*.in
    make lock UPGRADE=1     # the suite's dependency update: newest versions the ranges allow
    make lock BASE=keep     # the lock files only (where Docker Hub cannot be reached)

- ``requirements/image.txt``: every runtime dependency of the product (pyproject.toml's
  ``[project] dependencies`` and theirs), one version each with the sha256 of every wheel and
  sdist, for Linux and Python >= 3.11 (``uv pip compile --universal --generate-hashes``), less
  the packages ``requirements/image-excludes.txt`` names (with why). The Dockerfile installs it
  with ``uv pip install --require-hashes --no-deps --no-build``.
- ``requirements/build.txt``: the installer the Dockerfile runs (and removes in the same step),
  from ``requirements/build.in`` (uv alone), hash-pinned.
- The Dockerfile's ``ARG BASE_IMAGE=<image>:<tag>@sha256:<digest>``: the digest Docker Hub
  serves for the tag now (the multi-platform index: ``skopeo inspect --raw``), which must list
  linux/amd64 and linux/arm64.

Without ``--upgrade`` the versions already locked are kept where they still fit (uv reads the
current file as preferences). Everything is computed first and written last: a failure (PyPI or
Docker Hub unreachable, a resolution conflict) changes no file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASE_LINE = re.compile(
    r"^ARG BASE_IMAGE=(?P<name>[^@\s]+?)(?:@(?P<digest>sha256:[0-9a-f]{64}))?$", re.MULTILINE)
REQUIRED_PLATFORMS = ("linux/amd64", "linux/arm64")
INDEX_TYPES = {"application/vnd.oci.image.index.v1+json",
               "application/vnd.docker.distribution.manifest.list.v2+json"}
COMPILE = ["--universal", "--python-version", "3.11", "--generate-hashes", "--no-build",
           "--quiet", "--custom-compile-command", "make lock"]


class LockError(Exception):
    pass


def compile_lock(uv: str, root: Path, inputs: Sequence[str], output: Path, *, current: Path,
                 upgrade: bool, extra: Sequence[str] = ()) -> str:
    """``uv pip compile`` into ``output`` (seeded with ``current``), run from the repository
    root so that the file's comments name paths relative to it. Returns the new text."""
    if current.is_file() and not upgrade:
        shutil.copyfile(current, output)
    argv = [uv, "pip", "compile", *inputs, *COMPILE, *extra, "--output-file", str(output)]
    if upgrade:
        argv.append("--upgrade")
    proc = subprocess.run(argv, cwd=root, capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        raise LockError(f"uv pip compile {' '.join(inputs)} failed:\n{proc.stderr.strip()}")
    return output.read_text(encoding="utf-8")


def qualified(name: str) -> str:
    """Docker's normalisation of a short name: python:3.12 -> docker.io/library/python:3.12."""
    first = name.split("/", 1)[0]
    if "/" not in name:
        return f"docker.io/library/{name}"
    if "." not in first and ":" not in first and first != "localhost":
        return f"docker.io/{name}"
    return name


def base_digest(name: str) -> str:
    """The digest of the multi-platform index the registry serves for ``name`` now."""
    skopeo = shutil.which("skopeo")
    if skopeo is None:
        raise LockError("skopeo is not installed (it reads the base image's digest): install it "
                        "(`apt-get install skopeo`), or run `make lock BASE=keep`")
    reference = f"docker://{qualified(name)}"
    try:
        proc = subprocess.run([skopeo, "inspect", "--raw", reference], capture_output=True,
                              timeout=120, check=False)
    except subprocess.TimeoutExpired as exc:
        raise LockError(f"{reference} did not answer in 120 s; run where its registry answers, "
                        "or `make lock BASE=keep`") from exc
    if proc.returncode != 0:
        detail = proc.stderr.decode(errors="replace").strip().splitlines()
        raise LockError(f"cannot read {reference}: {detail[-1] if detail else 'no output'}. "
                        "Run where its registry answers, or `make lock BASE=keep` to regenerate "
                        "the lock files only")
    try:
        manifest = json.loads(proc.stdout)
    except ValueError as exc:
        raise LockError(f"{reference}: the registry's answer is not a manifest") from exc
    if manifest.get("mediaType") not in INDEX_TYPES:
        raise LockError(f"{reference} is a single-platform manifest ({manifest.get('mediaType')}); "
                        f"the base must be a multi-platform index: {', '.join(REQUIRED_PLATFORMS)}")
    platforms = {f"{m.get('platform', {}).get('os')}/{m.get('platform', {}).get('architecture')}"
                 for m in manifest.get("manifests", [])}
    missing = [p for p in REQUIRED_PLATFORMS if p not in platforms]
    if missing:
        raise LockError(f"{reference} has no {', '.join(missing)} image")
    return "sha256:" + hashlib.sha256(proc.stdout).hexdigest()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--uv", required=True,
                        help="the uv binary (make lock installs the pinned one)")
    parser.add_argument("--upgrade", action="store_true", help="newest versions the ranges allow")
    parser.add_argument("--keep-base-digest", action="store_true",
                        help="leave the Dockerfile's base digest as it is")
    parser.add_argument("--root", default=str(ROOT), help=argparse.SUPPRESS)  # tests: a copy
    args = parser.parse_args(argv)
    root = Path(args.root)
    requirements, dockerfile_path = root / "requirements", root / "Dockerfile"
    try:
        dockerfile = dockerfile_path.read_text(encoding="utf-8")
        base = BASE_LINE.search(dockerfile)
        if base is None:
            raise LockError(f"{dockerfile_path} has no `ARG BASE_IMAGE=<image>:<tag>` line")
        with tempfile.TemporaryDirectory() as tmp:
            image = compile_lock(
                args.uv, root, ["pyproject.toml"], Path(tmp) / "image.txt",
                current=requirements / "image.txt", upgrade=args.upgrade,
                extra=["--excludes", "requirements/image-excludes.txt"])
            build = compile_lock(
                args.uv, root, ["requirements/build.in"], Path(tmp) / "build.txt",
                current=requirements / "build.txt", upgrade=args.upgrade)
        if args.keep_base_digest:
            new_dockerfile = dockerfile
        else:
            digest = base_digest(base["name"])
            new_dockerfile = BASE_LINE.sub(f"ARG BASE_IMAGE={base['name']}@{digest}", dockerfile,
                                           count=1)
    except LockError as exc:
        print(f"lock: {exc}\nlock: nothing was written", file=sys.stderr)
        return 1
    changed = []
    for path, text in ((requirements / "image.txt", image), (requirements / "build.txt", build),
                       (dockerfile_path, new_dockerfile)):
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path.relative_to(root))
    print("lock: " + (f"updated {', '.join(map(str, changed))}" if changed else "up to date")
          + ("" if not args.keep_base_digest else " (base digest kept)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
