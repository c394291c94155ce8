"""promote-image: give the image built for a commit its release tags, without a rebuild, in ECR
or any OCI distribution registry.

Parse inputs, expand the tag templates, plan (read-only), check the image's revision label
against the commit being released, apply unless dry-run, write outputs.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from pydantic import field_validator

from release_kit.action import (
    ActionInputs,
    Bool,
    Context,
    Lines,
    Runtime,
    commands,
    run,
)
from release_kit.aws import session_name, validate_role_arn
from release_kit.errors import InputError
from release_kit.registry import promotion, provenance
from release_kit.registry.auth import Credentials
from release_kit.registry.connect import Side, open_pair
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
from release_kit.text import markdown_table

COMMIT = re.compile(r"^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$")  # SHA-1 or SHA-256 object names


def _valid(check: Callable[[str, str], object], value: str) -> str:
    """Run a shared ``check(value, input_name)`` as a field validator (empty = not given)."""
    if value:
        try:
            check(value, "")
        except InputError as exc:
            raise ValueError(str(exc)) from None
    return value


class Inputs(ActionInputs):
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

    def target_tags(self, context: Context) -> list[str]:
        values = template_values(self.version, sha=context.sha, ref_name=context.ref_name)
        return expand_tags(self.tags, values, "tags")


def connect(inputs: Inputs, context: Context) -> tuple[promotion.Repository,
                                                      promotion.Repository]:
    """The source and target repositories, each with its side's credentials."""
    def name(side: str) -> str:
        return session_name(context.repository or "release-kit", context.run_id, side)

    source = Side(inputs.source_location, inputs.role_to_assume, inputs.credentials("source"))
    target = Side(inputs.target_location, inputs.target_role_to_assume,
                  inputs.credentials("target"))
    return open_pair(source, target, name)


def main(inputs: Inputs, rt: Runtime) -> None:
    tags = inputs.target_tags(rt.context)
    ref = ImageRef.parse(inputs.source, "source")
    policy = MovePolicy.parse(inputs.allow_move)
    source, target = connect(inputs, rt.context)

    with commands.group(f"Plan: {inputs.repository}:{ref} -> {', '.join(tags)}"):
        plan = promotion.plan(source, target, ref, tags, policy)
        for change in plan.changes:
            commands.info(f"{change.tag}: {change.action}")
        if plan.blobs or plan.children or plan.attachments:
            commands.info(f"to copy: {len(plan.blobs)} blob(s), {len(plan.children)} "
                          f"manifest(s), {len(plan.attachments)} signature(s)/attestation(s)")

    checked = verify_revision(inputs, rt.context, source, plan)

    if inputs.dry_run:
        commands.notice("Dry run: nothing was written.", title="promote-image")
        result = promotion.Result(plan, changes=list(plan.changes))
    else:
        result = promotion.apply(plan, source, target)

    for api, calls in api_calls(source, target).items():
        commands.info(f"{api} calls: " + ", ".join(f"{op}={n}" for op, n in sorted(calls.items())))
    rt.outputs.update({
        "digest": plan.digest,
        "image": plan.image,
        "tags": [{"tag": c.tag, "action": str(c.action)} for c in result.changes],
        "bytes-copied": result.bytes_copied,
        "revision": checked.revision if checked else "",
    })
    rt.summary.write(summary(inputs, result, checked))


def verify_revision(inputs: Inputs, context: Context, source: promotion.Repository,
                    plan: promotion.Promotion) -> provenance.RevisionCheck | None:
    """Read the revision label of every platform of the promoted manifest and refuse one
    built from another commit (before anything is written); None when not asked to check."""
    if not inputs.verify_revision:
        return None
    expected = inputs.revision or context.sha
    if not expected:
        raise InputError("revision", "No commit to check the image's revision against: "
                         "`revision` is empty and GITHUB_SHA is not set.",
                         hint="Give `revision` (the commit the image was built from), or set "
                              "`verify-revision: false`.")
    image = f"{inputs.repository}:{inputs.source} ({plan.digest})"
    with commands.group(f"Revision: {image}"):
        found = provenance.read_labels(source, plan.manifest, plan.children)
        for labels in found:
            commands.info(f"{labels.name}: {provenance.REVISION}="
                          f"{labels.revision or '(none)'}")
        checked = provenance.check_revision(found, expected, image=image,
                                            required=inputs.require_revision)
    if not checked.verified:
        which = ", ".join(i.name for i in checked.unlabelled) or "no image config"
        commands.warning(
            f"{image} has no {provenance.REVISION} label ({which}), so the commit it was "
            f"built from is unknown; promoted as it is. Set require-revision: true to refuse "
            "such images.", title="Image revision not verified")
    return checked


def api_calls(*repositories: promotion.Repository) -> dict[str, Counter[str]]:
    """Requests per API (ECR's, a registry's), each repository counted once."""
    totals: dict[str, Counter[str]] = {}
    for repository in {id(r): r for r in repositories}.values():
        totals.setdefault(repository.api, Counter()).update(repository.calls)
    return totals


def summary(inputs: Inputs, result: promotion.Result,
            checked: provenance.RevisionCheck | None = None) -> str:
    """The step summary: what was promoted where, tag -> digest -> action, bytes copied, and
    the revision the image was built from."""
    plan = result.promotion
    source = f"`{inputs.repository}:{inputs.source}`"
    rows = [(f"`{c.tag}`", f"`{plan.digest}`",
             f"{c.action} (from `{c.previous}`)" if c.previous else str(c.action))
            for c in result.changes]
    declared = sum(blob.size for blob in plan.blobs)
    if inputs.dry_run:
        head = f"## promote-image (dry run: nothing written)\n\nWould promote {source}"
        copied = f"Would copy {len(plan.blobs)} blob(s), {declared} bytes declared."
    else:
        head = f"## promote-image\n\nPromoted {source}"
        copied = (f"Bytes copied: **{result.bytes_copied}** ({len(plan.blobs)} blob(s), "
                  f"{result.children_put} child manifest(s)).")
        if result.attachments_put:
            copied += (f" Signatures/attestations carried along: "
                       f"{result.attachments_put}.")
    return (f"{head} to `{plan.image}`\n\n"
            + markdown_table(["Tag", "Digest", "Action"], rows) + f"\n{copied}\n\n"
            + revision_line(checked) + "\n")


def revision_line(checked: provenance.RevisionCheck | None) -> str:
    if checked is None:
        return "Revision: not checked (`verify-revision: false`)."
    platforms = f"{len(checked.images)} platform(s)"
    if checked.verified:
        return (f"Revision: `{checked.revision}`, the commit being released "
                f"(`{provenance.REVISION}` on {platforms}).")
    if checked.revision:
        return (f"Revision: `{checked.revision}` on some platforms; **no "
                f"`{provenance.REVISION}` label** on {len(checked.unlabelled)} of {platforms}.")
    return f"Revision: **unknown**, the image has no `{provenance.REVISION}` label."


if __name__ == "__main__":
    raise SystemExit(run(Inputs, main))
