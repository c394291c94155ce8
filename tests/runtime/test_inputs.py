"""Input parsing: hyphenated names, booleans, lines, JSON, YAML, empties, errors, and the typed
model itself: types, defaults, aliases, validators, private attributes, freezing, secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import pytest

from release_kit.action.inputs import (
    ActionInputs,
    Bool,
    InputErrors,
    JsonValue,
    Lines,
    Parser,
    SecretStr,
    YamlMapping,
    env_name,
    field,
    field_validator,
    model_validator,
    private_attr,
)
from release_kit.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


class Model(ActionInputs):
    aws_region: str
    dry_run: Bool = False
    tags: Lines = []
    payload: JsonValue = None
    mapping: YamlMapping = {}
    timeout: int = 600
    github_token: SecretStr = SecretStr("")


def parse(**env: str) -> Model:
    return Model.from_environ(env)  # type: ignore[return-value]


def test_hyphenated_name_is_read_from_input_variable_with_hyphen_kept() -> None:
    assert parse(**{"INPUT_AWS-REGION": "eu-west-1"}).aws_region == "eu-west-1"


def test_underscore_variable_is_not_the_hyphenated_input() -> None:
    with pytest.raises(InputErrors) as info:
        parse(INPUT_AWS_REGION="eu-west-1")
    assert [e.input_name for e in info.value.errors] == ["aws-region"]
    assert "required" in info.value.errors[0].message


def test_values_are_trimmed_and_empty_means_default() -> None:
    model = parse(**{"INPUT_AWS-REGION": "  us-east-1 \n", "INPUT_TIMEOUT": "   ", "INPUT_DRY-RUN": ""})
    assert model.aws_region == "us-east-1"
    assert model.timeout == 600
    assert model.dry_run is False


@pytest.mark.parametrize("text", ["true", "True", "TRUE"])
def test_true_spellings(text: str) -> None:
    assert parse(**{"INPUT_AWS-REGION": "r", "INPUT_DRY-RUN": text}).dry_run is True


@pytest.mark.parametrize("text", ["false", "False", "FALSE"])
def test_false_spellings(text: str) -> None:
    assert parse(**{"INPUT_AWS-REGION": "r", "INPUT_DRY-RUN": text}).dry_run is False


@pytest.mark.parametrize("text", ["yes", "1", "on", "tRue", "y", "0", "no"])
def test_other_boolean_spellings_are_errors_naming_the_input(text: str) -> None:
    with pytest.raises(InputErrors) as info:
        parse(**{"INPUT_AWS-REGION": "r", "INPUT_DRY-RUN": text})
    (err,) = info.value.errors
    assert err.input_name == "dry-run"
    assert "true, True, TRUE, false, False, FALSE" in err.message
    assert err.title == "Invalid input 'dry-run'"


def test_multiline_list_ignores_blank_lines_and_spaces() -> None:
    model = parse(**{"INPUT_AWS-REGION": "r", "INPUT_TAGS": "\n  v1 \n\n latest\r\n  \n1.2\n"})
    assert model.tags == ["v1", "latest", "1.2"]


def test_json_input_parsed_and_bad_json_named() -> None:
    assert parse(**{"INPUT_AWS-REGION": "r", "INPUT_PAYLOAD": '{"a": [1, 2]}'}).payload == {"a": [1, 2]}
    with pytest.raises(InputErrors) as info:
        parse(**{"INPUT_AWS-REGION": "r", "INPUT_PAYLOAD": "{nope"})
    assert info.value.errors[0].input_name == "payload"
    assert "not valid JSON" in info.value.errors[0].message


def test_yaml_mapping_parsed_and_non_mapping_rejected() -> None:
    assert parse(**{"INPUT_AWS-REGION": "r", "INPUT_MAPPING": "a: 1\nb: [x]"}).mapping == {"a": 1, "b": ["x"]}
    for bad in ("- a\n- b", "a: [", "just text"):
        with pytest.raises(InputErrors) as info:
            parse(**{"INPUT_AWS-REGION": "r", "INPUT_MAPPING": bad})
        assert info.value.errors[0].input_name == "mapping"


def test_all_bad_inputs_reported_at_once() -> None:
    with pytest.raises(InputErrors) as info:
        parse(**{"INPUT_DRY-RUN": "maybe", "INPUT_TIMEOUT": "soon"})
    assert sorted(e.input_name for e in info.value.errors) == ["aws-region", "dry-run", "timeout"]
    timeout_error = next(e for e in info.value.errors if e.input_name == "timeout")
    assert "'soon'" in timeout_error.message


def test_secret_inputs_are_listed_for_masking_and_hidden_in_repr() -> None:
    model = parse(**{"INPUT_AWS-REGION": "r", "INPUT_GITHUB-TOKEN": "ghs_secret123"})
    assert model.secrets() == ["ghs_secret123"]
    assert "ghs_secret123" not in repr(model)


# --- the mechanism: types, defaults, names, validators, errors, freezing ---------------------------


class Typed(ActionInputs):
    operation: Literal["promote", "identity"] = "promote"
    status: Literal["success", "failure"] | None = None
    timeout: int = field(default=600, gt=0)
    retries: int = 3
    issue: Annotated[int | None, Parser(lambda text: int(text, 16))] = None
    raw: Any = ""
    tags: Lines = ["latest"]
    state_values: Lines = field(default=[], alias="set")
    env_labels: YamlMapping = {}


def typed(**inputs: str) -> Typed:
    return Typed.from_environ({env_name(name): value for name, value in inputs.items()})


def only_error(**inputs: str) -> InputError:
    with pytest.raises(InputErrors) as info:
        typed(**inputs)
    (err,) = info.value.errors
    return err


def test_defaults_apply_when_nothing_is_given() -> None:
    model = typed()
    assert (model.operation, model.status, model.timeout, model.retries, model.issue, model.raw,
            model.tags, model.state_values, model.env_labels) == (
        "promote", None, 600, 3, None, "", ["latest"], [], {})


def test_each_type_parses_its_text() -> None:
    model = typed(operation="identity", status="failure", timeout="30", retries="-1", issue="ff",
                  raw=" {not: parsed} ", tags="a\nb", set="x=1\ny=2", **{"env-labels": "qa: q"})
    assert (model.operation, model.status, model.timeout, model.retries, model.issue, model.raw,
            model.tags, model.state_values, model.env_labels) == (
        "identity", "failure", 30, -1, 255, "{not: parsed}", ["a", "b"], ["x=1", "y=2"],
        {"qa": "q"})


@pytest.mark.parametrize(("inputs", "name", "message"), [
    ({"operation": "x"}, "operation", "got 'x': expected one of 'promote', 'identity'"),
    ({"operation": "Promote"}, "operation", "got 'Promote': expected one of 'promote', 'identity'"),
    ({"status": "ok"}, "status", "got 'ok': expected one of 'success', 'failure'"),
    ({"retries": "abc"}, "retries", "got 'abc': not an integer"),
    ({"retries": "1.5"}, "retries", "got '1.5': not an integer"),
    ({"timeout": "0"}, "timeout", "got '0': must be greater than 0"),
    ({"timeout": "-5"}, "timeout", "got '-5': must be greater than 0"),
    ({"timeout": "soon"}, "timeout", "got 'soon': not an integer"),
    ({"issue": "zz"}, "issue", "got 'zz': invalid literal for int() with base 16: 'zz'"),
    ({"env-labels": "- a"}, "env-labels",
     "got '- a': expected a YAML mapping (key: value lines), got list"),
])
def test_a_bad_value_says_what_was_given_and_what_is_allowed(
        inputs: dict[str, str], name: str, message: str) -> None:
    err = only_error(**inputs)
    assert (err.input_name, err.message) == (name, message)
    assert err.title == f"Invalid input '{name}'"


def test_a_long_bad_value_is_shortened_in_the_message() -> None:
    err = only_error(retries="9" * 70 + "x" * 30)
    assert err.message == f"got {'9' * 70 + 'xxxxxxx...'!r}: not an integer"


def test_a_missing_required_input_says_how_to_give_it() -> None:
    with pytest.raises(InputErrors) as info:
        parse()
    (err,) = info.value.errors
    assert err.message == ("the input is required but was not given; set it under `with:` "
                           "(or pass --aws-region VALUE locally)")


def test_a_mutable_default_is_never_shared() -> None:
    first, second = typed(), typed()
    assert first.tags == second.tags == ["latest"]
    assert first.tags is not second.tags
    first.tags.append("changed")
    assert typed().tags == ["latest"] and second.tags == ["latest"]
    assert Typed.input_fields()["tags"].default_value() == ["latest"]


def test_an_alias_is_the_input_name() -> None:
    assert Typed.input_names()["state_values"] == "set"
    assert typed(set="a=1").state_values == ["a=1"]
    assert typed(**{"state-values": "a=1"}).state_values == []  # not an input


def test_required_and_defaults_are_described_per_field() -> None:
    fields = Model.input_fields()
    assert fields["aws_region"].required and not fields["dry_run"].required
    assert fields["timeout"].default_value() == 600
    assert Model.input_fields() is fields  # resolved once per class


class Checked(ActionInputs):
    source_branch: str = ""
    target_branch: str = ""
    prefix: str = "reintegrate/"
    first: str = ""
    second: str = ""
    _pair: tuple[str, str] = private_attr(default=("", ""))
    _seen: list[str] = private_attr(default_factory=list)

    @field_validator("source_branch", "target_branch")
    @classmethod
    def _short(cls, value: str) -> str:
        return value.removeprefix("refs/heads/")

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not value.endswith("/"):
            raise ValueError(f"{value!r} must end with '/'")
        return value

    @field_validator("first")
    @classmethod
    def _first(cls, value: str) -> str:
        if value == "bad":
            raise InputError("somewhere-else", "is bad", hint="Use good.")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        self._seen.append("model")
        if self.first and self.first == self.second:
            raise InputError("second", "must differ from first.", hint="Change one.")
        if self.second == "boom":
            raise ValueError("no booms")
        self._pair = (self.first, self.second)
        return self

    @property
    def pair(self) -> tuple[str, str]:
        return self._pair


def checked(**inputs: str) -> Checked:
    return Checked.from_environ({env_name(name): value for name, value in inputs.items()})


def test_a_field_validator_applies_to_each_field_it_names() -> None:
    model = checked(**{"source-branch": "refs/heads/release/1.0", "target-branch": "main"})
    assert (model.source_branch, model.target_branch) == ("release/1.0", "main")


def test_a_field_validators_error_is_its_inputs_verbatim() -> None:
    with pytest.raises(InputErrors) as info:
        checked(prefix="nope")
    assert [(e.input_name, e.message) for e in info.value.errors] == [
        ("prefix", "'nope' must end with '/'")]


def test_an_input_error_from_a_field_validator_names_the_field_and_keeps_its_hint() -> None:
    with pytest.raises(InputErrors) as info:
        checked(first="bad")
    (err,) = info.value.errors
    assert (err.input_name, err.message, err.hint) == ("first", "is bad", "Use good.")


class StrictDefault(ActionInputs):
    repository: str = ""

    @field_validator("repository")
    @classmethod
    def _owner_name(cls, value: str) -> str:
        if "/" not in value:
            raise ValueError(f"{value!r} is not owner/name")
        return value


def test_field_validators_check_defaults_too() -> None:
    with pytest.raises(InputErrors) as info:
        StrictDefault.from_environ({})
    assert [(e.input_name, e.message) for e in info.value.errors] == [
        ("repository", "'' is not owner/name")]
    assert StrictDefault.from_environ({"INPUT_REPOSITORY": "a/b"}).repository == "a/b"


def test_the_model_validator_runs_after_the_fields_and_may_set_private_attributes() -> None:
    model = checked(first="a", second="b")
    assert model.pair == ("a", "b")
    assert model._seen == ["model"]
    assert checked()._seen == ["model"]  # a default factory: one list per instance


def test_a_model_validators_input_error_is_one_entry() -> None:
    with pytest.raises(InputErrors) as info:
        checked(first="same", second="same")
    (err,) = info.value.errors
    assert (err.input_name, err.message, err.hint) == ("second", "must differ from first.",
                                                       "Change one.")


def test_a_model_validators_value_error_names_the_inputs() -> None:
    with pytest.raises(InputErrors) as info:
        checked(second="boom")
    assert [(e.input_name, e.message) for e in info.value.errors] == [("inputs", "no booms")]


def test_the_model_validator_does_not_run_when_a_field_is_invalid() -> None:
    with pytest.raises(InputErrors) as info:
        checked(prefix="nope", first="same", second="same")
    assert [e.input_name for e in info.value.errors] == ["prefix"]


def test_every_invalid_input_is_reported_once_in_field_order() -> None:
    with pytest.raises(InputErrors) as info:
        typed(operation="x", retries="y", timeout="0", status="z")
    assert [e.input_name for e in info.value.errors] == ["operation", "status", "timeout",
                                                          "retries"]
    assert str(info.value).count("got ") == 4


def test_instances_are_frozen_but_private_attributes_can_be_set() -> None:
    model = checked(first="a")
    with pytest.raises(AttributeError, match="frozen"):
        model.first = "b"  # type: ignore[misc]
    with pytest.raises(AttributeError, match="frozen"):
        model.undeclared = 1  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="frozen"):
        del model.first
    model._pair = ("x", "y")
    assert model.first == "a" and model.pair == ("x", "y")


def test_secret_str_is_masked_compared_by_value_and_listed() -> None:
    secret = SecretStr("ghs_abc")
    assert secret.get_secret_value() == "ghs_abc"
    assert "ghs_abc" not in f"{secret} {secret!r} {[secret]}"
    assert secret == SecretStr("ghs_abc") and secret != SecretStr("other")
    assert secret != "ghs_abc"
    assert str(SecretStr("")) == ""
    assert parse(**{"INPUT_AWS-REGION": "r"}).secrets() == []  # empty: nothing to mask


def test_from_environ_reads_the_process_environment_by_default(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INPUT_AWS-REGION", "ap-south-1")
    assert Model.from_environ().aws_region == "ap-south-1"


def test_subclasses_inherit_fields_and_validators() -> None:
    class More(Checked):
        extra: Bool = True

    model = More.from_environ({"INPUT_SOURCE-BRANCH": "refs/heads/x", "INPUT_EXTRA": "false"})
    assert (model.source_branch, model.extra, model._seen) == ("x", False, ["model"])
    assert "extra" not in Checked.input_names()


def test_a_type_without_a_parser_is_refused_naming_the_field() -> None:
    class Unparsed(ActionInputs):
        ports: list[int] = []

    with pytest.raises(TypeError, match=r"Unparsed.ports: no parser for list\[int\]"):
        Unparsed.input_names()


def test_a_validator_of_an_unknown_field_is_refused() -> None:
    class Misspelt(ActionInputs):
        name: str = ""

        @field_validator("nmae")
        @classmethod
        def _name(cls, value: str) -> str:
            return value

    with pytest.raises(TypeError, match="validates 'nmae', not a field"):
        Misspelt.input_names()


def test_yaml_is_imported_only_when_a_yaml_input_is_given() -> None:
    code = ("import sys; from tests.runtime.test_inputs import typed; typed(); "
            "assert 'yaml' not in sys.modules, 'yaml without a YAML input'; "
            "typed(**{'env-labels': 'a: b'}); assert 'yaml' in sys.modules; "
            "assert not [m for m in sys.modules if m.startswith('pydantic')]; print('ok')")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          check=False,
                          env={**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'shared'}"},
                          timeout=60)
    assert proc.stdout.strip() == "ok", proc.stderr


def test_input_errors_are_an_input_error_named_after_the_first() -> None:
    with pytest.raises(InputError, match=r"^got 'x': expected .*; got 'y': not an integer$") as info:
        typed(operation="x", retries="y")
    assert isinstance(info.value, InputErrors)
    assert info.value.input_name == "operation"
