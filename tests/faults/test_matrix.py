"""The fault matrix (see ``matrix.py``): every writing operation of every action x GitHub's
failure modes, through the sandbox's fault endpoint. Each run succeeds, or fails with a named
error and a re-run converges; in every case 0 duplicates and 0 lost writes.

``RELEASE_KIT_FAULT_TALLY=<file>`` appends each trial to ``<file>`` (the benchmark's totals).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from release_kit_sandbox import Sandbox
from tests.faults.matrix import FAULTS, OPERATIONS, Operation, World, record, slug, trial


@pytest.fixture
def world(sandbox: Sandbox, tmp_path: Path) -> Iterator[World]:
    made = World(sandbox, tmp_path)
    yield made
    kube = made.facts.get("kube")
    if kube is not None:
        kube.__exit__(None, None, None)


@pytest.mark.parametrize("fault", list(FAULTS), ids=slug)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: slug(op.name))
def test_no_duplicate_no_loss(world: World, operation: Operation, fault: str) -> None:
    result = trial(world, operation, fault)
    tally = os.environ.get("RELEASE_KIT_FAULT_TALLY")
    record(Path(tally) if tally else None, result)
    assert result.named, f"{operation.name} under {fault}: an unnamed failure"
    if result.first_exit != 0:
        assert result.converged, f"{operation.name} under {fault}: the re-run did not converge"
    assert result.objects == 1, f"{operation.name} under {fault}: {result.objects} objects"
    assert result.landed, f"{operation.name} under {fault}: the write did not land"
