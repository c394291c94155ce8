"""The local git checkout, read through the ``git`` CLI (argv lists, never a shell)."""

from release_kit.git.history import GitError, GitHistory, ShallowCloneError

__all__ = ["GitError", "GitHistory", "ShallowCloneError"]
