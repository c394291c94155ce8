"""The label controller: which environments a pull request event deploys and destroys.

Labels on a PR choose its environments (``deploy`` -> preview, ``deploy/qa2`` -> qa2, as
configured by ``env-labels``). An open PR deploys every environment whose label it carries and
destroys those whose label is gone but that still run this PR's branch; a closed PR destroys
everything it still runs. Any other event plans nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from release_kit.errors import InputError

PULL_REQUEST_EVENTS = frozenset({"pull_request", "pull_request_target"})

DEFAULT_ENV_LABELS: dict[str, str] = {
    "preview": "deploy",
    **{f"qa{n}": f"deploy/qa{n}" for n in range(1, 5)},
}


@dataclass(frozen=True)
class EnvironmentPlan:
    deploy: list[str]
    destroy: list[str]


@dataclass(frozen=True)
class LabelledPullRequest:
    """What the controller needs from a ``pull_request`` payload."""

    number: int
    head_ref: str
    head_sha: str
    open: bool
    labels: frozenset[str]
    unlabeled: str = ""  # the label an ``unlabeled`` event took off

    @classmethod
    def from_event(cls, event_name: str, payload: Mapping[str, Any]) -> LabelledPullRequest | None:
        """The PR of a ``pull_request`` event; a payload of the wrong shape is an input error
        naming the field (``GITHUB_EVENT_PATH``: the event file the runner wrote)."""
        pr = payload.get("pull_request")
        if event_name not in PULL_REQUEST_EVENTS or not isinstance(pr, Mapping):
            return None
        head = _mapping(pr.get("head"), "pull_request.head")
        labels = pr.get("labels") or []
        if not isinstance(labels, list):
            raise _bad_event("pull_request.labels", "is not a list")
        label = _mapping(payload.get("label"), "label")
        number = pr.get("number") or payload.get("number") or 0
        if not isinstance(number, int) or isinstance(number, bool) or number < 0:
            raise _bad_event("pull_request.number", f"is {number!r}, not a PR number")
        return cls(
            number=number,
            head_ref=str(head.get("ref") or ""),
            head_sha=str(head.get("sha") or ""),
            open=pr.get("state", "open") == "open" and payload.get("action") != "closed",
            labels=frozenset(
                str(item.get("name")) for item in labels if isinstance(item, Mapping)
            ),
            unlabeled=str(label.get("name") or "") if payload.get("action") == "unlabeled"
            else "",
        )


def _bad_event(field: str, what: str) -> InputError:
    return InputError("GITHUB_EVENT_PATH", f"the event payload's {field} {what}.",
                      hint="The runner writes this file; when running locally, give the "
                      "payload of a real event (GitHub's webhook documentation shows each).")


def _mapping(value: object, field: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _bad_event(field, "is not an object")
    return value


def parse_env_labels(mapping: Mapping[str, Any], input_name: str = "env-labels") -> dict[str, str]:
    """environment -> label, both non-empty strings, environment names valid, labels unique."""
    result: dict[str, str] = {}
    for env, label in mapping.items():
        if not isinstance(env, str) or not env or not isinstance(label, str) or not label.strip():
            raise InputError(
                input_name,
                f"entry {env!r}: {label!r} is not 'environment: label'.",
                hint="Write one 'environment: label' per line, e.g. 'qa1: deploy/qa1'.",
            )
        result[env] = label.strip()
    labels = list(result.values())
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        raise InputError(input_name, f"label {duplicates[0]!r} is used for several environments.",
                         hint="Give each environment its own label.")
    if not result:
        raise InputError(input_name, "no environment is mapped to a label.",
                         hint="Map at least one environment, e.g. 'preview: deploy'.")
    return result


def plan_environments(pr: LabelledPullRequest | None, env_labels: Mapping[str, str],
                      active: Collection[str]) -> EnvironmentPlan:
    """Deploy/destroy lists (in ``env_labels`` order) for a PR given its active environments."""
    if pr is None:
        return EnvironmentPlan([], [])
    if not pr.open:
        return EnvironmentPlan([], [env for env in env_labels if env in active])
    deploy = [env for env, label in env_labels.items() if label in pr.labels]
    destroy = [env for env, label in env_labels.items()
               if label not in pr.labels and env in active]
    return EnvironmentPlan(deploy, destroy)


def assumed_active(pr: LabelledPullRequest | None, env_labels: Mapping[str, str]) -> set[str]:
    """Without deployment records: what the PR's labels (and the one just removed) deployed."""
    if pr is None:
        return set()
    return {env for env, label in env_labels.items()
            if label in pr.labels or label == pr.unlabeled}
