"""semver-bump: the next version from PR labels or Conventional Commits, and its draft release.

1. Read the local history (0 API calls): the previous version tag reachable from HEAD and the
   commits since; for the labels strategy, the merged PRs' labels (listed 100 per page).
2. Decide the release: one for the repository, or one per monorepo package.
3. Apply it unless dry-run: the branch's draft release, package pyproject versions, tags.
4. Write the outputs and the step summary.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal, Self

import yaml
from pydantic import SecretStr, field_validator, model_validator
from semver import Version

from release_kit.action import ActionInputs, Bool, Lines, Runtime, commands, markdown_table, run
from release_kit.changelog import (
    CONVENTIONAL_SECTIONS,
    DEFAULT_SECTIONS_YAML,
    Entry,
    Section,
    compare_url,
    parse_sections,
    render,
)
from release_kit.errors import InputError
from release_kit.git import GitHistory
from release_kit.git.history import Tag
from release_kit.templates import check as check_template
from release_kit.versioning.bump import Bump, is_prerelease_identifier
from release_kit.versioning.changes import (
    Change,
    LabelRules,
    PullRequest,
    conventional_changes,
    label_changes,
    referenced_pull_requests,
)
from release_kit.versioning.commits import Commit
from release_kit.versioning.packages import Package, discover
from release_kit.versioning.plan import TAG_EXISTS, UNCHANGED, ReleasePlan, decide, headline
from release_kit.versioning.tags import (
    TagFormat,
    TaggedVersion,
    check_ref_fragment,
    highest,
    parse_version,
)

if TYPE_CHECKING:
    from release_kit.github.releases import GitHubRepository


class Inputs(ActionInputs):
    strategy: Literal["labels", "conventional-commits"] = "labels"
    default_bump: Literal["major", "minor", "patch"] = "minor"
    major_labels: Lines = ["major"]
    minor_labels: Lines = ["minor", "enhancement", "feature"]
    patch_labels: Lines = ["patch", "fix", "bug"]
    skip_labels: Lines = ["no-release", "skip-changelog"]
    tag_prefix: str = "v"
    initial_version: str = "0.1.0"
    prerelease: str = ""
    packages: Lines = []
    package_tag_format: str = "{package}-v{version}"
    update_pyproject: Bool = False
    create_tags: Bool = False
    draft_release: Bool = True
    changelog_sections: str = DEFAULT_SECTIONS_YAML
    dry_run: Bool = False
    github_token: SecretStr = SecretStr("")

    @field_validator("initial_version")
    @classmethod
    def _semver(cls, value: str) -> str:
        if parse_version(value) is None:
            raise ValueError(f"{value!r} is not a semantic version; use MAJOR.MINOR.PATCH, "
                             "e.g. 0.1.0 (no prefix)")
        return value

    @field_validator("prerelease")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if value and not is_prerelease_identifier(value):
            raise ValueError(f"{value!r} is not a semver prerelease identifier; use letters, "
                             "digits and hyphens, e.g. rc, beta or alpha")
        return value

    @field_validator("tag_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        check_ref_fragment(value)
        return value

    @field_validator("changelog_sections")
    @classmethod
    def _sections(cls, value: str) -> str:
        try:
            mapping = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise ValueError(f"not valid YAML: {str(exc).splitlines()[0]}") from None
        parse_sections(mapping)
        return value

    @model_validator(mode="after")
    def _tag_format(self) -> Self:
        used = check_template(self.package_tag_format, {"package", "version"},
                              "package-tag-format")
        if self.packages and not {"package", "version"} <= set(used):
            raise InputError("package-tag-format",
                             f"{self.package_tag_format!r} must contain {{package}} and "
                             "{version}, or packages' tags would collide.",
                             hint="e.g. {package}-v{version}")
        try:
            check_ref_fragment(self.package_tag_format.format(package="pkg", version="1.0.0"))
        except ValueError as exc:
            raise InputError("package-tag-format", str(exc)) from None
        return self

    def sections(self) -> Sequence[Section]:
        """The changelog sections; commit types by default in conventional-commits mode."""
        if self.strategy == "conventional-commits" and \
                self.changelog_sections == DEFAULT_SECTIONS_YAML:
            return CONVENTIONAL_SECTIONS
        return parse_sections(yaml.safe_load(self.changelog_sections))

    def initial(self) -> Version:
        return Version.parse(self.initial_version)

    @property
    def writes(self) -> bool:
        """Whether this run is going to write to GitHub (and so needs a token)."""
        drafts = self.draft_release and not self.packages  # packages get no draft release
        return not self.dry_run and (drafts or self.create_tags or self.update_pyproject)

    def label_rules(self) -> LabelRules:
        return LabelRules.of(major=self.major_labels, minor=self.minor_labels,
                             patch=self.patch_labels, skip=self.skip_labels,
                             default=Bump.parse(self.default_bump))


@dataclass(frozen=True)
class Subject:
    """What is being versioned: the repository (path ".") or one monorepo package."""

    name: str
    path: str
    fmt: TagFormat


_HOTFIX = re.compile(r"^release/(?P<version>.+)$")


def is_hotfix_branch(branch: str, prefix: str) -> bool:
    """``release/1.2.0`` (or ``release/v1.2.0``): every change there is a patch."""
    match = _HOTFIX.match(branch)
    return match is not None and parse_version(match["version"].removeprefix(prefix)) is not None


class Release:
    """One run: the checkout, the inputs, and the GitHub repository when it is needed."""

    def __init__(self, inputs: Inputs, rt: Runtime) -> None:
        self.inputs = inputs
        self.context = rt.context
        self.git = GitHistory(rt.context.workspace)
        self.git.require_full_history()
        self.head = self.git.head()
        self.branch = rt.context.ref_name or self.git.current_branch()
        self.repository = rt.context.repository or self.git.origin_repository()
        self.hotfix = is_hotfix_branch(self.branch, inputs.tag_prefix)
        self.reachable = self.git.tags()
        self.all_tags = {t.name for t in self.git.tags(merged_into=None)}
        self._github: GitHubRepository | None = None

    def github(self) -> GitHubRepository:
        if self._github is None:
            from release_kit.github import connect  # noqa: PLC0415 - only when GitHub is used
            from release_kit.github.releases import GitHubRepository  # noqa: PLC0415

            if not self.repository:
                self.context.require_repository()  # explains how to set it
            token = self.inputs.github_token.get_secret_value()
            self._github = GitHubRepository(connect(token or None), self.repository)
        return self._github

    def subjects(self, packages: Sequence[Package]) -> list[Subject]:
        if not packages:
            name = self.repository.partition("/")[2] or "."
            return [Subject(name, ".", TagFormat(self.inputs.tag_prefix))]
        template = self.inputs.package_tag_format
        return [Subject(p.name, p.path, TagFormat.from_template(template, p.name))
                for p in packages]

    def plan(self, subjects: Sequence[Subject], ignore: frozenset[str] = frozenset()
             ) -> list[ReleasePlan]:
        """Decide every subject's release from the commits since its previous tag.

        Tags in ``ignore`` are treated as not there (a tag whose release is being completed).
        """
        tags = [(t.name, t.sha) for t in self.reachable if t.name not in ignore]
        existing = self.all_tags - ignore
        previous = {s.path: highest(tags, s.fmt) for s in subjects}
        histories = {s.path: self.commits(s, previous[s.path]) for s in subjects}
        pulls: dict[int, PullRequest] = {}
        if self.inputs.strategy == "labels":
            since = self.oldest_tag_date([p.tag if p else None for p in previous.values()])
            pulls = self.pull_requests(
                set().union(*(referenced_pull_requests(c) for c in histories.values())), since
            )
        plans = []
        for subject in subjects:
            changes = self.changes(histories[subject.path], pulls)
            plans.append(decide(
                name=subject.name, path=subject.path, previous=previous[subject.path],
                changes=changes, fmt=subject.fmt,
                initial=self.inputs.initial(),
                prerelease=self.inputs.prerelease, existing_tags=existing,
                force_patch=self.hotfix,
            ))
        return plans

    def unfinished(self, plans: list[ReleasePlan]) -> str | None:
        """The tag semver-bump made at HEAD that has no release yet: an earlier run wrote the
        tag, then failed before its release (the release is written first now). Tags people
        made (no marker in their message) are never "completed".
        """
        plan = plans[0]
        if (len(plans) != 1 or plan.skipped != UNCHANGED or plan.previous is None
                or not (self.inputs.writes and self.inputs.draft_release)):
            return None
        from release_kit.github.releases import made_by_release_kit  # noqa: PLC0415

        tag = plan.previous.tag
        ours_at_head = any(t.name == tag and t.sha == self.head and made_by_release_kit(t.message)
                           for t in self.reachable)
        if not ours_at_head or self.github().release_for_tag(tag) is not None:
            return None
        return tag

    def commits(self, subject: Subject, previous: TaggedVersion | None) -> list[Commit]:
        """Labels: the mainline touching the subject; conventional: every commit touching it."""
        revisions = f"{previous.tag}..{self.head}" if previous else self.head
        if self.inputs.strategy == "conventional-commits":
            paths = [] if subject.path == "." else [subject.path]
            return self.git.log(revisions, paths)
        mainline = self.git.log(revisions, first_parent=True, with_files=subject.path != ".")
        if subject.path == ".":
            return mainline
        inside = subject.path.rstrip("/") + "/"
        return [c for c in mainline if any(f.startswith(inside) for f in c.files)]

    def changes(self, commits: list[Commit], pulls: dict[int, PullRequest]) -> list[Change]:
        if self.inputs.strategy == "conventional-commits":
            return conventional_changes(commits)
        return label_changes(commits, pulls, self.inputs.label_rules())

    def oldest_tag_date(self, tags: Sequence[str | None]) -> str | None:
        dates: dict[str, Tag] = {t.name: t for t in self.reachable}
        if any(t is None for t in tags):
            return None
        return min((dates[t].date for t in tags if t is not None), default=None)

    def pull_requests(self, numbers: set[int], since: str | None) -> dict[int, PullRequest]:
        if not numbers:
            return {}
        if self.inputs.dry_run and not self.inputs.github_token.get_secret_value():
            commands.warning("No github-token: PR labels and titles are unknown in this dry "
                             f"run, so each PR counts as `{self.inputs.default_bump}`.",
                             title="semver-bump")
            return {}
        return self.github().merged_pull_requests(self.branch, numbers, since)

    def changelog(self, plan: ReleasePlan) -> str:
        entries = [Entry(c.title, c.labels, c.number, c.author, c.sha) for c in plan.changes]
        link = ""
        if self.repository and plan.version is not None:
            link = compare_url(self.context.server_url, self.repository,
                               plan.previous_tag or None, plan.tag)
        return render(entries, self.inputs.sections(), link)

    def apply(self, plans: list[ReleasePlan], packages: Sequence[Package]) -> list[ReleasePlan]:
        """Write pyproject versions and tags (packages first, each tag on its own commit)."""
        if not (self.inputs.update_pyproject or self.inputs.create_tags):
            return plans
        by_path = {p.path: p for p in packages}
        return [self.write(p, by_path.get(p.path)) if p.releases else p for p in plans]

    def write(self, plan: ReleasePlan, package: Package | None) -> ReleasePlan:
        from release_kit.github.releases import Outcome  # noqa: PLC0415

        sha = self.head
        if package is not None and self.inputs.update_pyproject:
            outcome, sha = self.github().set_pyproject_version(
                package.pyproject, str(plan.version), self.branch,
                f"chore(release): {package.name} {plan.version}",
            )
            commands.info(f"{package.pyproject}: version {plan.version} ({outcome.value})")
        if self.inputs.create_tags:
            tagged = self.github().ensure_tag(plan.tag, sha)
            if tagged is Outcome.EXISTS_ELSEWHERE:
                commands.warning(f"The tag {plan.tag} already exists on another commit; "
                                 "left as it is.", title="semver-bump")
                return replace(plan, skipped=TAG_EXISTS)
            commands.info(f"tag {plan.tag} at {sha[:7]} ({tagged.value})")
        return plan

    def draft(self, plan: ReleasePlan, changelog: str) -> dict[str, Any] | None:
        """Create or update the branch's single draft release (skipped when nothing changed)."""
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


MAX_REASONS = 20  # the summary names the first deciding PRs or commits, then counts the rest


def summary(release: Release, top: ReleasePlan, plans: list[ReleasePlan], changelog: str,
            packages: bool) -> str:
    previous = top.previous_version or "(none)"
    lines = [f"## semver-bump: {previous} → {top.version or '(none)'} ({top.bump})", ""]
    if release.inputs.dry_run:
        lines += ["_Dry run: nothing was written._", ""]
    if top.reasons:
        shown = [f"- {r}" for r in top.reasons[:MAX_REASONS]]
        if len(top.reasons) > MAX_REASONS:
            shown.append(f"- ... and {len(top.reasons) - MAX_REASONS} more")
        lines += ["Decided by:", "", *shown, ""]
    elif top.skipped:
        lines += [f"No release: {top.skipped}.", ""]
    if packages:
        lines.append(markdown_table(
            ["package", "previous", "next", "bump", "tag", "skipped"],
            [[p.name, p.previous_version, p.version or "", p.bump, p.tag, p.skipped or ""]
             for p in plans],
        ))
    lines += ["### Changelog", "", changelog]
    return "\n".join(lines)


def main(inputs: Inputs, rt: Runtime) -> None:
    release = Release(inputs, rt)
    packages = discover(rt.context.workspace, inputs.packages) if inputs.packages else []
    if inputs.writes:
        release.github()  # a missing token or repository is reported before anything happens
    subjects = release.subjects(packages)
    plans = release.plan(subjects)
    unfinished = release.unfinished(plans)
    if unfinished is not None:
        commands.notice(f"The tag {unfinished} is at HEAD but has no release: completing it.",
                        title="semver-bump")
        plans = release.plan(subjects, ignore=frozenset({unfinished}))

    if packages:
        changelog = "\n".join(f"## {p.name} {p.version}\n\n{release.changelog(p)}"
                              for p in plans if p.releases)
    else:
        changelog = release.changelog(plans[0])

    draft: dict[str, Any] | None = None
    if not inputs.dry_run:
        # The release first, then its tag: a tag without its release would make a re-run see
        # nothing to release (and a re-run that finds one completes it, see ``unfinished``).
        if inputs.draft_release and packages:
            commands.notice("Monorepo packages are released by their tags (create-tags); no "
                            "draft release is written.", title="semver-bump")
        elif inputs.draft_release:
            draft = release.draft(plans[0], changelog)
        plans = release.apply(plans, packages)

    top = headline(plans)
    rt.outputs.update({
        "version": str(top.version) if top.version else "",
        "previous-version": top.previous_version,
        "bump": str(top.bump),
        "tag": top.tag,
        "changelog": changelog,
        "release-id": draft["id"] if draft else "",
        "release-url": draft.get("html_url", "") if draft else "",
        "packages": [p.as_output() for p in plans] if packages else [],
    })
    rt.summary.write(summary(release, top, plans, changelog, bool(packages)))


if __name__ == "__main__":
    raise SystemExit(run(Inputs, main))
