"""Reading a saved plan: untrusted input, checked before anything uses it.

A saved plan is whatever file someone hands to ``sagectl apply``: possibly truncated, edited,
made by an older sagectl, or not a plan at all. ``load_plan`` turns any of those into one
``NotAPlan`` saying why (with line and column where the JSON is broken), never another exception.
The shape is checked against the plan's own dataclasses (``Plan``, ``ResourceChange``, ``Step``,
``Undo``, ...): every field they save must be present with its JSON type, and nothing else may
be, so a field added to them is checked without changes here. The vocabulary is checked too: each
change's kind must be one of the kinds the loader is handed, its ``actions`` members of
``Action``, its ``action_reason`` one of the kind's reasons, and its ``apply_data`` null or the
fields of the kind's apply data type (``vocabulary.py``). A
plan of an older format is refused as such: make it again. Whether the plan may be *applied* is
decided later, against a fresh plan (``stale.py``).
"""

from __future__ import annotations

import codecs
import dataclasses
import enum
import json
import math
import types
import typing
from functools import cache
from pathlib import Path
from typing import Any

from reconciler.contract import Registry
from reconciler.plan.model import FORMAT_VERSION, Plan
from reconciler.plan.vocabulary import reason_of

MAX_BYTES = 64 * 2**20
"""Far above any real plan (about 10 KB per change): a bound on what is read into memory."""
MAX_DEPTH = 256
"""How deep a saved plan may nest. Plans nest about 10 levels; a bound keeps a hostile file from
exhausting the stack anywhere (parsing, comparing, printing)."""
MEMORY_ONLY = frozenset({"request"})
"""Dataclass fields that are never saved (``Step.request``, ``Undo.request``: the unredacted
request)."""
OLDER = "(a plan saved by an older sagectl? make the plan again)"


class NotAPlan(ValueError):
    """The file or data is not a plan this sagectl saved."""

    def __init__(self, why: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(why)
        self.why, self.line, self.column = why, line, column

    def located(self, path: str | Path) -> str:
        """``PATH[:LINE:COLUMN]: not a saved sagectl plan: WHY``."""
        where = str(path) if self.line is None else f"{path}:{self.line}:{self.column}"
        return f"{where}: not a saved sagectl plan: {self.why}"


def load_plan(path: str | Path, kinds: Registry) -> Plan:
    """The ``Plan`` saved at ``path`` (``sagectl plan --out``), its changes of ``kinds``;
    ``NotAPlan`` if it is not one."""
    file = Path(path)
    try:
        if file.is_dir():
            raise NotAPlan("it is a directory")
        if not file.exists():
            raise NotAPlan("no such file")
        if not file.is_file():
            raise NotAPlan("not a regular file")
        with file.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as err:
        raise NotAPlan(f"cannot read it: {err.strerror or err}") from None
    if len(raw) > MAX_BYTES:
        raise NotAPlan(f"larger than {MAX_BYTES // 2**20} MiB")
    bom = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    try:
        text = raw[bom:].decode("utf-8")
    except UnicodeDecodeError as err:
        at = bom + err.start
        raise NotAPlan(f"not UTF-8 text (byte {at} is {raw[at]:#04x})") from None
    try:
        data = json.loads(text, parse_constant=_no_constant, parse_int=_int, parse_float=_float)
    except json.JSONDecodeError as err:
        raise NotAPlan(f"invalid JSON: {err.msg}", err.lineno, err.colno) from None
    except RecursionError:
        raise NotAPlan(f"nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as err:  # from the three parsers below
        raise NotAPlan(f"invalid JSON: {err}") from None
    return plan_from_dict(data, kinds)


def plan_from_dict(data: Any, kinds: Registry) -> Plan:
    """A plan from its saved form, checked first: every field a plan saves, with its type, and
    each change's vocabulary against its kind in ``kinds`` (``NotAPlan``, a ValueError, says
    what is wrong)."""
    check_plan(data, Plan.saved_keys(), kinds)
    return Plan.from_checked_dict(data, kinds)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _int(text: str) -> int:
    if len(text) > 100:
        raise ValueError(f"a number with {len(text)} digits")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:40]} is too large a number")
    return value


def check_plan(data: Any, saved_keys: list[str], kinds: Registry) -> None:
    """Raise ``NotAPlan`` unless ``data`` has the shape of a saved plan: the keys a plan saves
    (``saved_keys``, in order) with the types of ``Plan``'s fields (``summary``: counts)."""
    if not isinstance(data, dict):
        raise NotAPlan(f"a JSON object was expected, not {_json_type(data)}")
    if not _shallower_than(data, MAX_DEPTH):
        raise NotAPlan(f"nested more than {MAX_DEPTH} levels deep")
    if "format_version" not in data:
        raise NotAPlan("it has no format_version")
    version = data["format_version"]
    if type(version) is int and 1 <= version < FORMAT_VERSION:
        raise NotAPlan(f"format_version {version}: made by an older sagectl; re-run plan (this "
                       f"sagectl reads format_version {FORMAT_VERSION})")
    if type(version) is not int or version != FORMAT_VERSION:
        raise NotAPlan(f"unsupported plan format_version {version!r} (this sagectl reads "
                       f"{FORMAT_VERSION})")
    hints = _hints(Plan)
    _check_keys(data, saved_keys, "the plan")
    for key in saved_keys:
        _expect(data[key], dict[str, int] if key == "summary" else hints[key], key)
    for i, change in enumerate(data["resource_changes"]):
        _check_vocabulary(change, f"resource_changes[{i}]", kinds)


def _check_vocabulary(change: dict[str, Any], where: str, kinds: Registry) -> None:
    """The change's kind is one of ``kinds``, its reason is one of the kind's, and its apply
    data is null or fits the kind's apply data type."""
    kind = change["kind"]
    known = kinds.get(kind) if isinstance(kind, str) else None
    if known is None:
        raise NotAPlan(f"{where}.kind: {_show(kind)} is not a kind this sagectl knows")
    if reason_of(known, change["action_reason"]) is None:
        raise NotAPlan(f"{where}.action_reason: {_show(change['action_reason'])} is not a "
                       f"reason of a {kind} change")
    data = change["apply_data"]
    if data is not None and known.apply_data is None:
        raise NotAPlan(f"{where}.apply_data should be null: a {kind} change has none")
    if data is not None:
        _expect(data, known.apply_data, f"{where}.apply_data")


def _check_keys(data: dict[str, Any], names: list[str], where: str) -> None:
    missing = [n for n in names if n not in data]
    if missing:
        raise NotAPlan(f"{where} has no {missing[0]} {OLDER}")
    unknown = sorted(str(k) for k in data if k not in names)
    if unknown:
        raise NotAPlan(f"{where} has an unknown field {unknown[0]!r}")


def _expect(value: Any, hint: Any, where: str) -> None:
    """Raise ``NotAPlan`` unless the JSON ``value`` fits the type ``hint``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return
        (hint,) = [a for a in args if a is not type(None)]
        origin, args = typing.get_origin(hint), typing.get_args(hint)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        if not isinstance(value, str):
            raise NotAPlan(f"{where} should be a string, not {_json_type(value)}")
        values = [m.value for m in hint]
        if values and value not in values:  # no members: the kind's (``_check_vocabulary``)
            raise NotAPlan(f"{where} should be one of {', '.join(values)}, not {_show(value)}")
    elif hint is _apply_data_base():
        if not isinstance(value, dict):  # its fields are the kind's (``_check_vocabulary``)
            raise NotAPlan(f"{where} should be an object, not {_json_type(value)}")
    elif dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise NotAPlan(f"{where} should be an object, not {_json_type(value)}")
        names = _saved_fields(hint)
        _check_keys(value, names, where)
        hints = _hints(hint)
        for name in names:
            _expect(value[name], hints[name], f"{where}.{name}")
    elif origin is list:
        if not isinstance(value, list):
            raise NotAPlan(f"{where} should be an array, not {_json_type(value)}")
        for i, item in enumerate(value):
            _expect(item, args[0], f"{where}[{i}]")
    elif origin is dict:
        if not isinstance(value, dict):
            raise NotAPlan(f"{where} should be an object, not {_json_type(value)}")
        for key, item in value.items():
            _expect(item, args[1], f"{where}.{key}")
    elif not _is(value, hint):
        raise NotAPlan(f"{where} should be {_NAMES.get(hint, hint)}, not {_json_type(value)}")


_NAMES = {str: "a string", int: "an integer", bool: "true or false", float: "a number"}


def _is(value: Any, hint: Any) -> bool:
    if hint is float:
        return type(value) in (int, float)
    return type(value) is hint


def _show(value: str) -> str:
    return json.dumps(value if len(value) <= 80 else f"{value[:77]}...")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    return {str: "a string", list: "an array", dict: "an object"}.get(type(value), "a value")


@cache
def _apply_data_base() -> type:
    from reconciler.plan.model import ApplyData

    return ApplyData


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


@cache
def _saved_fields(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls) if f.name not in MEMORY_ONLY]


def _shallower_than(data: Any, limit: int) -> bool:
    """Whether ``data`` nests at most ``limit`` levels (iteratively: no recursion to exhaust)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return False
            stack.extend((v, depth + 1) for v in (value.values() if isinstance(value, dict)
                                                  else value))
    return True
