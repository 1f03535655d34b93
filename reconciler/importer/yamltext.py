"""Spec documents -> YAML text that sagectl's own loader reads back to the same values.

A small emitter instead of ``yaml.safe_dump``: sagectl reads YAML 1.2 (``1e3`` and ``0o17`` are
numbers there, ``yes`` is a string) and substitutes ``${var}`` in every value, so strings are
written plain only when that is unambiguous, ``${`` becomes ``$${``, and short leaf mappings are
written in flow style the way people write them (``canarySize: {type: INSTANCE_COUNT, value: 1}``).
Comments go above keys. ``render`` parses its own output with the spec loader and compares, so a
value that would not survive the round trip is a bug caught here, not a wrong spec.
"""

from __future__ import annotations

import json
import re
from typing import Any

from reconciler.spec.nodes import to_python
from reconciler.spec.yamlload import parse_text, resolve_plain

Path = tuple[str | int, ...]
_PLAIN = re.compile(r"^[A-Za-z0-9_./][A-Za-z0-9_./:@+=()*?-]*$")
_FLOW_PLAIN = re.compile(r"^[A-Za-z0-9_./][A-Za-z0-9_./@+-]*$")
FLOW_WIDTH = 72


def escape(value: Any) -> Any:
    """Values with ``${`` written as ``$${`` (sagectl substitutes variables in every value)."""
    if isinstance(value, str):
        return value.replace("${", "$${")
    if isinstance(value, dict):
        return {k: escape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [escape(v) for v in value]
    return value


def scalar(value: Any, flow: bool = False) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    text = str(value)
    pattern = _FLOW_PLAIN if flow else _PLAIN
    if pattern.match(text) and not text.endswith(":") and resolve_plain(text) == text:
        return text
    return json.dumps(text, ensure_ascii=False)


def _is_leaf_map(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(
        not isinstance(v, dict | list) for v in value.values())


def _flow(value: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{scalar(k, True)}: {scalar(v, True)}" for k, v in value.items()) + "}"


def _inline(value: Any, width: int) -> str | None:
    """The value on the key's line, if it goes there."""
    if not isinstance(value, dict | list):
        return scalar(value)
    if value in ({}, []):
        return "{}" if isinstance(value, dict) else "[]"
    if _is_leaf_map(value):
        text = _flow(value)
        return text if len(text) <= width else None
    return None


class _Emitter:
    def __init__(self, comments: dict[Path, str]) -> None:
        self.comments = comments
        self.lines: list[str] = []

    def mapping(self, value: dict[str, Any], indent: int, path: Path,
                first_comment: bool = True) -> None:
        pad = " " * indent
        for i, (key, item) in enumerate(value.items()):
            here = (*path, key)
            note = self.comments.get(here)
            if note and (i or first_comment):
                self.lines.append(f"{pad}# {note}")
            head = f"{pad}{scalar(key)}:"
            inline = _inline(item, FLOW_WIDTH - len(head))
            if inline is not None:
                self.lines.append(f"{head} {inline}")
            elif isinstance(item, dict):
                self.lines.append(head)
                self.mapping(item, indent + 2, here)
            else:
                self.lines.append(head)
                self.sequence(item, indent + 2, here)

    def sequence(self, value: list[Any], indent: int, path: Path) -> None:
        pad = " " * indent
        for i, item in enumerate(value):
            here = (*path, i)
            inline = _inline(item, FLOW_WIDTH - indent - 2)
            if inline is not None:
                self.lines.append(f"{pad}- {inline}")
            elif isinstance(item, dict):
                start = len(self.lines)
                self.mapping(item, indent + 2, here, first_comment=False)
                self.lines[start] = f"{pad}- {self.lines[start][indent + 2:]}"
            else:
                start = len(self.lines)
                self.sequence(item, indent + 2, here)
                self.lines[start] = f"{pad}- {self.lines[start][indent + 2:]}"


def render(documents: list[dict[str, Any]], comments: list[dict[Path, str]],
           header: list[str] | None = None) -> str:
    """One YAML text with every document (``---`` between them)."""
    lines = [f"# {line}" for line in header or []]
    escaped = [escape(d) for d in documents]
    for i, (doc, notes) in enumerate(zip(escaped, comments, strict=True)):
        if i:
            lines.append("---")
        emitter = _Emitter(notes)
        emitter.mapping(doc, 0, ())
        lines += emitter.lines
    text = "\n".join(lines) + "\n"
    parsed = parse_text(text, "imported.yaml")
    back = [to_python(node) for node in parsed.documents]
    if parsed.diagnostics or back != escaped:
        raise AssertionError("imported YAML does not read back as written: "
                             f"{[d.message for d in parsed.diagnostics]}")
    return text
