"""semver-bump: the next version from PR labels or Conventional Commits, and what to do with it.

The inputs model, then one call into :mod:`release_kit.release`: ``release`` (the branch's draft
release, tags, package versions), ``preview`` (what a pull request would release, as a comment
on it) or ``publish`` (a release made by ``release``, once production runs it).
"""

from release_kit.action.runner import run
from release_kit.release import semver_bump
from release_kit.release.inputs import SemverBumpInputs

if __name__ == "__main__":
    raise SystemExit(run(SemverBumpInputs, semver_bump))
