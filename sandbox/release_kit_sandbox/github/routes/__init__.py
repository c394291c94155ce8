"""HTTP handlers, one module per resource family, all registered on :data:`router`.

To add an endpoint: write a handler in the module of its resource (or a new module imported
below) decorated with ``@route("METHOD", "/path/{param}", permission=("issues", "write"))``.
Register more specific patterns before generic ones in the same module.
"""

from release_kit_sandbox.github.http import router
from release_kit_sandbox.github.routes import (  # noqa: F401 - imported to register handlers
    actions,
    apps,
    contents,
    deployments,
    git,
    issues,
    pulls,
    releases,
    repos,
    users,
)

__all__ = ["router"]
