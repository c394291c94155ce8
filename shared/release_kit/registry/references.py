"""Names in an ECR registry: repositories, tags, digests, and where a repository lives.

The tag grammar is the OCI distribution one (``[A-Za-z0-9_][A-Za-z0-9._-]{0,127}``), which ECR
enforces on push; checking it up front turns a late ``InvalidParameterException`` into an input
error that names the input.
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
