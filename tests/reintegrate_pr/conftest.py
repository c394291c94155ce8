"""Fixtures of the reintegrate-pr tests: ``world``, a released repository on the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from release_kit_sandbox import Sandbox
from tests.reintegrate_pr.world import World


@pytest.fixture
def world(sandbox: Sandbox, tmp_path: Path) -> World:
    return World(sandbox, tmp_path)
