"""Names in a registry: repositories, tags, digests, and where a repository lives.

The tag grammar is the OCI distribution one (``[A-Za-z0-9_][A-Za-z0-9._-]{0,127}``), which ECR
enforces on push; checking it up front turns a late ``InvalidParameterException`` into an input
error that names the input.

A repository is written either as a bare ECR name (``acme/web``, with a region and an optional
account id beside it) or as a full reference ``<registry>/<name>``: the first component names a
registry when it holds a ``.`` or a ``:`` or is ``localhost`` (Docker's rule). An ECR host
(``<account>.dkr.ecr.<region>.amazonaws.com``) is ECR; any other host is an OCI distribution
registry (``OciLocation``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from release_kit.errors import InputError

TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
MAX_TAG = 128
DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")
REPOSITORY = re.compile(r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$")
REGISTRY_ID = re.compile(r"^\d{12}$")
REGION = re.compile(r"^[a-z]{2}(?:-[a-z0-9]+)+-\d+$")
# OCI distribution spec: path components separated by '/'.
OCI_NAME = re.compile(r"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
                      r"(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
HOST = re.compile(rf"^(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:]+\])(?::\d{{1,5}})?$")
ECR_HOST = re.compile(r"^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$")
DOCKER_HUB = "docker.io"
DOCKER_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
LOOPBACK = re.compile(r"^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$")


def tag_problem(tag: str) -> str | None:
    """Why ``tag`` is not a valid image tag, or None."""
    if not tag:
        return "the tag is empty"
    if len(tag) > MAX_TAG:
        return f"{tag[:40]!r}... is {len(tag)} characters long; at most {MAX_TAG} are allowed"
    if not TAG.match(tag):
        bad = sorted({c for c in tag if not (c.isascii() and (c.isalnum() or c in "._-"))})
        if bad:
            return f"{tag!r} contains {''.join(bad)!r}; tags may use letters, digits, '.', '_', '-'"
        return f"{tag!r} must start with a letter, a digit or '_'"
    return None


def is_digest(value: str) -> bool:
    return bool(DIGEST.match(value))


@dataclass(frozen=True)
class ImageRef:
    """A tag or a ``sha256:`` digest inside one repository."""

    tag: str | None = None
    digest: str | None = None

    @classmethod
    def parse(cls, value: str, input_name: str) -> ImageRef:
        if value.startswith("sha256:"):
            if not is_digest(value):
                raise InputError(
                    input_name, f"{value!r} is not a sha256 digest.",
                    hint="Write a digest as sha256: followed by 64 lowercase hex digits.")
            return cls(digest=value)
        problem = tag_problem(value)
        if problem:
            raise InputError(
                input_name, f"{value!r} is neither an image tag nor a digest: {problem}.",
                hint="Give a tag such as sha-<commit> or a digest sha256:<64 hex>.")
        return cls(tag=value)

    def image_id(self) -> dict[str, str]:
        """The ECR ``imageId`` for this reference."""
        return {"imageDigest": self.digest} if self.digest else {"imageTag": str(self.tag)}

    def __str__(self) -> str:
        return self.digest or str(self.tag)


def check_repository(name: str, input_name: str) -> str:
    if not (2 <= len(name) <= 256 and REPOSITORY.match(name)):
        raise InputError(input_name, f"{name!r} is not an ECR repository name.",
                         hint="Use lowercase letters, digits and . _ - separated by '/', "
                              "e.g. acme/web (2 to 256 characters).")
    return name


def check_registry_id(value: str, input_name: str) -> str:
    if value and not REGISTRY_ID.match(value):
        raise InputError(input_name, f"{value!r} is not an AWS account id.",
                         hint="A registry id is the 12-digit account id; leave it empty for "
                              "the caller's account.")
    return value


def check_region(value: str, input_name: str) -> str:
    if not REGION.match(value):
        raise InputError(input_name, f"{value!r} is not an AWS region.",
                         hint="Use a region code such as eu-west-1.")
    return value


@dataclass(frozen=True)
class Location:
    """One ECR repository: account (None = the caller's), region and name."""

    repository: str
    region: str
    registry_id: str | None = None

    def with_registry(self, registry_id: str) -> Location:
        return Location(self.repository, self.region, registry_id)

    @property
    def host(self) -> str:
        return f"{self.registry_id or '<account>'}.dkr.ecr.{self.region}.amazonaws.com"

    def image(self, digest: str) -> str:
        return f"{self.host}/{self.repository}@{digest}"

    def describe(self) -> str:
        account = self.registry_id or "the caller's account"
        return f"repository {self.repository} in {account}, region {self.region}"


@dataclass(frozen=True)
class OciLocation:
    """One repository in an OCI distribution registry (Docker Hub, GHCR, Harbor, ...).

    ``registry`` is the host (and port) as written, Docker Hub's aliases folded into
    ``docker.io``; ``repository`` the name inside it.
    """

    registry: str
    repository: str

    @property
    def host(self) -> str:
        return self.registry

    @property
    def base_url(self) -> str:
        """Where the API lives: HTTPS, except plain HTTP on a loopback address (as Docker and
        containerd allow); Docker Hub's API host is registry-1.docker.io."""
        if self.registry == DOCKER_HUB:
            return "https://registry-1.docker.io"
        scheme = "http" if LOOPBACK.match(self.registry) else "https"
        return f"{scheme}://{self.registry}"

    def image(self, digest: str) -> str:
        return f"{self.registry}/{self.repository}@{digest}"

    def describe(self) -> str:
        return f"repository {self.registry}/{self.repository}"


AnyLocation = Location | OciLocation


def split_registry(value: str) -> tuple[str | None, str]:
    """``(registry, name)``: the first component is a registry when it holds '.' or ':' or is
    ``localhost``; otherwise there is none (a bare name)."""
    first, sep, rest = value.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return None, value


def parse_repository(
    value: str, input_name: str, *, region: str = "", registry_id: str = "",
    region_input: str = "aws-region", require_region: bool = True,
) -> AnyLocation:
    """A repository input: a bare ECR name (``region`` required unless only the syntax is being
    checked), an ECR host's reference, or any other registry's ``<registry>/<name>``."""
    registry, name = split_registry(value.strip())
    if registry is None:
        check_repository(name, input_name)
        if not region and require_region:
            raise InputError(region_input, f"{input_name} {name!r} is an ECR repository name, "
                             "so the AWS region is required.",
                             hint=f"Set `{region_input}`, or give the repository as "
                                  "<registry>/<name> (e.g. ghcr.io/acme/web) for another "
                                  "registry.")
        return Location(name, region, registry_id or None)
    ecr = ECR_HOST.match(registry)
    if ecr:
        check_repository(name, input_name)
        return Location(name, ecr.group(2), ecr.group(1))
    return oci_location(registry, name, input_name)


def oci_location(registry: str, name: str, input_name: str) -> OciLocation:
    if not HOST.match(registry):
        raise InputError(input_name, f"{registry!r} is not a registry host.",
                         hint="Write <host>[:<port>]/<name>, e.g. ghcr.io/acme/web or "
                              "registry.example.com:5000/acme/web.")
    if registry.lower() in DOCKER_HUB_ALIASES:
        registry = DOCKER_HUB
        if name and "/" not in name:
            name = f"library/{name}"  # Docker Hub's official images
    if not (name and len(name) <= 255 and OCI_NAME.match(name)):
        raise InputError(input_name, f"{name!r} is not a repository name in {registry}.",
                         hint="Use lowercase letters, digits and separators . _ __ - between "
                              "components, components separated by '/', e.g. acme/web.")
    return OciLocation(registry, name)
