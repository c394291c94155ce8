"""semver-bump's release: the next version of the checkout, its draft release, tags and files.

1. Read the local history (0 API calls): the previous version tag reachable from HEAD and the
   commits since, in one streamed pass (:mod:`release_kit.release.history`); for the labels
   strategy, the merged PRs' labels (listed 100 per page).
2. Decide the release: one for the repository, or one per monorepo package.
3. Apply it unless dry-run: the release first, then its tag (a tag without its release would
   make a re-run see nothing to release), package pyproject versions.
4. Write the outputs and the step summary, saying why when there is no release.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from release_kit.action import commands
from release_kit.action.runner import Runtime
from release_kit.changelog import Changelog, release_compare_url
from release_kit.errors import InputError
from release_kit.git import GitHistory
from release_kit.release.history import Ranges
from release_kit.release.settings import Settings
from release_kit.text import markdown_table
from release_kit.versioning.changes import (
    Change,
    MergedPullRequest,
    conventional_changes,
    label_changes,
    referenced_pull_requests,
    why_not_conventional,
    why_not_labels,
)
from release_kit.versioning.commits import Commit
from release_kit.versioning.plan import TAG_EXISTS, UNCHANGED, ReleasePlan, Tally, decide, headline
from release_kit.versioning.tags import (
    TagFormat,
    TaggedVersion,
    not_semver,
    parse_version,
    versions,
)

if TYPE_CHECKING:
    from release_kit.github.releases import GitHubRepository
    from release_kit.versioning.packages import Package


@dataclass(frozen=True)
class Subject:
    """What is being versioned: the repository (path ".") or one monorepo package."""

    name: str
    path: str
    fmt: TagFormat
    shared: tuple[str, ...] = ()  # extra globs whose changes count for it

    @property
    def pathspecs(self) -> list[str]:
        """git pathspecs of the subject: its folder and its shared globs ([] for the repo)."""
        if self.path == ".":
            return []
        return [self.path, *(f":(glob){glob}" for glob in self.shared)]

    def where(self) -> str:
        """``touching packages/api (or shared/**)``: the scope of a package's history."""
        if self.path == ".":
            return ""
        extra = f" or {', '.join(self.shared)}" if self.shared else ""
        return f" touching {self.path}{extra}"


_HOTFIX = re.compile(r"^release/(?P<version>.+)$")
_WARNED: set[str] = set()  # the non-semver tags already named in a warning


def is_hotfix_branch(branch: str, prefix: str) -> bool:
    """``release/1.2.0`` (or ``release/v1.2.0``): every change there is a patch."""
    match = _HOTFIX.match(branch)
    return match is not None and parse_version(match["version"].removeprefix(prefix)) is not None


class Release:
    """One run: the checkout, the settings, and the GitHub repository when it is needed."""

    def __init__(self, settings: Settings, rt: Runtime, *, head: str | None = None,
                 branch: str | None = None, pull_request_merge: bool = False) -> None:
        self.settings = settings
        self.pull_request_merge = pull_request_merge  # HEAD is GitHub's merge of a PR (preview)
        self.context = rt.context
        self.git = GitHistory(rt.context.workspace)
        state = self.git.require_full_history()
        self.head = head or state.head
        self.branch = branch or rt.context.ref_name or state.branch
        self.repository = rt.context.repository or self.git.origin_repository()
        self.hotfix = is_hotfix_branch(self.branch, settings.tag_prefix)
        self.tags = self.git.tags(merged_into=None)  # every tag: cheap, no walk
        self.ranges = Ranges(self.git, self.head)
        self._github: GitHubRepository | None = None
        self.pulls: dict[int, MergedPullRequest] = {}  # labels: the merged PRs the plans read

    def github(self) -> GitHubRepository:
        if self._github is None:
            from release_kit.github import connect  # noqa: PLC0415 - only when GitHub is used
            from release_kit.github.releases import GitHubRepository  # noqa: PLC0415 - as connect

            if not self.repository:
                self.context.require_repository()  # explains how to set it
            self._github = GitHubRepository(connect(self.settings.token or None),
                                            self.repository)
        return self._github

    # -- what is versioned ------------------------------------------------------------------

    def packages(self) -> list[Package]:
        if not self.settings.packages:
            return []
        from release_kit.versioning.packages import discover  # noqa: PLC0415 - reads TOML

        found = discover(self.context.workspace, self.settings.packages)
        unknown = sorted(set(self.settings.shared_paths) - {"*"} - {p.name for p in found})
        if unknown:
            raise InputError("shared-paths", f"{', '.join(unknown)} is not among the packages "
                             f"found ({', '.join(p.name for p in found)}).",
                             hint="Name a package by its folder name, or use * for all.")
        return found

    def subjects(self, packages: Sequence[Package]) -> list[Subject]:
        if not packages:
            name = self.repository.partition("/")[2] or "."
            return [Subject(name, ".", TagFormat(self.settings.tag_prefix))]
        template = self.settings.package_tag_format
        return [Subject(p.name, p.path, TagFormat.from_template(template, p.name),
                        tuple(self.settings.shared_for(p.name))) for p in packages]

    # -- the decision -----------------------------------------------------------------------

    def plan(self, subjects: Sequence[Subject], ignore: frozenset[str] = frozenset(),
             pending: Change | None = None) -> list[ReleasePlan]:
        """Decide every subject's release from the commits since its previous tag.

        Tags in ``ignore`` are treated as not there (a tag whose release is being completed).
        ``pending``: a pull request not merged yet, counted as if it were (labels strategy;
        with conventional commits, its commits are in the checked-out merge commit, whose own
        message is no change).
        """
        settings = self.settings
        tags = [(t.name, t.sha) for t in self.tags if t.name not in ignore]
        existing = {t.name for t in self.tags} - ignore
        candidates = {s.path: versions(tags, s.fmt) for s in subjects}
        everyone = [c.tag for found in candidates.values() for c in found]
        self.warn_not_semver([name for name, _ in tags], subjects)
        results: list[tuple[Subject, TaggedVersion | None, Tally]] = []
        if settings.conventional:
            for subject in subjects:
                previous, tally = self.ranges.read(
                    candidates[subject.path], lambda _, commits: self.tally(commits),
                    paths=subject.pathspecs, all_candidates=everyone)
                results.append((subject, previous, tally))
        else:
            mainlines: list[tuple[Subject, TaggedVersion | None, list[Commit]]] = []
            for subject in subjects:
                previous, mainline = self.ranges.read(
                    candidates[subject.path], lambda _, commits: list(commits),
                    paths=subject.pathspecs, first_parent=True, all_candidates=everyone)
                mainlines.append((subject, previous, mainline))
            since = self.oldest_tag_date([p.tag if p else None for _, p, _ in mainlines])
            pulls = self.pull_requests(
                set().union(*(referenced_pull_requests(m) for _, _, m in mainlines)), since)
            self.pulls.update(pulls)
            # In a preview HEAD is GitHub's merge of the PR, no change of its own: the PR (pending)
            # stands for it.
            merge = self.head if self.pull_request_merge else None
            for subject, previous, mainline in mainlines:
                tally = Tally(Changelog(settings.sections))
                if pending is not None and (subject.path == "." or self.touches(subject)):
                    tally.add(pending)
                tally.extend(label_changes([c for c in mainline if c.sha != merge], pulls,
                                           settings.labels, tally.seen))
                results.append((subject, previous, tally))
        return [self.decide(subject, previous, tally, existing)
                for subject, previous, tally in results]

    def tally(self, commits: Iterable[Commit]) -> Tally:
        tally = Tally(Changelog(self.settings.sections))
        return tally.extend(conventional_changes(commits, self.settings.types, tally.seen,
                                                 entries_in_body=self.settings.entries_in_body))

    def decide(self, subject: Subject, previous: TaggedVersion | None, tally: Tally,
               existing: set[str]) -> ReleasePlan:
        settings = self.settings
        since = (f"{subject.where()} since {previous.tag}" if previous
                 else f"{subject.where()} in the history (no version tag yet)").lstrip()
        nothing = (why_not_conventional(tally.seen, since, settings.types) if settings.conventional
                   else why_not_labels(tally.seen, since, settings.labels))
        return decide(
            name=subject.name, path=subject.path, previous=previous, tally=tally,
            fmt=subject.fmt, initial=settings.initial, prerelease=settings.prerelease,
            existing_tags=existing, force_patch=self.hotfix,
            minor_pre_major=settings.minor_pre_major, nothing=nothing,
        )

    def touches(self, subject: Subject) -> bool:
        """Whether the pending pull request (HEAD's second parent) changes ``subject``'s paths."""
        return bool(self.git.git("diff", "--name-only", f"{self.head}^1", self.head, "--",
                                 *subject.pathspecs).strip())

    def warn_not_semver(self, names: Sequence[str], subjects: Sequence[Subject]) -> None:
        odd = sorted({tag for s in subjects for tag in not_semver(names, s.fmt)} - _WARNED)
        _WARNED.update(odd)  # once per run, however many plans (a preview makes two)
        if odd:
            shown = ", ".join(odd[:5]) + (f" and {len(odd) - 5} more" if len(odd) > 5 else "")
            commands.warning(
                f"{shown} look{'s' if len(odd) == 1 else ''} like version tags but "
                f"{'is' if len(odd) == 1 else 'are'} not semantic versions (MAJOR.MINOR.PATCH): "
                "ignored. Tag the same commit with the full version (e.g. v2.0 -> v2.0.0) if it "
                "was a release.", title="semver-bump")

    def oldest_tag_date(self, tags: Sequence[str | None]) -> str | None:
        if any(t is None for t in tags):
            return None
        dates = {t.name: t.date for t in self.tags}
        return min((dates[t] for t in tags if t is not None), default=None)

    def pull_requests(self, numbers: set[int], since: str | None) -> dict[int, MergedPullRequest]:
        if not numbers:
            return {}
        if self.settings.dry_run and not self.settings.token:
            commands.warning("No github-token: PR labels and titles are unknown in this dry "
                             "run, so each PR counts as default-bump "
                             f"`{self.settings.labels.default}`.", title="semver-bump")
            return {}
        return self.github().merged_pull_requests(self.branch, numbers, since)

    def unfinished(self, plans: list[ReleasePlan]) -> str | None:
        """The tag semver-bump made at HEAD that has no release yet: an earlier run wrote the
        tag, then failed before its release (the release is written first now). Tags people
        made (no marker in their message) are never "completed".
        """
        plan = plans[0]
        if (len(plans) != 1 or plan.skipped != UNCHANGED or plan.previous is None
                or not (self.settings.writes and self.settings.draft_release)):
            return None
        # requests: a dry run never talks to GitHub
        from release_kit.github.releases import made_by_release_kit  # noqa: PLC0415

        tag = plan.previous.tag
        ours_at_head = any(t.name == tag and t.sha == self.head and made_by_release_kit(t.message)
                           for t in self.tags)
        if not ours_at_head or self.github().release_for_tag(tag) is not None:
            return None
        return tag

    # -- the notes ----------------------------------------------------------------------------

    def changelog(self, plan: ReleasePlan) -> str:
        link = ""
        if self.repository and plan.version is not None:
            link = release_compare_url(self.context.server_url, self.repository,
                               plan.previous_tag or None, plan.tag)
        notes = plan.changelog or Changelog(self.settings.sections)
        return notes.render(link)

    def notes(self, plans: Sequence[ReleasePlan], packages: bool) -> str:
        """The release notes: the repository's, or one part per releasing package."""
        if not packages:
            return self.changelog(plans[0])
        return "\n".join(f"## {p.name} {p.version}\n\n{self.changelog(p)}"
                         for p in plans if p.releases)

    # -- writing ------------------------------------------------------------------------------

    def apply(self, plans: list[ReleasePlan], packages: Sequence[Package]) -> list[ReleasePlan]:
        """Write pyproject versions and tags (packages first, each tag on its own commit)."""
        if not (self.settings.update_pyproject or self.settings.create_tags):
            return plans
        by_path = {p.path: p for p in packages}
        return [self.write(p, by_path.get(p.path)) if p.releases else p for p in plans]

    def write(self, plan: ReleasePlan, package: Package | None) -> ReleasePlan:
        # requests: as made_by_release_kit
        from release_kit.github.releases import WriteOutcome  # noqa: PLC0415

        sha = self.head
        if package is not None and self.settings.update_pyproject:
            outcome, sha = self.github().set_pyproject_version(
                package.pyproject, str(plan.version), self.branch,
                f"chore(release): {package.name} {plan.version}",
            )
            commands.info(f"{package.pyproject}: version {plan.version} ({outcome.value})")
        if self.settings.create_tags:
            tagged = self.github().ensure_tag(plan.tag, sha)
            if tagged is WriteOutcome.EXISTS_ELSEWHERE:
                commands.warning(f"The tag {plan.tag} already exists on another commit; "
                                 "left as it is.", title="semver-bump")
                return replace(plan, skipped=TAG_EXISTS,
                               why=f"the tag {plan.tag} already exists on another commit")
            commands.info(f"tag {plan.tag} at {sha[:7]} ({tagged.value})")
        return plan

    def draft(self, plan: ReleasePlan, changelog: str) -> dict[str, Any] | None:
        """Create or update the branch's single draft release (skipped when nothing changed)."""
        # requests: as made_by_release_kit
        from release_kit.github.releases import DraftRelease  # noqa: PLC0415

        if not plan.releases:
            return None
        draft = DraftRelease(
            branch=self.branch, name=plan.tag, tag_name=plan.tag, target_commitish=self.head,
            body=changelog, prerelease=bool(plan.version and plan.version.prerelease),
        )
        outcome, release, left_alone = self.github().ensure_draft(draft)
        for other in left_alone:
            author = (other.get("author") or {}).get("login") or "a person"
            commands.notice(f"A draft release for {plan.tag} made by {author} was left alone "
                            f"({other.get('html_url')}); release-kit keeps its own draft.",
                            title="semver-bump")
        commands.info(f"draft release {plan.tag}: {outcome.value} ({release.get('html_url')})")
        return release


def decided_by(top: ReleasePlan) -> list[str]:
    """The summary's lines on the decision: what decided the bump, or why there is none."""
    if top.reasons:
        return [f"Decided by ({top.bump}):", "", *(f"- {r}" for r in top.reasons), ""]
    if top.skipped:
        return [f"No release: {top.why or top.skipped}.", ""]
    return []


def plan_outputs(top: ReleasePlan, changelog: str, draft: dict[str, Any] | None,
                 packages: list[Any]) -> dict[str, Any]:
    """The outputs a planned release gives (operations release and train): the version, the
    bump, the tag, the notes and the draft release written, if any."""
    return {
        "version": str(top.version) if top.version else "",
        "previous-version": top.previous_version,
        "bump": str(top.bump),
        "tag": top.tag,
        "changelog": changelog,
        "release-id": draft["id"] if draft else "",
        "release-url": draft.get("html_url", "") if draft else "",
        "packages": packages,
    }


def release_summary(release: Release, top: ReleasePlan, plans: list[ReleasePlan], changelog: str,
            packages: bool) -> str:
    previous = top.previous_version or "(none)"
    lines = [f"## semver-bump: {previous} → {top.version or '(none)'} ({top.bump})", ""]
    if release.settings.dry_run:
        lines += ["_Dry run: nothing was written._", ""]
    lines += decided_by(top)
    if packages:
        lines.append(markdown_table(
            ["package", "previous", "next", "bump", "tag", "why not released"],
            [[p.name, p.previous_version, p.version or "", p.bump, p.tag, p.why]
             for p in plans],
        ))
    lines += ["### Changelog", "", changelog]
    return "\n".join(lines)


def release(settings: Settings, rt: Runtime) -> None:
    """The release operation: decide, write (unless dry-run), report."""
    run = Release(settings, rt)
    packages = run.packages()
    if settings.writes:
        run.github()  # a missing token or repository is reported before anything happens
    subjects = run.subjects(packages)
    plans = run.plan(subjects)
    unfinished = run.unfinished(plans)
    if unfinished is not None:
        commands.notice(f"The tag {unfinished} is at HEAD but has no release: completing it.",
                        title="semver-bump")
        plans = run.plan(subjects, ignore=frozenset({unfinished}))
    changelog = run.notes(plans, bool(packages))

    draft: dict[str, Any] | None = None
    if not settings.dry_run:
        # The release first, then its tag: a tag without its release would make a re-run see
        # nothing to release (and a re-run that finds one completes it, see ``unfinished``).
        if settings.draft_release and packages:
            commands.notice("Monorepo packages are released by their tags (create-tags); no "
                            "draft release is written.", title="semver-bump")
        elif settings.draft_release:
            draft = run.draft(plans[0], changelog)
        plans = run.apply(plans, packages)

    top = headline(plans)
    if top.skipped == UNCHANGED:
        commands.notice(f"No release: {top.why}.", title="semver-bump")
    rt.outputs.update(plan_outputs(top, changelog, draft,
                                   [p.as_output() for p in plans] if packages else []))
    rt.summary.write(release_summary(run, top, plans, changelog, bool(packages)))
