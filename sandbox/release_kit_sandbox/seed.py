"""What `release-kit sandbox` seeds from its command line, for the actions to act on.

Each kind has a spec that reads on one line and parses (or names what is wrong) before anything
starts:

- ``--token LOGIN=TOKEN[:PERMISSION=LEVEL,...]``: a token acting as LOGIN (made a known user);
  without permissions it may do everything (a personal access token), with them only those (an
  App or GITHUB_TOKEN style token, e.g. ``contents=read,issues=write``).
- ``--pr REPO:HEAD[:base=BRANCH][:title=TEXT][:labels=A,B][:merged]``: a pull request from HEAD
  (a branch made with one commit when the repository has none of that name) into BASE (the
  default branch), with labels, merged with a merge commit when ``merged`` is given.
- ``--ecr-image REPO[:TAG]``: the image build.yml would push for the head of REPO's default
  branch: in the ECR repository REPO, tagged ``sha-<commit>`` (or TAG), its config labelled with
  that commit as ``org.opencontainers.image.revision``.

Pull requests are made through the emulator's own REST API (what GitHub would answer, answers);
images through moto's ECR API.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from release_kit_sandbox.github.server import GitHubEmulator

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_REPO = re.compile(rf"{_NAME.pattern}/{_NAME.pattern}")
LEVELS = frozenset({"read", "write", "admin"})
REVISION_LABEL = "org.opencontainers.image.revision"


class SeedError(Exception):
    """A seed that could not be made; the message names the flag and why."""


def _repo(value: str, flag: str) -> str:
    if not _REPO.fullmatch(value):
        raise ValueError(f"{flag}: expected OWNER/NAME first, got {value!r}")
    return value


@dataclass(frozen=True)
class TokenSpec:
    login: str
    token: str
    permissions: dict[str, str] | None = None

    @classmethod
    def parse(cls, text: str) -> TokenSpec:
        head, _, perms = text.partition(":")
        login, sep, token = head.partition("=")
        if not sep or not login or not token or not _NAME.fullmatch(login.removesuffix("[bot]")):
            raise ValueError(f"expected LOGIN=TOKEN[:PERMISSION=LEVEL,...], got {text!r}")
        if not perms:
            return cls(login, token)
        permissions: dict[str, str] = {}
        for item in perms.split(","):
            name, sep, level = item.strip().partition("=")
            if not sep or not re.fullmatch(r"[a-z_]+", name) or level not in LEVELS:
                raise ValueError(f"{item!r} in {text!r} is not PERMISSION=read|write|admin "
                                 "(e.g. contents=write)")
            permissions[name] = level
        return cls(login, token, permissions)


@dataclass(frozen=True)
class PullSpec:
    repo: str
    head: str
    base: str = ""
    title: str = ""
    labels: tuple[str, ...] = ()
    merged: bool = False

    @classmethod
    def parse(cls, text: str) -> PullSpec:
        repo, _, rest = text.partition(":")
        head, *options = rest.split(":")
        if not head:
            raise ValueError(f"expected REPO:HEAD[:base=B][:title=T][:labels=A,B][:merged], "
                             f"got {text!r}")
        fields: dict[str, Any] = {}
        for option in options:
            key, sep, value = option.partition("=")
            if key == "merged" and not sep:
                fields["merged"] = True
            elif key in {"base", "title"} and sep and value:
                fields[key] = value
            elif key == "labels" and sep:
                fields["labels"] = tuple(v.strip() for v in value.split(",") if v.strip())
            else:
                raise ValueError(f"{option!r} in {text!r}: options are base=BRANCH, "
                                 "title=TEXT, labels=A,B and merged")
        return cls(_repo(repo, "--pr"), head, **fields)


@dataclass(frozen=True)
class ImageSpec:
    repo: str
    tag: str = ""

    @classmethod
    def parse(cls, text: str) -> ImageSpec:
        repo, _, tag = text.partition(":")
        if ":" in tag or (tag and not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", tag)):
            raise ValueError(f"expected REPO[:TAG] with a Docker tag, got {text!r}")
        return cls(_repo(repo, "--ecr-image"), tag)


@dataclass
class Api:
    """The emulator's REST API, called in this process as any client would call it."""

    emu: GitHubEmulator
    token: str = ""
    calls: list[str] = field(default_factory=list)

    def __call__(self, method: str, path: str, body: dict[str, Any] | None = None,
                 *, doing: str) -> Any:
        headers = {"Authorization": f"token {self.token or self.emu.default_token}",
                   "Content-Type": "application/json"}
        data = json.dumps(body).encode() if body is not None else b""
        status, _, payload = self.emu.handle(method, path, headers, data)
        self.calls.append(f"{method} {path} {status}")
        answer = json.loads(payload) if payload else None
        if status >= 400:
            message = (answer.get("message") if isinstance(answer, dict)
                       else payload[:200].decode(errors="replace"))
            raise SeedError(f"{doing}: GitHub answered {status} {message}")
        return answer


def make_pull(emu: GitHubEmulator, spec: PullSpec) -> int:
    """Open (and maybe merge) the pull request ``spec`` describes; its number."""
    api = Api(emu)
    repo = f"/repos/{spec.repo}"
    what = f"--pr {spec.repo}:{spec.head}"
    info = api("GET", repo, doing=what)
    base = spec.base or info["default_branch"]
    base_sha = api("GET", f"{repo}/branches/{quote(base, safe='')}",
                   doing=f"{what}: base branch {base}")["commit"]["sha"]
    title = spec.title or spec.head.rsplit("/", 1)[-1].replace("-", " ").capitalize()
    status, _, _ = emu.handle("GET", f"{repo}/branches/{quote(spec.head, safe='')}",
                              {"Authorization": f"token {emu.default_token}"}, b"")
    if status == 404:
        api("POST", f"{repo}/git/refs", {"ref": f"refs/heads/{spec.head}", "sha": base_sha},
            doing=f"{what}: creating branch {spec.head}")
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", spec.head).strip("-") or "change"
        api("PUT", f"{repo}/contents/changes/{slug}.md",
            {"message": title, "branch": spec.head,
             "content": _b64(f"# {title}\n\nSeeded by release-kit sandbox.\n")},
            doing=f"{what}: committing on {spec.head}")
    pull = api("POST", f"{repo}/pulls", {"title": title, "head": spec.head, "base": base,
                                         "body": "Seeded by release-kit sandbox."},
               doing=f"{what}: opening the pull request")
    number = int(pull["number"])
    if spec.labels:
        api("POST", f"{repo}/issues/{number}/labels", {"labels": list(spec.labels)},
            doing=f"{what}: labelling #{number}")
    if spec.merged:
        api("GET", f"{repo}/pulls/{number}", doing=f"{what}: reading #{number}")
        api("PUT", f"{repo}/pulls/{number}/merge", {"merge_method": "merge"},
            doing=f"{what}: merging #{number}")
    return number


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def push_image(ecr: Any, repository: str, tag: str, revision: str, source: str) -> str:
    """Push the image build.yml pushes for ``revision`` to ``repository`` in ECR (moto): its
    config (labelled with the revision and the source) and manifest; the layer is declared only.
    Returns the manifest's digest."""
    with contextlib.suppress(ecr.exceptions.RepositoryAlreadyExistsException):
        ecr.create_repository(repositoryName=repository)
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Labels": {
        REVISION_LABEL: revision,
        "org.opencontainers.image.source": source,
        "dev.release-kit.built-by": "release-kit sandbox"}}}).encode()
    config_digest = "sha256:" + hashlib.sha256(config).hexdigest()
    upload = ecr.initiate_layer_upload(repositoryName=repository)["uploadId"]
    ecr.upload_layer_part(repositoryName=repository, uploadId=upload, partFirstByte=0,
                          partLastByte=len(config) - 1, layerPartBlob=config)
    ecr.complete_layer_upload(repositoryName=repository, uploadId=upload,
                              layerDigests=[config_digest])
    layer = hashlib.sha256(f"{repository}@{revision}".encode()).hexdigest()
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest, "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": f"sha256:{layer}", "size": 1_000_000}],
    })
    digest = "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
    ecr.put_image(repositoryName=repository, imageManifest=manifest, imageTag=tag,
                  imageManifestMediaType="application/vnd.oci.image.manifest.v1+json",
                  imageDigest=digest)
    return digest
