"""``publish``: the release semver-bump drafted for a tag, published.

The hotfix flow publishes its patch release once production runs it; on the main branch a
person publishes the draft (which starts the release flow). Publishing again changes nothing.
"""

from __future__ import annotations

from release_kit.action import commands
from release_kit.action.runner import Runtime
from release_kit.errors import InputError
from release_kit.release.settings import Settings


def publish(settings: Settings, rt: Runtime) -> None:
    from release_kit.github import connect  # noqa: PLC0415 - requests: imported when publish runs
    from release_kit.github.releases import GitHubRepository, WriteOutcome  # noqa: PLC0415 - as connect

    if settings.dry_run:
        raise InputError("dry-run", "operation publish writes one thing, the release; a dry run "
                         "of it would do nothing.", hint="Set dry-run: false.")
    repository = rt.context.require_repository()
    github = GitHubRepository(connect(settings.token or None), repository)
    outcome, release = github.publish(settings.tag)
    url = str(release.get("html_url") or "")
    what = "published" if outcome is WriteOutcome.UPDATED else "was already published"
    commands.notice(f"The release {settings.tag} {what}: {url}", title="semver-bump")
    version = settings.tag.removeprefix(settings.tag_prefix)
    rt.outputs.update({"version": version, "tag": settings.tag, "release-id": release["id"],
                       "release-url": url})
    rt.summary.write(f"## semver-bump: release {settings.tag} {what}\n\n{url}\n")
