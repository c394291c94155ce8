"""Versioning: which version comes next. Pure logic over data (tags, commits, PR metadata).

- :mod:`.tags`: tag names <-> semantic versions (``v1.2.3``, ``core-v1.2.3``), the highest one.
- :mod:`.bump`: bump levels and the next version (prereleases included).
- :mod:`.commits`: Conventional Commits, ``Release-As`` footers, squash bodies' entries and PR
  references in commit messages.
- :mod:`.types`: ``release-types``, the bump of each commit type.
- :mod:`.changes`: the two strategies (PR labels, commit types) turning history into changes,
  one at a time, and why they found nothing to release.
- :mod:`.plan`: the changes folded into a tally, and one release (or one monorepo package)
  decided from it.
- :mod:`.pyproject`: ``[project].version`` read and rewritten, formatting preserved.
- :mod:`.packages`: monorepo package folders found in the checkout (reads local files).

The GitHub side (listing PRs, writing the draft release, tags and version files) is
:mod:`release_kit.github.releases`; semver-bump's operations on top of both are
:mod:`release_kit.release`.
"""
