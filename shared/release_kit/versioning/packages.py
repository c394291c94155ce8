"""Monorepo packages: folders matching the ``packages`` globs that hold a ``pyproject.toml``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from release_kit.errors import InputError
from release_kit.versioning.pyproject import project_version


@dataclass(frozen=True)
class Package:
    name: str  # the folder name: what {package} becomes in package-tag-format
    path: str  # relative to the repository root, with forward slashes
    version: str  # [project].version as committed

    @property
    def pyproject(self) -> str:
        return f"{self.path}/pyproject.toml"


def discover(root: Path, globs: Sequence[str]) -> list[Package]:
    """The packages under ``root``; input errors name ``packages`` and say what to fix."""
    folders: dict[str, Path] = {}
    for pattern in globs:
        if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
            raise InputError("packages", f"{pattern!r} must be a relative path inside the "
                             "repository.", hint="Use globs such as packages/*.")
        for folder in sorted(root.glob(pattern.rstrip("/"))):
            if (folder / "pyproject.toml").is_file():
                folders.setdefault(folder.relative_to(root).as_posix(), folder)
    if not folders:
        raise InputError(
            "packages",
            f"no folder matching {', '.join(globs)} contains a pyproject.toml (looked in {root}).",
            hint="Give globs of package folders relative to the repository root, e.g. packages/*.",
        )
    packages = []
    for rel, folder in folders.items():
        version = project_version((folder / "pyproject.toml").read_text(encoding="utf-8"))
        if version is None:
            raise InputError(
                "packages",
                f"{rel}/pyproject.toml has no static [project].version.",
                hint='Add version = "x.y.z" under [project] (dynamic versions are not supported).',
            )
        packages.append(Package(folder.name, rel, version))
    names = [p.name for p in packages]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputError("packages", f"several package folders are named {duplicates[0]!r}; "
                         "tags would collide.", hint="Narrow the globs or rename a folder.")
    return packages
