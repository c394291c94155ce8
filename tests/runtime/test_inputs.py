"""Input parsing: hyphenated names, booleans, lines, JSON, YAML, empties, errors."""

from __future__ import annotations

import pytest

from release_kit.action.inputs import (
    ActionInputs,
    Bool,
    InputErrors,
    JsonValue,
    Lines,
    SecretStr,
    YamlMapping,
)


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
