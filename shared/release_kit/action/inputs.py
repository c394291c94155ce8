"""Action inputs: a typed model read from ``INPUT_<NAME>`` variables, with the standard library.

Conventions of @actions/core: the variable name is the input name upper-cased with hyphens
kept (``aws-region`` -> ``INPUT_AWS-REGION``); values are trimmed; an empty value means "not
given", so the field's default applies. Field ``aws_region`` is input ``aws-region``.

A model is a class of annotated fields::

    class Inputs(ActionInputs):
        repository: str                          # required: no default
        operation: Literal["promote", "identity"] = "promote"
        tags: Lines = ["latest"]                 # each instance gets its own copy
        timeout: int = field(default=600, gt=0)
        state_values: Lines = field(default=[], alias="set")   # input ``set``
        github_token: SecretStr = SecretStr("")

        @field_validator("repository")
        @classmethod
        def _repository(cls, value: str) -> str: ...   # ValueError: the input is invalid

        @model_validator(mode="after")
        def _consistent(self) -> Self: ...             # after every field is valid

Value types: ``str``; ``int`` (``field(gt=...)`` bounds it); ``Literal[...]`` choices;
``SecretStr`` (masked in logs and reprs); ``Any`` (the text as given); ``X | None`` (as ``X``);
and these, shared by the actions:

- ``Bool``: exactly ``true|True|TRUE|false|False|FALSE`` (YAML 1.2 core schema).
- ``Lines``: one item per line; blank lines and surrounding spaces ignored.
- ``JsonValue`` / ``YamlMapping``: parsed JSON, a YAML mapping.
- ``Annotated[T, Parser(fn)]``: ``fn(text) -> T``, raising ValueError for a bad value.

Given values are parsed, then the field validators run (on defaults too: a default is checked
like a value); a model validator runs once every field is valid. Every invalid input becomes
one entry of an :class:`InputErrors`, all reported at once. Instances are frozen, except
``private_attr()`` attributes (``_name``), which a model validator may set.

Annotations are resolved once per class, on first use: building a model costs a few dict
look-ups per field.
"""

from __future__ import annotations

import copy
import json
import os
import types
from collections.abc import Callable, Iterator, Mapping
from typing import (
    Annotated,
    Any,
    ClassVar,
    Literal,
    Self,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

from release_kit.errors import InputError

_T = TypeVar("_T")
_MISSING: Any = object()  # "no default": the input is required


# --- value types ---------------------------------------------------------------------------------


class Parser:
    """``Annotated`` metadata: how a field's text becomes its value (ValueError: invalid)."""

    __slots__ = ("parse",)

    def __init__(self, parse: Callable[[str], Any]) -> None:
        self.parse = parse


class SecretStr:
    """A secret: compared by value, shown as asterisks (``repr``, ``str``, f-strings)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __str__(self) -> str:
        return "**********" if self._value else ""

    def __repr__(self) -> str:
        return f"SecretStr({str(self)!r})"


_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})


def parse_bool(text: str) -> bool:
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("not a boolean; use one of true, True, TRUE, false, False, FALSE")


def split_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
                         ) from None


def parse_yaml_mapping(text: str) -> dict[str, Any]:
    import yaml  # noqa: PLC0415 - only the actions that take YAML inputs pay for it

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"not valid YAML: {str(exc).splitlines()[0]}") from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"expected a YAML mapping (key: value lines), got {type(value).__name__}")
    return value


def parse_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError("not an integer") from None


Bool = Annotated[bool, Parser(parse_bool)]
Lines = Annotated[list[str], Parser(split_lines)]
JsonValue = Annotated[Any, Parser(parse_json)]
YamlMapping = Annotated[dict[str, Any], Parser(parse_yaml_mapping)]


def _choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in choices:
            raise ValueError(f"expected one of {', '.join(repr(c) for c in choices)}")
        return text
    return parse


def _parser_of(hint: Any, where: str) -> Callable[[str], Any]:
    """The parser of an annotation (TypeError: a type this module does not parse)."""
    origin = get_origin(hint)
    if origin is Annotated:
        parsers = [m.parse for m in hint.__metadata__ if isinstance(m, Parser)]
        return parsers[-1] if parsers else _parser_of(get_args(hint)[0], where)
    if origin is Literal:
        return _choice(tuple(str(choice) for choice in get_args(hint)))
    if origin in (Union, types.UnionType):
        given = [arg for arg in get_args(hint) if arg is not type(None)]
        if len(given) == 1:  # X | None: a value given is an X
            return _parser_of(given[0], where)
    simple: dict[Any, Callable[[str], Any]] = {
        str: str, Any: str, int: parse_int, bool: parse_bool, SecretStr: SecretStr}
    if hint in simple:
        return simple[hint]
    raise TypeError(f"{where}: no parser for {hint!r}; use str, int, Bool, Lines, JsonValue, "
                    "YamlMapping, Literal[...], SecretStr or Annotated[T, Parser(fn)]")


# --- fields and validators -----------------------------------------------------------------------


class FieldInfo:
    """What ``field(...)`` declares: a default (or factory), an input name, a lower bound."""

    __slots__ = ("alias", "default", "default_factory", "gt")

    def __init__(self, default: Any, default_factory: Callable[[], Any] | None,
                 alias: str | None, gt: int | None) -> None:
        self.default, self.default_factory, self.alias, self.gt = (
            default, default_factory, alias, gt)


def field(
        default: Any = _MISSING, *, default_factory: Callable[[], Any] | None = None,
        alias: str | None = None, gt: int | None = None) -> Any:
    """A field with an input name other than its own (``alias``) or a bound (``gt``)."""
    return FieldInfo(default, default_factory, alias, gt)


class PrivateInfo:
    """What ``private_attr(...)`` declares: the attribute's initial value (or factory)."""

    __slots__ = ("default", "default_factory")

    def __init__(self, default: Any, default_factory: Callable[[], Any] | None) -> None:
        self.default, self.default_factory = default, default_factory

    def value(self) -> Any:
        return self.default_factory() if self.default_factory else copy.deepcopy(self.default)


def private_attr(
        default: Any = None, *, default_factory: Callable[[], Any] | None = None) -> Any:
    """An instance attribute that is not an input (``_name``), set by a model validator."""
    return PrivateInfo(default, default_factory)


def field_validator(*names: str) -> Callable[[_T], _T]:
    """Decorate a classmethod ``(cls, value) -> value`` that checks the fields ``names`` (a
    ValueError or InputError makes the input invalid)."""
    def mark(method: _T) -> _T:
        method.__validates__ = names  # type: ignore[attr-defined]
        return method
    return mark


def model_validator(*, mode: Literal["after"] = "after") -> Callable[[_T], _T]:
    """Decorate a method ``(self) -> self`` run once every field is valid (checks across
    fields; an InputError names the input at fault)."""
    def mark(method: _T) -> _T:
        method.__validates_model__ = mode  # type: ignore[attr-defined]
        return method
    return mark


class InputField:
    """One field of a model, resolved: its input name, its parser, its default."""

    __slots__ = ("default", "default_factory", "gt", "input_name", "name", "parse", "validators")

    def __init__(self, name: str, hint: Any, declared: Any, model: type) -> None:
        spec = declared if isinstance(declared, FieldInfo) else FieldInfo(declared, None, None,
                                                                          None)
        self.name = name
        self.input_name = spec.alias or name.replace("_", "-")
        self.parse = _parser_of(hint, f"{model.__qualname__}.{name}")
        self.default, self.default_factory, self.gt = spec.default, spec.default_factory, spec.gt
        self.validators: list[Callable[[Any], Any]] = []

    @property
    def required(self) -> bool:
        return self.default is _MISSING and self.default_factory is None

    def default_value(self) -> Any:
        """The default, a new copy each time (a list default is never shared)."""
        if self.default_factory is not None:
            return self.default_factory()
        return copy.deepcopy(self.default)

    def value(self, text: str | None) -> Any:
        """The field's value from its text (None: not given). ValueError/InputError: invalid."""
        if text is None:
            if self.required:
                raise InputError(self.input_name, "the input is required but was not given; "
                                 f"set it under `with:` (or pass --{self.input_name} VALUE "
                                 "locally)")
            value = self.default_value()
        else:
            try:
                value = self.parse(text)
                if self.gt is not None and not value > self.gt:
                    raise ValueError(f"must be greater than {self.gt}")
            except ValueError as exc:
                shown = text if len(text) <= 80 else text[:77] + "..."
                raise ValueError(f"got {shown!r}: {exc}") from None
        for validate in self.validators:
            value = validate(value)
        return value


class _Model:
    """A model class, resolved: its fields, its private attributes, its model validators."""

    def __init__(self, cls: type[ActionInputs]) -> None:
        hints = get_type_hints(cls, include_extras=True)
        members: dict[str, Any] = {}
        for klass in reversed(cls.__mro__):
            members.update(vars(klass))
        self.fields = {
            name: InputField(name, hint, members.get(name, _MISSING), cls)
            for name, hint in hints.items()
            if not name.startswith("_") and get_origin(hint) is not ClassVar
        }
        self.private = {name: v for name, v in members.items() if isinstance(v, PrivateInfo)}
        self.model_validators: list[str] = []
        for attr, member in members.items():
            for name in getattr(member, "__validates__", ()):
                if name not in self.fields:
                    raise TypeError(f"{cls.__qualname__}.{attr} validates {name!r}, not a field")
                self.fields[name].validators.append(getattr(cls, attr))
            if getattr(member, "__validates_model__", None):
                self.model_validators.append(attr)


# --- the model -----------------------------------------------------------------------------------


def env_name(name: str) -> str:
    return f"INPUT_{name.upper()}"


class ActionInputs:
    """Base class of every action's ``Inputs`` model (see the module's documentation)."""

    _resolved: ClassVar[dict[type, _Model]] = {}

    def __init__(self, environ: Mapping[str, str]) -> None:
        """Parse the ``INPUT_*`` variables of ``environ``; raise :class:`InputErrors`."""
        model = self._model()
        errors: list[InputError] = []
        for name, spec in model.fields.items():
            text = (environ.get(env_name(spec.input_name)) or "").strip()
            try:
                object.__setattr__(self, name, spec.value(text or None))
            except InputError as exc:
                errors.append(InputError(spec.input_name, exc.message, hint=exc.hint))
            except ValueError as exc:
                errors.append(InputError(spec.input_name, str(exc)))
        if errors:
            raise InputErrors(errors)
        for name, private in model.private.items():
            object.__setattr__(self, name, private.value())
        try:
            for validator in model.model_validators:
                getattr(self, validator)()
        except InputError as exc:
            raise InputErrors([exc]) from None
        except ValueError as exc:
            raise InputErrors([InputError("inputs", str(exc))]) from None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Self:
        """The inputs of this process (or of ``environ``); every invalid input becomes one
        entry of an :class:`InputErrors`."""
        return cls(os.environ if environ is None else environ)

    @classmethod
    def _model(cls) -> _Model:
        model = ActionInputs._resolved.get(cls)
        if model is None:
            model = ActionInputs._resolved[cls] = _Model(cls)
        return model

    @classmethod
    def input_fields(cls) -> Mapping[str, InputField]:
        """field name -> the field (its input name, whether required, its default)."""
        return cls._model().fields

    @classmethod
    def input_names(cls) -> dict[str, str]:
        """field name -> input name."""
        return {name: spec.input_name for name, spec in cls.input_fields().items()}

    def _values(self) -> Iterator[tuple[str, Any]]:
        for name in self.input_fields():
            yield name, getattr(self, name)

    def secrets(self) -> list[str]:
        """Values of ``SecretStr`` fields, to be masked before anything is logged."""
        return [value.get_secret_value() for _, value in self._values()
                if isinstance(value, SecretStr) and value.get_secret_value()]

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._model().private:
            raise AttributeError(f"{type(self).__name__} is frozen: {name} cannot be set")
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: {name} cannot be deleted")

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in self._values())
        return f"{type(self).__name__}({fields})"


class InputErrors(InputError):
    """Invalid inputs, all at once (one or more), reported one ``::error`` each. An
    :class:`InputError` itself (named after the first), so code that catches one sees these."""

    def __init__(self, errors: list[InputError]) -> None:
        super().__init__(errors[0].input_name, "; ".join(str(e) for e in errors))
        self.errors = errors
