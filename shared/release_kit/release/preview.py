"""``preview``: what a pull request would release if it were merged now, told on the PR.

On a ``pull_request`` event the checkout is GitHub's merge commit of the PR into its base (what
``actions/checkout`` checks out by default): its first parent is the base branch as it is, its
second the PR's head. The release is decided twice, on the base alone and on the merge, and the
difference is the PR's: the version, the bump, the commits or labels that decided it, and the
release-note lines it adds. One comment on the PR says so (found again by its hidden marker and
rewritten in place, never posted twice), and the step summary too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from release_kit.action import commands
from release_kit.action.runner import Runtime
from release_kit.changelog import Changelog
from release_kit.errors import InputError, PermissionDeniedError, ReleaseKitError
from release_kit.markers import marker
from release_kit.release.run import Release, Subject, decided_by
from release_kit.release.settings import Settings
from release_kit.text import markdown_table
from release_kit.versioning.changes import Change, conventional_changes
from release_kit.versioning.commits import parse_conventional, release_as
from release_kit.versioning.plan import ReleasePlan, Tally, headline

MARK = marker("semver-preview", "pull-request")


class PullRequestEvent:
    """The parts of a ``pull_request`` webhook payload the preview reads."""

    def __init__(self, event: Mapping[str, Any]) -> None:
        pull = event.get("pull_request") or {}
        self.action = str(event.get("action") or "")
        self.number = int(pull.get("number") or event.get("number") or 0)
        self.title = str(pull.get("title") or "")
        self.body = str(pull.get("body") or "")
        self.author = str((pull.get("user") or {}).get("login") or "")
        self.labels = tuple(str(label.get("name")) for label in pull.get("labels") or []
                            if isinstance(label, Mapping))
        self.base = str((pull.get("base") or {}).get("ref") or "")
        self.head_sha = str((pull.get("head") or {}).get("sha") or "")


def preview(settings: Settings, rt: Runtime) -> None:
    event = PullRequestEvent(rt.context.event)
    if not event.number:
        raise InputError("operation", "preview needs a pull_request event (its payload names "
                         f"the pull request); this run's event is {rt.context.event_name!r}.",
                         hint="Run it on pull_request, or use operation: release.")
    if event.action == "closed":
        commands.notice("The pull request is closed: nothing to preview.", title="semver-bump")
        return
    base = event.base or rt.context.base_ref
    merged = Release(settings, rt, branch=base, pull_request_merge=True)
    base_tip, pr_head = merge_parents(merged, event.head_sha)
    alone = Release(settings, rt, head=base_tip, branch=base)
    packages = merged.packages()
    subjects = merged.subjects(packages)
    pending = None if settings.conventional else pull_request_change(settings, event, pr_head)
    before = alone.plan(subjects)
    after = merged.plan(subjects, pending=pending)
    added = [own_lines(merged, subject, base_tip, pr_head, pending) for subject in subjects]

    text = render_preview(settings, merged, event, before=before, after=after, added=added,
                  packages=bool(packages))
    top = headline(after)
    rt.outputs.update({
        "version": str(top.version) if top.version else "",
        "previous-version": top.previous_version,
        "bump": str(top.bump),
        "tag": top.tag,
        "changelog": merged.notes(after, bool(packages)),
        "packages": [p.as_output() for p in after] if packages else [],
        "comment-url": comment(settings, merged, event.number, text),
    })
    rt.summary.write(text)


def merge_parents(release: Release, head_sha: str) -> tuple[str, str]:
    """``(base tip, PR head)``: the parents of the checked-out merge commit."""
    parents = release.git.git("rev-list", "--parents", "-n", "1", release.head).split()[1:]
    if len(parents) != 2 or (head_sha and parents[1] != head_sha):
        raise ReleaseKitError(
            f"the checkout ({release.head[:7]}) is not the pull request's merge commit, so what "
            "merging it would release cannot be told.",
            hint="Check out the PR's merge with fetch-depth: 0: actions/checkout without `ref:` "
            "on pull_request, `ref: refs/pull/<number>/merge` on pull_request_target.",
            title="Not a pull request merge")
    return parents[0], parents[1]


def pull_request_change(settings: Settings, event: PullRequestEvent, sha: str) -> Change | None:
    """The PR as the labels strategy will count it once merged (None: it has a skip label)."""
    rules = settings.labels
    if rules.skipped(event.labels):
        return None
    bump, why = rules.bump(event.labels)
    return Change(event.title, bump, why, frozenset(event.labels), event.number, event.author,
                  sha, release_as(event.body) or "")


def own_lines(release: Release, subject: Subject, base_tip: str, pr_head: str,
              pending: Change | None) -> Tally:
    """The PR's own changes for ``subject``: its commits (conventional) or itself (labels)."""
    tally = Tally(Changelog(release.settings.sections))
    if pending is not None:
        if subject.path == "." or release.touches(subject):
            tally.add(pending)
        return tally
    if not release.settings.conventional:
        return tally
    commits = release.git.stream(f"{base_tip}..{pr_head}", subject.pathspecs)
    return tally.extend(conventional_changes(commits, release.settings.types, tally.seen,
                                             entries_in_body=release.settings.entries_in_body))


def render_preview(settings: Settings, release: Release, event: PullRequestEvent, *,
           before: Sequence[ReleasePlan], after: Sequence[ReleasePlan], added: Sequence[Tally],
           packages: bool) -> str:
    top = headline(after)
    lines = [f"### semver-bump: what #{event.number} releases if merged now", ""]
    if packages:
        lines.append(markdown_table(
            ["package", f"{release.branch} alone", "with this PR", "bump"],
            [[b.name, _version(b), _version(a), str(a.bump)] for b, a in zip(before, after,
                                                                              strict=True)]))
    else:
        without = _version(before[0]) if before[0].releases else "nothing"
        if top.releases:
            lines.append(f"**{top.tag}**: a {top.bump} release from "
                         f"{top.previous_version or 'nothing (the first release)'}; without it, "
                         f"{release.branch} would release {without}.")
        else:
            lines.append(f"No release: {top.why}.")
    lines.append("")
    lines += _notes_on_the_pull_request(settings, release, event)
    lines += decided_by(top)
    for plan, tally in zip(after, added, strict=True):
        notes = tally.changelog
        if notes is None or not notes.count:
            continue
        heading = f"{plan.name}: " if packages else ""
        sections = re.sub(r"^### ", "##### ", notes.render().rstrip(), flags=re.MULTILINE)
        lines += [f"#### {heading}what it adds to the release notes", "", sections, ""]
    return "\n".join(lines).rstrip() + "\n"


def _version(plan: ReleasePlan) -> str:
    return f"{plan.version} ({plan.bump})" if plan.releases else "no release"


def _notes_on_the_pull_request(settings: Settings, release: Release,
                               event: PullRequestEvent) -> list[str]:
    notes = []
    if release.hotfix:
        notes.append(f"The base {release.branch} is a hotfix branch: every change is a patch.")
    if settings.conventional:
        if parse_conventional(event.title) is None:
            notes.append(f"If it is squash-merged, its title becomes the commit message: "
                         f"`{event.title}` is not a Conventional Commit (`type: description`), "
                         f"so it would count as `{settings.types.other}`.")
        return [*(f"> {n}" for n in notes), ""] if notes else []
    rules = settings.labels
    skip = sorted(set(event.labels) & rules.skip)
    if skip:
        notes.append(f"The label `{skip[0]}` leaves this pull request out of the release and "
                     "its notes.")
    elif rules.bump(event.labels)[1].startswith("no bump label"):
        notes.append(f"This pull request has no bump label, so it counts as "
                     f"`{rules.default}` (default-bump). Labels that decide: {rules.describe()}.")
    return [*(f"> {n}" for n in notes), ""] if notes else []


def comment(settings: Settings, release: Release, number: int, text: str) -> str:
    """Keep the PR's one preview comment up to date; its URL ("" when none was written)."""
    if settings.dry_run:
        return ""
    # requests: a dry run never talks to GitHub
    from release_kit.github.issues import Issues  # noqa: PLC0415

    issues = Issues(release.github().api, release.repository)
    try:
        written, changed = issues.upsert_comment(number, mark=MARK, body=text)
    except PermissionDeniedError as exc:
        commands.warning(f"The preview could not be commented on #{number} ({exc.message}); it "
                         "is in the step summary. A pull request from a fork gets a read-only "
                         "token on pull_request.", title="semver-bump")
        return ""
    commands.info(f"preview comment on #{number}: {'updated' if changed else 'unchanged'} "
                  f"({written.html_url})")
    return written.html_url


__all__ = ["MARK", "preview"]
