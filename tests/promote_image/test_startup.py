"""promote-image's start-up stays lean: a retag on an OCI registry loads no module it does not use.

The action's fixed cost (interpreter and imports) is most of a retag's wall time beside skopeo
(see the OCI benchmark), so the modules only some runs need are imported where those runs need
them: boto3/botocore and the ECR adapter only for an ECR location, argparse only for flags,
other actions' libraries never; the OCI adapter's HTTP and the inputs model are the standard
library's (no requests, urllib3, pydantic, nor the stdlib modules only they brought); threads
(concurrent.futures, and the logging it imports) only for parallel look-ups and copies. The
action runs as the runner runs it, with ``PYTHONPROFILEIMPORTTIME=1``: the interpreter lists every module it imported on
stderr.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from tests.harness import ActionResult, run_action
from tests.promote_image.distribution import Registry
from tests.promote_image.images import image

SHA = "0123456789abcdef0123456789abcdef01234567"

# Modules an OCI retag must not load: each one is start-up time paid for nothing.
NOT_ON_THE_OCI_PATH = (
    "boto3", "botocore", "s3transfer",  # AWS: ECR only
    "requests", "urllib3", "charset_normalizer", "idna",  # the OCI adapter speaks http.client
    "release_kit.registry.ecr",  # ECR's adapter
    "argparse",  # flags only (local runs, --help)
    "yaml", "release_kit.action.metadata",  # action.yml: local runs only (the runner applied it)
    "concurrent.futures", "logging",  # threads: parallel look-ups and copies only
    "kubernetes", "slack_sdk", "github", "jwt",  # other actions' libraries
    "pydantic", "pydantic_core",  # the inputs model is the standard library's
    "importlib.resources", "zipfile", "tempfile", "uuid",  # brought by pydantic and urllib3 only
)

_IMPORTED = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)\s*$", re.MULTILINE)


def imported(stderr: str) -> set[str]:
    """The modules of a ``-X importtime`` report (stderr of a run with it)."""
    return set(_IMPORTED.findall(stderr))


def loaded(names: set[str], top: str) -> bool:
    return top in names or any(name.startswith(top + ".") for name in names)


def run(registry: Registry, docker_config: Path, *flags: str, **inputs: object
        ) -> ActionResult:
    given: dict[str, object] = {"repository": f"{registry.host}/acme/web", "source": "sha-1",
                                **inputs}
    return run_action("promote-image", given, env={
        "GITHUB_SHA": SHA, "DOCKER_CONFIG": str(docker_config),
        "PYTHONPROFILEIMPORTTIME": "1"})


def test_an_oci_retag_imports_nothing_it_does_not_use(
        registries: Callable[..., Registry], docker_config: Path) -> None:
    registry = registries()
    registry.push("acme/web", image(1), "sha-1")
    result = run(registry, docker_config, tags=["1.0.0"])
    assert result.exit_code == 0, result.stdout + result.stderr[-2000:]
    assert registry.tags("acme/web") == ["1.0.0", "sha-1"]
    names = imported(result.stderr)
    assert "release_kit.registry.oci" in names  # the report is complete: the adapter it used
    assert [m for m in NOT_ON_THE_OCI_PATH if loaded(names, m)] == []


def test_the_check_sees_a_module_that_is_loaded() -> None:
    """The guard can fail: the parser finds modules, and ``loaded`` matches packages."""
    report = ("import time: self [us] | cumulative | imported package\n"
              "import time:       120 |        120 |   botocore.compat\n"
              "import time:      2048 |      31000 | argparse\n")
    names = imported(report)
    assert names == {"botocore.compat", "argparse"}
    assert loaded(names, "botocore") and loaded(names, "argparse")
    assert not loaded(names, "boto3")
