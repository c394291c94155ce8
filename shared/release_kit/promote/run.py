"""promote-image: give the image built for a commit its release tags, without a rebuild, in ECR
or any OCI distribution registry.

Parse inputs, expand the tag templates, plan (read-only), check the image's revision label
against the commit being released, apply unless dry-run, write outputs.
"""

from __future__ import annotations

from collections import Counter

from release_kit.action import commands
from release_kit.action.context import Context
from release_kit.action.runner import Runtime
from release_kit.aws import session_name
from release_kit.errors import InputError
from release_kit.promote.inputs import PromoteInputs
from release_kit.registry import promotion, provenance
from release_kit.registry.connect import Side, open_pair
from release_kit.registry.references import ImageRef
from release_kit.registry.tags import MovePolicy
from release_kit.text import markdown_table


def promote_image(inputs: PromoteInputs, rt: Runtime) -> None:
    """The action: plan, check the revision, apply unless dry-run, write outputs."""
    tags = inputs.target_tags(rt.context)
    ref = ImageRef.parse(inputs.source, "source")
    policy = MovePolicy.parse(inputs.allow_move)
    source, target = open_repositories(inputs, rt.context)

    with commands.group(f"Plan: {inputs.repository}:{ref} -> {', '.join(tags)}"):
        plan = promotion.plan_promotion(source, target, ref, tags, policy)
        for change in plan.changes:
            commands.info(f"{change.tag}: {change.action}")
        if plan.blobs or plan.children or plan.attachments:
            commands.info(f"to copy: {len(plan.blobs)} blob(s), {len(plan.children)} "
                          f"manifest(s), {len(plan.attachments)} signature(s)/attestation(s)")

    checked = verify_revision(inputs, rt.context, source, plan)

    if inputs.dry_run:
        commands.notice("Dry run: nothing was written.", title="promote-image")
        result = promotion.PromotionResult(plan, changes=list(plan.changes))
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
    rt.summary.write(promotion_summary(inputs, result, checked))


def open_repositories(inputs: PromoteInputs, context: Context) -> tuple[promotion.ImageRepository,
                                                      promotion.ImageRepository]:
    """The source and target repositories, each with its side's credentials."""
    def name(side: str) -> str:
        return session_name(context.repository or "release-kit", context.run_id, side)

    source = Side(inputs.source_location, inputs.role_to_assume, inputs.credentials("source"))
    target = Side(inputs.target_location, inputs.target_role_to_assume,
                  inputs.credentials("target"))
    return open_pair(source, target, name)


def verify_revision(inputs: PromoteInputs, context: Context, source: promotion.ImageRepository,
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


def api_calls(*repositories: promotion.ImageRepository) -> dict[str, Counter[str]]:
    """Requests per API (ECR's, a registry's), each repository counted once."""
    totals: dict[str, Counter[str]] = {}
    for repository in {id(r): r for r in repositories}.values():
        totals.setdefault(repository.api, Counter()).update(repository.calls)
    return totals


def promotion_summary(inputs: PromoteInputs, result: promotion.PromotionResult,
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
