"""Cancellation: the SIGTERM of a cancelled run becomes an exception that clean-up can see.

GitHub stops a cancelled job by sending SIGTERM to the step's process (for a Docker action, the
container's PID 1, for which the kernel drops signals that have no handler) and SIGKILL about
7.5 s later. Without a handler nothing runs on the way out: a GitHub deployment stays
``in_progress`` forever, helmfile keeps going. So the action runner installs one for the run:

- SIGTERM raises :class:`Cancelled` in the main thread, so ``finally`` blocks and context
  managers run (helmfile's process group is killed, the deployment gets its last status).
  ``Cancelled`` is a ``BaseException``: an ``except Exception`` cannot swallow it.
- While clean-up runs, and until the process exits, further SIGTERMs are ignored: there is one
  way out, already under way.
- Inside :func:`shielded` (a last status write), the signal is held and raised when the block
  ends, so the write is not cut in half.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

SIGNALS = (signal.SIGTERM,)


class Cancelled(BaseException):
    """The run was cancelled by a signal."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"received {signal.Signals(signum).name}")


class _State:
    shield = 0
    pending: int | None = None
    cancelled = False


def _handler(signum: int, frame: FrameType | None) -> None:
    if _State.cancelled:
        return
    if _State.shield:
        _State.pending = signum
        return
    _State.cancelled = True
    raise Cancelled(signum)


def cancelled() -> bool:
    """Whether a cancellation signal arrived (clean-up then keeps its writes short)."""
    return _State.cancelled or _State.pending is not None


@contextmanager
def cancellable() -> Iterator[None]:
    """SIGTERM raises :class:`Cancelled` during the body (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _handler) for sig in SIGNALS}
    _State.shield, _State.pending, _State.cancelled = 0, None, False
    try:
        yield
    finally:
        if not _State.cancelled:  # once cancelled, later signals stay ignored until the exit
            for sig, handler in previous.items():
                signal.signal(sig, handler)


@contextmanager
def shielded() -> Iterator[None]:
    """Hold a cancellation until the body is done, then raise it."""
    _State.shield += 1
    try:
        yield
    finally:
        _State.shield -= 1
        if not _State.shield and _State.pending is not None and not _State.cancelled:
            signum, _State.pending = _State.pending, None
            _State.cancelled = True
            raise Cancelled(signum)
