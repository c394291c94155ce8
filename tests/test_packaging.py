"""Two distributions, one way: the product wheel and the CLI's view of what is installed.

The product (``release-kit``, what the image installs) carries the actions' folders and no
sandbox code; the sandbox (``release-kit-sandbox``) registers its commands as tools, which the
product's CLI lists only where the sandbox is installed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from release_kit import cli
from release_kit.action.folders import product_actions

ROOT = Path(__file__).resolve().parents[1]
ACTION_NAMES = sorted(p.parent.name for p in (ROOT / "actions").glob("*/action.yml"))


@pytest.fixture(scope="module")
def product_wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """``pip wheel --no-deps .`` of a copy of what the Dockerfile copies (links kept)."""
    tree = tmp_path_factory.mktemp("tree")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, tree / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for folder in ("shared", "actions"):
        shutil.copytree(ROOT / folder, tree / folder, symlinks=True, ignore=ignore)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--wheel-dir", str(out), str(tree)],
                   check=True, capture_output=True, text=True, timeout=300)
    (wheel,) = out.glob("release_kit-*.whl")
    return zipfile.ZipFile(wheel)


def test_the_product_wheel_carries_every_action_and_no_sandbox(
        product_wheel: zipfile.ZipFile) -> None:
    names = product_wheel.namelist()
    assert [n for n in names if "sandbox" in n or "rehearsal" in n or "local_runner" in n] == []
    for action in ACTION_NAMES:
        for file in ("action.yml", "main.py"):
            packaged = product_wheel.read(f"release_kit/actions/{action}/{file}")
            assert packaged == (ROOT / "actions" / action / file).read_bytes()


def test_the_package_reads_the_repositorys_action_folders() -> None:
    """The link is the one copy: the package's actions are the repository's actions/."""
    assert sorted(product_actions()) == ACTION_NAMES
    assert {p.resolve() for p in product_actions().values()} == {
        (ROOT / "actions" / name).resolve() for name in ACTION_NAMES}


def test_the_cli_lists_the_sandbox_tools_where_the_sandbox_is_installed() -> None:
    tools = cli.available_tools()
    assert tools["sandbox"] == "release_kit_sandbox.cli:main"
    assert tools["rehearse"] == "release_kit_sandbox.rehearsal:main"
    assert tools["eks-token"] == "release_kit.eks.token:eks_token"


def test_without_the_sandbox_the_cli_lists_only_the_products_tools(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "entry_points", lambda **_: [])
    assert cli.main([]) == 0
    listing = capsys.readouterr().out
    assert "eks-token" in listing and "sandbox" not in listing and "rehearse" not in listing
    for action in ACTION_NAMES:
        assert f"  {action}\n" in listing
    assert cli.main(["sandbox"]) == 2
    assert "unknown command 'sandbox'" in capsys.readouterr().err


def test_a_registered_tool_runs_with_its_arguments(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata

    tool = EntryPoint("echo-args", "tests.test_packaging:_tool", cli.TOOLS_GROUP)
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda **_: [tool])
    assert cli.main(["echo-args", "a", "b"]) == 2  # the number of arguments it was given


def _tool(argv: list[str]) -> int:
    return len(argv)


def test_bare_release_kit_lists_the_actions_and_exits_0() -> None:
    proc = subprocess.run([sys.executable, "-m", "release_kit"], capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert all(f"  {action}\n" in proc.stdout for action in ACTION_NAMES)


def test_a_folder_that_is_not_an_action_is_refused_by_name(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "release_kit", str(tmp_path)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert "is not an action folder (it needs action.yml and main.py)" in proc.stderr
