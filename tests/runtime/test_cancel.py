"""SIGTERM becomes Cancelled for the clean-up; a shielded write is not cut in half."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest

from release_kit.action.cancel import Cancelled, cancellable, cancelled, shielded


@pytest.fixture(autouse=True)
def restore_sigterm() -> Iterator[None]:
    saved = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, saved)


def sigterm() -> None:
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(0.5)  # the handler runs in the main thread between bytecodes, during this


def test_sigterm_raises_cancelled_and_later_ones_are_ignored() -> None:
    steps = []
    with pytest.raises(Cancelled) as info, cancellable():
        try:
            sigterm()
            steps.append("not reached")
        finally:
            sigterm()  # a second signal during the clean-up does not interrupt it
            steps.append("clean-up finished")
    assert info.value.signum == signal.SIGTERM and str(info.value) == "received SIGTERM"
    assert steps == ["clean-up finished"] and cancelled()


def test_a_shielded_block_finishes_and_the_cancellation_follows() -> None:
    steps = []
    with pytest.raises(Cancelled), cancellable():
        with shielded():
            sigterm()
            steps.append("write finished")
        steps.append("not reached")
    assert steps == ["write finished"]


def test_nothing_happens_without_a_signal_and_the_handler_is_restored() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with cancellable():
        assert signal.getsignal(signal.SIGTERM) is not before
        with shielded():
            pass
    assert signal.getsignal(signal.SIGTERM) is before and not cancelled()
