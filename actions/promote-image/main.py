"""promote-image: give the image built for a commit its release tags in ECR, without a rebuild.

Parse inputs, expand the tag templates, plan (read-only), apply unless dry-run, write outputs.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import field_validator

from release_kit.action import (
    ActionInputs,
    Bool,
    Context,
    Lines,
    Runtime,
    commands,
    markdown_table,
    run,
)
from release_kit.aws import session_name, validate_role_arn
from release_kit.errors import InputError
from release_kit.registry import promotion
from release_kit.registry.ecr import Repository, open_repository
from release_kit.registry.references import (
    ImageRef,
    Location,
    check_region,
    check_registry_id,
    check_repository,
)
from release_kit.registry.tags import MovePolicy, expand_tags, template_values


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
    aws_region: str
    registry_id: str = ""
    target_region: str = ""
    target_registry_id: str = ""
    target_repository: str = ""
    role_to_assume: str = ""
    target_role_to_assume: str = ""
    allow_move: Lines = ["latest"]
    dry_run: Bool = False

    @field_validator("repository", "target_repository")
    @classmethod
    def _repository(cls, value: str) -> str:
        return _valid(check_repository, value)

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

    @field_validator("allow_move")
    @classmethod
    def _allow_move(cls, value: list[str]) -> list[str]:
        for line in value:
            _valid(lambda v, name: MovePolicy.parse([v], name), line)
        return value

    @property
    def source_location(self) -> Location:
        return Location(self.repository, self.aws_region, self.registry_id or None)

    @property
    def target_location(self) -> Location:
        return Location(self.target_repository or self.repository,
                        self.target_region or self.aws_region,
                        self.target_registry_id or self.registry_id or None)

    def target_tags(self, context: Context) -> list[str]:
        values = template_values(self.version, sha=context.sha, ref_name=context.ref_name)
        return expand_tags(self.tags, values, "tags")


def connect(inputs: Inputs, context: Context) -> tuple[Repository, Repository]:
    """The source and target repositories, each with its side's credentials."""
    def name(side: str) -> str:
        return session_name(context.repository or "release-kit", context.run_id, side)

    source = open_repository(inputs.source_location, inputs.role_to_assume, name("source"))
    if inputs.target_location == inputs.source_location and not inputs.target_role_to_assume:
        return source, source
    target = open_repository(inputs.target_location, inputs.target_role_to_assume or
                             inputs.role_to_assume, name("target"))
    return source, target


def main(inputs: Inputs, rt: Runtime) -> None:
    tags = inputs.target_tags(rt.context)
    ref = ImageRef.parse(inputs.source, "source")
    policy = MovePolicy.parse(inputs.allow_move)
    source, target = connect(inputs, rt.context)

    with commands.group(f"Plan: {inputs.repository}:{ref} -> {', '.join(tags)}"):
        plan = promotion.plan(source, target, ref, tags, policy)
        for change in plan.changes:
            commands.info(f"{change.tag}: {change.action}")
        if plan.blobs or plan.children:
            commands.info(f"to copy: {len(plan.blobs)} blob(s), {len(plan.children)} manifest(s)")

    if inputs.dry_run:
        commands.notice("Dry run: nothing was written.", title="promote-image")
        result = promotion.Result(plan, changes=list(plan.changes))
    else:
        result = promotion.apply(plan, source, target)

    calls = source.calls + target.calls if target is not source else source.calls
    commands.info("ECR API calls: " + ", ".join(f"{op}={n}" for op, n in sorted(calls.items())))
    rt.outputs.update({
        "digest": plan.digest,
        "image": plan.image,
        "tags": [{"tag": c.tag, "action": str(c.action)} for c in result.changes],
        "bytes-copied": result.bytes_copied,
    })
    rt.summary.write(summary(inputs, result))


def summary(inputs: Inputs, result: promotion.Result) -> str:
    """The step summary: what was promoted where, tag -> digest -> action, bytes copied."""
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
    return (f"{head} to `{plan.image}`\n\n"
            + markdown_table(["Tag", "Digest", "Action"], rows) + f"\n{copied}\n")


if __name__ == "__main__":
    raise SystemExit(run(Inputs, main))
