"""Which namespaces release-kit owns, and what it may do with one (pure decisions).

release-kit creates the namespace of an environment itself, through the Kubernetes API, before
helmfile runs, and marks it: the label ``app.kubernetes.io/managed-by: release-kit`` and
annotations naming the environment, its kind and, for a preview, the exact branch. Those marks
are the only proof of ownership it accepts:

- **Deploy** (:func:`admit`): no namespace yet -> create it, marked. A namespace release-kit
  made for this environment (and, for a preview, this exact branch) -> use it. Anything else
  (a namespace someone else made, such as ``argocd``, or one release-kit made for another
  environment or branch) is refused with a named error, unless ``adopt-namespace: true`` says to
  deploy into it anyway; an adopted namespace is left unmarked, so release-kit never deletes it.
- **Destroy** (:func:`removal`): the namespace goes only when release-kit made it for this
  transient environment (and branch) and no Helm release of ANY service is left in it. Fixed
  environments' namespaces (``dev``, ``staging``, ``production``, ``hotfix`` and other names) are
  never deleted; QA namespaces are slots that stay.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import Enum

from release_kit.environments.kinds import Environment, Kind
from release_kit.errors import ReleaseKitError

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGER = "release-kit"
ENVIRONMENT_ANNOTATION = "release-kit/environment"
KIND_ANNOTATION = "release-kit/environment-kind"
BRANCH_ANNOTATION = "release-kit/branch"

ADOPT_HINT = ("Deploy into a namespace of your own (leave `namespace` empty to derive one), or "
              "set adopt-namespace: true to deploy into this one anyway (release-kit then never "
              "deletes it).")


class ForeignNamespaceError(ReleaseKitError):
    """The namespace exists and release-kit did not create it."""

    title = "Namespace not created by release-kit"


class ClaimedNamespaceError(ReleaseKitError):
    """release-kit created the namespace, for another environment or branch."""

    title = "Namespace belongs to another environment"


class TerminatingNamespaceError(ReleaseKitError):
    title = "Namespace is being deleted"


@dataclass(frozen=True)
class NamespaceState:
    """An existing namespace as the Kubernetes API describes it."""

    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    terminating: bool = False

    @property
    def ours(self) -> bool:
        """Created by release-kit (it carries release-kit's label)."""
        return self.labels.get(MANAGED_BY_LABEL) == MANAGER

    def claim(self) -> str:
        """Whom release-kit created it for, in words ("" when it says nothing)."""
        env = self.annotations.get(ENVIRONMENT_ANNOTATION, "")
        branch = self.annotations.get(BRANCH_ANNOTATION)
        if branch is not None:
            return f"{env or 'preview'} of branch {branch!r}"
        return env


def marks(environment: Environment, branch: str) -> tuple[dict[str, str], dict[str, str]]:
    """The labels and annotations of a namespace release-kit creates for ``environment``."""
    annotations = {ENVIRONMENT_ANNOTATION: environment.name,
                   KIND_ANNOTATION: environment.kind.value}
    if environment.per_branch:
        annotations[BRANCH_ANNOTATION] = branch
    return {MANAGED_BY_LABEL: MANAGER}, annotations


def made_for(state: NamespaceState, environment: Environment, branch: str) -> bool:
    """release-kit created ``state`` for this environment (and, for a preview, this branch)."""
    if not state.ours or state.annotations.get(ENVIRONMENT_ANNOTATION) != environment.name:
        return False
    return not environment.per_branch or state.annotations.get(BRANCH_ANNOTATION) == branch


class Admission(Enum):
    CREATE = "create"   # absent: release-kit creates it, marked
    USE = "use"         # release-kit's own, for this environment
    ADOPT = "adopt"     # not release-kit's, used because adopt-namespace says so (left unmarked)


def admit(state: NamespaceState | None, environment: Environment, branch: str, *,
          adopt: bool) -> Admission:
    """May ``environment`` (of ``branch``) deploy into this namespace? Raises when it may not."""
    if state is None:
        return Admission.CREATE
    if state.terminating:
        raise TerminatingNamespaceError(
            f"namespace {state.name} is being deleted (a destroy ran just before).",
            hint="Re-run the job once Kubernetes has finished deleting it.")
    if made_for(state, environment, branch):
        return Admission.USE
    if adopt:
        return Admission.ADOPT
    if state.ours:
        who = f"{environment.name} of branch {branch!r}" if environment.per_branch \
            else environment.name
        raise ClaimedNamespaceError(
            f"namespace {state.name} was created by release-kit for "
            f"{state.claim() or 'another environment'}, not for {who}.", hint=ADOPT_HINT)
    raise ForeignNamespaceError(
        f"namespace {state.name} already exists and was not created by release-kit (it lacks "
        f"the label {MANAGED_BY_LABEL}: {MANAGER}).", hint=ADOPT_HINT)


@dataclass(frozen=True)
class Removal:
    delete: bool
    reason: str


def removal(state: NamespaceState | None, environment: Environment, branch: str,
            remaining: Collection[str]) -> Removal:
    """Whether a destroy deletes the namespace, and why (``remaining``: Helm releases left)."""
    if state is None:
        return Removal(False, "The namespace does not exist.")
    if environment.fixed:
        return Removal(False, f"Namespace kept: {environment.name} is a fixed environment.")
    if environment.kind is Kind.QA:
        return Removal(False, f"Namespace kept: {environment.name} is a shared QA slot.")
    if not made_for(state, environment, branch):
        return Removal(False, "Namespace kept: release-kit did not create it for this "
                       f"{environment.name} environment.")
    if remaining:
        return Removal(False, f"Namespace kept: Helm releases {', '.join(sorted(remaining))} "
                       "still run in it.")
    return Removal(True, "Namespace deleted (release-kit created it; no Helm release left in "
                   "it).")
