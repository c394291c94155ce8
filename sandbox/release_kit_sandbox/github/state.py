"""Plain-Python state of the emulated GitHub: users, tokens, apps, repositories and what they hold.

No HTTP here (that is :mod:`.http` and :mod:`.routes`). Every mutation happens under
:attr:`GitHubState.lock`, which the server holds for the whole of each request, so handlers see a
consistent world and concurrent clients are serialised like GitHub's per-repository writes.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from release_kit_sandbox.github.gitrepo import GitRepo

ALL_PERMISSIONS = (
    "actions",
    "checks",
    "contents",
    "deployments",
    "issues",
    "metadata",
    "pull_requests",
    "statuses",
    "administration",
    "environments",
)


def now_iso() -> str:
    """Current time as GitHub writes it: ``2024-01-01T12:00:00Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class User:
    login: str
    id: int
    type: str = "User"  # User, Bot, Organization
    name: str | None = None
    email: str | None = None
    created_at: str = field(default_factory=now_iso)


@dataclass
class Token:
    """An access token and what it may do.

    ``permissions`` None means everything (a PAT or the sandbox default token); otherwise a
    GitHub App style mapping such as ``{"contents": "write", "issues": "read"}``.
    """

    value: str
    login: str
    permissions: dict[str, str] | None = None
    can_create_pull_requests: bool = True
    installation_id: int | None = None
    expires_at: str | None = None
    account: str | None = None  # installation tokens reach only this owner's repositories
    repositories: frozenset[str] | None = None  # ... and, when minted for some, only those names

    def reaches(self, owner: str, name: str) -> bool:
        """Whether ``owner/name`` is in the token's scope: an installation token covers its
        account's repositories, or only the ones named when it was minted (``repositories``)."""
        if self.account is not None and self.account.lower() != owner.lower():
            return False
        return self.repositories is None or name.lower() in self.repositories

    def allows(self, permission: str, level: str) -> bool:
        if self.permissions is None:
            return True
        granted = self.permissions.get(permission)
        if permission == "metadata" and level == "read":
            return True  # every installation token can read metadata
        if granted is None:
            return False
        return level == "read" or granted in {"write", "admin"}


@dataclass
class App:
    app_id: int
    public_key_pem: bytes
    slug: str
    installations: dict[str, int]  # account login -> installation id
    permissions: dict[str, str] | None = None
    created_at: str = field(default_factory=now_iso)


@dataclass
class Label:
    id: int
    name: str
    color: str = "ededed"
    description: str | None = None
    default: bool = False


@dataclass
class Comment:
    id: int
    issue_number: int
    body: str
    user: str
    created_at: str = field(default_factory=now_iso)
    updated_at: str = field(default_factory=now_iso)


@dataclass
class PullInfo:
    """The pull-request half of an issue that is a PR."""

    head_ref: str
    head_owner: str
    base_ref: str
    head_sha: str
    base_sha: str
    draft: bool = False
    merged: bool = False
    merged_at: str | None = None
    merged_by: str | None = None
    merge_commit_sha: str | None = None
    maintainer_can_modify: bool = False
    requested_reviewers: list[str] = field(default_factory=list)
    # mergeability is computed lazily, like GitHub's background job: the first GET after a
    # change of head or base answers null, later ones true/false.
    mergeable_for: tuple[str, str] | None = None
    mergeable: bool | None = None


@dataclass
class Issue:
    id: int
    number: int
    title: str
    body: str | None
    user: str
    state: str = "open"
    state_reason: str | None = None
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    locked: bool = False
    created_at: str = field(default_factory=now_iso)
    updated_at: str = field(default_factory=now_iso)
    closed_at: str | None = None
    closed_by: str | None = None
    pull: PullInfo | None = None


@dataclass
class Release:
    id: int
    tag_name: str
    target_commitish: str
    name: str | None
    body: str | None
    draft: bool
    prerelease: bool
    author: str
    make_latest: str = "true"
    created_at: str = field(default_factory=now_iso)
    published_at: str | None = None


@dataclass
class DeploymentStatus:
    id: int
    state: str
    creator: str
    description: str
    environment: str
    log_url: str
    environment_url: str
    created_at: str = field(default_factory=now_iso)
    updated_at: str = field(default_factory=now_iso)


@dataclass
class Deployment:
    id: int
    sha: str
    ref: str
    task: str
    payload: Any
    environment: str
    original_environment: str
    description: str | None
    creator: str
    transient_environment: bool
    production_environment: bool
    created_at: str = field(default_factory=now_iso)
    updated_at: str = field(default_factory=now_iso)
    statuses: list[DeploymentStatus] = field(default_factory=list)


@dataclass
class Workflow:
    id: int
    path: str  # .github/workflows/deploy.yml
    name: str
    dispatch_inputs: list[str] | None  # None: no workflow_dispatch trigger
    created_at: str = field(default_factory=now_iso)


@dataclass
class Dispatch:
    """A recorded ``repository_dispatch`` (workflow None) or workflow dispatch."""

    repo: str
    event_type: str | None
    client_payload: Any
    workflow: str | None = None
    ref: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    actor: str | None = None
    created_at: str = field(default_factory=now_iso)


@dataclass
class Repo:
    id: int
    owner: str
    name: str
    git: GitRepo
    default_branch: str = "main"
    private: bool = False
    description: str | None = None
    created_at: str = field(default_factory=now_iso)
    updated_at: str = field(default_factory=now_iso)
    issues: dict[int, Issue] = field(default_factory=dict)
    comments: dict[int, Comment] = field(default_factory=dict)
    labels: dict[str, Label] = field(default_factory=dict)  # lower-cased name -> label
    releases: dict[int, Release] = field(default_factory=dict)
    deployments: dict[int, Deployment] = field(default_factory=dict)
    workflows: dict[str, Workflow] = field(default_factory=dict)  # file name -> workflow
    # Lower-cased logins with push access (who can be assigned or asked for a review); None:
    # every known user, the default, so a test that adds a user can assign them anywhere.
    collaborators: set[str] | None = None
    next_number: int = 1

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def git_dir(self) -> Path:
        """Path of the bare repository; push into it with real git."""
        return self.git.git_dir

    def label(self, name: str) -> Label | None:
        return self.labels.get(name.lower())

    def pulls(self) -> list[Issue]:
        return [i for i in self.issues.values() if i.pull is not None]


class GitHubState:
    """Everything the emulator knows; one instance per emulator, cleared by :meth:`reset`."""

    def __init__(self, base_url: str = "", server_url: str = "") -> None:
        self.lock = threading.RLock()
        self.base_url = base_url
        self.server_url = server_url
        self._root = Path(tempfile.mkdtemp(prefix="release-kit-sandbox-"))
        self._clear()

    def _clear(self) -> None:
        self._ids = 1000
        self.users: dict[str, User] = {}
        self.tokens: dict[str, Token] = {}
        self.apps: dict[int, App] = {}
        self.repos: dict[str, Repo] = {}  # lower-cased full name -> repo
        self.dispatches: list[Dispatch] = []
        self.default_token = "ghs_sandbox" + secrets.token_hex(16)
        self.add_user("github-actions[bot]", type="Bot")
        self.add_token(self.default_token, login="github-actions[bot]")

    def reset(self) -> None:
        """Forget every repository, user, token, app and dispatch (git dirs are deleted)."""
        with self.lock:
            for repo in self.repos.values():
                shutil.rmtree(repo.git_dir, ignore_errors=True)
            self._clear()

    def close(self) -> None:
        shutil.rmtree(self._root, ignore_errors=True)

    def next_id(self) -> int:
        with self.lock:
            self._ids += 1
            return self._ids

    # -- users and tokens ---------------------------------------------------------------------

    def add_user(
        self, login: str, *, type: str = "User", name: str | None = None, email: str | None = None
    ) -> User:
        """Make ``login`` a known account (idempotent)."""
        with self.lock:
            existing = self.users.get(login.lower())
            if existing:
                return existing
            user = User(login=login, id=self.next_id(), type=type, name=name, email=email)
            self.users[login.lower()] = user
            return user

    def user(self, login: str) -> User | None:
        return self.users.get(login.lower())

    def assignable(self, repo: Repo, login: str) -> User | None:
        """The user ``login`` if they can be assigned in ``repo``, else None.

        As on GitHub only people with push access qualify: a known user (not a bot, not an
        organization) who is the owner or a collaborator of ``repo``; a repository without an
        explicit collaborator list lets every known user in.
        """
        user = self.user(login)
        if user is None or user.type != "User":
            return None
        key = user.login.lower()
        if repo.collaborators is None or key in repo.collaborators or key == repo.owner.lower():
            return user
        return None

    def assignees(self, repo: Repo) -> list[User]:
        """Everyone :meth:`assignable` in ``repo``, by login."""
        users = sorted(self.users.values(), key=lambda u: u.login.lower())
        return [u for u in users if self.assignable(repo, u.login) is not None]

    def add_token(
        self,
        value: str,
        *,
        login: str = "github-actions[bot]",
        permissions: dict[str, str] | None = None,
        can_create_pull_requests: bool = True,
        installation_id: int | None = None,
        expires_at: str | None = None,
        account: str | None = None,
        repositories: frozenset[str] | None = None,
    ) -> Token:
        with self.lock:
            if self.user(login) is None:
                self.add_user(login, type="Bot" if login.endswith("[bot]") else "User")
            token = Token(
                value,
                login,
                permissions,
                can_create_pull_requests,
                installation_id,
                expires_at,
                account,
                repositories,
            )
            self.tokens[value] = token
            return token

    # -- repositories -------------------------------------------------------------------------

    def create_repo(
        self,
        full_name: str,
        *,
        source: Path | None = None,
        default_branch: str = "main",
        private: bool = False,
        description: str | None = None,
    ) -> Repo:
        """Create ``owner/name`` backed by a new bare git repository.

        With ``source`` (a local git repository) all its branches and tags are copied; without,
        the repository gets one commit with a README on ``default_branch``. Re-creating an
        existing repository returns it unchanged.
        """
        owner, _, name = full_name.partition("/")
        if not owner or not name or "/" in name:
            raise ValueError(f"repository must be OWNER/NAME, got {full_name!r}")
        with self.lock:
            existing = self.repos.get(full_name.lower())
            if existing:
                return existing
            if self.user(owner) is None:
                self.add_user(owner, type="Organization")
            rid = self.next_id()
            initial_branch = default_branch
            git = GitRepo.init_bare(self._root / f"{rid}-{owner}-{name}.git", default_branch)
            if source is not None:
                git.seed_from(Path(source))
                if git.resolve(f"refs/heads/{default_branch}") is None:
                    heads = [r for r, _, _ in git.refs("refs/heads/")]
                    if heads:
                        default_branch = heads[0].removeprefix("refs/heads/")
            else:
                git.seed_initial_commit(default_branch, f"# {name}\n")
            if default_branch != initial_branch:
                git.set_head(default_branch)
            repo = Repo(
                id=rid,
                owner=owner,
                name=name,
                git=git,
                default_branch=default_branch,
                private=private,
                description=description,
            )
            self.repos[full_name.lower()] = repo
            return repo

    def repo(self, owner: str, name: str) -> Repo | None:
        return self.repos.get(f"{owner}/{name}".lower())
