"""How long to wait for GitHub's mergeability answer, which it computes in the background.

A PR's ``mergeable`` is null until a background job has test-merged head and base; it is
polled with exponential backoff for a bounded total time, after which the action carries on
without an answer (and says so) rather than holding a runner.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

DEFAULT_WAIT_SECONDS = 60.0
WAIT_VARIABLE = "RELEASE_KIT_MERGEABILITY_WAIT"  # seconds; tests set it low to stay fast


def wait_budget(environ: Mapping[str, str]) -> float:
    raw = environ.get(WAIT_VARIABLE, "").strip()
    try:
        return max(0.0, float(raw)) if raw else DEFAULT_WAIT_SECONDS
    except ValueError:
        return DEFAULT_WAIT_SECONDS


def poll_delays(total: float, first: float | None = None, factor: float = 2.0) -> list[float]:
    """Delays between polls: ``first`` doubling, their sum exactly ``total`` at most.

    ``first`` defaults to a twentieth of the budget, capped at one second (60 s -> 1, 2, 4, ...).
    """
    if total <= 0:
        return []
    delay = first if first is not None else min(1.0, total / 20)
    delays: list[float] = []
    spent = 0.0
    while spent < total - 1e-9:
        step = min(delay, total - spent)
        delays.append(step)
        spent += step
        delay *= factor
    return delays


def poll_mergeable(
    fetch: Callable[[], bool | None], delays: list[float], sleep: Callable[[float], None]
) -> bool | None:
    """``fetch()`` until it answers True/False, sleeping ``delays`` in between; None if never."""
    answer = fetch()
    for delay in delays:
        if answer is not None:
            break
        sleep(delay)
        answer = fetch()
    return answer
