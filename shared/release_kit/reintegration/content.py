"""What the reintegration PR says: its title and body, and which hotfix PRs it carries.

Commit subjects, PR titles and authors are rendered as text (:mod:`release_kit.text`): one line,
Markdown and HTML escaped, no mentions, so a hotfix titled ``@org/team <img ...>`` pings nobody
and shows as typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from release_kit import templates
from release_kit.reintegration.model import ComparedCommit, Pull
from release_kit.text import code, inline

DEFAULT_TITLE = "Reintegrate {source} into {target}"
DEFAULT_BODY = """\
Brings the hotfixes of `{source}` back into `{target}`.

### Hotfix pull requests
{pulls}

### Commits
{commits}"""

TITLE_VARIABLES = ("source", "target")
BODY_VARIABLES = ("commits", "pulls", "source", "target")

# Long-lived release branches could list hundreds of commits; a PR body is capped at 65536
# characters, so the lists are cut with a pointer to the full comparison.
MAX_LISTED = 100

# "Fix crash (#12)" (squash merge) and "Merge pull request #12 from ..." (merge commit).
_PULL_REFERENCE = re.compile(r"\(#(\d+)\)\s*$|^Merge pull request #(\d+)\b")


def referenced_pull_numbers(commits: Iterable[ComparedCommit]) -> set[int]:
    """PR numbers that the commits' subjects name the way GitHub's merge buttons write them."""
    numbers: set[int] = set()
    for commit in commits:
        match = _PULL_REFERENCE.search(commit.subject)
        if match:
            numbers.add(int(match.group(1) or match.group(2)))
    return numbers


def hotfix_pulls(commits: Sequence[ComparedCommit], closed_pulls: Iterable[Pull]) -> list[Pull]:
    """The merged PRs (listed with base = source) whose changes are among ``commits``.

    A PR belongs when its merge commit is one of the commits (merge, squash and the last commit
    of a rebase) or a commit subject references its number. PRs merged before the branch's last
    reintegration are not in ``commits`` and so are left out.
    """
    shas = {commit.sha for commit in commits}
    numbers = referenced_pull_numbers(commits)
    found = {
        pull.number: pull
        for pull in closed_pulls
        if pull.merged and (pull.merge_commit_sha in shas or pull.number in numbers)
    }
    return [found[number] for number in sorted(found)]


def _capped(lines: list[str], more_url: str) -> str:
    if not lines:
        return "_none_"
    if len(lines) > MAX_LISTED:
        rest = len(lines) - MAX_LISTED
        link = f"[{rest} more]({more_url})" if more_url else f"{rest} more"
        lines = [*lines[:MAX_LISTED], f"- ... and {link}"]
    return "\n".join(lines)


def commit_list(commits: Sequence[ComparedCommit], more_url: str = "") -> str:
    """Markdown list: ``- [`abc1234`](url) subject (author)``."""
    lines = []
    for commit in commits:
        sha = f"[{code(commit.short_sha)}]({commit.url})" if commit.url else code(commit.short_sha)
        by = f" ({inline(commit.author)})" if commit.author else ""
        lines.append(f"- {sha} {inline(commit.subject)}{by}")
    return _capped(lines, more_url)


def pull_list(pulls: Sequence[Pull], more_url: str = "") -> str:
    """Markdown list: ``- #12 title (author)``; GitHub links ``#12`` by itself."""
    return _capped([f"- #{p.number} {inline(p.title)} ({inline(p.author)})" for p in pulls],
                   more_url)


def check_templates(title: str, body: str) -> None:
    """Input errors for unknown or malformed variables, before anything is fetched or written."""
    templates.check(title, TITLE_VARIABLES, "title")
    templates.check(body, BODY_VARIABLES, "body")


def render_title(title: str, *, source: str, target: str) -> str:
    return templates.render_template(title, {"source": source, "target": target}, "title").strip()


def render_pull_body(
    body: str,
    *,
    source: str,
    target: str,
    commits: Sequence[ComparedCommit],
    pulls: Sequence[Pull],
    compare_url: str = "",
) -> str:
    values = {
        "source": source,
        "target": target,
        "commits": commit_list(commits, compare_url),
        "pulls": pull_list(pulls, compare_url),
    }
    return templates.render_template(body, values, "body").strip()
