"""promote-image's ``operation: identity`` (build.yml, before ``docker build``): it writes
nothing, renders the build's tag template with the refs it names resolved through GitHub
(``{short_sha}-{short_sha:main}``), and gives the labels that list every contributing
repository, commit and version (:mod:`release_kit.registry.identity`, pure, says what they are).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence
from typing import Any

from release_kit.action.runner import Runtime
from release_kit.errors import InputError, NotFoundError
from release_kit.github.client import connect as connect_github
from release_kit.github.errors import GitHubValidationFailed
from release_kit.github.rest import GitHubApi
from release_kit.promote.contributors import contributors_table
from release_kit.promote.inputs import PromoteInputs
from release_kit.registry import identity
from release_kit.registry.tags import expand_tags, refs_used, template_values
from release_kit.versioning.tags import TagFormat

TAG_PAGES = 3  # versions are looked up among the newest 300 tags of a repository


def name_image(inputs: PromoteInputs, rt: Runtime) -> None:
    """``identity``: the tag a build pushes and the labels that say what is in the image."""
    context = rt.context
    revision = inputs.revision or context.sha
    if not revision:
        raise InputError("revision", "No commit to name the image after: `revision` is empty "
                         "and GITHUB_SHA is not set.", hint="Give `revision` (the commit built).")
    repository = context.require_repository()
    refs = refs_used(inputs.tags)
    api = connect_github(inputs.github_token.get_secret_value() or None, repository=repository)
    others = resolve(api, repository, refs, tag_prefix=inputs.tag_prefix)
    version = inputs.version or version_tags(api, repository, inputs.tag_prefix).get(
        revision.lower(), "")
    own = identity.Contributor(repository, revision.lower(), "", version)
    values = template_values(inputs.version, sha=revision, ref_name=context.ref_name)
    tags = expand_tags(inputs.tags, values, "tags", refs=identity.commits(others))
    found = identity.labels(own, others)
    rt.outputs.update({
        "tag": tags[0],
        "labels": "\n".join(f"{k}={v}" for k, v in found.items()),
        "contributors": [c.to_json() for c in (own, *others)],
    })
    rt.summary.write(f"## promote-image: identity of `{inputs.repository}:{tags[0]}`\n\n"
                     "Nothing was written: these are the tag and labels of the build."
                     + contributors_table((own, *others)))


def resolve(api: GitHubApi, own_repository: str, refs: Sequence[str], *,
            tag_prefix: str = "v", input_name: str = "tags") -> list[identity.Contributor]:
    """What each ref named by a template points at now, with the version tag on that commit."""
    if len(refs) >= identity.MAX_CONTRIBUTORS:
        raise InputError(input_name, f"{len(refs)} refs are named; an image lists at most "
                         f"{identity.MAX_CONTRIBUTORS - 1} besides its own commit.")
    found: list[identity.Contributor] = []
    versions: dict[str, dict[str, str]] = {}
    for ref in refs:
        repository, name = identity.split_ref(ref, own_repository)
        sha = commit_of(api, repository, name, ref, input_name)
        if repository not in versions:
            versions[repository] = version_tags(api, repository, tag_prefix)
        version = versions[repository].get(sha, "")
        found.append(identity.Contributor(repository, sha, ref, version))
    return found


def commit_of(api: GitHubApi, repository: str, name: str, ref: str, input_name: str) -> str:
    """The commit ``name`` (``ref`` as the template wrote it) points at in ``repository``."""
    path = f"/repos/{repository}/commits/{urllib.parse.quote(name, safe='/')}"
    try:
        data: Any = api.get(path, doing=f"looking up {ref}")
    except (NotFoundError, GitHubValidationFailed):  # 404: no repository; 422: no such ref
        raise InputError(input_name, f"{ref!r} names no commit in {repository} (or the token "
                         "cannot read that repository).",
                         hint="Name an existing branch or tag; another repository as "
                              "owner/repo@ref, readable with the job's token.") from None
    sha = str((data or {}).get("sha") or "")
    if not identity.COMMIT_PATTERN.fullmatch(sha):
        raise NotFoundError(f"GitHub answered no commit for {ref} in {repository}.")
    return sha


def version_tags(api: GitHubApi, repository: str, tag_prefix: str) -> dict[str, str]:
    """commit -> version, from the repository's newest version tags (the highest version on a
    commit with several)."""
    fmt = TagFormat(tag_prefix)
    best: dict[str, Any] = {}
    for index, tag in enumerate(api.paginate(f"/repos/{repository}/tags",
                                             doing=f"listing the tags of {repository}")):
        if index >= TAG_PAGES * 100:
            break
        version = fmt.parse(str(tag.get("name") or ""))
        sha = str((tag.get("commit") or {}).get("sha") or "")
        if version is not None and sha and (sha not in best or version > best[sha]):
            best[sha] = version
    return {sha: str(version) for sha, version in best.items()}
