"""The URL an environment is reachable at, chosen after a deploy.

The chart knows best: an Ingress annotation (``url-annotation``) wins, then the first rule host
(as https), then the ``url`` template, else no URL. But only Ingresses of THIS helmfile's
releases count: a namespace is shared by several services (a preview namespace per branch by
design; ``dev``, ``staging``, ``production``, ``hotfix`` are every service's environment names),
and another service's Ingress must never become this deployment's URL. Helm (3.2+) annotates
every resource it manages with ``meta.helm.sh/release-name``; charts conventionally label it
``app.kubernetes.io/instance`` too.

When ownership cannot be established (helmfile could not list its releases, or no Ingress says
which release it belongs to), the only Ingress of the namespace is taken; with several, the
template is preferred over a guess. Such a choice is marked ``guessed`` so the log says so.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

RELEASE_ANNOTATION = "meta.helm.sh/release-name"
INSTANCE_LABEL = "app.kubernetes.io/instance"


@dataclass(frozen=True)
class Ingress:
    name: str
    annotations: Mapping[str, str] = field(default_factory=dict)
    hosts: Sequence[str] = ()
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def release(self) -> str:
        """The Helm release that manages this Ingress ("" when its metadata does not say)."""
        return (self.annotations.get(RELEASE_ANNOTATION)
                or self.labels.get(INSTANCE_LABEL) or "").strip()


@dataclass(frozen=True)
class UrlChoice:
    """The URL ("" for none), and how it was chosen (for the log).

    ``guessed``: which Ingress belongs to this helmfile could not be established, so the URL is
    a fallback that deserves a notice rather than a debug line.
    """

    url: str
    reason: str
    guessed: bool = False


def _from(ingresses: Sequence[Ingress], annotation: str, template_url: str, what: str,
          guessed: bool = False) -> UrlChoice:
    """The priority order over ``ingresses`` (sorted by name): annotation, host, template."""
    if annotation:
        for ing in ingresses:
            value = ing.annotations.get(annotation, "").strip()
            if value:
                return UrlChoice(value, f"{what}: annotation {annotation} of Ingress {ing.name}",
                                 guessed)
    for ing in ingresses:
        for host in ing.hosts:
            if host and "*" not in host:
                return UrlChoice(f"https://{host}", f"{what}: first host of Ingress {ing.name}",
                                 guessed)
    return _template(template_url, f"{what}: no annotation {annotation} nor host", guessed)


def _template(template_url: str, why: str, guessed: bool = False) -> UrlChoice:
    source = "the url template" if template_url else "no URL (no url template either)"
    return UrlChoice(template_url, f"{why}; using {source}", guessed)


def choose_url(ingresses: Sequence[Ingress], annotation: str, template_url: str = "",
               releases: Collection[str] | None = None) -> UrlChoice:
    """The environment URL from the Ingresses of ``releases`` (this helmfile's releases).

    ``releases`` is None when helmfile could not list them. Never returns a URL from an Ingress
    that says it belongs to another release.
    """
    ordered = sorted(ingresses, key=lambda ing: ing.name)
    if releases is not None:
        ours = [ing for ing in ordered if ing.release and ing.release in releases]
        if ours:
            names = ", ".join(sorted({ing.release for ing in ours}))
            return _from(ours, annotation, template_url, f"Ingresses of release {names}")
    if not ordered:
        return _template(template_url, "no Ingress in the namespace")
    foreign = [ing for ing in ordered if ing.release] if releases is not None else []
    if releases is None:
        why = "helmfile did not list its releases"
    elif foreign:
        listed = ", ".join(sorted(releases)) or "none"
        why = (f"no Ingress of this helmfile's releases ({listed}); {_names(foreign)} "
               "belong to other releases")
    else:
        why = "no Ingress carries Helm release metadata"
    if len(foreign) == len(ordered):  # every Ingress is another release's: ours have none
        return _template(template_url, why)
    if len(ordered) == 1:
        return _from(ordered, annotation, template_url,
                     f"{why}; taking the namespace's only Ingress", guessed=True)
    return _template(template_url, f"{why}; not guessing among Ingresses {_names(ordered)}",
                     guessed=True)


def _names(ingresses: Sequence[Ingress]) -> str:
    return ", ".join(ing.name for ing in ingresses)
