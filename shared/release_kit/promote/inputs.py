"""promote-image's inputs: the model of its ``action.yml``, checked before any registry is
reached, and the places, credentials and tags they name."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from release_kit.action.context import Context
from release_kit.action.inputs import ActionInputs, Bool, Lines, SecretStr, field_validator
from release_kit.aws import validate_role_arn
from release_kit.errors import InputError
from release_kit.registry import identity
from release_kit.registry.auth import Credentials
from release_kit.registry.references import (
    AnyLocation,
    ImageRef,
    Location,
    check_region,
    check_registry_id,
    oci_location,
    parse_repository,
    split_registry,
)
from release_kit.registry.tags import MovePolicy, expand_tags, template_values

COMMIT = re.compile(r"^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$")  # SHA-1 or SHA-256 object names


def _valid(check: Callable[[str, str], object], value: str) -> str:
    """Run a shared ``check(value, input_name)`` as a field validator (empty = not given)."""
    if value:
        try:
            check(value, "")
        except InputError as exc:
            raise ValueError(str(exc)) from None
    return value


class PromoteInputs(ActionInputs):
    operation: Literal["promote", "identity"] = "promote"
    repository: str
    source: str = ""  # action.yml: sha-${{ github.sha }}
    tags: Lines
    version: str = ""
    aws_region: str = ""
    registry_id: str = ""
    target_region: str = ""
    target_registry_id: str = ""
    target_repository: str = ""
    role_to_assume: str = ""
    target_role_to_assume: str = ""
    registry_username: str = ""
    registry_password: str = ""
    target_registry_username: str = ""
    target_registry_password: str = ""
    allow_move: Lines = ["latest"]
    dry_run: Bool = False
    verify_revision: Bool = True
    revision: str = ""  # action.yml: ${{ github.sha }}
    require_revision: Bool = False
    github_token: SecretStr = SecretStr("")  # identity: reads the refs its template names
    tag_prefix: str = "v"  # identity: version tags look like <prefix><version>

    @field_validator("repository", "target_repository")
    @classmethod
    def _repository(cls, value: str) -> str:
        return _valid(lambda v, name: parse_repository(v, name, require_region=False), value)

    @field_validator("aws_region", "target_region")
    @classmethod
    def _region(cls, value: str) -> str:
        return _valid(check_region, value)

    @field_validator("registry_id", "target_registry_id")
    @classmethod
    def _registry(cls, value: str) -> str:
        return _valid(check_registry_id, value)

    @field_validator("role_to_assume", "target_role_to_assume")
    @classmethod
    def _role(cls, value: str) -> str:
        return _valid(validate_role_arn, value)

    @field_validator("source")
    @classmethod
    def _source(cls, value: str) -> str:
        return _valid(ImageRef.parse, value)

    @field_validator("revision")
    @classmethod
    def _revision(cls, value: str) -> str:
        if value and not COMMIT.match(value):
            raise ValueError(f"{value[:80]!r} is not a full commit SHA (40 hex digits); the "
                             "label build.yml writes is the full SHA of the commit")
        return value

    @field_validator("allow_move")
    @classmethod
    def _allow_move(cls, value: list[str]) -> list[str]:
        for line in value:
            _valid(lambda v, name: MovePolicy.parse([v], name), line)
        return value

    @property
    def source_location(self) -> AnyLocation:
        return parse_repository(self.repository, "repository", region=self.aws_region,
                                registry_id=self.registry_id)

    @property
    def target_location(self) -> AnyLocation:
        """``target-repository`` with a registry is its own place; a bare name (or none) is in
        the source's registry (for ECR: target-region and target-registry-id apply)."""
        source, given = self.source_location, self.target_repository
        if given and split_registry(given)[0]:
            return parse_repository(given, "target-repository",
                                    region=self.target_region or self.aws_region,
                                    registry_id=self.target_registry_id,
                                    region_input="target-region")
        name = given or source.repository
        if isinstance(source, Location):
            return Location(name, self.target_region or source.region,
                            self.target_registry_id or source.registry_id)
        return oci_location(source.registry, name, "target-repository")

    def credentials(self, side: str) -> Credentials | None:
        prefix = "target-" if side == "target" else ""
        username = self.target_registry_username if side == "target" else self.registry_username
        password = self.target_registry_password if side == "target" else self.registry_password
        if bool(username) != bool(password):
            missing = f"{prefix}registry-{'password' if username else 'username'}"
            raise InputError(missing, f"{missing} is empty while {prefix}registry-"
                             f"{'username' if username else 'password'} is set.",
                             hint="Give both (the password as a secret), or neither to use the "
                                  "Docker config.json or anonymous access.")
        if not username:
            return None
        return Credentials(username, password,
                           origin=f"{prefix}registry-username/{prefix}registry-password")

    def target_tags(self, context: Context,
                    contributors: tuple[identity.Contributor, ...] = ()) -> list[str]:
        """The tags; ``{sha:<ref>}`` from the source image's contributors label."""
        values = template_values(self.version, sha=context.sha, ref_name=context.ref_name)
        return expand_tags(self.tags, values, "tags", refs=identity.commits(contributors),
                           refs_from=f"the contributors label of {self.repository}:"
                                     f"{self.source}")
