"""May a saved plan be applied? Only if a fresh plan of the same specs does exactly what it says.

Two kinds of difference refuse it:
- *stale*: what was read to decide a change moved (its ``fingerprint``), the specs changed, or
  a change appeared or went away;
- *does not match*: with the same fingerprint, a change must come out the same, so any
  difference in what was reviewed (actions, depends_on, each step's op, target, params as saved,
  request digest, note and why it is irreversible) or in what apply takes from the plan besides
  the steps (``apply_data``, field by field) means the file was edited after it was made.
  Both sides are compared in their saved form (JSON types, sensitive values redacted), field by
  field, and the first differences are named: apply runs the fresh plan, so it must be the
  reviewed one.

A step's ``undo`` is compared the same way, but its kind built it from what it read (the
previous alarm definition, the config the endpoint ran): an undo that differs while everything
else matches means live state that undo restores moved since the plan was made, and the plan is
refused as stale, naming what the undo would restore now.

Pins (values the plan resolved from moving state) must be the same set on both sides; whether
each is still valid is the kind's question (``Kind.check_pin``, asked by apply).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from reconciler.plan.model import Plan, ResourceChange, saved_form

STALE = "is stale"
DIFFERS = "does not match a fresh plan"
PIN = "pins what cannot be deployed"
REVIEWED = ("kind", "name", "actions", "action_reason", "depends_on")
"""Fields of a change compared as wholes (steps are compared one field at a time)."""
STEP_FIELDS = ("op", "target", "params", "request_digest", "note", "irreversible")
SHOWN = 3
"""Differences named per resource; the rest are counted."""


@dataclass
class Moved:
    address: str
    why: str
    problem: str = STALE
    """How it is said: ``the saved plan <problem>: <address>: <why>``."""


def stale(saved: Plan, fresh: Plan) -> list[Moved]:
    """Every reason not to apply ``saved`` instead of ``fresh`` (empty: it can be applied)."""
    moved: list[Moved] = []
    if saved.spec_digest != fresh.spec_digest:
        moved.append(Moved("(specs)", "the specs changed since the plan was made"))
    if (saved.env, saved.account, saved.region) != (fresh.env, fresh.account, fresh.region):
        moved.append(Moved("(target)", f"the plan is for {saved.env}/{saved.account}/"
                                        f"{saved.region}, not {fresh.env}/{fresh.account}/"
                                        f"{fresh.region}"))
    moved += _pins(saved.pins, fresh.pins)
    counts = Counter(c.address for c in saved.resource_changes)
    moved += [Moved(address, f"appears {n} times in the saved plan", DIFFERS)
              for address, n in sorted(counts.items()) if n > 1]
    old = {c.address: c for c in saved.resource_changes}
    new = {c.address: c for c in fresh.resource_changes}
    for address in sorted(old.keys() | new.keys()):
        a, b = old.get(address), new.get(address)
        if a is None:
            moved.append(Moved(address, "now has a change the saved plan does not include"))
        elif b is None:
            moved.append(Moved(address, "no longer needs the change the saved plan includes"))
        elif a.fingerprint != b.fingerprint:
            moved.append(Moved(address, "its live state changed since the plan was made"))
        else:
            found = differences(a, b)
            if found:
                moved.append(Moved(address, _some(found), DIFFERS))
            elif undone := undo_differences(a, b):
                moved.append(Moved(address, "what its undo restores changed since the plan was "
                                            f"made: {_some(undone)}"))
    return moved


def _some(found: list[str]) -> str:
    more = f" (and {len(found) - SHOWN} more)" if len(found) > SHOWN else ""
    return "; ".join(found[:SHOWN]) + more


def _pins(saved: dict[str, str], fresh: dict[str, str]) -> list[Moved]:
    moved = []
    for key in sorted(saved.keys() | fresh.keys()):
        if key not in fresh:
            moved.append(Moved(f"pin {key}", "the specs do not use it", DIFFERS))
        elif key not in saved:
            moved.append(Moved(f"pin {key}", f"a fresh plan resolves it to {fresh[key]}, which "
                                             "the saved plan does not pin", DIFFERS))
        elif saved[key] != fresh[key]:
            moved.append(Moved(f"pin {key}", f"saved {_show(saved[key])}, fresh plan "
                                             f"{_show(fresh[key])}", DIFFERS))
    return moved


def differences(saved: ResourceChange, fresh: ResourceChange) -> list[str]:
    """What differs between two changes of one resource, as ``field: saved X, fresh plan Y``."""
    a, b = saved_form(saved), saved_form(fresh)
    found = [f"{name}: saved {_show(a[name])}, fresh plan {_show(b[name])}"
             for name in REVIEWED if not _same(a[name], b[name])]
    found += _walk(a["apply_data"], b["apply_data"], "apply_data")
    if len(a["steps"]) != len(b["steps"]):
        found.append(f"steps: saved {len(a['steps'])} steps, fresh plan {len(b['steps'])}")
        return found
    for i, (x, y) in enumerate(zip(a["steps"], b["steps"], strict=True)):
        for name in STEP_FIELDS:
            where = f"steps[{i}].{name}"
            if name == "request_digest" and x[name] != y[name]:
                found.append(f"{where}: saved {_short(x[name])}, fresh plan {_short(y[name])}")
            elif name != "request_digest":
                found += _walk(x[name], y[name], where)
    return found


def undo_differences(saved: ResourceChange, fresh: ResourceChange) -> list[str]:
    """What differs between the planned undos of two changes with the same steps."""
    a, b = saved_form(saved), saved_form(fresh)
    return [found for i, (x, y) in enumerate(zip(a["steps"], b["steps"], strict=True))
            for found in _walk(x["undo"], y["undo"], f"steps[{i}].undo")]


def _walk(saved: Any, fresh: Any, where: str) -> Iterator[str]:
    if isinstance(saved, dict) and isinstance(fresh, dict):
        for key in sorted(saved.keys() | fresh.keys()):
            if key not in fresh:
                yield f"{where}.{key}: only in the saved plan"
            elif key not in saved:
                yield f"{where}.{key}: missing from the saved plan"
            else:
                yield from _walk(saved[key], fresh[key], f"{where}.{key}")
    elif isinstance(saved, list) and isinstance(fresh, list) and len(saved) == len(fresh):
        for i, (x, y) in enumerate(zip(saved, fresh, strict=True)):
            yield from _walk(x, y, f"{where}[{i}]")
    elif isinstance(saved, list) and isinstance(fresh, list):
        yield f"{where}: saved {len(saved)} items, fresh plan {len(fresh)}"
    elif not _same(saved, fresh):
        yield f"{where}: saved {_show(saved)}, fresh plan {_show(fresh)}"


def _same(a: Any, b: Any) -> bool:
    """Equal with JSON's types: ``1``, ``1.0`` and ``true`` differ (Python's ``==`` says not)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _show(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 80 else f"{text[:38]}...{text[-38:]}"


def _short(digest: Any) -> str:
    return f"{str(digest)[:12]}..." if digest else "(none)"
