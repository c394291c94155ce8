"""A real bare git repository behind each emulated GitHub repository.

Everything that GitHub computes from git (refs, tags, commits, compare, merge-base,
mergeability, merges, contents) is computed here by the ``git`` CLI itself, so the emulator
cannot drift from git semantics. Subprocesses always get argv lists, never shell strings.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

GIT = "git"
_SHA = re.compile(r"^\^?[0-9a-f]{40}$")
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


class GitCommandError(RuntimeError):
    """A git command failed; ``returncode`` and ``stderr`` tell why."""

    def __init__(self, argv: list[str], returncode: int, stderr: str) -> None:
        super().__init__(f"git {' '.join(argv)} failed ({returncode}): {stderr.strip()}")
        self.returncode = returncode
        self.stderr = stderr


@dataclass(frozen=True)
class Identity:
    """Author or committer of a commit (or tagger of a tag)."""

    name: str
    email: str
    date: str  # ISO-8601, "Z"


@dataclass(frozen=True)
class CommitInfo:
    """What ``git cat-file commit`` says about a commit."""

    sha: str
    tree: str
    parents: tuple[str, ...]
    author: Identity
    committer: Identity
    message: str


@dataclass(frozen=True)
class FileChange:
    """One file of a diff between two commits (``compare``, ``commits/{sha}``)."""

    filename: str
    status: str  # added, removed, modified, renamed
    additions: int
    deletions: int
    previous_filename: str | None = None


@dataclass(frozen=True)
class TreeEntry:
    """One entry of a directory listing."""

    mode: str
    type: str  # blob, tree, commit
    sha: str
    size: int
    path: str


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_identity(line: str) -> Identity:
    # "Name <email> 1700000000 +0000"
    name_email, _, rest = line.rpartition(">")
    name, _, email = name_email.partition("<")
    ts = int(rest.split()[0])
    return Identity(name=name.strip(), email=email.strip(), date=_iso(ts))


class GitRepo:
    """Operations on one bare repository at ``git_dir``."""

    def __init__(self, git_dir: Path) -> None:
        self.git_dir = git_dir
        # Answers about immutable objects (arguments that are all full shas) never change.
        self._memo: dict[tuple[object, ...], object] = {}

    def _cached(self, key: tuple[object, ...]) -> tuple[bool, object]:
        if key in self._memo:
            return True, self._memo[key]
        return False, None

    def _remember(self, key: tuple[object, ...], value: object) -> None:
        if all(_SHA.match(k) for k in key[1:] if isinstance(k, str) and k and k[0] != "/"):
            self._memo[key] = value

    # -- plumbing -----------------------------------------------------------------------------

    def _env(self, identity: tuple[str, str] | None = None, **extra: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("GIT_") and k not in {"HOME", "XDG_CONFIG_HOME"}
        }
        env["GIT_CONFIG_NOSYSTEM"] = "1"
        env["GIT_CONFIG_GLOBAL"] = os.devnull
        env["HOME"] = str(self.git_dir)
        env["GIT_TERMINAL_PROMPT"] = "0"
        name, email = identity or ("GitHub", "noreply@github.com")
        env.update(
            GIT_AUTHOR_NAME=name,
            GIT_AUTHOR_EMAIL=email,
            GIT_COMMITTER_NAME=name,
            GIT_COMMITTER_EMAIL=email,
        )
        env.update(extra)
        return env

    def run(
        self,
        *args: str,
        input: bytes | None = None,
        env: dict[str, str] | None = None,
        ok: tuple[int, ...] = (0,),
    ) -> tuple[int, bytes]:
        """Run ``git --git-dir=<git_dir> <args>``; return (exit code, stdout)."""
        argv = [GIT, f"--git-dir={self.git_dir}", *args]
        proc = subprocess.run(
            argv,
            input=input,
            capture_output=True,
            env=env or self._env(),
            check=False,
        )
        if proc.returncode not in ok:
            raise GitCommandError(list(args), proc.returncode, proc.stderr.decode(errors="replace"))
        return proc.returncode, proc.stdout

    def out(self, *args: str, input: bytes | None = None, env: dict[str, str] | None = None) -> str:
        """Stdout of a git command that must succeed, stripped."""
        return self.run(*args, input=input, env=env)[1].decode().strip()

    # -- creation -----------------------------------------------------------------------------

    @classmethod
    def init_bare(cls, git_dir: Path, default_branch: str = "main") -> GitRepo:
        """Create an empty bare repository whose HEAD points at ``default_branch``."""
        git_dir.mkdir(parents=True, exist_ok=True)
        repo = cls(git_dir)
        repo.run("init", "--bare", "--quiet", "--template=", f"--initial-branch={default_branch}")
        return repo

    def seed_from(self, source: Path) -> None:
        """Copy all branches and tags of the repository at ``source`` (bare or not)."""
        self.run(
            "fetch",
            "--quiet",
            "--no-auto-gc",
            str(source),
            "+refs/heads/*:refs/heads/*",
            "+refs/tags/*:refs/tags/*",
        )

    def set_head(self, branch: str) -> None:
        """Point HEAD (GitHub's default branch) at ``branch``."""
        self.run("symbolic-ref", "HEAD", f"refs/heads/{branch}")

    def seed_initial_commit(self, branch: str, readme: str) -> str:
        """One commit on ``branch`` with a README.md, like "Initialize this repository"."""
        content, message = readme.encode(), b"Initial commit\n"
        now = int(datetime.now(UTC).timestamp())
        who = f"GitHub <noreply@github.com> {now} +0000".encode()
        script = b"".join(
            [
                b"blob\nmark :1\ndata %d\n" % len(content),
                content,
                b"\ncommit refs/heads/" + branch.encode() + b"\n",
                b"author " + who + b"\ncommitter " + who + b"\n",
                b"data %d\n" % len(message),
                message,
                b"M 100644 :1 README.md\n\n",
            ]
        )
        self.run("fast-import", "--quiet", "--date-format=raw", input=script)
        sha = self.resolve(f"refs/heads/{branch}")
        assert sha is not None
        return sha

    # -- refs ---------------------------------------------------------------------------------

    def resolve(self, rev: str) -> str | None:
        """The commit sha ``rev`` names (branch, tag, sha, ``refs/...``), or None."""
        code, out = self.run(
            "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", ok=(0, 1, 128)
        )
        return out.decode().strip() if code == 0 else None

    def resolve_name(self, name: str) -> str | None:
        """Commit for a GitHub-style ``{ref}``: branch first, then tag, then anything git knows.

        One ``for-each-ref`` call answers the usual branch/tag case.
        """
        if _SHA.match(name) or name.startswith("refs/"):
            return self.resolve(name)
        out = self.out(
            "for-each-ref",
            "--format=%(refname)%00%(objectname)%00%(*objectname)%00%(objecttype)",
            f"refs/heads/{name}",
            f"refs/tags/{name}",
        )
        found: dict[str, tuple[str, str, str]] = {}
        for line in out.splitlines():
            ref, sha, peeled, kind = line.split("\0")
            found[ref] = (sha, peeled, kind)
        if f"refs/heads/{name}" in found:
            return found[f"refs/heads/{name}"][0]
        tag = found.get(f"refs/tags/{name}")
        if tag is not None:
            sha, peeled, kind = tag
            if kind == "commit":
                return sha
            return self.resolve(peeled or sha)
        return self.resolve(name)

    def ref_target(self, ref: str) -> str | None:
        """The object a full ref points at (an annotated tag object for annotated tags)."""
        code, out = self.run("rev-parse", "--verify", "--quiet", ref, ok=(0, 1, 128))
        return out.decode().strip() if code == 0 else None

    def object_type(self, sha: str) -> str | None:
        hit, value = self._cached(("type", sha))
        if hit:
            return value  # type: ignore[return-value]
        code, out = self.run("cat-file", "-t", sha, ok=(0, 1, 128))
        kind = out.decode().strip() if code == 0 else None
        if kind is not None:
            self._remember(("type", sha), kind)
        return kind

    def refs(self, prefix: str = "refs/") -> list[tuple[str, str, str]]:
        """All refs under ``prefix`` as (refname, object sha, object type), sorted by name."""
        out = self.out(
            "for-each-ref", "--format=%(refname) %(objectname) %(objecttype)", prefix
        )
        rows = []
        for line in out.splitlines():
            name, sha, kind = line.split(" ")
            rows.append((name, sha, kind))
        return rows

    def update_ref(self, ref: str, new: str, old: str | None = None) -> None:
        args = ["update-ref", ref, new]
        if old is not None:
            args.append(old)
        self.run(*args)

    def delete_ref(self, ref: str) -> None:
        self.run("update-ref", "-d", ref)

    def default_branch(self) -> str | None:
        code, out = self.run("symbolic-ref", "--short", "HEAD", ok=(0, 1, 128))
        return out.decode().strip() if code == 0 else None

    # -- history ------------------------------------------------------------------------------

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        key = ("is-ancestor", ancestor, descendant)
        hit, value = self._cached(key)
        if hit:
            return bool(value)
        code, _ = self.run("merge-base", "--is-ancestor", ancestor, descendant, ok=(0, 1))
        self._remember(key, code == 0)
        return code == 0

    def merge_base(self, a: str, b: str) -> str | None:
        key = ("merge-base", a, b)
        hit, value = self._cached(key)
        if hit:
            return value  # type: ignore[return-value]
        code, out = self.run("merge-base", a, b, ok=(0, 1))
        base = out.decode().strip() if code == 0 else None
        self._remember(key, base)
        return base

    def rev_list(
        self,
        *revs: str,
        path: str | None = None,
        reverse: bool = False,
        since: str | None = None,
        until: str | None = None,
    ) -> list[str]:
        """Commits reachable from ``revs`` (``^x`` excludes), newest first unless ``reverse``."""
        key = ("rev-list", *revs, "/" + (path or ""), "/r" if reverse else "/",
               "/" + (since or ""), "/" + (until or ""))
        if not since and not until:
            hit, value = self._cached(key)
            if hit:
                return list(cast("tuple[str, ...]", value))
        args = ["rev-list"]
        if reverse:
            args.append("--reverse")
        if since:
            args.append(f"--since={since}")
        if until:
            args.append(f"--until={until}")
        args.extend(revs)
        if path:
            args.extend(["--", path])
        out = self.out(*args)
        shas = out.split() if out else []
        if not since and not until:
            self._remember(key, tuple(shas))
        return shas

    def commit_info(self, sha: str) -> CommitInfo:
        hit, value = self._cached(("commit", sha))
        if hit:
            return value  # type: ignore[return-value]
        info = self._commit_info(sha)
        self._remember(("commit", sha), info)
        return info

    def _commit_info(self, sha: str) -> CommitInfo:
        raw = self.run("cat-file", "commit", sha)[1].decode(errors="replace")
        header, _, message = raw.partition("\n\n")
        tree = ""
        parents: list[str] = []
        author = committer = Identity("", "", _iso(0))
        for line in header.splitlines():
            key, _, value = line.partition(" ")
            if key == "tree":
                tree = value
            elif key == "parent":
                parents.append(value)
            elif key == "author":
                author = parse_identity(value)
            elif key == "committer":
                committer = parse_identity(value)
        return CommitInfo(sha, tree, tuple(parents), author, committer, message.rstrip("\n"))

    def tag_info(self, sha: str) -> dict[str, str]:
        """Header fields and message of an annotated tag object."""
        raw = self.run("cat-file", "tag", sha)[1].decode(errors="replace")
        header, _, message = raw.partition("\n\n")
        fields = dict(line.split(" ", 1) for line in header.splitlines() if " " in line)
        fields["message"] = message
        return fields

    def diff(self, base: str, head: str) -> list[FileChange]:
        """Files changed from ``base`` to ``head`` (trees), with line counts."""
        hit, value = self._cached(("diff", base, head))
        if hit:
            return list(cast("tuple[FileChange, ...]", value))
        changes = self._diff(base, head)
        self._remember(("diff", base, head), tuple(changes))
        return changes

    def _diff(self, base: str, head: str) -> list[FileChange]:
        numstat = self.out("diff", "--numstat", "-M", "-z", base, head)
        status = self.out("diff", "--name-status", "-M", "-z", base, head)
        counts: dict[str, tuple[int, int]] = {}
        parts = numstat.split("\0")
        i = 0
        while i < len(parts):
            field = parts[i]
            if not field.strip():
                i += 1
                continue
            add_text, del_text, name = [*field.split("\t"), "", "", ""][:3]
            if name == "" and i + 2 < len(parts):  # rename: name follows as two fields
                name = parts[i + 2]
                i += 3
            else:
                i += 1
            counts[name] = (
                int(add_text) if add_text.isdigit() else 0,
                int(del_text) if del_text.isdigit() else 0,
            )
        changes: list[FileChange] = []
        items = status.split("\0")
        j = 0
        kinds = {"A": "added", "D": "removed", "M": "modified", "T": "changed", "R": "renamed"}
        while j < len(items):
            code = items[j]
            if not code:
                j += 1
                continue
            if code.startswith(("R", "C")):
                old, new = items[j + 1], items[j + 2]
                j += 3
            else:
                old, new = "", items[j + 1]
                j += 2
            adds, dels = counts.get(new, (0, 0))
            changes.append(
                FileChange(new, kinds.get(code[0], "modified"), adds, dels, old or None)
            )
        return changes

    # -- trees and blobs ----------------------------------------------------------------------

    def read_blob(self, rev: str, path: str) -> tuple[str, bytes] | None:
        """(blob sha, content) of ``path`` at ``rev``, or None when it is not a file."""
        key = ("blob", rev, "/" + path)
        hit, value = self._cached(key)
        if hit:
            return value  # type: ignore[return-value]
        found = self._read_blob(rev, path)
        self._remember(key, found)
        return found

    def _read_blob(self, rev: str, path: str) -> tuple[str, bytes] | None:
        code, out = self.run("rev-parse", "--verify", "--quiet", f"{rev}:{path}", ok=(0, 1, 128))
        if code != 0:
            return None
        sha = out.decode().strip()
        if self.object_type(sha) != "blob":
            return None
        return sha, self.run("cat-file", "blob", sha)[1]

    def list_tree(self, rev: str, path: str) -> list[TreeEntry] | None:
        """Entries of directory ``path`` at ``rev`` ("" is the root), or None if not a dir."""
        spec = f"{rev}:{path}" if path else f"{rev}^{{tree}}"
        code, out = self.run("rev-parse", "--verify", "--quiet", spec, ok=(0, 1, 128))
        if code != 0 or self.object_type(out.decode().strip()) != "tree":
            return None
        listing = self.out("ls-tree", "-l", "-z", out.decode().strip())
        entries = []
        for item in listing.split("\0"):
            if not item:
                continue
            meta, _, name = item.partition("\t")
            mode, kind, sha, size = meta.split()
            full = f"{path.rstrip('/')}/{name}" if path else name
            entries.append(TreeEntry(mode, kind, sha, int(size) if size.isdigit() else 0, full))
        return entries

    # -- writing ------------------------------------------------------------------------------

    def commit_tree(
        self,
        tree: str,
        parents: list[str],
        message: str,
        author: tuple[str, str],
        committer: tuple[str, str] | None = None,
    ) -> str:
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", parent]
        env = self._env(committer or author)
        env["GIT_AUTHOR_NAME"], env["GIT_AUTHOR_EMAIL"] = author
        return self.out(*args, input=message.encode(), env=env)

    def commit_files(
        self,
        parent: str | None,
        files: dict[str, bytes | None],
        message: str,
        author: tuple[str, str],
        committer: tuple[str, str] | None = None,
    ) -> str:
        """Create a commit on top of ``parent`` writing (or, for None, deleting) ``files``.

        Uses a temporary index (``GIT_INDEX_FILE``) so the bare repository is never touched
        except for the new objects; the caller moves the branch with :meth:`update_ref`.
        """
        with tempfile.TemporaryDirectory(prefix="rk-index-") as tmp:
            env = self._env(GIT_INDEX_FILE=str(Path(tmp) / "index"))
            if parent:
                self.run("read-tree", parent, env=env)
            else:
                self.run("read-tree", "--empty", env=env)
            for path, content in files.items():
                if content is None:
                    line = f"0 {'0' * 40}\t{path}\n".encode()
                    self.run("update-index", "--index-info", input=line, env=env)
                    continue
                blob = self.out("hash-object", "-w", "--stdin", input=content)
                self.run("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
            tree = self.out("write-tree", env=env)
        return self.commit_tree(tree, [parent] if parent else [], message, author, committer)

    def merge_trees(self, base_branch_sha: str, head_sha: str) -> str | None:
        """Tree of merging ``head_sha`` into ``base_branch_sha``, or None on a conflict."""
        key = ("merge-tree", base_branch_sha, head_sha)
        hit, value = self._cached(key)
        if hit:
            return value  # type: ignore[return-value]
        code, out = self.run(
            "merge-tree", "--write-tree", "--no-messages", base_branch_sha, head_sha, ok=(0, 1)
        )
        tree = out.decode().split("\n", 1)[0].strip() if code == 0 else None
        self._remember(key, tree)
        return tree

    def create_annotated_tag(
        self, name: str, target: str, message: str, tagger: tuple[str, str]
    ) -> str:
        """Write an annotated tag object (not the ref) and return its sha."""
        kind = self.object_type(target) or "commit"
        now = int(datetime.now(UTC).timestamp())
        body = (
            f"object {target}\ntype {kind}\ntag {name}\n"
            f"tagger {tagger[0]} <{tagger[1]}> {now} +0000\n\n{message}"
        )
        if not body.endswith("\n"):
            body += "\n"
        return self.out("mktag", input=body.encode())

    def blob_size(self, sha: str) -> int:
        return int(self.out("cat-file", "-s", sha))


def cherry_pick_tree(repo: GitRepo, onto: str, commit: str, parent: str) -> str | None:
    """Tree of applying ``parent..commit`` on top of ``onto``, or None on a conflict.

    git 2.39's ``merge-tree --write-tree`` has no ``--merge-base``; a throw-away commit with
    ``onto``'s tree and ``parent`` as its only parent makes ``parent`` the merge base.
    """
    info = repo.commit_info(onto)
    synthetic = repo.commit_tree(
        info.tree, [parent], "cherry-pick base", ("sandbox", "sandbox@localhost")
    )
    return repo.merge_trees(synthetic, commit)
