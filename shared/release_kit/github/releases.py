"""The GitHub side of a release: merged PRs' metadata, the draft release, tags, version files.

The I/O of semver-bump (the decisions are :mod:`release_kit.versioning`). Every call goes through
:mod:`release_kit.github.rest`, and the number of calls does not grow with the number of
commits: PRs are listed 100 per page, never fetched one by one.

Writes look before they write and converge: the draft release is updated only when it differs,
a tag already at the wanted commit is success, a version file already at the version is left.

Which draft is release-kit's: the one carrying the branch's marker, or, when a person edited the
marker away, a draft release-kit's bot made for the same tag (adopted, the person's text kept
beside the changelog block). A draft a person made is never taken over.
"""

from __future__ import annotations

import base64
import enum
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from release_kit.errors import ConflictError, NotFoundError, PermissionDeniedError
from release_kit.github.errors import GitHubNotFound, GitHubValidationFailed
from release_kit.github.rest import PER_PAGE, GitHubApi
from release_kit.markers import Block, marker
from release_kit.versioning.changes import MergedPullRequest
from release_kit.versioning.pyproject import with_version

NOTES = Block("release-notes")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


DRAFT_KIND = "release-kit:draft-release "


def draft_marker(branch: str) -> str:
    return marker("draft-release", branch)


TAG_MARKER = marker("tag", "semver-bump")


def tag_message(tag: str) -> str:
    """The message of the annotated tags semver-bump makes; the marker says who made them."""
    return f"{tag}\n\n{TAG_MARKER}\n"


def made_by_release_kit(message: str) -> bool:
    return TAG_MARKER in message


@dataclass(frozen=True)
class DraftRelease:
    """What the draft release should say."""

    branch: str  # the draft is the one of this branch (a marker in the body says so)
    name: str
    tag_name: str
    target_commitish: str  # the commit the release is for
    body: str
    prerelease: bool

    def notes(self) -> str:
        """The changelog block, with the branch's marker inside it."""
        return f"{self.body.rstrip()}\n\n{draft_marker(self.branch)}"

    def payload(self, current_body: str = "") -> dict[str, Any]:
        """The release's fields; the body keeps whatever people wrote outside the block."""
        return {
            "name": self.name,
            "tag_name": self.tag_name,
            "target_commitish": self.target_commitish,
            "body": NOTES.replace(current_body, self.notes(), on_top=False),
            "draft": True,
            "prerelease": self.prerelease,
        }


class WriteOutcome(enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    EXISTS_ELSEWHERE = "exists-elsewhere"


def made_by_a_bot(release: Mapping[str, Any]) -> bool:
    author = release.get("author") or {}
    return str(author.get("type") or "") == "Bot" or str(author.get("login") or "").endswith(
        "[bot]")


@dataclass(frozen=True)
class DraftLookup:
    """The branch's draft (ours, or ours edited by hand) and drafts people made for the tag."""

    ours: dict[str, Any] | None
    by_people: tuple[dict[str, Any], ...] = ()


class GitHubRepository:
    """One repository through the REST API, with just the calls a release needs."""

    def __init__(self, api: GitHubApi, full_name: str) -> None:
        self.api = api
        self.full_name = full_name
        self.base = f"/repos/{full_name}"

    def merged_pull_requests(
        self, base: str, wanted: Collection[int], since: str | None
    ) -> dict[int, MergedPullRequest]:
        """The merged PRs among ``wanted``, by listing closed PRs into ``base``.

        Sorted by last update, newest first, 100 per page; stops as soon as every wanted PR
        was seen, or the page reaches PRs last updated before ``since`` (the previous tag's
        commit date: a PR merged after it was updated after it too), or the list ends.
        """
        found: dict[int, MergedPullRequest] = {}
        remaining = set(wanted)
        if not remaining:
            return found
        cutoff = _time(since) if since else None
        rows = self.api.paginate(f"{self.base}/pulls",
                                 doing=f"listing closed pull requests into {base}",
                                 params={"state": "closed", "base": base, "sort": "updated",
                                         "direction": "desc"})
        for index, row in enumerate(rows, start=1):
            number = int(row["number"])
            if number in remaining and row.get("merged_at"):
                remaining.discard(number)
                found[number] = MergedPullRequest(
                    number=number,
                    title=str(row.get("title") or ""),
                    author=str((row.get("user") or {}).get("login") or ""),
                    labels=tuple(str(lab["name"]) for lab in row.get("labels") or []),
                    merged_at=str(row["merged_at"]),
                    body=str(row.get("body") or ""),
                )
            if not remaining:
                break
            page_ends = index % PER_PAGE == 0
            if page_ends and cutoff and _time(str(row["updated_at"])) < cutoff:
                break
        return found

    def releases(self) -> list[dict[str, Any]]:
        """Every release, drafts included (drafts are listed to tokens that can push)."""
        return [dict(row) for row in self.api.paginate(f"{self.base}/releases",
                                                       doing="listing releases")]

    def release_for_tag(self, tag: str) -> dict[str, Any] | None:
        """The release (draft or published) whose tag is ``tag``.

        Listed rather than ``GET /releases/tags/{tag}``, which does not return drafts.
        """
        return next((r for r in self.releases() if r.get("tag_name") == tag), None)

    def find_draft(self, draft: DraftRelease) -> DraftLookup:
        mark = draft_marker(draft.branch)
        ours: dict[str, Any] | None = None
        people: list[dict[str, Any]] = []
        for row in self.releases():
            if not row.get("draft"):
                continue
            body = str(row.get("body") or "")
            if mark in body:
                return DraftLookup(row)
            if row.get("tag_name") == draft.tag_name and DRAFT_KIND not in body:
                if made_by_a_bot(row):
                    ours = ours or row  # ours, its marker edited away: adopted
                else:
                    people.append(row)
        return DraftLookup(ours, tuple(people))

    def ensure_draft(self, draft: DraftRelease
                     ) -> tuple[WriteOutcome, dict[str, Any], tuple[dict[str, Any], ...]]:
        """Create the branch's draft release, or update it in place when it differs.

        Returns the outcome, the release, and the drafts people made for the same tag, which
        are left alone (the caller says so).
        """
        lookup = self.find_draft(draft)
        existing = lookup.ours
        if existing is None:
            created = self.api.create(
                f"{self.base}/releases", draft.payload(), doing=f"creating the draft release "
                f"{draft.name}", find=lambda: self.find_draft(draft).ours)
            return WriteOutcome.CREATED, dict(created), lookup.by_people
        wanted = draft.payload(str(existing.get("body") or ""))
        if all(existing.get(key) == value for key, value in wanted.items()):
            return WriteOutcome.UNCHANGED, existing, lookup.by_people
        updated = self.api.write("PATCH", f"{self.base}/releases/{existing['id']}", json=wanted,
                                 doing=f"updating the draft release {draft.name}")
        return WriteOutcome.UPDATED, dict(updated), lookup.by_people

    def publish(self, tag: str) -> tuple[WriteOutcome, dict[str, Any]]:
        """Publish the draft release of ``tag`` that release-kit wrote; one already published
        is left as it is. ``make_latest=legacy``: a hotfix of an older line does not become
        "latest" over a newer release. A draft a person made is not published for them.
        """
        release = self.release_for_tag(tag)
        if release is None:
            raise NotFoundError(
                f"{self.full_name} has no release for the tag {tag}.",
                hint="Publish after the job that drafts it (semver-bump with draft-release: "
                "true), and pass its tag output.")
        if not release.get("draft"):
            return WriteOutcome.UNCHANGED, release
        if DRAFT_KIND not in str(release.get("body") or "") and not made_by_a_bot(release):
            raise PermissionDeniedError(
                f"The draft release {tag} ({release.get('html_url')}) was not written by "
                "release-kit, so it is not published for its author.",
                hint="Publish it by hand, or let semver-bump write the release.")
        published = self.api.write("PATCH", f"{self.base}/releases/{release['id']}",
                                   json={"draft": False, "make_latest": "legacy"},
                                   doing=f"publishing the release {tag}")
        return WriteOutcome.UPDATED, dict(published)

    def tag_commit(self, tag: str) -> str | None:
        """The commit a tag points to (annotated tags peeled), or None when there is none."""
        try:
            ref = self.api.get(f"{self.base}/git/ref/tags/{quote(tag, safe='/')}",
                               doing=f"looking up the tag {tag}")
        except GitHubNotFound:
            return None
        target = ref["object"]
        if target.get("type") == "tag":
            target = self.api.get(f"{self.base}/git/tags/{target['sha']}",
                                  doing=f"reading the annotated tag {tag}")["object"]
        return str(target["sha"])

    def ensure_tag(self, tag: str, sha: str) -> WriteOutcome:
        """Create ``tag`` at ``sha``; one already there is success, one elsewhere is reported.

        The tag is annotated, its message marked (:func:`tag_message`): a later run tells the
        tags it made from tags people made.
        """
        current = self.tag_commit(tag)
        if current is None:
            # A tag object nobody points at is invisible and harmless: replayable.
            made = self.api.write("POST", f"{self.base}/git/tags",
                                  json={"tag": tag, "message": tag_message(tag), "object": sha,
                                        "type": "commit"},
                                  doing=f"writing the tag object of {tag}")
            try:
                ref = self.api.create(
                    f"{self.base}/git/refs", {"ref": f"refs/tags/{tag}", "sha": made["sha"]},
                    doing=f"creating the tag {tag}", find=lambda: self.tag_commit(tag),
                    adopt=lambda landed: {"landed": landed})
                if "landed" not in ref:
                    return WriteOutcome.CREATED
                current = str(ref["landed"])  # the answer was lost: what is there now
                if current == sha:
                    return WriteOutcome.CREATED
            except GitHubValidationFailed as exc:
                if not exc.mentions("already exists"):
                    raise
                current = self.tag_commit(tag)  # created concurrently: look again
        return WriteOutcome.UNCHANGED if current == sha else WriteOutcome.EXISTS_ELSEWHERE

    def set_pyproject_version(
        self, path: str, version: str, branch: str, message: str
    ) -> tuple[WriteOutcome, str]:
        """Commit ``[project].version = version`` to ``path`` on ``branch`` (Contents API).

        Returns the outcome and the commit that has the file at that version (the new commit,
        or the branch head when it already was). The write names the blob it replaces, so a
        replay after a lost answer is refused (409) and the file is read again instead.
        """
        current, text = self._read_text(path, branch)
        updated = with_version(text, version)
        if updated == text:
            return WriteOutcome.UNCHANGED, self._head(branch)
        try:
            written = self.api.write(
                "PUT", f"{self.base}/contents/{quote(path)}",
                doing=f"committing {path} on {branch}",
                json={"message": message, "branch": branch, "sha": current["sha"],
                      "content": base64.b64encode(updated.encode("utf-8")).decode("ascii")},
            )
        except ConflictError:
            _, now = self._read_text(path, branch)
            if with_version(now, version) != now:
                raise
            return WriteOutcome.UPDATED, self._head(branch)  # our earlier attempt landed
        return WriteOutcome.UPDATED, str(written["commit"]["sha"])

    def _read_text(self, path: str, branch: str) -> tuple[dict[str, Any], str]:
        data = self.api.get(f"{self.base}/contents/{quote(path)}", params={"ref": branch},
                            doing=f"reading {path} on {branch}")
        return data, base64.b64decode(data["content"]).decode("utf-8")

    def _head(self, branch: str) -> str:
        head = self.api.get(f"{self.base}/branches/{quote(branch, safe='')}",
                            doing=f"reading the branch {branch}")
        return str(head["commit"]["sha"])
