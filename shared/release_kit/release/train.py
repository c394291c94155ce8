"""semver-bump's ``train`` operation: the release train and security releases.

It gathers the facts (the plan semver-bump's ``release`` makes, with the draft kept up to date;
the freeze issues; the day), lets :func:`release_kit.versioning.train.decide_train` decide (the
table of what it decides is there), and reports. It publishes nothing itself: the release flow
(release.yml, called with the tag) publishes the draft and releases it, so that one path
releases, whoever decided.
"""

from __future__ import annotations

from datetime import UTC, datetime

from release_kit.action import commands
from release_kit.action.runner import Runtime
from release_kit.errors import InputError
from release_kit.github.rest import GitHubApi
from release_kit.release.run import Release, plan_outputs
from release_kit.release.settings import Settings
from release_kit.text import inline, markdown_table
from release_kit.versioning.plan import headline
from release_kit.versioning.train import (
    DAYS,
    TrainFacts,
    decide_train,
    describe_days,
    frozen_by,
    is_security,
    short_line,
)


def train(settings: Settings, rt: Runtime) -> None:
    """Plan the branch's release (keeping its draft up to date, as ``release`` does), gather
    the freeze and the day, decide, and report; publishing is the release flow's."""
    if settings.packages:
        raise InputError("packages", "operation train releases a repository's one draft; "
                         "monorepo packages are released by their tags.",
                         hint="Remove packages, or use operation release with create-tags.")
    if settings.conventional and settings.security_labels:
        commands.notice("Security changes are found by their pull requests' labels (labels "
                        "strategy); with conventional-commits only the train publishes.",
                        title="semver-bump train")
    run = Release(settings, rt)
    run.github()  # the freeze issues and the draft need GitHub: fail early without a token
    subjects = run.subjects([])
    plans = run.plan(subjects)
    changelog = run.notes(plans, False)
    plan = headline(plans)
    draft = None
    if not settings.dry_run and settings.draft_release:
        draft = run.draft(plans[0], changelog)
    labels = frozenset(settings.security_labels)
    security = () if not plan.releases else tuple(
        f"#{p.number} {short_line(p.title)}" for p in sorted(run.pulls.values(),
                                                             key=lambda p: p.number)
        if is_security(p, labels) and not settings.labels.skipped(p.labels))
    now = datetime.now(UTC)
    facts = TrainFacts(
        event=rt.context.event_name, weekday=now.weekday(), days=settings.train_days,
        tag=plan.tag if plan.releases else "", since=plan.previous_tag,
        freeze_variable=settings.freeze,
        freeze_issues=tuple(freeze_issues(run.github().api, run.repository,
                                          settings.freeze_label)),
        security=security)
    decision = decide_train(facts)
    commands.notice(f"{'Publish' if decision.publish else 'No release now'}: "
                    f"{decision.reason}.", title="semver-bump train")
    rt.outputs.update({**decision.to_output(), **plan_outputs(plan, changelog, draft, []),
                       "tag": facts.tag})
    rows = [("event", inline(rt.context.event_name or "-")),
            ("day (UTC)", f"{DAYS[facts.weekday].capitalize()}; train days: "
                          f"{describe_days(facts.days)}"),
            ("draft", inline(facts.tag) or "(nothing to release)"),
            ("freeze", inline(frozen_by(facts.freeze_variable, facts.freeze_issues)) or "none"),
            ("security changes", inline(", ".join(security)) or "none")]
    verdict = "publish" if decision.publish else "skip"
    rt.summary.write(f"## semver-bump train: {verdict}\n\n{inline(decision.reason)}.\n\n"
                     + markdown_table(["", ""], rows) + f"\n### Changelog\n\n{changelog}\n")


def freeze_issues(api: GitHubApi, repository: str, label: str) -> list[tuple[int, str]]:
    """Open issues (not pull requests) carrying the freeze label."""
    if not label:
        return []
    found = []
    for row in api.paginate(f"/repos/{repository}/issues",
                            doing=f"listing open issues labelled {label}",
                            params={"state": "open", "labels": label}):
        if "pull_request" not in row:
            found.append((int(row["number"]), str(row.get("title") or "")))
    return found
