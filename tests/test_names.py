"""Names that explain themselves: no two public top-level definitions of the product share a name.

Three ``Outcome``s (a release write, a reintegration's report on one target, a helmfile run)
or two ``Plan``s make a reader open the import to know which is meant; each is named for what it
is instead, and this keeps it so as code is added.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PRODUCT = Path(__file__).resolve().parents[1] / "shared" / "release_kit"


def public_definitions(root: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted(root.rglob("*.py")):
        if "actions" in path.relative_to(root).parts:  # the link to actions/: scripts
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) \
                    and not node.name.startswith("_"):
                found[node.name].append(str(path.relative_to(root)))
    return found


def test_public_names_of_the_product_are_unique() -> None:
    definitions = public_definitions(PRODUCT)
    assert len(definitions) > 300
    assert {name: where for name, where in definitions.items() if len(where) > 1} == {}


def test_the_check_sees_a_duplicate(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("class Outcome: ...\ndef _private(): ...\n")
    (tmp_path / "b.py").write_text("def Outcome(): ...\ndef _private(): ...\n")
    assert public_definitions(tmp_path) == {"Outcome": ["a.py", "b.py"]}
