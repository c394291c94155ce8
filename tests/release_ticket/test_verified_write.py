"""The verified body update (release_kit.github.issues.update_body) under scripted interleavings.

A tiny last-write-wins store stands in for GitHub; other writers act at the moments the update
waits (its ``sleep`` calls), which is exactly when real concurrent jobs land their writes.
Bodies are sets of lines; merging is union, as ticket states merge.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from release_kit.errors import ConflictError
from release_kit.github.issues import update_body


class Store:
    """One issue body; the last write wins, as on GitHub."""

    def __init__(self, body: str) -> None:
        self.body = body
        self.writes: list[str] = []
        self.reads = 0


class FakeBody:
    """The ``BodyStore`` of the update, over the store."""

    name = "#1 in acme/releases"

    def __init__(self, store: Store) -> None:
        self.store = store

    def read(self) -> str:
        self.store.reads += 1
        return self.store.body

    def write(self, body: str) -> None:
        self.store.body = body
        self.store.writes.append(body)


def lines(body: str) -> set[str]:
    return {line for line in body.splitlines() if line}


def merge_with(ours: str) -> tuple[Callable[[str, Sequence[str]], str],
                                    Callable[[str, Sequence[str]], bool]]:
    def change(body: str, seen: Sequence[str]) -> str:
        union = lines(body) | {ours}
        for earlier in seen:
            union |= lines(earlier)
        return "\n".join(sorted(union))

    def complete(body: str, seen: Sequence[str]) -> bool:
        wanted = {ours}.union(*(lines(b) for b in seen))
        return wanted <= lines(body)

    return change, complete


def run(store: Store, ours: str, at_sleep: list[Callable[[], None]], **kwargs: Any) -> Any:
    def sleep(_: float) -> None:
        if at_sleep:
            at_sleep.pop(0)()

    change, complete = merge_with(ours)
    return update_body(FakeBody(store), store.body, change, complete, sleep=sleep, **kwargs)


def test_uncontended_one_write_one_read() -> None:
    store = Store("a")
    result = run(store, "b", [])
    assert store.body == "a\nb" and (result.writes, result.reads) == (1, 1)


def test_nothing_to_change_writes_nothing() -> None:
    store = Store("a\nb")
    result = run(store, "b", [])
    assert store.writes == [] and (result.writes, result.reads) == (0, 0)


def test_a_stale_writer_erasing_our_line_is_repaired() -> None:
    store = Store("a")

    def stale_write() -> None:  # read "a" before our write, writes after it
        store.body = "a\nc"

    result = run(store, "b", [stale_write])
    assert lines(store.body) == {"a", "b", "c"}
    assert result.writes == 2


def test_a_line_we_saw_is_restored_when_someone_else_erases_it() -> None:
    store = Store("a")
    events = [
        lambda: setattr(store, "body", "a\nb\nc"),  # c's writer merged ours: we keep watching
        lambda: setattr(store, "body", "a\nb"),  # a stale writer erased c (c's writer is gone)
    ]
    run(store, "b", events)
    assert lines(store.body) == {"a", "b", "c"}


def test_gives_up_after_max_writes_and_says_so() -> None:
    store = Store("a")
    clobber = [lambda: setattr(store, "body", "a")] * 20
    with pytest.raises(ConflictError, match="kept being overwritten"):
        run(store, "b", clobber, max_writes=3)
    assert len(store.writes) == 3
