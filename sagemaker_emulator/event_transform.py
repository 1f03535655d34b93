"""What a rule's target receives of a matched event: the whole event, ``Input``, ``InputPath`` or
``InputTransformer`` (PutTargets: "Input, InputPath, and InputTransformer are mutually exclusive
and optional parameters of a target").

The input transformer as eb-transform-target-input documents it:

- ``InputPathsMap`` names variables by JSON paths into the event, in dot notation with array
  indices and wildcards (``$.detail.ModelPackageGroupName``, ``$.resources[0]``,
  ``$.detail.items[*].name``); "If you specify a variable to match a JSON path that doesn't exist
  in the event, that variable isn't created and won't appear in the output": its placeholders are
  replaced by nothing.
- The predefined variables ``aws.events.rule-arn``, ``aws.events.rule-name``,
  ``aws.events.event`` (the event), ``aws.events.event.ingestion-time`` and
  ``aws.events.event.json`` ("The exact payload of an event as a string").
- ``<name>`` in ``InputTemplate`` is replaced by the variable's value: outside a JSON string as
  JSON (the documented ``"instance" : <instance>`` gives ``"instance" : "i-0123456789"``), inside
  one as its text, unescaped ("EventBridge doesn't escape values extracted by Input Path").
- "The JSON that is passed to the target is minified": an output that parses as JSON is sent
  minified, any other text as it is.

What a placeholder of an undefined variable becomes, and what ``InputPath`` sends when its path
is missing, are not documented: nothing, in both cases.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

MISSING = object()
PLACEHOLDER = re.compile(r"<([A-Za-z0-9_\-.]+)>")
_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+|\*)\]")


def json_path(document: Any, path: str) -> Any:
    """The value at ``path`` (``$.a.b[0]``, ``$.a[*].b``; a wildcard gives a list), or
    ``MISSING``."""
    text = path.strip()
    if not text.startswith("$"):
        return MISSING
    values, wild, rest = [document], False, text[1:]
    while rest:
        step = _STEP.match(rest)
        if step is None:
            return MISSING
        rest = rest[step.end():]
        key, index = step[1], step[2]
        following: list[Any] = []
        for value in values:
            if (key == "*" or index == "*") and isinstance(value, dict | list):
                wild = True
                following.extend(value.values() if isinstance(value, dict) else value)
            elif key is not None and isinstance(value, dict) and key in value:
                following.append(value[key])
            elif index is not None and index != "*" and isinstance(value, list) \
                    and int(index) < len(value):
                following.append(value[int(index)])
        values = following
        if not values:
            return MISSING
    return values if wild else values[0]


def minified(text: str) -> str:
    try:
        return json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
    except ValueError:
        return text


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def render(template: str, variables: dict[str, Any]) -> str:
    """``template`` with its placeholders replaced (a variable absent from ``variables``:
    nothing)."""
    out: list[str] = []
    in_string, escaped, i = False, False, 0
    while i < len(template):
        char = template[i]
        found = PLACEHOLDER.match(template, i) if char == "<" else None
        if found is not None:
            value = variables.get(found[1], MISSING)
            if value is not MISSING:
                if in_string and isinstance(value, str):
                    out.append(value)
                else:
                    out.append(json.dumps(value, separators=(",", ":"), ensure_ascii=False))
            i = found.end()
            escaped = False
            continue
        out.append(char)
        if escaped:
            escaped = False
        elif char == "\\" and in_string:
            escaped = True
        elif char == '"':
            in_string = not in_string
        i += 1
    return "".join(out)


def transform(target: dict[str, Any], event: dict[str, Any], rule_arn: str, rule_name: str,
              ingestion_time: float) -> str:
    """The body ``target`` receives for ``event``."""
    if target.get("Input") is not None:
        return str(target["Input"])
    if target.get("InputPath") is not None:
        value = json_path(event, str(target["InputPath"]))
        return "" if value is MISSING else json.dumps(value, separators=(",", ":"))
    transformer = target.get("InputTransformer")
    if not transformer:
        return json.dumps(event, separators=(",", ":"))
    variables: dict[str, Any] = {}
    for name, path in (transformer.get("InputPathsMap") or {}).items():
        value = json_path(event, str(path))
        if value is not MISSING:
            variables[name] = value
    variables.update({
        "aws.events.rule-arn": rule_arn, "aws.events.rule-name": rule_name,
        "aws.events.event": event, "aws.events.event.ingestion-time": _iso(ingestion_time),
        "aws.events.event.json": json.dumps(event, separators=(",", ":"))})
    return minified(render(str(transformer.get("InputTemplate") or ""), variables))
