"""A repository in the GitHub emulator with branches and PRs, and runs of deploy-helmfile."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from github import Auth, Github

from release_kit.environments.kinds import classify
from release_kit.environments.namespaces import marks
from release_kit.environments.naming import namespace_for
from release_kit_sandbox.kube import FakeKubernetes
from tests.deploy_helmfile.fakes import FakeHelmfile
from tests.harness import ActionResult, run_action

BRANCHES = ("feat/a", "feat/b", "hotfix/1.2.1")
# Branch names that collide with something under a naive naming rule (a system namespace, a
# slug shared by two names).
TRICKY_BRANCHES = ("argocd", "Feature/Foo", "feature-foo")


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


@dataclass(frozen=True)
class Seed:
    """A local git repository: ``main`` (tagged v1.2.0) and one commit on each branch."""

    path: Path
    shas: dict[str, str]

    @classmethod
    def create(cls, path: Path) -> Seed:
        path.mkdir(parents=True)
        git(path, "init", "-q", "-b", "main")
        git(path, "config", "user.email", "t@example.com")
        git(path, "config", "user.name", "t")
        (path / "README.md").write_text("web\n")
        git(path, "add", ".")
        git(path, "commit", "-qm", "init")
        git(path, "tag", "v1.2.0")
        for branch in (*BRANCHES, *TRICKY_BRANCHES):
            git(path, "checkout", "-qb", branch, "main")
            (path / f"{branch.replace('/', '-')}.txt").write_text(branch)
            git(path, "add", ".")
            git(path, "commit", "-qm", branch)
        git(path, "checkout", "-q", "main")
        refs = ("main", "v1.2.0", *BRANCHES, *TRICKY_BRANCHES)
        return cls(path, {ref: git(path, "rev-parse", ref) for ref in refs})


@dataclass
class Scenario:
    """``acme/web`` with ``main``, feature branches and a tag (PRs on demand: ``open_prs``)."""

    sandbox: Any
    fake_helmfile: FakeHelmfile
    workspace: Path
    repository: str = "acme/web"
    shas: dict[str, str] = field(default_factory=dict)
    kube: FakeKubernetes | None = None

    def setup(self, seed: Seed) -> Scenario:
        """Create the repository from ``seed`` (a local git repository)."""
        self.shas = dict(seed.shas)
        self.sandbox.github.create_repo(self.repository, source=seed.path)
        return self

    def open_prs(self, *labels: tuple[str, ...]) -> None:
        """Open PR #1 (feat/a) and #2 (feat/b), with the given labels each."""
        repo = self.repo
        for branch, names in zip(BRANCHES[:2], labels or ((), ()), strict=False):
            pull = repo.create_pull(base="main", head=branch, title=f"Add {branch}", body="")
            if names:
                pull.add_to_labels(*names)

    @property
    def gh(self) -> Github:
        return Github(auth=Auth.Token(self.sandbox.github.default_token),
                      base_url=self.sandbox.github.url)

    @property
    def repo(self) -> Any:
        return self.gh.get_repo(self.repository)

    def namespace(self, environment: str, branch: str = "") -> str:
        """The namespace deploy-helmfile derives (a preview's from ``branch``)."""
        return namespace_for(classify(environment), branch)

    def owned_namespace(self, environment: str, branch: str = "") -> str:
        """The environment's namespace, as an earlier deploy of release-kit left it."""
        assert self.kube is not None
        name = self.namespace(environment, branch)
        labels, annotations = marks(classify(environment), branch)
        self.kube.create_namespace(name, labels=labels, annotations=annotations)
        return name

    def pr_event(self, number: int, action: str = "labeled", labels: tuple[str, ...] = (),
                 state: str = "open", removed: str = "", head_repo: str | None = None,
                 branch: str | None = None) -> dict[str, Any]:
        branch = branch or BRANCHES[number - 1]
        base = {"full_name": self.repository}
        head = {"full_name": head_repo} if head_repo is not None else base
        event: dict[str, Any] = {"action": action, "number": number, "pull_request": {
            "number": number, "state": state,
            "head": {"ref": branch, "sha": self.shas[branch], "repo": head},
            "base": {"ref": "main", "repo": base}, "labels": [{"name": n} for n in labels]}}
        if removed:
            event["label"] = {"name": removed}
        return event

    def pr_env(self, number: int, branch: str | None = None) -> dict[str, str]:
        branch = branch or BRANCHES[number - 1]
        return {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_REF": f"refs/pull/{number}/merge",
                "GITHUB_REF_NAME": f"{number}/merge", "GITHUB_HEAD_REF": branch,
                "GITHUB_SHA": "f" * 40}

    def run(self, inputs: dict[str, Any], *, pr: int | None = None,
            event: dict[str, Any] | str | None = None, env: dict[str, str] | None = None,
            ref: str = "main", branch: str | None = None) -> ActionResult:
        """One run: of PR ``pr`` (on ``branch``, default its own), else a push of ``ref``."""
        return run_action("deploy-helmfile", **self.run_args(inputs, pr=pr, event=event, env=env,
                                                             ref=ref, branch=branch))

    def run_args(self, inputs: dict[str, Any], *, pr: int | None = None,
                 event: dict[str, Any] | str | None = None, env: dict[str, str] | None = None,
                 ref: str = "main", branch: str | None = None) -> dict[str, Any]:
        run_env = {"GITHUB_REPOSITORY": self.repository, **self.fake_helmfile.env()}
        if pr is not None:
            run_env.update(self.pr_env(pr, branch))
            event = event if event is not None else self.pr_event(pr, branch=branch)
        else:
            kind = "tags" if ref.startswith("v") else "heads"
            run_env.update({"GITHUB_REF": f"refs/{kind}/{ref}", "GITHUB_REF_NAME": ref,
                            "GITHUB_SHA": self.shas[ref], "GITHUB_EVENT_NAME": "push"})
        run_env.update(env or {})
        defaults = {"kubeconfig": "kubeconfig"}
        return {"inputs": {**defaults, **inputs}, "sandbox": self.sandbox, "env": run_env,
                "event": event if event is not None else {}, "workspace": self.workspace}

    def seed_deployment(self, environment: str, branch: str, pr: int, *states: str) -> Any:
        """A deployment as an earlier run would have left it (created through the API)."""
        dep = self.repo.create_deployment(
            ref=branch, task="deploy", auto_merge=False, required_contexts=[],
            payload={"namespace": environment, "pull_request": pr}, environment=environment)
        for state in states:
            dep.create_status(state, auto_inactive=False)
        return dep

    def deployments(self, **filters: str) -> list[Any]:
        return list(self.repo.get_deployments(**filters))

    def states(self, deployment: Any) -> list[str]:
        return [s.state for s in deployment.get_statuses()][::-1]  # oldest first

    def labels(self, number: int) -> set[str]:
        return {label.name for label in self.repo.get_issue(number).labels}

    def comments(self, number: int) -> list[str]:
        return [c.body for c in self.repo.get_issue(number).get_comments()]
