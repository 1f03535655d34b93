"""Values checked against the installed botocore's request shapes: the machinery of ``awsExtra``.

A spec may carry API members sagectl does not model yet (``awsExtra:``), written in sagectl's
casing: the boto3 member name with its first letter lowered, at every depth
(``VariantInstanceProvisionTimeoutInSeconds`` -> ``variantInstanceProvisionTimeoutInSeconds``).
This module knows no service: the caller names the service and the shape (``sagemaker``,
``ProductionVariant``); it checks a value against that shape the way the API would (unknown
member, type, enum, length, range, pattern, required members) and converts between the two
casings. Only structure members are renamed; the keys of a map (tags, environment variables) are
the user's and kept as written.

Problems are ``ShapeProblem(path, message, key)``: ``path`` is relative to the value, ``key``
says the problem is the key at that path (an unknown member), not its value, so a caller can
point at the key's line and column.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.loaders import Loader

from reconciler.spec.nodes import Path


@dataclass(frozen=True, slots=True)
class ShapeProblem:
    path: Path
    message: str
    key: bool = False


@functools.cache
def _shapes(service: str) -> dict[str, Any]:
    model = Loader().load_service_model(service, "service-2")
    return model["shapes"]  # type: ignore[no-any-return]


def shape(service: str, name: str) -> dict[str, Any]:
    """The raw botocore shape ``name`` of ``service`` (KeyError if there is none)."""
    return _shapes(service)[name]  # type: ignore[no-any-return]


def camel(member: str) -> str:
    """A boto3 member name in sagectl's casing."""
    return member[:1].lower() + member[1:]


def members(service: str, name: str) -> dict[str, str]:
    """sagectl-cased member name -> boto3 member name, of a structure shape."""
    return {camel(m): m for m in shape(service, name).get("members", {})}


def _describe(value: Any) -> str:
    if value is None:
        return "an empty value (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}" if len(value) <= 60 else "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _number(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


_TYPES = {"string": "a string", "integer": "an integer", "long": "an integer",
          "float": "a number", "double": "a number", "boolean": "true or false",
          "structure": "a mapping", "map": "a mapping", "list": "a list",
          "timestamp": "a timestamp (ISO 8601 string)", "blob": "a string"}


def _type_ok(kind: str, value: Any) -> bool:
    if kind in ("string", "blob"):
        return isinstance(value, str)
    if kind in ("integer", "long"):
        return isinstance(value, int) and not isinstance(value, bool)
    if kind in ("float", "double"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in ("structure", "map"):
        return isinstance(value, dict)
    if kind == "list":
        return isinstance(value, list)
    if kind == "timestamp":
        return isinstance(value, str)
    return True


def check(service: str, name: str, value: Any, path: Path = (),
          refused: dict[str, str] | None = None) -> Iterator[ShapeProblem]:
    """Problems of ``value`` (sagectl casing) against shape ``name``. ``refused`` maps top-level
    members the caller models itself to the message that says where they go instead."""
    sh = shape(service, name)
    kind = sh["type"]
    if not _type_ok(kind, value):
        yield ShapeProblem(path, f"expected {_TYPES.get(kind, kind)}, got {_describe(value)}")
        return
    if kind == "structure":
        yield from _structure(service, sh, value, path, refused or {})
    elif kind == "list":
        yield from _size(sh, len(value), path, "item")
        for i, item in enumerate(value):
            yield from check(service, sh["member"]["shape"], item, (*path, i))
    elif kind == "map":
        yield from _size(sh, len(value), path, "entry")
        for key, item in value.items():
            yield from check(service, sh["key"]["shape"], key, (*path, key))
            yield from check(service, sh["value"]["shape"], item, (*path, key))
    elif kind == "string":
        yield from _string(sh, value, path)
    elif kind in ("integer", "long", "float", "double"):
        if "min" in sh and value < sh["min"]:
            yield ShapeProblem(path, f"must be at least {_number(sh['min'])}, got "
                                     f"{_number(value)}")
        if "max" in sh and value > sh["max"]:
            yield ShapeProblem(path, f"must be at most {_number(sh['max'])}, got "
                                     f"{_number(value)}")


def _structure(service: str, sh: dict[str, Any], value: dict[str, Any], path: Path,
               refused: dict[str, str]) -> Iterator[ShapeProblem]:
    known = {camel(m): ref for m, ref in sh.get("members", {}).items()}
    for key, item in value.items():
        if key in refused:
            yield ShapeProblem((*path, key), refused[key], key=True)
            continue
        ref = known.get(key)
        if ref is None:
            yield ShapeProblem((*path, key), _unknown(key, known, refused), key=True)
            continue
        yield from check(service, ref["shape"], item, (*path, key))
    for member in sh.get("required", []):
        if camel(member) not in value and camel(member) not in refused:
            yield ShapeProblem(path, f"missing required member `{camel(member)}`")


def _unknown(key: str, known: dict[str, Any], refused: dict[str, str]) -> str:
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    if not close:
        lowered = {k.lower(): k for k in known}
        if key.lower() in lowered:
            close = [lowered[key.lower()]]
    if close and close[0] in refused:
        return (f"unknown member `{key}`; did you mean `{close[0]}`? "
                f"{refused[close[0]]}")
    if close:
        return f"unknown member `{key}`; did you mean `{close[0]}`?"
    open_ = sorted(k for k in known if k not in refused)
    return (f"unknown member `{key}`; expected one of: {', '.join(open_)}"
            if open_ else f"unknown member `{key}`")


def _size(sh: dict[str, Any], n: int, path: Path, noun: str) -> Iterator[ShapeProblem]:
    if "min" in sh and n < sh["min"]:
        yield ShapeProblem(path, f"must have at least {sh['min']} {noun}(s), got {n}")
    if "max" in sh and n > sh["max"]:
        yield ShapeProblem(path, f"must have at most {sh['max']} {noun}(s), got {n}")


def _string(sh: dict[str, Any], value: str, path: Path) -> Iterator[ShapeProblem]:
    if "enum" in sh and value not in sh["enum"]:
        options = sh["enum"]
        close = difflib.get_close_matches(value, options, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        shown = ", ".join(repr(o) for o in options) if len(options) <= 12 else \
            f"{len(options)} values of botocore's enum"
        yield ShapeProblem(path, f"expected one of {shown}; got {_describe(value)}{hint}")
        return
    if "min" in sh and len(value) < sh["min"]:
        yield ShapeProblem(path, f"must be at least {sh['min']} characters, got {len(value)}")
    if "max" in sh and len(value) > sh["max"]:
        yield ShapeProblem(path, f"must be at most {sh['max']} characters, got {len(value)}")
    pattern = sh.get("pattern")
    if pattern and not _matches(pattern, value):
        yield ShapeProblem(path, f"expected a value matching {pattern}, got {_describe(value)}")


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:  # a pattern Python's re cannot read: AWS checks it, not us
        return None


def _matches(pattern: str, value: str) -> bool:
    compiled = _compiled(pattern)
    return compiled is None or compiled.fullmatch(value) is not None


def to_boto(service: str, name: str, value: Any) -> Any:
    """``value`` (sagectl casing, already checked) with structure members in boto3 casing."""
    sh = shape(service, name)
    kind = sh["type"]
    if kind == "structure" and isinstance(value, dict):
        known = {camel(m): (m, ref) for m, ref in sh.get("members", {}).items()}
        out = {}
        for key, item in value.items():
            member, ref = known.get(key, (key[:1].upper() + key[1:], None))
            out[member] = to_boto(service, ref["shape"], item) if ref else item
        return out
    if kind == "list" and isinstance(value, list):
        return [to_boto(service, sh["member"]["shape"], v) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: to_boto(service, sh["value"]["shape"], v) for k, v in value.items()}
    return value


def from_boto(service: str, name: str, value: Any) -> Any:
    """A boto3 value of shape ``name`` in sagectl casing (timestamps as ISO strings)."""
    sh = shape(service, name)
    kind = sh["type"]
    if kind == "structure" and isinstance(value, dict):
        refs = sh.get("members", {})
        return {camel(k): from_boto(service, refs[k]["shape"], v) if k in refs else v
                for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [from_boto(service, sh["member"]["shape"], v) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: from_boto(service, sh["value"]["shape"], v) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
