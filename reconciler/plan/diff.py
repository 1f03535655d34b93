"""Differences between two canonical documents, as a list of ``DiffEntry``.

Semantics:
- Both sides are canonical already (defaults filled, AWS-only fields dropped, keys in spec
  casing); the diff does not normalise anything itself.
- Mappings are compared key by key; a key missing on one side is ``None`` there.
- Lists of mappings that carry a name (``IDENTITY_KEYS``) are compared item by item by that
  name, so reordering variants is not a change and the path says which one changed:
  ``productionVariants[primary].instanceType``. Other lists are compared whole.
- ``redact`` paths (prefixes) show ``(sensitive)`` instead of values on both sides, so secrets
  never reach a plan while their change is still visible (keys, e.g. variable names, do show).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reconciler.plan.model import SENSITIVE, DiffEntry

IDENTITY_KEYS = ("variantName", "policyName", "scheduledActionName", "alarmName", "name", "id",
                 "Name", "InputName", "OutputName", "ChannelName", "PropertyFileName")
"""Name keys of list items (the last four: inputs, outputs, channels and property files of a
pipeline step)."""


def _identity(*sides: list[Any]) -> str | None:
    """The name key shared by every item, unique within each side."""
    items = [i for side in sides for i in side]
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for key in IDENTITY_KEYS:
        if all(isinstance(i.get(key), str) for i in items) and all(
                len({i[key] for i in side}) == len(side) for side in sides):
            return key
    return None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _sensitive(path: str, redact: Iterable[str]) -> bool:
    return any(path == p or path.startswith((p + ".", p + "[")) for p in redact)


def diff(before: Any, after: Any, path: str = "", redact: tuple[str, ...] = ()
         ) -> list[DiffEntry]:
    if before == after or (before in (None, [], {}) and after in (None, [], {})):
        return []  # empty and absent mean the same
    # A missing side is an empty container, so creates and deletes list field by field.
    if before is None and isinstance(after, dict):
        before = {}
    elif after is None and isinstance(before, dict):
        after = {}
    elif before is None and isinstance(after, list) and _identity(after):
        before = []
    elif after is None and isinstance(before, list) and _identity(before):
        after = []
    if before == after:  # e.g. an empty map on one side, nothing on the other
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[DiffEntry] = []
        keys = list(after) + [k for k in before if k not in after]
        for key in keys:
            out += diff(before.get(key), after.get(key), _join(path, key), redact)
        return out or [DiffEntry(path, before or None, after or None)]
    if isinstance(before, list) and isinstance(after, list):
        key = _identity(before, after)
        if key is not None:
            old = {i[key]: i for i in before}
            new = {i[key]: i for i in after}
            out = []
            for name in list(new) + [n for n in old if n not in new]:
                here = f"{path}[{name}]"
                # the name is in the path already: do not list it as a field of its own
                out += [e for e in diff(old.get(name), new.get(name), here, redact)
                        if e.path != f"{here}.{key}"]
            return out
        if len(before) == len(after) and all(isinstance(i, dict) for i in before + after):
            out = []
            for i, (old_item, new_item) in enumerate(zip(before, after, strict=True)):
                out += diff(old_item, new_item, f"{path}[{i}]", redact)
            return out
    if _sensitive(path, redact):  # names of secrets may show, their values never
        return [DiffEntry(path, None if before is None else SENSITIVE,
                          None if after is None else SENSITIVE)]
    return [DiffEntry(path, redact_value(before, redact, path), redact_value(after, redact, path))]


def redact_value(value: Any, paths: tuple[str, ...], path: str) -> Any:
    return redact(value, paths, path) if paths else value


def redact(value: Any, paths: tuple[str, ...], path: str = "") -> Any:
    """``value`` with every leaf under ``paths`` replaced by ``(sensitive)``."""
    if _sensitive(path, paths):
        if isinstance(value, dict):
            return dict.fromkeys(value, SENSITIVE)
        return None if value is None else SENSITIVE
    if isinstance(value, dict):
        return {k: redact(v, paths, _join(path, k)) for k, v in value.items()}
    if isinstance(value, list):
        key = _identity(value)
        return [redact(v, paths, f"{path}[{v[key]}]" if key else f"{path}[{i}]")
                for i, v in enumerate(value)]
    return value
