"""The previous version and the commits since, read with as few walks of the history as can be.

The previous version is the highest version tag reachable from HEAD. Whether a tag is reachable
is a walk of the history (all of it, when the clone has no commit-graph: a quarter of a second
at 50,000 commits), and reading the commits since is a second one. Most of the time the highest
version tag of all is the previous one, so it is tried first: ``git log --boundary <tag>..HEAD``
reads the range and, at its end, the commits the range stops at; the tag's commit is among them
exactly when it is an ancestor of HEAD. Only when it is not (a hotfix branch, whose newer tags
live on main), or when the range is limited to paths (monorepo packages, where the boundary says
nothing), are the reachable tags listed first, once for every package.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

from release_kit.git import GitHistory
from release_kit.versioning.commits import Commit
from release_kit.versioning.tags import TaggedVersion

T = TypeVar("T")

Fold = Callable[[TaggedVersion | None, Iterable[Commit]], T]


class Ranges:
    """Ranges of one checkout's history, ending at ``head``."""

    def __init__(self, git: GitHistory, head: str) -> None:
        self.git = git
        self.head = head
        self._reachable: set[str] | None = None
        self.walks = 0  # git walks of the history made (the figure the single pass saves)

    def reachable(self, names: Iterable[str]) -> set[str]:
        """Which of the tags ``names`` are ancestors of ``head`` (one walk, remembered)."""
        if self._reachable is None:
            wanted = sorted(set(names))
            self.walks += 1
            found = self.git.tags(merged_into=self.head, names=wanted) if wanted else []
            self._reachable = {t.name for t in found}
        return self._reachable

    def read(self, candidates: Sequence[TaggedVersion], fold: Fold[T], *,
             paths: Sequence[str] = (), first_parent: bool = False,
             all_candidates: Iterable[str] = ()) -> tuple[TaggedVersion | None, T]:
        """``fold(previous, commits since previous)`` for the highest reachable candidate.

        ``candidates`` are the version tags of one format, highest first; ``all_candidates``
        the names of every subject's candidates (listed together when reachability is asked).
        ``fold`` must consume the commits; it is called a second time, with the right previous
        tag, only when the first guess turns out not to be an ancestor of ``head``.
        """
        if not candidates:
            return None, self._fold(fold, None, self.head, paths, first_parent)
        best = candidates[0]
        if best.sha == self.head:
            return best, fold(best, iter(()))
        if not paths:
            stops: set[str] = set()

            def since_best() -> Iterator[Commit]:
                for commit in self.git.stream(f"{best.sha}..{self.head}", boundary=True,
                                              first_parent=first_parent):
                    if commit.boundary:
                        stops.add(commit.sha)
                    else:
                        yield commit

            self.walks += 1
            result = fold(best, since_best())
            if best.sha in stops:
                return best, result
        names = self.reachable([*all_candidates, *(c.tag for c in candidates)])
        previous = next((c for c in candidates if c.tag in names), None)
        revisions = f"{previous.sha}..{self.head}" if previous else self.head
        return previous, self._fold(fold, previous, revisions, paths, first_parent)

    def _fold(self, fold: Fold[T], previous: TaggedVersion | None, revisions: str,
              paths: Sequence[str], first_parent: bool) -> T:
        self.walks += 1
        return fold(previous, self.git.stream(revisions, paths, first_parent=first_parent))
