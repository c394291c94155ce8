"""The GitHub side of a release: merged PRs' metadata, the draft release, tags, version files.

The I/O of semver-bump (the decisions are :mod:`release_kit.versioning`). Every call is counted by
the client (``release_kit.github.API_CALLS``), and the number of calls does not grow with the number
of commits: PRs are listed 100 per page, never fetched one by one.

Writes look before they write and converge: the draft release is updated only when it differs,
a tag already at the wanted commit is success, a version file already at the version is left.
"""

from __future__ import annotations

import base64
import enum
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from release_kit.github import PER_PAGE, GitHubNotFound, GitHubValidationFailed, github_errors
from release_kit.github.issues import marker
from release_kit.versioning.changes import PullRequest
from release_kit.versioning.pyproject import with_version

if TYPE_CHECKING:
    from github import Github


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class DraftRelease:
    """What the draft release should say."""

    branch: str  # the draft is the one of this branch (a marker in the body says so)
    name: str
    tag_name: str
    target_commitish: str  # the commit the release is for
    body: str
    prerelease: bool

    def payload(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "tag_name": self.tag_name,
            "target_commitish": self.target_commitish,
            "body": f"{self.body.rstrip()}\n\n{draft_marker(self.branch)}",
            "draft": True,
            "prerelease": self.prerelease,
        }


def draft_marker(branch: str) -> str:
    return marker("draft-release", branch)


class Outcome(enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    EXISTS_ELSEWHERE = "exists-elsewhere"


class GitHubRepository:
    """One repository through the REST API, with just the calls a release needs."""

    def __init__(self, gh: Github, full_name: str) -> None:
        self.requester = gh.requester
        self.full_name = full_name
        self.base = f"/repos/{full_name}"

    def _call(self, verb: str, path: str, *, doing: str, parameters: dict[str, Any] | None = None,
              body: dict[str, Any] | None = None) -> Any:
        with github_errors(doing):
            _, data = self.requester.requestJsonAndCheck(
                verb, self.base + path, parameters=parameters, input=body
            )
        return data

    def merged_pull_requests(
        self, base: str, wanted: Collection[int], since: str | None
    ) -> dict[int, PullRequest]:
        """The merged PRs among ``wanted``, by listing closed PRs into ``base``.

        Sorted by last update, newest first, 100 per page; stops as soon as every wanted PR
        was seen, or the page reaches PRs last updated before ``since`` (the previous tag's
        commit date: a PR merged after it was updated after it too), or the list ends.
        """
        found: dict[int, PullRequest] = {}
        remaining = set(wanted)
        cutoff = _time(since) if since else None
        page = 1
        while remaining:
            rows = self._call(
                "GET", "/pulls", doing=f"listing closed pull requests into {base}",
                parameters={"state": "closed", "base": base, "sort": "updated",
                            "direction": "desc", "per_page": PER_PAGE, "page": page},
            )
            for row in rows:
                number = int(row["number"])
                if number in remaining and row.get("merged_at"):
                    remaining.discard(number)
                    found[number] = PullRequest(
                        number=number,
                        title=str(row.get("title") or ""),
                        author=str((row.get("user") or {}).get("login") or ""),
                        labels=tuple(str(lab["name"]) for lab in row.get("labels") or []),
                        merged_at=str(row["merged_at"]),
                        body=str(row.get("body") or ""),
                    )
            if len(rows) < PER_PAGE:
                break
            if cutoff and _time(str(rows[-1]["updated_at"])) < cutoff:
                break
            page += 1
        return found

    def find_draft(self, branch: str) -> dict[str, Any] | None:
        """The draft release of ``branch``: marked as ours, or targeting the branch by name."""
        mark = draft_marker(branch)
        page = 1
        while True:
            rows = self._call("GET", "/releases", doing="listing releases",
                              parameters={"per_page": PER_PAGE, "page": page})
            for row in rows:
                if row.get("draft") and (mark in (row.get("body") or "")
                                         or row.get("target_commitish") == branch):
                    return dict(row)
            if len(rows) < PER_PAGE:
                return None
            page += 1

    def ensure_draft(self, draft: DraftRelease) -> tuple[Outcome, dict[str, Any]]:
        """Create the branch's draft release, or update it in place when it differs."""
        wanted = draft.payload()
        existing = self.find_draft(draft.branch)
        if existing is None:
            created = self._call("POST", "/releases", body=wanted,
                                 doing=f"creating the draft release {draft.name}")
            return Outcome.CREATED, created
        if all(existing.get(key) == value for key, value in wanted.items()):
            return Outcome.UNCHANGED, existing
        updated = self._call("PATCH", f"/releases/{existing['id']}", body=wanted,
                             doing=f"updating the draft release {draft.name}")
        return Outcome.UPDATED, updated

    def tag_commit(self, tag: str) -> str | None:
        """The commit a tag points to (annotated tags peeled), or None when there is none."""
        try:
            ref = self._call("GET", f"/git/ref/tags/{quote(tag, safe='/')}",
                             doing=f"looking up the tag {tag}")
        except GitHubNotFound:
            return None
        target = ref["object"]
        if target.get("type") == "tag":
            target = self._call("GET", f"/git/tags/{target['sha']}",
                                doing=f"reading the annotated tag {tag}")["object"]
        return str(target["sha"])

    def ensure_tag(self, tag: str, sha: str) -> Outcome:
        """Create ``tag`` at ``sha``; one already there is success, one elsewhere is reported."""
        current = self.tag_commit(tag)
        if current is None:
            try:
                self._call("POST", "/git/refs", body={"ref": f"refs/tags/{tag}", "sha": sha},
                           doing=f"creating the tag {tag}")
                return Outcome.CREATED
            except GitHubValidationFailed as exc:
                if not exc.mentions("already exists"):
                    raise
                current = self.tag_commit(tag)  # created concurrently: look again
        return Outcome.UNCHANGED if current == sha else Outcome.EXISTS_ELSEWHERE

    def set_pyproject_version(
        self, path: str, version: str, branch: str, message: str
    ) -> tuple[Outcome, str]:
        """Commit ``[project].version = version`` to ``path`` on ``branch`` (Contents API).

        Returns the outcome and the commit that has the file at that version (the new commit,
        or the branch head when it already was).
        """
        doing = f"reading {path} on {branch}"
        current = self._call("GET", f"/contents/{quote(path)}", doing=doing,
                             parameters={"ref": branch})
        text = base64.b64decode(current["content"]).decode("utf-8")
        updated = with_version(text, version)
        if updated == text:
            head = self._call("GET", f"/branches/{quote(branch, safe='')}",
                              doing=f"reading the branch {branch}")
            return Outcome.UNCHANGED, str(head["commit"]["sha"])
        written = self._call(
            "PUT", f"/contents/{quote(path)}", doing=f"committing {path} on {branch}",
            body={"message": message, "branch": branch, "sha": current["sha"],
                  "content": base64.b64encode(updated.encode("utf-8")).decode("ascii")},
        )
        return Outcome.UPDATED, str(written["commit"]["sha"])
