"""The texts that tell people what to do: resolving conflicts, and opening a PR by hand."""

from __future__ import annotations

import urllib.parse

ACTIONS_SETTING = (
    'Settings > Actions > General > Workflow permissions > "Allow GitHub Actions to create '
    'and approve pull requests"'
)


def new_pull_url(server_url: str, repository: str, target: str, head: str) -> str:
    """The page that opens a PR from ``head`` into ``target`` (``expand=1``: the form shown)."""
    base, head = (urllib.parse.quote(name, safe="/") for name in (target, head))
    return f"{server_url.rstrip('/')}/{repository}/compare/{base}...{head}?expand=1"


def conflict_steps(*, head: str, source: str, target: str) -> str:
    """Markdown: how to resolve the conflicts on the intermediate branch, never the release one.

    The source is merged first so the steps are also right when a newer hotfix could not be
    merged into ``head`` automatically ("Already up to date." otherwise).
    """
    return f"""\
This pull request conflicts with `{target}`. Resolve the conflicts on `{head}`, the branch of \
this pull request. Do not merge `{target}` into `{source}` and do not push to `{source}`: the \
release branch stays exactly as it was released.

```shell
git fetch origin
git switch {head}
git merge --ff-only origin/{head}
git merge origin/{source}
git merge origin/{target}
# resolve the conflicts, then:
git add --update
git commit --no-edit
git push origin {head}
```

GitHub's "Resolve conflicts" button is fine too: it commits to `{head}`. Re-running the \
workflow keeps the commits pushed to `{head}`; it never resets that branch."""


def permission_denied_hint(repository: str, url: str) -> str:
    """What to do when the repository forbids workflows from creating pull requests."""
    return (
        f"Allow it in {repository}: {ACTIONS_SETTING} (an organisation may have to allow it "
        "first). Or authenticate with a GitHub App (inputs app-id and app-private-key), which "
        f"the setting does not restrict. Or open the pull request by hand: {url} . With "
        "on-permission-denied: issue, the action opens an issue with that link instead of failing."
    )


def permission_issue_body(
    *, repository: str, source: str, target: str, head: str, url: str, pr_body: str
) -> str:
    """The issue opened instead of the PR: the link first, then what the PR would have said."""
    return f"""\
The hotfixes of `{source}` must be brought back into `{target}`, but GitHub Actions is not \
permitted to create pull requests in `{repository}`.

**Open the pull request: [{target}...{head}]({url})**

`{head}` holds the hotfixes (it was created from `{source}`, so resolving conflicts there never \
touches the release branch). To let the workflow open these pull requests itself, enable \
{ACTIONS_SETTING}, or give it a GitHub App (inputs app-id and app-private-key).

---

{pr_body}"""
