"""Python builders: a spec field ``module:function`` whose return value is part of the spec (a
pipeline definition built with the SageMaker SDK, say).

The module is imported from the spec file's directory (then the repository root), the function
is called with the environment's facts, and its result becomes a node tree positioned at the spec
field, so ``${var}`` substitution and every later error point at ``file:line:column`` of the
reference. Nothing here imports the SageMaker SDK: the builder does, and only when it runs.

A builder's result may be a mapping, a JSON string, or an object with ``.definition()`` returning
either (a SageMaker SDK ``Pipeline``). One call per (module file, function, environment) and
process: validate and plan share the result.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import re
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

from reconciler.diagnostics import Pos
from reconciler.spec.nodes import Entry, MapNode, ScalarNode, SeqNode

BUILDER_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$"
_BUILDER_RE = re.compile(BUILDER_PATTERN)
_LOCK = threading.Lock()
_CACHE: dict[tuple[str, str, str], Any] = {}


class BuilderError(Exception):
    """The builder could not run or returned something unusable (the message says which)."""


def _find_module(module: str, search: list[Path]) -> tuple[Path, Path]:
    """(the module's file, the directory its dotted name is relative to)."""
    rel = Path(*module.split("."))
    for base in search:
        for candidate in (base / f"{rel}.py", base / rel / "__init__.py"):
            if candidate.is_file():
                return candidate.resolve(), base.resolve()
    where = ", ".join(str(b) for b in search)
    raise BuilderError(f"module {module!r} not found (looked in {where})")


def _import(module: str, path: Path, root: Path) -> Any:
    """Import ``path`` as ``module`` with ``root`` on sys.path (for the builder's own imports)."""
    name = f"_sagectl_builder_{abs(hash(str(path)))}_{module.replace('.', '_')}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise BuilderError(f"cannot import {path}")
    loaded = importlib.util.module_from_spec(spec)
    added = str(root) not in sys.path
    if added:
        sys.path.insert(0, str(root))
    try:
        spec.loader.exec_module(loaded)
    finally:
        if added:
            sys.path.remove(str(root))
    return loaded


def _where(err: BaseException, module_file: Path) -> str:
    """The innermost frame of the builder's own file, for the error message."""
    frames = [f for f in traceback.extract_tb(err.__traceback__)
              if Path(f.filename).resolve() == module_file]
    return f" (at {module_file.name}:{frames[-1].lineno})" if frames else ""


def _normalise(result: Any, reference: str) -> dict[str, Any]:
    definition = getattr(result, "definition", None)
    if callable(definition):
        result = definition()
    if isinstance(result, str | bytes):
        try:
            result = json.loads(result)
        except ValueError as err:
            raise BuilderError(f"{reference} returned text that is not JSON: {err}") from None
    if not isinstance(result, dict):
        raise BuilderError(f"{reference} must return a mapping, a JSON string or an object with "
                           f".definition() (a SageMaker SDK Pipeline); got "
                           f"{type(result).__name__}")
    # a JSON round trip: only data survives (no SDK objects, tuples become lists)
    try:
        return json.loads(json.dumps(result))  # type: ignore[no-any-return]
    except (TypeError, ValueError) as err:
        raise BuilderError(f"{reference} returned something that is not JSON data: {err}"
                           ) from None


def run_builder(reference: str, search: list[Path], context: dict[str, Any]) -> dict[str, Any]:
    """Call ``module:function`` (found under ``search``) and return its result as JSON data.

    The function takes no argument or one: ``context`` (environment, region, accountId,
    variables). Raises ``BuilderError`` with a message fit for a diagnostic."""
    if not _BUILDER_RE.match(reference):
        raise BuilderError(f"expected `module:function` (e.g. `pipelines.fraud:build`), got "
                           f"{reference!r}")
    module, _, function = reference.partition(":")
    path, root = _find_module(module, search)
    key = (str(path), function, json.dumps(context, sort_keys=True, default=str))
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]  # type: ignore[no-any-return]
        try:
            loaded = _import(module, path, root)
        except Exception as err:
            raise BuilderError(f"importing {module} failed: {type(err).__name__}: {err}"
                               f"{_where(err, path)}") from None
        fn = getattr(loaded, function, None)
        if not callable(fn):
            raise BuilderError(f"{module} has no function {function!r}")
        try:
            takes_context = bool(inspect.signature(fn).parameters)
        except (TypeError, ValueError):
            takes_context = True
        try:
            result = fn(context) if takes_context else fn()
            data = _normalise(result, reference)
        except BuilderError:
            raise
        except Exception as err:
            raise BuilderError(f"{reference} failed: {type(err).__name__}: {err}"
                               f"{_where(err, path)}") from None
        _CACHE[key] = data
        return data


def to_nodes(value: Any, pos: Pos) -> Any:
    """A node tree for built data, every node at ``pos`` (the spec field that named the
    builder). Strings are quoted scalars: ``${var}`` inside them is replaced as text."""
    if isinstance(value, dict):
        return MapNode(pos, {str(k): Entry(pos, to_nodes(v, pos)) for k, v in value.items()})
    if isinstance(value, list):
        return SeqNode(pos, [to_nodes(v, pos) for v in value])
    return ScalarNode(pos, value, plain=False)
