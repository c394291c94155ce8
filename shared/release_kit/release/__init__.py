"""Releases of one repository: semver-bump's operations, on top of versioning, changelog, git
and the GitHub adapters (the imperative shell around those pure decisions).

- :mod:`.inputs`: ``SemverBumpInputs``, the model of action.yml, and the settings it gives.
- :mod:`.settings`: what a run was asked to do, parsed.
- :mod:`.history`: the previous version tag and the commits since, in as few walks as can be.
- :mod:`.run`: ``release``: the next version, the branch's draft release, tags, package versions.
- :mod:`.preview`: ``preview``: what a pull request would release if merged now, kept in one
  comment on it.
- :mod:`.publish`: ``publish``: a release semver-bump drafted, published (hotfix flow).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from release_kit.action.runner import Runtime
    from release_kit.release.inputs import SemverBumpInputs
    from release_kit.release.settings import Settings


def semver_bump(inputs: SemverBumpInputs, rt: Runtime) -> None:
    """The action: the operation the inputs ask for (``auto``: preview on pull requests)."""
    operate(inputs.settings(rt.context), rt)


def operate(settings: Settings, rt: Runtime) -> None:
    """Run the operation ``settings`` names (each module imported only when it runs: this
    package is imported by the CLI's early start, before the inputs are parsed)."""
    if settings.operation == "preview":
        # each operation's imports only when it runs
        from release_kit.release.preview import preview  # noqa: PLC0415

        preview(settings, rt)
    elif settings.operation == "publish":
        from release_kit.release.publish import publish  # noqa: PLC0415 - as preview

        publish(settings, rt)
    else:
        from release_kit.release.run import release  # noqa: PLC0415 - as preview

        release(settings, rt)
