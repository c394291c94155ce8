"""The GitHub REST API emulator.

State in :mod:`.state`, git in :mod:`.gitrepo`, HTTP in :mod:`.server` and :mod:`.routes`.
"""

from release_kit_sandbox.github.server import GitHubEmulator, RequestRecord

__all__ = ["GitHubEmulator", "RequestRecord"]
