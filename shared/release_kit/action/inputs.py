"""Action inputs: a pydantic model read from ``INPUT_<NAME>`` variables.

Conventions of @actions/core: the variable name is the input name upper-cased with hyphens
kept (``aws-region`` -> ``INPUT_AWS-REGION``); values are trimmed; an empty value means "not
given", so the field's default applies. Field ``aws_region`` is input ``aws-region``.

Value types shared by the actions:

- ``Bool``: exactly ``true|True|TRUE|false|False|FALSE`` (YAML 1.2 core schema).
- ``Lines``: one item per line; blank lines and surrounding spaces ignored.
- ``JsonValue`` / ``YamlMapping``: parsed JSON, a YAML mapping.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Annotated, Any, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, SecretStr, ValidationError
from pydantic.fields import FieldInfo

from release_kit.errors import InputError

_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})


def parse_bool(value: object) -> object:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValueError(
        f"{value!r} is not a boolean; use one of true, True, TRUE, false, False, FALSE"
    )


def split_lines(value: object) -> object:
    if isinstance(value, str):
        return [line.strip() for line in value.splitlines() if line.strip()]
    return value


def parse_json(value: object) -> object:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno} column {exc.colno}"
            raise ValueError(f"not valid JSON ({exc.msg} at {where})") from None
    return value


def parse_yaml_mapping(value: object) -> object:
    if isinstance(value, str):
        import yaml  # noqa: PLC0415 - only the actions that take YAML inputs pay for it

        try:
            value = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise ValueError(f"not valid YAML: {str(exc).splitlines()[0]}") from None
        if value is None:
            return {}
    if not isinstance(value, dict):
        raise ValueError(f"expected a YAML mapping (key: value lines), got {type(value).__name__}")
    return value


Bool = Annotated[bool, BeforeValidator(parse_bool)]
Lines = Annotated[list[str], BeforeValidator(split_lines)]
JsonValue = Annotated[Any, BeforeValidator(parse_json)]
YamlMapping = Annotated[dict[str, Any], BeforeValidator(parse_yaml_mapping)]


def input_name(field_name: str, field: FieldInfo | None = None) -> str:
    """The action.yml name of a field: ``aws_region`` -> ``aws-region`` unless aliased."""
    if field is not None and field.alias:
        return field.alias
    return field_name.replace("_", "-")


def env_name(name: str) -> str:
    return f"INPUT_{name.upper()}"


class ActionInputs(BaseModel):
    """Base class of every action's ``Inputs`` model.

    A plain pydantic model: :meth:`from_environ` reads each field's ``INPUT_*`` variable itself
    (trimmed, empty meaning "not given"), so no settings framework is imported at start-up.
    """

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True,
                              validate_default=True)

    @classmethod
    def input_names(cls) -> dict[str, str]:
        """field name -> input name."""
        return {name: input_name(name, f) for name, f in cls.model_fields.items()}

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Self:
        """Parse the inputs; every invalid input becomes one entry of an ``InputErrors``."""
        env = os.environ if environ is None else environ
        data: dict[str, Any] = {}
        for field_name, field in cls.model_fields.items():
            name = input_name(field_name, field)
            value = (env.get(env_name(name)) or "").strip()
            if value:
                data[name if field.alias else field_name] = value
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise InputErrors.from_validation(cls, exc) from None

    def secrets(self) -> list[str]:
        """Values of ``SecretStr`` fields, to be masked before anything is logged."""
        return [
            value.get_secret_value()
            for value in self.__dict__.values()
            if isinstance(value, SecretStr) and value.get_secret_value()
        ]


class InputErrors(Exception):
    """Several invalid inputs at once, reported one ``::error`` each."""

    def __init__(self, errors: list[InputError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors

    @classmethod
    def from_validation(cls, model: type[ActionInputs], exc: ValidationError) -> InputErrors:
        names = model.input_names()
        errors: list[InputError] = []
        seen: set[str] = set()
        for err in exc.errors(include_url=False):
            loc = err.get("loc") or ()
            field = str(loc[0]) if loc else ""
            name = names.get(field, field.replace("_", "-")) or "inputs"
            if name in seen:
                continue
            seen.add(name)
            errors.append(InputError(name, _describe(err, name)))
        return cls(errors)


def _describe(err: Mapping[str, Any], name: str) -> str:
    kind = err.get("type", "")
    if kind == "missing":
        return (f"the input is required but was not given; set it under `with:` "
                f"(or pass --{name} VALUE locally)")
    message = str(err.get("msg", "invalid value"))
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    given = err.get("input")
    if isinstance(given, str) and kind not in {"value_error"} and given:
        shown = given if len(given) <= 80 else given[:77] + "..."
        return f"got {shown!r}: {message}"
    return message
