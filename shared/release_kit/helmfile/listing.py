"""What ``helmfile list --output json`` says: the releases a helmfile deploys (pure).

helmfile prints one JSON array, one object per release::

    [{"name": "web", "namespace": "qa1", "enabled": true, "installed": true,
      "labels": "chart:web,name:web,namespace:qa1", "chart": "./chart", "version": ""}]

``enabled: false`` (its ``condition`` is off) and ``installed: false`` releases are not running
after an apply. A release without a namespace of its own gets the ``--namespace`` flag's.
"""

from __future__ import annotations

import json
from typing import Any


def _array(stdout: str) -> list[Any]:
    """The JSON array in ``stdout``: helmfile prints it on one line, maybe after log lines."""
    for line in reversed(stdout.splitlines()):
        text = line.strip()
        if not text.startswith("["):
            continue
        try:
            found = json.loads(text)
        except ValueError:
            continue
        if isinstance(found, list):
            return found
    raise ValueError("no JSON array of releases in its output")


def release_names(stdout: str, namespace: str) -> list[str]:
    """Names of the releases that run in ``namespace`` once the helmfile is applied.

    Raises ValueError when the output is not a ``list --output json`` answer.
    """
    names = set()
    for release in _array(stdout):
        if not isinstance(release, dict) or not isinstance(release.get("name"), str):
            raise ValueError(f"unexpected release entry {release!r}")
        if release.get("enabled") is False or release.get("installed") is False:
            continue
        if release.get("namespace") in (None, "", namespace):
            names.add(release["name"])
    return sorted(names)
