"""Read history from the local checkout: tags reachable from HEAD, logs of ranges and paths.

Zero API calls however long the history is: ``git log`` over 10,000 commits takes a fraction
of a second, where paging commits through the API would take hundreds of requests.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from release_kit.errors import ReleaseKitError
from release_kit.versioning.commits import Commit

# https://host/owner/name(.git), ssh://[user@]host/owner/name(.git), user@host:owner/name(.git)
_REMOTE = re.compile(
    r"^(?:(?:https?|ssh)://[^/]+/|[\w.-]+@[^:/]+:)(?P<owner>[\w.-]+)/(?P<name>[\w.-]+?)"
    r"(?:\.git)?/?$"
)
_RECORD = "\x1e"
_FIELD = "\x1f"
# sha, parents, author name, committer date, subject, body; --name-only output follows.
_FORMAT = f"{_RECORD}%H{_FIELD}%P{_FIELD}%an{_FIELD}%cI{_FIELD}%s{_FIELD}%b{_FIELD}"


class GitError(ReleaseKitError):
    title = "git failed"


class ShallowCloneError(ReleaseKitError):
    title = "Shallow checkout"


@dataclass(frozen=True)
class Tag:
    name: str
    sha: str  # the commit it points to (annotated tags peeled)
    date: str  # ISO 8601 committer date of the commit it points to
    message: str = ""  # an annotated tag's message ("" for a lightweight tag)


class GitHistory:
    """One repository on disk (the workspace checkout)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def git(self, *args: str) -> str:
        try:
            proc = subprocess.run(
                # In the action's container the checkout belongs to the runner's user, not to
                # root: trust this one directory, or git refuses ("dubious ownership").
                ["git", "-c", f"safe.directory={self.path.resolve()}", "-C", str(self.path),
                 *args],
                capture_output=True, text=True, check=False, encoding="utf-8", errors="replace",
            )
        except FileNotFoundError:
            raise GitError("the git executable was not found.",
                           hint="Install the git CLI and put it on PATH.") from None
        if proc.returncode != 0:
            message = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
            raise GitError(
                f"`git {' '.join(args[:3])}` failed in {self.path}: {message}",
                hint="Run the action in a git checkout (actions/checkout with fetch-depth: 0).",
            )
        return proc.stdout

    def require_full_history(self) -> None:
        """Fail on a shallow clone: the previous tag and the commits since may be missing."""
        self.git("rev-parse", "--git-dir")
        if self.git("rev-parse", "--is-shallow-repository").strip() == "true":
            raise ShallowCloneError(
                f"the checkout in {self.path} is shallow, so the previous version tag and the "
                "commits since it cannot be read.",
                hint="Check out the full history and tags: actions/checkout with `fetch-depth: 0`.",
            )

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()

    def origin_repository(self) -> str:
        """``owner/name`` of the ``origin`` remote (https or ssh URL), or "" when unknown.

        Lets a local run find its repository without ``GITHUB_REPOSITORY``.
        """
        try:
            url = self.git("remote", "get-url", "origin").strip()
        except GitError:
            return ""
        match = _REMOTE.search(url)
        return f"{match['owner']}/{match['name']}" if match else ""

    def current_branch(self) -> str:
        """The checked-out branch ("" when HEAD is detached)."""
        name = self.git("rev-parse", "--abbrev-ref", "HEAD").strip()
        return "" if name == "HEAD" else name

    def tags(self, *, merged_into: str | None = "HEAD") -> list[Tag]:
        """Tags (reachable from ``merged_into`` unless None), newest-created first."""
        args = ["for-each-ref", "--sort=-creatordate",
                "--format=%(refname:strip=2)%1f%(objectname)%1f%(*objectname)%1f"
                "%(committerdate:iso-strict)%1f%(*committerdate:iso-strict)%1f%(contents)%1e"]
        if merged_into:
            args.append(f"--merged={merged_into}")
        args.append("refs/tags")
        found = []
        for record in self.git(*args).split(_RECORD):
            if not record.strip():
                continue
            name, sha, peeled, date, peeled_date, message = record.lstrip("\n").split(_FIELD)
            found.append(Tag(name, peeled or sha, peeled_date or date,
                             message if peeled else ""))
        return found

    def log(
        self,
        revisions: str,
        paths: Sequence[str] = (),
        *,
        first_parent: bool = False,
        with_files: bool = False,
    ) -> list[Commit]:
        """Commits of ``revisions`` (``v1.2.3..HEAD``), newest first, optionally under ``paths``.

        With ``first_parent`` only the mainline (merges, squashes, direct pushes); with
        ``with_files`` each commit lists the files it changed relative to its first parent.
        """
        args = ["log", f"--format={_FORMAT}"]
        if first_parent:
            args.append("--first-parent")
        if with_files:
            args += ["--name-only", "--diff-merges=first-parent"]
        args.append(revisions)
        args += ["--", *paths]
        commits = []
        for record in self.git(*args).split(_RECORD)[1:]:
            sha, parents, author, date, subject, body, names = record.split(_FIELD)
            commits.append(Commit(
                sha=sha,
                subject=subject,
                body=body.strip(),
                parents=tuple(parents.split()),
                author=author,
                date=date,
                files=tuple(line for line in names.splitlines() if line),
            ))
        return commits
