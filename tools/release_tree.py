#!/usr/bin/env python3
"""Write the release variant of the suite: the checkout, every action naming one image by digest.

    make release-tree OUT=<dir> IMAGE=<registry>/<path>:<tag> [PLATFORMS="linux/amd64 ..."]
    python3 tools/release_tree.py --out DIR --image REGISTRY/PATH:TAG [--require-platform P]...

On the main branch each ``actions/<name>/action.yml`` builds the root Dockerfile
(``runs.image: ../../Dockerfile``), which a runner does at the start of every job. A release
publishes that image once; this writes the suite as the release's tag holds it: the checkout's
files (tracked, plus untracked ones git does not ignore, as they are in the working tree) with each
action's ``runs.image`` replaced by ``docker://<registry>/<path>@sha256:<digest>``, the digest the
registry answers for IMAGE now. A job then pulls the image (once, however many of the actions it
uses) and builds nothing.

The digest is read with skopeo (``skopeo inspect --raw``: the sha256 of the manifest or index as
the registry serves it), with the credentials skopeo finds (``docker login`` writes them). A
loopback registry (localhost, 127.0.0.0/8, ::1) is spoken to over plain HTTP, as Docker does.
``--require-platform`` makes a missing platform an error (the release workflow requires
linux/amd64 and linux/arm64).

OUT is written whole or not at all: the tree is made beside it and renamed into place. An existing
OUT is replaced only when it holds a release tree written by this tool (its marker file,
``.release-kit-release.json``, which also records the image, digest and source commit); anything
else there is an error. Bad input exits 1 with a message naming the input and the fix.

Standard library only: the release workflow runs it with the runner's Python, without a venv.
"""

from __future__ import annotations

import argparse
import hashlib
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKER = ".release-kit-release.json"
MAIN_IMAGE = "../../Dockerfile"
INDEX_TYPES = {"application/vnd.oci.image.index.v1+json",
               "application/vnd.docker.distribution.manifest.list.v2+json"}
# <registry>/<path>:<tag>: the registry is a host (with a dot or a port, or localhost), the path
# lower-case name components, the tag Docker's tag grammar.
IMAGE_RE = re.compile(
    r"^(?P<registry>(?:localhost|\[[0-9a-fA-F:]+\]|[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+|[a-zA-Z0-9-]+)"
    r"(?::[0-9]+)?)"
    r"/(?P<path>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)
IMAGE_LINE_RE = re.compile(r"^(?P<indent>\s+)image:\s*(?P<value>[^\s#]+)\s*(?:#.*)?$")


class UsageError(Exception):
    """Bad input or a state this tool will not touch: exit 1 with the message."""


@dataclass(frozen=True)
class ImageRef:
    registry: str
    path: str
    tag: str | None
    digest: str | None

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.path}"

    @property
    def text(self) -> str:
        return self.name + (f":{self.tag}" if self.tag else "") + (
            f"@{self.digest}" if self.digest else "")

    @property
    def loopback(self) -> bool:
        """localhost, 127.0.0.0/8 or ::1: registries Docker itself speaks plain HTTP to."""
        host = (self.registry[1:].split("]")[0] if self.registry.startswith("[")
                else self.registry.rsplit(":", 1)[0])
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False


def parse_image(text: str) -> ImageRef:
    match = IMAGE_RE.match(text.strip())
    registry = match["registry"] if match else ""
    if (not match or not (match["tag"] or match["digest"])
            or not ("." in registry or ":" in registry or registry == "localhost")):
        raise UsageError(
            f"IMAGE={text!r} is not <registry>/<path>:<tag>: name the registry host (a dot or a "
            "port in it, or localhost), a lower-case path and the release's tag, e.g. "
            "IMAGE=ghcr.io/acme-platform/github-actions/release-kit:1.4.0")
    return ImageRef(registry, match["path"], match["tag"], match["digest"])


def skopeo(image: ImageRef, *args: str) -> bytes:
    binary = shutil.which("skopeo")
    if binary is None:
        raise UsageError("skopeo is not installed; it reads the image's digest from the registry: "
                         "`apt-get install skopeo` (GitHub's Ubuntu runners have it)")
    argv = [binary, "inspect", *args]
    if image.loopback:
        argv.append("--tls-verify=false")
    argv.append(f"docker://{image.text}")
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=120, check=False)
    except subprocess.TimeoutExpired as exc:
        raise UsageError(f"the registry did not answer for {image.text} in 120 s") from exc
    if proc.returncode != 0:
        detail = proc.stderr.decode(errors="replace").strip().splitlines()
        raise UsageError(
            f"cannot read {image.text} from its registry: {detail[-1] if detail else 'no output'}. "
            "Check that IMAGE was pushed and that `skopeo` can read it (`docker login` "
            f"{image.registry} first for a private registry)")
    return proc.stdout


@dataclass(frozen=True)
class Resolved:
    digest: str
    platforms: tuple[str, ...]


def resolve(image: ImageRef) -> Resolved:
    """The digest the registry serves for ``image`` (its tag, when it names one) and the platforms
    it holds; a digest given with the tag must be the one the tag names."""
    raw = skopeo(ImageRef(image.registry, image.path, image.tag, None) if image.tag else image,
                 "--raw")
    digest = "sha256:" + hashlib.sha256(raw).hexdigest()
    if image.digest and image.digest != digest:
        raise UsageError(f"the registry serves {digest} for {image.text}, not {image.digest}")
    try:
        manifest = json.loads(raw)
    except ValueError as exc:
        raise UsageError(f"the registry's answer for {image.text} is not a manifest") from exc
    media_type = manifest.get("mediaType", "")
    if media_type in INDEX_TYPES or "manifests" in manifest:
        platforms = sorted({
            f"{entry['platform']['os']}/{entry['platform']['architecture']}"
            for entry in manifest.get("manifests", [])
            if isinstance(entry.get("platform"), dict)
            and entry["platform"].get("os") not in (None, "unknown")})
    else:
        pinned = ImageRef(image.registry, image.path, None, digest)
        config = json.loads(skopeo(pinned, "--config", "--raw"))
        platforms = [f"{config.get('os', 'unknown')}/{config.get('architecture', 'unknown')}"]
    return Resolved(digest, tuple(platforms))


def source_files(root: Path) -> list[Path]:
    """The checkout's files as they are: tracked and untracked-but-not-ignored, existing."""
    proc = subprocess.run(
        ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True, check=False, timeout=60)
    if proc.returncode != 0:
        raise UsageError(f"{root} is not a git checkout: {proc.stderr.decode(errors='replace')}")
    names = sorted({name for name in proc.stdout.decode().split("\0") if name})
    return [Path(name) for name in names if (root / name).is_file() or (root / name).is_symlink()]


def source_commit(root: Path) -> dict[str, object]:
    head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"],
                          capture_output=True, text=True, check=False, timeout=60)
    dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain"],
                           capture_output=True, text=True, check=False, timeout=60)
    return {"commit": head.stdout.strip() or None,
            "uncommitted_changes": bool(dirty.stdout.strip())}


def pin_action(path: Path, reference: str) -> None:
    """Replace the one ``runs.image: ../../Dockerfile`` of an action.yml with ``reference``."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    in_runs = False
    found: list[int] = []
    using_docker = False
    for index, line in enumerate(lines):
        if line.startswith("#"):
            continue
        if line.strip() and not line[0].isspace():
            in_runs = re.match(r"^runs:\s*(#.*)?$", line) is not None
            continue
        if not in_runs:
            continue
        if re.match(r"^\s+using:\s*['\"]?docker['\"]?\s*(#.*)?$", line):
            using_docker = True
        if IMAGE_LINE_RE.match(line):
            found.append(index)
    if not using_docker:
        raise UsageError(f"{path}: runs.using is not docker; only Docker actions can be pinned")
    if len(found) != 1:
        raise UsageError(f"{path}: expected one runs.image line, found {len(found)}")
    match = IMAGE_LINE_RE.match(lines[found[0]])
    assert match is not None
    value = match["value"].strip("'\"")
    if value != MAIN_IMAGE:
        raise UsageError(
            f"{path}: runs.image is {value!r}, not {MAIN_IMAGE!r}: release trees are written from "
            "a main-branch checkout (is this already a release tree?)")
    newline = "\n" if lines[found[0]].endswith("\n") else ""
    lines[found[0]] = f"{match['indent']}image: {reference}{newline}"
    path.write_text("".join(lines), encoding="utf-8")


def write_tree(root: Path, out: Path, image: ImageRef, resolved: Resolved) -> list[Path]:
    reference = f"docker://{image.name}@{resolved.digest}"
    actions = sorted(p.relative_to(root) for p in root.glob("actions/*/action.yml"))
    if not actions:
        raise UsageError(f"no actions/*/action.yml under {root}")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name in source_files(root):
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, target, follow_symlinks=False)
        pinned = []
        for action in actions:
            if not (staging / action).is_file():  # ignored or deleted in the working tree
                raise UsageError(f"{action} is not a file of the checkout (git ignores it?)")
            pin_action(staging / action, reference)
            pinned.append(action)
        marker = {"image": image.text, "reference": reference, "digest": resolved.digest,
                  "platforms": list(resolved.platforms),
                  "actions": [str(p) for p in pinned], "source": source_commit(root)}
        (staging / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return pinned


def replace(staging: Path, out: Path) -> None:
    """Rename ``staging`` to ``out``; an existing ``out`` must be a release tree (replaced)."""
    if out.exists() or out.is_symlink():
        if not out.is_dir() or out.is_symlink():
            raise UsageError(f"OUT={out} exists and is not a directory: choose another OUT")
        if any(out.iterdir()) and not (out / MARKER).is_file():
            raise UsageError(f"OUT={out} exists and is not a release tree (no {MARKER}): remove "
                             "it or choose another OUT")
        old = out.with_name(f".{out.name}.old.{os.getpid()}")
        out.rename(old)
        try:
            staging.rename(out)
        except BaseException:
            old.rename(out)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--out", required=True, help="the directory to write (OUT)")
    parser.add_argument("--image", required=True, help="<registry>/<path>:<tag> (IMAGE)")
    parser.add_argument("--require-platform", action="append", default=[], metavar="OS/ARCH",
                        help="fail unless the image holds this platform (repeatable)")
    parser.add_argument("--source", default=str(ROOT), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        if not args.out.strip():
            raise UsageError("OUT is empty: name the directory to write, e.g. OUT=dist/release")
        image = parse_image(args.image)
        resolved = resolve(image)
        missing = [p for p in args.require_platform if p not in resolved.platforms]
        if missing:
            raise UsageError(
                f"{image.text} holds {', '.join(resolved.platforms) or 'no platform'}, not "
                f"{', '.join(missing)}: push an image for every platform the release promises")
        out = Path(args.out).resolve()
        pinned = write_tree(Path(args.source).resolve(), out, image, resolved)
    except UsageError as exc:
        print(f"release-tree: {exc}", file=sys.stderr)
        return 1
    print(f"release-tree: {out}: {len(pinned)} actions run docker://{image.name}@{resolved.digest} "
          f"({', '.join(resolved.platforms)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
