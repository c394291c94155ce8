"""Read history from the local checkout: its state, its tags, logs of ranges and paths.

Zero API calls however long the history is. The log is streamed: ``git log`` writes into a pipe
that is parsed as it comes, so git's walk and Python's parse run side by side, and only the
commit being parsed is held in memory, never the whole output.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from release_kit.errors import ReleaseKitError
from release_kit.versioning.commits import Commit

# https://host/owner/name(.git), ssh://[user@]host/owner/name(.git), user@host:owner/name(.git)
_REMOTE = re.compile(
    r"^(?:(?:https?|ssh)://[^/]+/|[\w.-]+@[^:/]+:)(?P<owner>[\w.-]+)/(?P<name>[\w.-]+?)"
    r"(?:\.git)?/?$"
)
_RECORD = "\x1e"
_FIELD = "\x1f"
# boundary mark + sha, parents, subject, body, each ended by a NUL (-z ends the last one): NUL
# is the one character no commit message can hold, so free text never shifts the fields.
_FORMAT = "%m%H%x00%P%x00%s%x00%b"
_FIELDS = 4
_CHUNK = 1 << 16  # the pipe's own size: git never waits long for the reader


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


@dataclass(frozen=True)
class Checkout:
    """What one ``git rev-parse`` says about the working copy."""

    head: str
    branch: str  # "" when HEAD is detached
    shallow: bool


class GitHistory:
    """One repository on disk (the workspace checkout)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def argv(self, *args: str) -> list[str]:
        # In the action's container the checkout belongs to the runner's user, not to root:
        # trust this one directory, or git refuses ("dubious ownership").
        return ["git", "-c", f"safe.directory={self.path.resolve()}", "-C", str(self.path),
                *args]

    def git(self, *args: str) -> str:
        try:
            proc = subprocess.run(self.argv(*args), capture_output=True, text=True, check=False,
                                  encoding="utf-8", errors="replace")
        except FileNotFoundError:
            raise _no_git() from None
        if proc.returncode != 0:
            raise self._failed(args, proc.stderr)
        return proc.stdout

    def _failed(self, args: Sequence[str], stderr: str) -> GitError:
        message = stderr.strip().splitlines()[-1] if stderr.strip() else ""
        return GitError(
            f"`git {' '.join(args[:3])}` failed in {self.path}: {message}",
            hint="Run the action in a git checkout (actions/checkout with fetch-depth: 0).",
        )

    def checkout(self) -> Checkout:
        """HEAD, the branch and whether the clone is shallow, in one call."""
        out = self.git("rev-parse", "--is-shallow-repository", "HEAD", "--abbrev-ref",
                       "HEAD").split()
        shallow, head, branch = [*out, "", "", ""][:3]
        return Checkout(head, "" if branch == "HEAD" else branch, shallow == "true")

    def require_full_history(self) -> Checkout:
        """The checkout; a shallow clone fails (the previous tag and commits may be missing)."""
        state = self.checkout()
        if state.shallow:
            raise ShallowCloneError(
                f"the checkout in {self.path} is shallow, so the previous version tag and the "
                "commits since it cannot be read.",
                hint="Check out the full history and tags: actions/checkout with `fetch-depth: 0`.",
            )
        return state

    def head(self) -> str:
        return self.checkout().head

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
        return self.checkout().branch

    def tags(self, *, merged_into: str | None = "HEAD", names: Sequence[str] = ()) -> list[Tag]:
        """Tags (reachable from ``merged_into`` unless None), newest-created first.

        Listing every tag is cheap; ``merged_into`` walks the history behind it (all of it,
        without a commit-graph), so it is asked only when the answer cannot be had otherwise.
        ``names`` limits the listing to those tags.
        """
        args = ["for-each-ref", "--sort=-creatordate",
                "--format=%(refname:strip=2)%1f%(objectname)%1f%(*objectname)%1f"
                "%(committerdate:iso-strict)%1f%(*committerdate:iso-strict)%1f%(contents)%1e"]
        if merged_into:
            args.append(f"--merged={merged_into}")
        args += [f"refs/tags/{name}" for name in names] or ["refs/tags"]
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
    ) -> list[Commit]:
        """Commits of ``revisions`` (``v1.2.3..HEAD``), newest first, optionally under ``paths``."""
        return list(self.stream(revisions, paths, first_parent=first_parent))

    def stream(
        self,
        revisions: str,
        paths: Sequence[str] = (),
        *,
        first_parent: bool = False,
        boundary: bool = False,
    ) -> Generator[Commit, None, None]:
        """Commits of ``revisions``, newest first, parsed while git writes them.

        ``paths`` are git pathspecs (``packages/core``, ``:(glob)shared/**``); with
        ``first_parent`` only the mainline (merges, squashes, direct pushes), a merge touching a
        path when its diff against its first parent does; ``boundary`` adds, last, the excluded
        commits the range stops at (``Commit.boundary``), e.g. the tag of ``v1.2.3..HEAD`` when
        it is an ancestor of HEAD. A log :meth:`start` began with the same arguments is read
        instead of starting another.
        """
        args = _log_args(revisions, paths, first_parent=first_parent, boundary=boundary)
        running = _STARTED.pop(tuple(self.argv(*args)), None) or self._spawn(args)
        proc, errors = running
        assert proc.stdout is not None
        finished, message = False, ""
        try:
            import codecs  # noqa: PLC0415 - only the log needs an incremental decoder

            decode = codecs.getincrementaldecoder("utf-8")("replace").decode
            tail, fields = "", []
            while chunk := proc.stdout.read(_CHUNK):
                parts = (tail + decode(chunk)).split("\x00")
                tail = parts.pop()
                fields += parts
                whole = len(fields) - len(fields) % _FIELDS
                each = iter(fields[:whole])
                for head, parents, subject, body in zip(each, each, each, each, strict=True):
                    yield Commit(head[1:], subject, body.strip(), tuple(parents.split()),
                                 head[0] == "-")
                del fields[:whole]
            finished = True
        finally:
            returncode = _stop(running, kill=not finished)
            if returncode != 0 and finished:
                errors.seek(0)
                message = errors.read().decode("utf-8", "replace")
            errors.close()
        if returncode != 0:
            raise self._failed(args, message)

    def start(self, revisions: str, paths: Sequence[str] = (), *, first_parent: bool = False,
              boundary: bool = False) -> None:
        """Start ``git log`` now; the :meth:`stream` call with the same arguments reads it.

        For a log that is surely needed and whose arguments are known before the rest of the
        work can begin: git walks the history while Python imports and parses its inputs. A log
        nobody reads is stopped at exit.
        """
        args = _log_args(revisions, paths, first_parent=first_parent, boundary=boundary)
        key = tuple(self.argv(*args))
        if key not in _STARTED:
            _STARTED[key] = self._spawn(args)
            if len(_STARTED) == 1:
                import atexit  # noqa: PLC0415 - only when a log is abandoned

                atexit.register(discard_started)

    def _spawn(self, args: Sequence[str]) -> _Running:
        import tempfile  # noqa: PLC0415 - only the log keeps git's stderr aside

        errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed by whoever reads the log
        try:
            proc = subprocess.Popen(self.argv(*args), stdout=subprocess.PIPE, stderr=errors)
        except FileNotFoundError:
            errors.close()
            raise _no_git() from None
        return proc, errors


_Running = tuple["subprocess.Popen[bytes]", IO[bytes]]
_STARTED: dict[tuple[str, ...], _Running] = {}  # logs started early, by their exact argv


def _log_args(revisions: str, paths: Sequence[str], *, first_parent: bool,
              boundary: bool) -> list[str]:
    args = ["log", "-z", f"--format={_FORMAT}"]
    if first_parent:
        args.append("--first-parent")
    if boundary:
        args.append("--boundary")
    return [*args, revisions, "--", *paths]


def _stop(running: _Running, *, kill: bool) -> int:
    proc, _ = running
    assert proc.stdout is not None
    proc.stdout.close()
    if kill:  # the reader stopped early (or never came): git is not needed any more
        proc.kill()
    return proc.wait()


def discard_started() -> None:
    """Stop the logs started early that nothing read (their arguments turned out otherwise)."""
    while _STARTED:
        _, running = _STARTED.popitem()
        _stop(running, kill=True)
        running[1].close()


def _no_git() -> GitError:
    return GitError("the git executable was not found.",
                    hint="Install the git CLI and put it on PATH.")
