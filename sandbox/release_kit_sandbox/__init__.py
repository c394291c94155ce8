"""Local stand-ins for the services the actions talk to.

- :class:`GitHubEmulator`: a stateful GitHub REST API over real bare git repositories.
- :class:`Sandbox`: the emulator plus a moto server (AWS), with the environment a subprocess needs.

See ``README.md`` in this folder for the endpoint list and the test fixtures.
"""

from release_kit_sandbox.github.faults import Fault, FaultSpecError
from release_kit_sandbox.github.server import GitHubEmulator, RequestRecord
from release_kit_sandbox.runtime import Sandbox

__all__ = ["Fault", "FaultSpecError", "GitHubEmulator", "RequestRecord", "Sandbox"]
