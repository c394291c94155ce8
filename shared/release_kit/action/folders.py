"""Where the actions are: an action is a folder with ``action.yml`` and ``main.py``.

The product's own actions ship inside the package: ``release_kit/actions`` is a link to the
repository's ``actions/`` folder, so a checkout (editable install), a wheel and the image all
read the one copy GitHub reads, and the CLI needs no setting to find them. Any other folder
holding both files (a test fixture, an action of your own) is run by its path.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from release_kit.errors import InputError

METADATA = "action.yml"
ENTRYPOINT = "main.py"


def product_actions_dir() -> Path:
    """The ``actions/`` folder shipped with the package."""
    return Path(str(resources.files("release_kit") / "actions"))


def is_action(folder: Path) -> bool:
    return (folder / METADATA).is_file() and (folder / ENTRYPOINT).is_file()


def product_actions() -> dict[str, Path]:
    """name -> folder, for every action of the product, sorted by name."""
    root = product_actions_dir()
    if not root.is_dir():
        return {}
    return {folder.name: folder for folder in sorted(root.iterdir()) if is_action(folder)}


def looks_like_path(command: str) -> bool:
    return "/" in command or command.startswith(".")


def find_action(command: str) -> Path | None:
    """The folder of ``command``: a product action's name, or the path of an action folder.

    None when ``command`` names no product action and is no path; a path that is not an action
    folder is an error naming what is missing.
    """
    if not looks_like_path(command):
        return product_actions().get(command)
    folder = Path(command).expanduser().resolve()
    if not is_action(folder):
        raise InputError("action", f"{command!r} is not an action folder (it needs {METADATA} "
                         f"and {ENTRYPOINT}).",
                         hint="Give the name of an action (release-kit lists them) or the "
                         "path of a folder holding both files.")
    return folder
