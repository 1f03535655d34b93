"""Turn pydantic validation errors into diagnostics a person can act on.

pydantic reports ``('spec', 'productionVariants', 0, 'initialInstanceCount')`` and
"Input should be greater than or equal to 1"; we report
``fraud.yaml:14:31: error: spec.productionVariants[0].initialInstanceCount: must be at least 1,
got 0`` — the position comes from the node tree, the wording from the error type.

Values of fields marked ``SENSITIVE_VALUES`` (container environments, pipeline parameters) are
never repeated: a message about them says what type was expected and what type was given, so a
secret never reaches a terminal, a CI log or a pull request annotation.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ValidationError

from reconciler.contract import pattern_help
from reconciler.diagnostics import Diagnostic
from reconciler.spec.nodes import MapNode, Node, format_path, locate

_EXPECTED = {
    "int_type": "an integer",
    "float_type": "a number",
    "string_type": "a string",
    "bool_type": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
}


class SensitiveValues:
    """``Annotated`` metadata of a spec field whose values (everything under it, not the keys of
    a mapping) are sensitive: validation messages never show them."""

    def __repr__(self) -> str:
        return "SENSITIVE_VALUES"


SENSITIVE_VALUES = SensitiveValues()


def number(value: Any) -> str:
    """``0.0`` -> ``0``: bounds read better without a spurious decimal."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def describe(value: Any) -> str:
    """How a YAML value looks to the person who wrote it."""
    if value is None:
        return "an empty value (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return f"the string {shown!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, _Withheld):
        return value.shown
    return type(value).__name__


def _unwrap(annotation: Any) -> list[Any]:
    """The types an annotation may contain (through Optional, Annotated, list, dict)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in _unwrap(arg)]
    return [annotation]


def _child(current: Any, part: Any) -> tuple[Any, Any]:
    """One step down a pydantic location: the annotation at ``part`` under ``current`` and the
    model field it is (None for a list item or a mapping value); (None, None) if there is none."""
    for cand in _unwrap(current):
        origin = typing.get_origin(cand)
        if isinstance(part, int) and origin is list:
            return typing.get_args(cand)[0], None
        if isinstance(part, str) and origin is dict:
            return typing.get_args(cand)[1], None
        if isinstance(part, str) and isinstance(cand, type) and issubclass(cand, BaseModel):
            for name, field in cand.model_fields.items():
                if (field.alias or name) == part:
                    return field.annotation, field
    return None, None


def model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that validates the mapping at ``loc`` (aliases), if any."""
    current: Any = model
    for part in loc:
        current, _ = _child(current, part)
        if current is None:
            return None
    for cand in _unwrap(current):
        if isinstance(cand, type) and issubclass(cand, BaseModel):
            return cand
    return None


def _marked(annotation: Any) -> bool:
    """Whether an annotation carries ``SENSITIVE_VALUES`` (through Optional and Annotated)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        args = typing.get_args(annotation)
        return any(isinstance(m, SensitiveValues) for m in args[1:]) or _marked(args[0])
    if origin in (typing.Union, types.UnionType):
        return any(_marked(arg) for arg in typing.get_args(annotation))
    return False


def sensitive_value(model: type[BaseModel], loc: tuple[Any, ...]) -> bool:
    """Whether the value at ``loc`` is (under) a field marked ``SENSITIVE_VALUES``. A mapping's
    key (pydantic's ``[key]`` location) is not sensitive: names show, values never do."""
    current: Any = model
    for depth, part in enumerate(loc):
        current, field = _child(current, part)
        if current is None:
            return False
        if field is not None and (_marked(current) or any(
                isinstance(m, SensitiveValues) for m in field.metadata)):
            rest = loc[depth + 1:]
            return not (rest and rest[-1] == "[key]")
    return False


def describe_type(value: Any) -> str:
    """What kind of YAML value was given, without the value."""
    if value is None:
        return "an empty value (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return describe(value)  # a mapping, a list: no value in the words


class _Withheld:
    """Stands for a sensitive input while a message is phrased."""

    def __init__(self, value: Any) -> None:
        self.shown = describe_type(value)

    def __str__(self) -> str:
        return "(sensitive)"

    __repr__ = __str__


def _withheld_message(err: dict[str, Any], root_model: type[BaseModel]) -> str:
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind in _EXPECTED:
        msg = f"expected {_EXPECTED[kind]}, got {describe_type(value)}"
        if kind == "string_type" and isinstance(value, int | float | bool):
            msg += " (quote it to make it a string)"
    elif kind == "string_too_long":
        msg = f"must be at most {ctx.get('max_length')} characters"
    else:
        msg = _message({**err, "input": _Withheld(value)}, root_model)
    return msg + "; the value is not shown (sensitive)"


def field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or n for n, f in model.model_fields.items()]


def _message(err: dict[str, Any], root_model: type[BaseModel]) -> str:
    kind = err["type"]
    loc = tuple(err["loc"])
    ctx = err.get("ctx") or {}
    value = err.get("input")
    if kind == "missing":
        return f"missing required field `{loc[-1]}`"
    if kind == "extra_forbidden":
        parent = model_at(root_model, loc[:-1])
        allowed = field_names(parent) if parent else []
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        if close:
            return f"unknown field `{loc[-1]}`; did you mean `{close[0]}`?"
        if allowed:
            return f"unknown field `{loc[-1]}`; expected one of: {', '.join(allowed)}"
        return f"unknown field `{loc[-1]}`"
    if kind in _EXPECTED:
        msg = f"expected {_EXPECTED[kind]}, got {describe(value)}"
        if kind == "string_type" and isinstance(value, int | float | bool):
            msg += " (quote it to make it a string)"
        return msg
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        options = [o.strip().strip("'") for o in expected.replace(" or ", ", ").split(",")]
        close = [o for o in options if isinstance(value, str) and o.lower() == value.lower()]
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"expected one of {expected}; got {describe(value)}{hint}"
    bounds = {"greater_than_equal": ("at least", "ge"), "less_than_equal": ("at most", "le"),
              "greater_than": ("greater than", "gt"), "less_than": ("less than", "lt")}
    if kind in bounds:
        word, key = bounds[kind]
        return f"must be {word} {number(ctx.get(key))}, got {number(value)}"
    if kind == "multiple_of":
        return f"must be a multiple of {number(ctx.get('multiple_of'))}, got {number(value)}"
    if kind == "string_too_short":
        return ("must not be empty" if ctx.get("min_length") == 1
                else f"must be at least {ctx.get('min_length')} characters")
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters, got {len(value)}"
    if kind in ("too_short", "too_long"):
        word = "at least" if kind == "too_short" else "at most"
        n = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        return f"must have {word} {n} item{'s' if n != 1 else ''}, got {ctx.get('actual_length')}"
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern", "")
        helptext = pattern_help(pattern)
        wanted = helptext if helptext else f"a value matching {pattern}"
        return f"expected {wanted}, got {describe(value)}"
    if kind == "finite_number":
        return f"must be a finite number, got {value}"
    if kind == "value_error":
        return str(err.get("msg", "")).removeprefix("Value error, ")
    return str(err.get("msg", kind))


def translate(error: ValidationError, node: Node, root_model: type[BaseModel],
              name_help: dict[str, str] | None = None) -> Iterator[Diagnostic]:
    """Diagnostics for every error of a document validated against ``root_model``.

    ``name_help`` maps a field path (e.g. ``metadata.name``) to a description used for pattern
    and length errors on that field.
    """
    for err in error.errors(include_url=False):
        loc = tuple(err["loc"])
        key = err["type"] == "extra_forbidden"
        if err["type"] == "missing":
            pos = locate(node, loc[:-1])
        else:
            pos = locate(node, loc, key=key)
        path = format_path(loc)
        if sensitive_value(root_model, loc):
            yield Diagnostic(pos, _withheld_message(err, root_model), "error", path)
            continue
        message = _message(err, root_model)
        if name_help and path in name_help and err["type"].startswith("string_"):
            message = f"expected {name_help[path]}, got {describe(err.get('input'))}"
        if err["type"] == "missing" and not isinstance(node, MapNode):
            message = "expected a mapping"
        yield Diagnostic(pos, message, "error", path)
