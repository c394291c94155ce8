"""Shared pytest fixtures.

Sandbox (GitHub API emulator + moto), from :mod:`release_kit_sandbox`:

- ``sandbox_session`` (session): one started :class:`~release_kit_sandbox.Sandbox` for the whole
  run; servers start once (fast), state is reset per test by the fixtures below.
- ``sandbox`` (function): the session sandbox with GitHub state and moto state reset before the
  test. Use ``sandbox.env()`` for a subprocess, ``sandbox.github`` for the emulator.
- ``github_emulator`` (function): ``sandbox.github``, reset, for tests that only need GitHub.

A sample of the responses the emulator serves (the first 25 per method, route and status) is kept
in ``GitHubEmulator.all_requests`` across resets;
``tests/sandbox/test_contract.py::test_all_served_responses_match_github`` validates them against
GitHub's REST description and is moved to the end of the session by
``pytest_collection_modifyitems`` below.

Add new fixtures below in their own section with a short docstring.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from release_kit_sandbox import GitHubEmulator, Sandbox

# -- sandbox ------------------------------------------------------------------------------------

RUN_LAST = "test_all_served_responses_match_github"

# Clients made in this process talk to the local emulator: no one-second spacing of writes
# (tests/github/test_client.py checks the spacing with a policy of its own).
os.environ.setdefault("RELEASE_KIT_GITHUB_WRITE_SPACING", "0")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move the sandbox contract check over all served responses to the end of the run."""
    last = [item for item in items if item.name == RUN_LAST]
    if last:
        items[:] = [item for item in items if item.name != RUN_LAST] + last


@pytest.fixture(autouse=True)
def on_a_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    """Code under test in this process writes workflow commands as on a runner (masks included:
    ``commands.add_mask`` writes nothing outside one). Subprocess runs get GITHUB_ACTIONS from
    the harness; a test of a local terminal patches ``commands.on_runner`` back."""
    from release_kit.action import commands

    monkeypatch.setattr(commands, "on_runner", lambda: True)


@pytest.fixture(scope="session")
def sandbox_session() -> Iterator[Sandbox]:
    """A started Sandbox shared by the session (use ``sandbox`` for a clean one per test)."""
    with Sandbox() as box:
        yield box


@pytest.fixture
def sandbox(sandbox_session: Sandbox) -> Sandbox:
    """The session Sandbox with GitHub and moto state reset before this test."""
    sandbox_session.reset()
    return sandbox_session


@pytest.fixture
def github_emulator(sandbox: Sandbox) -> GitHubEmulator:
    """The (reset) GitHub emulator of the session Sandbox."""
    return sandbox.github
