"""The source and target repositories of a promotion, each through the right adapter.

An ECR location goes through ECR's API with the environment's AWS credentials (or an assumed
role); any other registry through the OCI distribution API with its credentials: the ones given
for that side, else the source side's when the target is on the same registry, else the Docker
config.json's entry for the host, else none (anonymous). Two repositories of one OCI registry
share one client (one connection pool, one token for both), so the target can mount the
source's blobs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from release_kit.registry import auth, oci
from release_kit.registry.ecr import open_repository
from release_kit.registry.promotion import ImageRepository
from release_kit.registry.references import AnyLocation, Location


@dataclass(frozen=True)
class Side:
    """One side of a promotion: where, and how to authenticate there."""

    location: AnyLocation
    role_to_assume: str = ""  # ECR: an IAM role to assume with the environment's credentials
    credentials: auth.Credentials | None = field(default=None, repr=False)  # OCI: given ones


def open_pair(source: Side, target: Side,
              session_name: Callable[[str], str] = lambda side: "release-kit",
              ) -> tuple[ImageRepository, ImageRepository]:
    """The source and target repositories; the very same object when they are one repository
    seen with the same credentials (a retag)."""
    if target.location == source.location and not target.role_to_assume \
            and target.credentials in (None, source.credentials):
        repository = _open(source, session_name("source"), push=True)
        return repository, repository
    src = _open(source, session_name("source"), push=False)
    if isinstance(target.location, Location):
        role = target.role_to_assume or source.role_to_assume
        return src, _open(Side(target.location, role), session_name("target"), push=True)
    shared = (isinstance(src, oci.OciRepository)
              and target.credentials in (None, source.credentials)
              and src.location.registry == target.location.registry)
    if shared and isinstance(src, oci.OciRepository):
        dst = oci.OciRepository(src.client, target.location, push=True)
        dst.also_pull(src.location.repository)  # a mount needs both scopes in one token
        return src, dst
    return src, _open(target, session_name("target"), push=True)


def _open(side: Side, session_name: str, *, push: bool) -> ImageRepository:
    if isinstance(side.location, Location):

        return open_repository(side.location, side.role_to_assume, session_name)
    credentials = side.credentials or auth.from_docker_config(side.location.registry)
    return oci.OciRepository(oci.Client(side.location, credentials), side.location, push=push)
