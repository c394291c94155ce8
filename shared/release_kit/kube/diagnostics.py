"""Why a deploy failed, read from pods and events (pure functions over API JSON).

helmfile only says "timed out waiting for the condition"; the reasons are on the pods
(CrashLoopBackOff, ImagePullBackOff, OOMKilled, Unschedulable, ...) and in warning events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from release_kit.text import markdown_table

MAX_MESSAGE = 160


@dataclass(frozen=True)
class PodProblem:
    pod: str
    phase: str
    reasons: list[str]


@dataclass(frozen=True)
class WarningEvent:
    object: str
    reason: str
    message: str
    count: int
    last_seen: str


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def _container_reasons(statuses: Iterable[Mapping[str, Any]]) -> list[str]:
    reasons = []
    for status in statuses:
        if status.get("ready"):
            continue
        name = status.get("name", "?")
        state = status.get("state") or {}
        last = (status.get("lastState") or {}).get("terminated") or {}
        detail = state.get("waiting") or state.get("terminated") or {}
        reason = detail.get("reason") or ("Running, not ready" if "running" in state else "")
        if not reason:
            continue
        message = detail.get("message") or ""
        if last.get("reason") and last.get("reason") != reason:
            message = f"last exit: {last['reason']} (code {last.get('exitCode', '?')})"
        reasons.append(f"{name}: {reason}" + (f" ({_short(message)})" if message else ""))
    return reasons


def pod_problems(pods: Iterable[Mapping[str, Any]]) -> list[PodProblem]:
    """Pods that are not Ready (completed Job pods excepted), with each container's reason."""
    problems = []
    for pod in pods:
        status = pod.get("status") or {}
        phase = status.get("phase", "Unknown")
        if phase == "Succeeded":
            continue
        conditions = {c.get("type"): c for c in status.get("conditions") or []}
        if (conditions.get("Ready") or {}).get("status") == "True":
            continue
        reasons = _container_reasons([*(status.get("initContainerStatuses") or []),
                                      *(status.get("containerStatuses") or [])])
        scheduled = conditions.get("PodScheduled") or {}
        if scheduled.get("status") == "False":
            reasons.append(f"{scheduled.get('reason', 'NotScheduled')} "
                           f"({_short(scheduled.get('message', ''))})")
        if not reasons and status.get("reason"):
            reasons.append(str(status["reason"]))
        problems.append(PodProblem(pod.get("metadata", {}).get("name", "?"), phase,
                                   reasons or ["not ready"]))
    return sorted(problems, key=lambda p: p.pod)


def warning_events(events: Iterable[Mapping[str, Any]], limit: int = 10) -> list[WarningEvent]:
    """The last ``limit`` Warning events, newest first."""
    found = []
    for event in events:
        if event.get("type") != "Warning":
            continue
        involved = event.get("involvedObject") or event.get("regarding") or {}
        last_seen = str(event.get("lastTimestamp") or event.get("eventTime")
                        or (event.get("metadata") or {}).get("creationTimestamp") or "")
        found.append(WarningEvent(
            object=f"{involved.get('kind', '?')}/{involved.get('name', '?')}",
            reason=str(event.get("reason", "")),
            message=_short(str(event.get("message") or event.get("note") or "")),
            count=int(event.get("count") or 1),
            last_seen=last_seen,
        ))
    found.sort(key=lambda e: e.last_seen, reverse=True)
    return found[:limit]


def summary_markdown(namespace: str, pods: Sequence[PodProblem],
                     events: Sequence[WarningEvent]) -> str:
    parts = [f"### Why `{namespace}` is not healthy\n"]
    if pods:
        parts.append(markdown_table(["pod", "phase", "reasons"],
                                    [[p.pod, p.phase, "; ".join(p.reasons)] for p in pods]))
    else:
        parts.append("All pods are ready (or there are none).")
    if events:
        parts.append("\n**Last warning events**\n")
        parts.append(markdown_table(["object", "reason", "message", "count", "last seen"],
                                    [[e.object, e.reason, e.message, str(e.count), e.last_seen]
                                     for e in events]))
    return "\n".join(parts) + "\n"


def one_line(pods: Sequence[PodProblem], events: Sequence[WarningEvent]) -> str:
    """The diagnosis squeezed into one ``::error`` message."""
    bits = [f"pod {p.pod}: {'; '.join(p.reasons)}" for p in pods[:5]]
    if len(pods) > 5:
        bits.append(f"{len(pods) - 5} more pods not ready")
    if events:
        e = events[0]
        bits.append(f"last warning: {e.object} {e.reason}: {e.message}")
    return " | ".join(bits) if bits else "no unready pods or warning events found"
