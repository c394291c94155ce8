"""Versioning: which version comes next. Pure logic over data (tags, commits, PR metadata).

- :mod:`.tags`: tag names <-> semantic versions (``v1.2.3``, ``core-v1.2.3``), the highest one.
- :mod:`.bump`: bump levels and the next version (prereleases included).
- :mod:`.commits`: Conventional Commits and PR references in commit messages.
- :mod:`.strategies`: turn history into changes, each with the bump it asks for.
- :mod:`.plan`: one release (or one monorepo package) decided from all of the above.
- :mod:`.hosting`: the only I/O here, the GitHub adapter that fetches PRs and writes releases.
"""
