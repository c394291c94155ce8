"""The URL an environment is reachable at, chosen after a deploy.

The chart knows best: an Ingress annotation (``url-annotation``) wins, then the first rule host
of the namespace's Ingresses (as https), then the ``url`` template, else no URL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Ingress:
    name: str
    annotations: Mapping[str, str] = field(default_factory=dict)
    hosts: Sequence[str] = ()


def choose_url(ingresses: Sequence[Ingress], annotation: str, template_url: str = "") -> str:
    """First annotated URL, else the first host as https, else the rendered template, else ""."""
    ordered = sorted(ingresses, key=lambda ing: ing.name)
    if annotation:
        for ing in ordered:
            value = ing.annotations.get(annotation, "").strip()
            if value:
                return value
    for ing in ordered:
        for host in ing.hosts:
            if host and "*" not in host:
                return f"https://{host}"
    return template_url
