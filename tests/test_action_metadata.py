"""Every action's ``action.yml`` agrees with its ``Inputs`` model, the schema and the house rules.

``action.yml`` is the one source of truth users read (and ``--help`` prints); the model is what
the code parses. They must not drift: same input names, the same literal defaults (rendered as
the runner would pass them), required exactly when action.yml says so. Parametrized over the
actions found on disk, so each action is checked as soon as it lands.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from enum import Enum
from functools import cache
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest
import yaml

from release_kit.action.inputs import ActionInputs, SecretStr

ROOT = Path(__file__).resolve().parents[1]
ECHO_FIXTURE = ROOT / "tests" / "fixtures" / "actions" / "echo"


def action_dirs() -> list[Path]:
    """The product's actions that have an entrypoint, plus the runtime's echo fixture."""
    found = sorted(p.parent for p in (ROOT / "actions").glob("*/main.py"))
    return [*found, ECHO_FIXTURE]


def is_product_action(action_dir: Path) -> bool:
    return action_dir.parent == ROOT / "actions"


ACTIONS = pytest.mark.parametrize(
    "action_dir", action_dirs(), ids=lambda p: p.name if isinstance(p, Path) else str(p)
)


@cache
def metadata(action_dir: Path) -> dict[str, Any]:
    data = yaml.safe_load((action_dir / "action.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{action_dir}/action.yml is not a mapping"
    return data


def load_main(action_dir: Path) -> ModuleType:
    name = f"_metadata_check_{action_dir.name.replace('-', '_')}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, action_dir / "main.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def inputs_model(action_dir: Path) -> type[ActionInputs]:
    """The inputs model main.py runs: its own ``Inputs`` (a fixture), else the one model it
    imports from the library."""
    namespace = vars(load_main(action_dir))
    models = [value for value in namespace.values() if isinstance(value, type)
              and issubclass(value, ActionInputs) and value.__module__ != ActionInputs.__module__]
    model = namespace.get("Inputs") or (models[0] if len(models) == 1 else None)
    assert isinstance(model, type) and issubclass(model, ActionInputs), (
        f"{action_dir.name}/main.py must define or import one `ActionInputs` model"
    )
    return model


def yml_inputs(action_dir: Path) -> dict[str, dict[str, Any]]:
    return {name: spec or {} for name, spec in (metadata(action_dir).get("inputs") or {}).items()}


def is_expression(value: object) -> bool:
    return isinstance(value, str) and "${{" in value


def render(value: object) -> str:
    """A model default as the string the runner would pass in ``INPUT_*``."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, Enum):
        value = value.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, set, frozenset)):
        return "\n".join(render(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value) if value else ""
    return str(value)


def defaults_agree(model_default: object, yml_default: object) -> bool:
    """Same literal default. An empty action.yml default means "not given": the model's
    default must then be empty too. Structured defaults compare as parsed values."""
    text = "" if yml_default is None else str(yml_default).strip()
    if isinstance(model_default, dict) and text:
        return bool(yaml.safe_load(text) == model_default)
    if isinstance(model_default, (list, tuple)):
        return [line.strip() for line in text.splitlines() if line.strip()] == [
            render(item) for item in model_default
        ]
    return render(model_default).strip() == text


@cache
def github_actions_schema() -> dict[str, Any]:
    """check-jsonschema's vendored ``vendor.github-actions`` schema (no network)."""
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    return dict(json.loads(vendor.joinpath("github-actions.json").read_text(encoding="utf-8")))


def schema_errors(instance: object, schema: dict[str, Any]) -> Iterator[str]:
    validator_cls = jsonschema.validators.validator_for(schema)
    for error in validator_cls(schema).iter_errors(instance):
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        yield f"{where}: {error.message}"


# --- the tests ----------------------------------------------------------------------------------


def test_the_product_actions_are_found() -> None:
    """The parametrization below is not silently empty (the echo fixture always is there)."""
    assert ECHO_FIXTURE in action_dirs()
    assert (ECHO_FIXTURE / "main.py").is_file()


@ACTIONS
def test_action_yml_passes_the_github_actions_schema(action_dir: Path) -> None:
    errors = list(schema_errors(metadata(action_dir), github_actions_schema()))
    assert errors == [], f"{action_dir.name}/action.yml: " + "; ".join(errors)


@ACTIONS
def test_runs_the_one_image_with_the_action_name(action_dir: Path) -> None:
    runs = metadata(action_dir).get("runs") or {}
    assert runs.get("using") == "docker"
    image = str(runs.get("image", ""))
    assert (action_dir / image).resolve() == ROOT / "Dockerfile", (
        f"runs.image {image!r} must be the repository's Dockerfile"
    )
    if is_product_action(action_dir):
        assert image == "../../Dockerfile"
    args = runs.get("args") or []
    assert args and args[0] == action_dir.name, "runs.args[0] must be the action's folder name"


@ACTIONS
def test_input_names_match_the_model(action_dir: Path) -> None:
    model_names = set(inputs_model(action_dir).input_names().values())
    assert model_names == set(yml_inputs(action_dir)), (
        f"only in action.yml: {sorted(set(yml_inputs(action_dir)) - model_names)}; "
        f"only in the model: {sorted(model_names - set(yml_inputs(action_dir)))}"
    )


@ACTIONS
def test_required_inputs_are_required_in_the_model(action_dir: Path) -> None:
    model = inputs_model(action_dir)
    specs = yml_inputs(action_dir)
    mismatched = []
    for field_name, name in model.input_names().items():
        spec = specs.get(name, {})
        yml_required = bool(spec.get("required", False)) and spec.get("default") is None
        if model.input_fields()[field_name].required != yml_required:
            mismatched.append(f"{name} (action.yml required: {yml_required})")
    assert mismatched == []


@ACTIONS
def test_literal_defaults_match_the_model(action_dir: Path) -> None:
    model = inputs_model(action_dir)
    specs = yml_inputs(action_dir)
    mismatched = []
    for field_name, name in model.input_names().items():
        field = model.input_fields()[field_name]
        spec = specs.get(name, {})
        if field.required or is_expression(spec.get("default")):
            continue
        default = field.default_value()
        if not defaults_agree(default, spec.get("default")):
            mismatched.append(
                f"{name}: action.yml {spec.get('default')!r} vs model {render(default)!r}"
            )
    assert mismatched == []


def descriptions(data: dict[str, Any]) -> dict[str, str]:
    """Every description of an action.yml: the action's, each input's and each output's."""
    found = {"action": str(data.get("description", ""))}
    for kind in ("inputs", "outputs"):
        for name, spec in (data.get(kind) or {}).items():
            found[f"{kind} {name}"] = str((spec or {}).get("description", ""))
    return found


@ACTIONS
def test_every_input_and_output_is_documented(action_dir: Path) -> None:
    undocumented = [where for where, text in descriptions(metadata(action_dir)).items()
                    if not text.strip()]
    assert undocumented == []


@ACTIONS
def test_descriptions_hold_no_expressions(action_dir: Path) -> None:
    """act evaluates ``${{ }}`` in an input's description and rejects the whole action
    ("expressions are not allowed here"): a description names a context in words instead."""
    with_expressions = [where for where, text in descriptions(metadata(action_dir)).items()
                        if "${{" in text]
    assert with_expressions == []


@pytest.mark.parametrize(
    "action_dir",
    [p for p in action_dirs() if is_product_action(p)] or [pytest.param(None, marks=pytest.mark.skip(
        reason="no action under actions/ has a main.py yet"))],
    ids=lambda p: p.name if isinstance(p, Path) else "none",
)
def test_product_action_has_readme_and_branding(action_dir: Path) -> None:
    assert (action_dir / "README.md").is_file(), f"actions/{action_dir.name}/README.md is missing"
    branding = metadata(action_dir).get("branding") or {}
    assert branding.get("icon") and branding.get("color")


MAIN_PY_LINES = 80


@pytest.mark.parametrize(
    "action_dir", [p for p in action_dirs() if is_product_action(p)],
    ids=lambda p: p.name if isinstance(p, Path) else str(p),
)
def test_entrypoint_is_its_inputs_model_and_one_call(action_dir: Path) -> None:
    """main.py names the inputs model and the library function that runs the action; the
    orchestration lives in an importable module (the tests import it)."""
    main = action_dir / "main.py"
    lines = main.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAIN_PY_LINES, f"{action_dir.name}/main.py has {len(lines)} lines"
    model = inputs_model(action_dir)
    assert model.__module__.startswith("release_kit."), (
        f"{action_dir.name}'s inputs model must live in the library, not in main.py")


# Heavy libraries an entrypoint may load only when its inputs show it needs them (an entrypoint
# imports only what it uses; everything else is imported lazily by the code path that needs it).
HEAVY_NEEDS = {
    "boto3": {"aws-region"},
    "botocore": {"aws-region"},
    "kubernetes": {"cluster", "kubeconfig"},
    "slack_sdk": {"slack-webhook-url"},
}


@cache
def modules_loaded_by_entrypoints() -> dict[str, set[str]]:
    """Top-level packages each product entrypoint loads, each in a fresh interpreter (in parallel)."""
    code = ("import runpy, sys; runpy.run_path(sys.argv[1], run_name='metadata_check'); "
            "print('\\n'.join(sorted({m.split('.')[0] for m in sys.modules})))")
    procs = {
        d.name: subprocess.Popen([sys.executable, "-c", code, str(d / "main.py")], cwd=ROOT,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for d in action_dirs() if is_product_action(d)
    }
    loaded = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"loading actions/{name}/main.py failed: {err}"
        loaded[name] = set(out.split())
    return loaded


@pytest.mark.parametrize(
    "action_dir",
    [p for p in action_dirs() if is_product_action(p)] or [pytest.param(None, marks=pytest.mark.skip(
        reason="no action under actions/ has a main.py yet"))],
    ids=lambda p: p.name if isinstance(p, Path) else "none",
)
def test_entrypoint_loads_heavy_libraries_only_when_its_inputs_need_them(action_dir: Path) -> None:
    loaded = modules_loaded_by_entrypoints()[action_dir.name]
    inputs = set(yml_inputs(action_dir))
    unneeded = sorted(lib for lib, needs in HEAVY_NEEDS.items()
                      if lib in loaded and not needs & inputs)
    assert unneeded == [], f"{action_dir.name} loads {unneeded} at import time"


# --- the helpers above are themselves tested, so a broken comparison cannot pass everything -----


@pytest.mark.parametrize(
    ("model_default", "yml_default", "agree"),
    [
        (False, "false", True),
        (True, "false", False),
        ([], "", True),
        (["a", "b"], "a\nb\n", True),
        (["a"], "a\nb", False),
        (3, "3", True),
        (3, "4", False),
        (SecretStr(""), "", True),
        ("main", "main", True),
        ("main", None, False),
        ({}, "{}", True),
        ({}, "", True),
        ({"a": 1}, '{"a": 1}', True),
        ({"a": 1}, "", False),
    ],
)
def test_defaults_agree(model_default: object, yml_default: object, agree: bool) -> None:
    assert defaults_agree(model_default, yml_default) is agree


def test_schema_check_rejects_a_broken_action_yml() -> None:
    broken = {"name": "x", "runs": {"using": "docker"}}  # no description, no image
    assert list(schema_errors(broken, github_actions_schema()))
