"""How an existing reintegration PR must change to say what it should (nothing, ideally)."""

from __future__ import annotations

from dataclasses import dataclass

from release_kit.reintegration.model import Desired, Pull

CONFLICTS_LABEL = "conflicts"


def _same_text(a: str, b: str) -> bool:
    """GitHub stores bodies typed in its editor with CRLF; compare what people see."""
    return a.replace("\r\n", "\n").strip() == b.replace("\r\n", "\n").strip()


@dataclass(frozen=True)
class PullUpdate:
    title: str | None = None  # None: keep
    body: str | None = None
    add_labels: tuple[str, ...] = ()

    @property
    def edits(self) -> dict[str, str]:
        """The PATCH payload for title and body (empty when both are right)."""
        fields = {"title": self.title, "body": self.body}
        return {name: value for name, value in fields.items() if value is not None}

    @property
    def empty(self) -> bool:
        return not self.edits and not self.add_labels


def pull_update(existing: Pull, desired: Desired) -> PullUpdate:
    """Title and body are rewritten when they differ; labels are only ever added.

    Labels people added by hand (or ``conflicts``) are left alone: the PR's labels are a union.
    """
    have = {label.lower() for label in existing.labels}
    return PullUpdate(
        title=None if _same_text(existing.title, desired.title) else desired.title,
        body=None if _same_text(existing.body, desired.body) else desired.body,
        add_labels=tuple(label for label in desired.labels if label.lower() not in have),
    )


def conflict_label_change(labels: tuple[str, ...], mergeable: bool | None) -> str | None:
    """``"add"``/``"remove"`` the ``conflicts`` label for a known mergeability, else None."""
    has = any(label.lower() == CONFLICTS_LABEL for label in labels)
    if mergeable is False and not has:
        return "add"
    if mergeable is True and has:
        return "remove"
    return None
