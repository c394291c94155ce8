"""JSON shapes of GitHub REST resources, built from state.

One function per resource, named after it; they only read state. Field sets follow GitHub's
REST description (checked by ``tests/sandbox/test_contract.py`` against githubkit's models).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import quote

from release_kit_sandbox.github.gitrepo import CommitInfo, FileChange
from release_kit_sandbox.github.state import (
    Comment,
    Deployment,
    DeploymentStatus,
    GitHubState,
    Issue,
    Label,
    Release,
    Repo,
    Token,
    User,
)

J = dict[str, Any]


def node_id(kind: str, ident: int | str) -> str:
    return base64.b64encode(f"0:{kind}{ident}".encode()).decode().rstrip("=")


def user_id(state: GitHubState, login: str) -> int:
    known = state.user(login)
    if known:
        return known.id
    return int(hashlib.sha1(login.lower().encode()).hexdigest()[:7], 16)


def simple_user(state: GitHubState, login: str | None) -> J | None:
    """A ``simple-user`` object (None for None)."""
    if login is None:
        return None
    known = state.user(login)
    uid = known.id if known else user_id(state, login)
    kind = known.type if known else "User"
    api, html = state.base_url, state.server_url
    u = f"{api}/users/{quote(login)}"
    return {
        "login": login,
        "id": uid,
        "node_id": node_id("User", uid),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4",
        "gravatar_id": "",
        "url": u,
        "html_url": f"{html}/{quote(login)}",
        "followers_url": f"{u}/followers",
        "following_url": f"{u}/following{{/other_user}}",
        "gists_url": f"{u}/gists{{/gist_id}}",
        "starred_url": f"{u}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{u}/subscriptions",
        "organizations_url": f"{u}/orgs",
        "repos_url": f"{u}/repos",
        "events_url": f"{u}/events{{/privacy}}",
        "received_events_url": f"{u}/received_events",
        "type": kind,
        "user_view_type": "public",
        "site_admin": False,
    }


def user_required(state: GitHubState, login: str) -> J:
    out = simple_user(state, login)
    assert out is not None
    return out


def public_user(state: GitHubState, user: User, private: bool = False) -> J:
    """``GET /users/{login}`` (public-user) or ``GET /user`` (private-user)."""
    data = user_required(state, user.login)
    data.update(
        name=user.name,
        company=None,
        blog="",
        location=None,
        email=user.email,
        hireable=None,
        bio=None,
        twitter_username=None,
        public_repos=sum(1 for r in state.repos.values() if r.owner.lower() == user.login.lower()),
        public_gists=0,
        followers=0,
        following=0,
        created_at=user.created_at,
        updated_at=user.created_at,
    )
    if private:
        data.update(
            private_gists=0,
            total_private_repos=0,
            owned_private_repos=0,
            disk_usage=0,
            collaborators=0,
            two_factor_authentication=False,
        )
    return data


def repo_urls(state: GitHubState, repo: Repo) -> tuple[str, str]:
    """(API url, html url) of ``repo``."""
    return (
        f"{state.base_url}/repos/{repo.full_name}",
        f"{state.server_url}/{repo.full_name}",
    )


def repository(state: GitHubState, repo: Repo, token: Token | None = None, full: bool = True) -> J:
    """A ``full-repository`` object (``full=False``: the ``repository`` embedded in PRs)."""
    api, html = repo_urls(state, repo)
    push = token is None or token.allows("contents", "write")
    open_issues = sum(1 for i in repo.issues.values() if i.state == "open")
    data: J = {
        "id": repo.id,
        "node_id": node_id("Repository", repo.id),
        "name": repo.name,
        "full_name": repo.full_name,
        "owner": simple_user(state, repo.owner),
        "private": repo.private,
        "html_url": html,
        "description": repo.description,
        "fork": False,
        "url": api,
        "archive_url": f"{api}/{{archive_format}}{{/ref}}",
        "assignees_url": f"{api}/assignees{{/user}}",
        "blobs_url": f"{api}/git/blobs{{/sha}}",
        "branches_url": f"{api}/branches{{/branch}}",
        "collaborators_url": f"{api}/collaborators{{/collaborator}}",
        "comments_url": f"{api}/comments{{/number}}",
        "commits_url": f"{api}/commits{{/sha}}",
        "compare_url": f"{api}/compare/{{base}}...{{head}}",
        "contents_url": f"{api}/contents/{{+path}}",
        "contributors_url": f"{api}/contributors",
        "deployments_url": f"{api}/deployments",
        "downloads_url": f"{api}/downloads",
        "events_url": f"{api}/events",
        "forks_url": f"{api}/forks",
        "git_commits_url": f"{api}/git/commits{{/sha}}",
        "git_refs_url": f"{api}/git/refs{{/sha}}",
        "git_tags_url": f"{api}/git/tags{{/sha}}",
        "git_url": f"{html.replace('http://', 'git://', 1)}.git",
        "issue_comment_url": f"{api}/issues/comments{{/number}}",
        "issue_events_url": f"{api}/issues/events{{/number}}",
        "issues_url": f"{api}/issues{{/number}}",
        "keys_url": f"{api}/keys{{/key_id}}",
        "labels_url": f"{api}/labels{{/name}}",
        "languages_url": f"{api}/languages",
        "merges_url": f"{api}/merges",
        "milestones_url": f"{api}/milestones{{/number}}",
        "notifications_url": f"{api}/notifications{{?since,all,participating}}",
        "pulls_url": f"{api}/pulls{{/number}}",
        "releases_url": f"{api}/releases{{/id}}",
        "ssh_url": f"git@sandbox:{repo.full_name}.git",
        "stargazers_url": f"{api}/stargazers",
        "statuses_url": f"{api}/statuses/{{sha}}",
        "subscribers_url": f"{api}/subscribers",
        "subscription_url": f"{api}/subscription",
        "tags_url": f"{api}/tags",
        "teams_url": f"{api}/teams",
        "trees_url": f"{api}/git/trees{{/sha}}",
        "clone_url": f"{html}.git",
        "mirror_url": None,
        "hooks_url": f"{api}/hooks",
        "svn_url": html,
        "homepage": None,
        "language": None,
        "forks_count": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "size": 0,
        "default_branch": repo.default_branch,
        "open_issues_count": open_issues,
        "is_template": False,
        "topics": [],
        "has_issues": True,
        "has_projects": True,
        "has_wiki": True,
        "has_pages": False,
        "has_downloads": True,
        "has_discussions": False,
        "archived": False,
        "disabled": False,
        "visibility": "private" if repo.private else "public",
        "pushed_at": repo.updated_at,
        "created_at": repo.created_at,
        "updated_at": repo.updated_at,
        "permissions": {
            "admin": token is None or token.permissions is None,
            "maintain": push,
            "push": push,
            "triage": push,
            "pull": True,
        },
        "allow_forking": True,
        "web_commit_signoff_required": False,
        "forks": 0,
        "open_issues": open_issues,
        "watchers": 0,
    }
    if full:
        data.update(
            subscribers_count=0,
            network_count=0,
            license=None,
            allow_merge_commit=True,
            allow_squash_merge=True,
            allow_rebase_merge=True,
            delete_branch_on_merge=False,
        )
    else:
        data["license"] = None
    return data


# -- git ----------------------------------------------------------------------------------------


def git_ref(state: GitHubState, repo: Repo, ref: str, sha: str, kind: str) -> J:
    api, _ = repo_urls(state, repo)
    obj_path = {"commit": "commits", "tag": "tags", "tree": "trees", "blob": "blobs"}[kind]
    return {
        "ref": ref,
        "node_id": node_id("Ref", f"{repo.id}:{ref}"),
        "url": f"{api}/git/{quote(ref)}",
        "object": {"type": kind, "sha": sha, "url": f"{api}/git/{obj_path}/{sha}"},
    }


def git_person(ident: Any) -> J:
    return {"name": ident.name, "email": ident.email, "date": ident.date}


def _login_for_email(state: GitHubState, email: str) -> str | None:
    for user in state.users.values():
        if user.email and user.email.lower() == email.lower():
            return user.login
    local = email.split("@", 1)[0]
    if email.endswith("@users.noreply.github.com"):
        login = local.split("+", 1)[-1]
        if state.user(login):
            return login
    return None


def commit(
    state: GitHubState, repo: Repo, info: CommitInfo, files: list[FileChange] | None = None
) -> J:
    """A ``commit`` object (``GET /repos/{o}/{r}/commits/{ref}``, items of compare)."""
    api, html = repo_urls(state, repo)
    data: J = {
        "url": f"{api}/commits/{info.sha}",
        "sha": info.sha,
        "node_id": node_id("Commit", info.sha),
        "html_url": f"{html}/commit/{info.sha}",
        "comments_url": f"{api}/commits/{info.sha}/comments",
        "commit": {
            "url": f"{api}/git/commits/{info.sha}",
            "author": git_person(info.author),
            "committer": git_person(info.committer),
            "message": info.message,
            "tree": {"sha": info.tree, "url": f"{api}/git/trees/{info.tree}"},
            "comment_count": 0,
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        },
        "author": simple_user(state, _login_for_email(state, info.author.email)),
        "committer": simple_user(state, _login_for_email(state, info.committer.email)),
        "parents": [
            {"sha": p, "url": f"{api}/commits/{p}", "html_url": f"{html}/commit/{p}"}
            for p in info.parents
        ],
    }
    if files is not None:
        adds = sum(f.additions for f in files)
        dels = sum(f.deletions for f in files)
        data["stats"] = {"total": adds + dels, "additions": adds, "deletions": dels}
        data["files"] = [diff_entry(state, repo, info.sha, f) for f in files]
    return data


def git_commit(state: GitHubState, repo: Repo, sha: str) -> J:
    """A git ``commit`` object (``GET .../git/commits/{sha}``, the ``commit`` of a contents PUT)."""
    full = commit(state, repo, repo.git.commit_info(sha))
    inner = full["commit"]
    return {
        "sha": sha,
        "node_id": full["node_id"],
        "url": inner["url"],
        "html_url": full["html_url"],
        "author": inner["author"],
        "committer": inner["committer"],
        "message": inner["message"],
        "tree": inner["tree"],
        "parents": full["parents"],
        "verification": inner["verification"],
    }


def diff_entry(state: GitHubState, repo: Repo, sha: str, change: FileChange) -> J:
    api, html = repo_urls(state, repo)
    blob = repo.git.read_blob(sha, change.filename)
    data: J = {
        "sha": blob[0] if blob else "0" * 40,
        "filename": change.filename,
        "status": change.status,
        "additions": change.additions,
        "deletions": change.deletions,
        "changes": change.additions + change.deletions,
        "blob_url": f"{html}/blob/{sha}/{quote(change.filename)}",
        "raw_url": f"{html}/raw/{sha}/{quote(change.filename)}",
        "contents_url": f"{api}/contents/{quote(change.filename)}?ref={sha}",
    }
    if change.previous_filename:
        data["previous_filename"] = change.previous_filename
    return data


def branch_short(state: GitHubState, repo: Repo, name: str, sha: str) -> J:
    api, _ = repo_urls(state, repo)
    return {
        "name": name,
        "commit": {"sha": sha, "url": f"{api}/commits/{sha}"},
        "protected": False,
    }


def branch_full(state: GitHubState, repo: Repo, name: str, sha: str) -> J:
    api, html = repo_urls(state, repo)
    return {
        "name": name,
        "commit": commit(state, repo, repo.git.commit_info(sha)),
        "_links": {"self": f"{api}/branches/{quote(name)}", "html": f"{html}/tree/{quote(name)}"},
        "protected": False,
        "protection": {"enabled": False, "required_status_checks": {
            "enforcement_level": "off", "contexts": [], "checks": []}},
        "protection_url": f"{api}/branches/{quote(name)}/protection",
    }


def tag(state: GitHubState, repo: Repo, name: str, sha: str) -> J:
    api, _ = repo_urls(state, repo)
    return {
        "name": name,
        "commit": {"sha": sha, "url": f"{api}/commits/{sha}"},
        "zipball_url": f"{api}/zipball/refs/tags/{quote(name)}",
        "tarball_url": f"{api}/tarball/refs/tags/{quote(name)}",
        "node_id": node_id("Tag", f"{repo.id}:{name}"),
    }


# -- issues, comments, labels ------------------------------------------------------------------


def label(state: GitHubState, repo: Repo, lab: Label) -> J:
    api, _ = repo_urls(state, repo)
    return {
        "id": lab.id,
        "node_id": node_id("Label", lab.id),
        "url": f"{api}/labels/{quote(lab.name)}",
        "name": lab.name,
        "color": lab.color,
        "default": lab.default,
        "description": lab.description,
        "archived_at": None,
        "archived_by": None,
    }


def issue(state: GitHubState, repo: Repo, item: Issue) -> J:
    api, html = repo_urls(state, repo)
    url = f"{api}/issues/{item.number}"
    kind = "pull" if item.pull else "issues"
    data: J = {
        "id": item.id,
        "node_id": node_id("Issue", item.id),
        "url": url,
        "repository_url": api,
        "labels_url": f"{url}/labels{{/name}}",
        "comments_url": f"{url}/comments",
        "events_url": f"{url}/events",
        "html_url": f"{html}/{kind}/{item.number}",
        "number": item.number,
        "state": item.state,
        "state_reason": item.state_reason,
        "title": item.title,
        "body": item.body,
        "user": simple_user(state, item.user),
        "labels": [label(state, repo, lab) for n in item.labels if (lab := repo.label(n))],
        "assignee": simple_user(state, item.assignees[0]) if item.assignees else None,
        "assignees": [simple_user(state, a) for a in item.assignees],
        "milestone": None,
        "locked": item.locked,
        "active_lock_reason": None,
        "comments": sum(1 for c in repo.comments.values() if c.issue_number == item.number),
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "closed_at": item.closed_at,
        "closed_by": simple_user(state, item.closed_by),
        "author_association": "MEMBER" if item.user.lower() == repo.owner.lower() else "NONE",
        "reactions": reactions(url),
    }
    if item.pull:
        data["pull_request"] = {
            "url": f"{api}/pulls/{item.number}",
            "html_url": f"{html}/pull/{item.number}",
            "diff_url": f"{html}/pull/{item.number}.diff",
            "patch_url": f"{html}/pull/{item.number}.patch",
            "merged_at": item.pull.merged_at,
        }
        data["draft"] = item.pull.draft
    return data


def reactions(url: str) -> J:
    keys = ("+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket")
    return {"url": f"{url}/reactions", "total_count": 0, **dict.fromkeys(keys, 0)}


def comment(state: GitHubState, repo: Repo, item: Comment) -> J:
    api, html = repo_urls(state, repo)
    kind = "pull" if (i := repo.issues.get(item.issue_number)) and i.pull else "issues"
    return {
        "id": item.id,
        "node_id": node_id("IssueComment", item.id),
        "url": f"{api}/issues/comments/{item.id}",
        "html_url": f"{html}/{kind}/{item.issue_number}#issuecomment-{item.id}",
        "body": item.body,
        "user": simple_user(state, item.user),
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "issue_url": f"{api}/issues/{item.issue_number}",
        "author_association": "NONE",
        "reactions": reactions(f"{api}/issues/comments/{item.id}"),
    }


# -- pulls ---------------------------------------------------------------------------------------


def pull_end(state: GitHubState, repo: Repo, owner: str, ref: str, sha: str, *,
             repo_json: J | None = None) -> J:
    return {
        "label": f"{owner}:{ref}",
        "ref": ref,
        "sha": sha,
        "user": simple_user(state, owner),
        "repo": repo_json if repo_json is not None else repository(state, repo, full=False),
    }


def pull(state: GitHubState, repo: Repo, item: Issue, full: bool = True) -> J:
    """A ``pull-request`` (``full``) or ``pull-request-simple`` (lists) object."""
    assert item.pull is not None
    pr = item.pull
    api, html = repo_urls(state, repo)
    url = f"{api}/pulls/{item.number}"
    repo_json = repository(state, repo, full=False)  # head and base are the same repository
    data: J = {
        "url": url,
        "id": item.id,
        "node_id": node_id("PullRequest", item.id),
        "html_url": f"{html}/pull/{item.number}",
        "diff_url": f"{html}/pull/{item.number}.diff",
        "patch_url": f"{html}/pull/{item.number}.patch",
        "issue_url": f"{api}/issues/{item.number}",
        "commits_url": f"{url}/commits",
        "review_comments_url": f"{url}/comments",
        "review_comment_url": f"{api}/pulls/comments{{/number}}",
        "comments_url": f"{api}/issues/{item.number}/comments",
        "statuses_url": f"{api}/statuses/{pr.head_sha}",
        "number": item.number,
        "state": item.state,
        "locked": item.locked,
        "title": item.title,
        "user": simple_user(state, item.user),
        "body": item.body,
        "labels": [label(state, repo, lab) for n in item.labels if (lab := repo.label(n))],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "closed_at": item.closed_at,
        "merged_at": pr.merged_at,
        "merge_commit_sha": pr.merge_commit_sha,
        "assignee": simple_user(state, item.assignees[0]) if item.assignees else None,
        "assignees": [simple_user(state, a) for a in item.assignees],
        "requested_reviewers": [simple_user(state, r) for r in pr.requested_reviewers],
        "requested_teams": [],
        "head": pull_end(state, repo, pr.head_owner, pr.head_ref, pr.head_sha,
                         repo_json=repo_json),
        "base": pull_end(state, repo, repo.owner, pr.base_ref, pr.base_sha,
                         repo_json=repo_json),
        "_links": {
            "self": {"href": url},
            "html": {"href": f"{html}/pull/{item.number}"},
            "issue": {"href": f"{api}/issues/{item.number}"},
            "comments": {"href": f"{api}/issues/{item.number}/comments"},
            "review_comments": {"href": f"{url}/comments"},
            "review_comment": {"href": f"{api}/pulls/comments{{/number}}"},
            "commits": {"href": f"{url}/commits"},
            "statuses": {"href": f"{api}/statuses/{pr.head_sha}"},
        },
        "author_association": "MEMBER" if item.user.lower() == repo.owner.lower() else "NONE",
        "auto_merge": None,
        "draft": pr.draft,
    }
    if full:
        data.update(
            merged=pr.merged,
            mergeable=pr.mergeable,
            rebaseable=pr.mergeable,
            mergeable_state=(
                "unknown" if pr.mergeable is None else ("clean" if pr.mergeable else "dirty")
            )
            if item.state == "open"
            else "unknown",
            merged_by=simple_user(state, pr.merged_by),
            comments=sum(1 for c in repo.comments.values() if c.issue_number == item.number),
            review_comments=0,
            maintainer_can_modify=pr.maintainer_can_modify,
        )
        base = repo.git.merge_base(pr.base_sha, pr.head_sha) or pr.base_sha
        commits = repo.git.rev_list(pr.head_sha, f"^{base}")
        changes = repo.git.diff(base, pr.head_sha)
        data.update(
            commits=len(commits),
            additions=sum(c.additions for c in changes),
            deletions=sum(c.deletions for c in changes),
            changed_files=len(changes),
        )
    return data


# -- releases, deployments -----------------------------------------------------------------------


def release(state: GitHubState, repo: Repo, rel: Release) -> J:
    api, html = repo_urls(state, repo)
    url = f"{api}/releases/{rel.id}"
    tag_path = quote(rel.tag_name)
    return {
        "url": url,
        "html_url": f"{html}/releases/{'tag' if not rel.draft else 'untagged-' + str(rel.id)}"
        + (f"/{tag_path}" if not rel.draft else ""),
        "assets_url": f"{url}/assets",
        "upload_url": f"{state.base_url}/repos/{repo.full_name}/releases/{rel.id}/assets"
        "{?name,label}",
        "tarball_url": f"{api}/tarball/{tag_path}",
        "zipball_url": f"{api}/zipball/{tag_path}",
        "id": rel.id,
        "node_id": node_id("Release", rel.id),
        "tag_name": rel.tag_name,
        "target_commitish": rel.target_commitish,
        "name": rel.name,
        "body": rel.body,
        "draft": rel.draft,
        "prerelease": rel.prerelease,
        "immutable": False,
        "created_at": rel.created_at,
        "published_at": rel.published_at,
        "updated_at": rel.published_at or rel.created_at,
        "author": simple_user(state, rel.author),
        "assets": [],
    }


def deployment(state: GitHubState, repo: Repo, dep: Deployment) -> J:
    api, _ = repo_urls(state, repo)
    url = f"{api}/deployments/{dep.id}"
    return {
        "url": url,
        "id": dep.id,
        "node_id": node_id("Deployment", dep.id),
        "sha": dep.sha,
        "ref": dep.ref,
        "task": dep.task,
        "payload": dep.payload,
        "original_environment": dep.original_environment,
        "environment": dep.environment,
        "description": dep.description,
        "creator": simple_user(state, dep.creator),
        "created_at": dep.created_at,
        "updated_at": dep.updated_at,
        "statuses_url": f"{url}/statuses",
        "repository_url": api,
        "transient_environment": dep.transient_environment,
        "production_environment": dep.production_environment,
    }


def deployment_status(
    state: GitHubState, repo: Repo, dep: Deployment, status: DeploymentStatus
) -> J:
    api, _ = repo_urls(state, repo)
    url = f"{api}/deployments/{dep.id}"
    return {
        "url": f"{url}/statuses/{status.id}",
        "id": status.id,
        "node_id": node_id("DeploymentStatus", status.id),
        "state": status.state,
        "creator": simple_user(state, status.creator),
        "description": status.description,
        "environment": status.environment,
        "target_url": status.log_url,
        "created_at": status.created_at,
        "updated_at": status.updated_at,
        "deployment_url": url,
        "repository_url": api,
        "environment_url": status.environment_url,
        "log_url": status.log_url,
    }
