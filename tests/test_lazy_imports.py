"""Every import inside a function of the product says why it is there.

Imports at module level are the product's graph, which ``make lint`` checks (.importlinter). An
import inside a function hides from a reader what a module stands on, so it is kept only where
it is deliberate: a heavy library (boto3, kubernetes, requests, slack_sdk, YAML) that only some
runs need, paid for by those runs alone. Each one carries its reason: ``# noqa: PLC0415 -
<why>`` on its line, or a ``# <why>`` comment on the line above. Imports under
``if TYPE_CHECKING:`` are types only and need none.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ROOT / "shared" / "release_kit"


def function_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)) and in_function:
                found.append(child)
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            visit(child, inner)

    visit(tree, False)
    return found


def has_reason(lines: list[str], node: ast.Import | ast.ImportFrom) -> bool:
    line = lines[node.lineno - 1]
    if "# noqa: PLC0415 - " in line:
        return True
    above = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
    return above.startswith("# ") and len(above) > 4


def unexplained(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    return [f"{path}:{node.lineno}: {lines[node.lineno - 1].strip()}"
            for node in function_level_imports(ast.parse(text)) if not has_reason(lines, node)]


def test_every_function_level_import_of_the_product_says_why() -> None:
    files = [p for p in PRODUCT.rglob("*.py") if "actions" not in p.relative_to(PRODUCT).parts]
    assert len(files) > 50
    assert [line for path in sorted(files) for line in unexplained(path)] == []


def test_the_check_finds_an_unexplained_import_and_accepts_explained_ones(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    import boto3\n"
        "def a():\n"
        "    import json  # noqa: PLC0415\n"
        "def b():\n"
        "    import yaml  # noqa: PLC0415 - only YAML inputs\n"
        "def c():\n"
        "    # requests: only runs that talk to GitHub\n"
        "    import requests  # noqa: PLC0415\n", encoding="utf-8")
    found = [line.split(": ", 1)[1] for line in unexplained(sample)]
    assert found == ["import json  # noqa: PLC0415"]
