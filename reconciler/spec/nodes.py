"""A YAML document as a tree of nodes that remember where they came from.

The loader builds these from the YAML event stream; environment overlays merge them (a patched
value keeps the position of the environment file it came from); validation turns them into plain
Python with ``to_python`` and maps an error's field path back to a position with ``locate``.

Alias nodes are shared, not copied: ``size`` is the number of nodes the value expands to, which is
how the loader bounds alias bombs without expanding them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from reconciler.diagnostics import Pos

Scalar = str | int | float | bool | None
PathPart = str | int
Path = tuple[PathPart, ...]


class Node:
    __slots__ = ("pos", "size")

    def __init__(self, pos: Pos, size: int = 1) -> None:
        self.pos = pos
        self.size = size


class ScalarNode(Node):
    __slots__ = ("plain", "value")

    def __init__(self, pos: Pos, value: Scalar, plain: bool = False) -> None:
        super().__init__(pos)
        self.value = value
        self.plain = plain
        """True for an unquoted scalar: ``${var}`` alone in one takes the variable's type."""

    def __repr__(self) -> str:
        return f"ScalarNode({self.value!r} @ {self.pos})"


class SeqNode(Node):
    __slots__ = ("items",)

    def __init__(self, pos: Pos, items: list[Node] | None = None) -> None:
        super().__init__(pos)
        self.items: list[Node] = items if items is not None else []


@dataclass(slots=True)
class Entry:
    key_pos: Pos
    value: Node


class MapNode(Node):
    __slots__ = ("entries",)

    def __init__(self, pos: Pos, entries: dict[str, Entry] | None = None) -> None:
        super().__init__(pos)
        self.entries: dict[str, Entry] = entries if entries is not None else {}

    def get(self, key: str) -> Node | None:
        entry = self.entries.get(key)
        return entry.value if entry else None


def to_python(node: Node) -> Any:
    if isinstance(node, ScalarNode):
        return node.value
    if isinstance(node, SeqNode):
        return [to_python(item) for item in node.items]
    if isinstance(node, MapNode):
        return {key: to_python(entry.value) for key, entry in node.entries.items()}
    raise TypeError(f"not a node: {node!r}")


def child(node: Node, part: PathPart) -> tuple[Node | None, Pos | None]:
    """The child at ``part`` and the position of its key (for mappings)."""
    if isinstance(node, MapNode) and isinstance(part, str):
        entry = node.entries.get(part)
        return (entry.value, entry.key_pos) if entry else (None, None)
    if isinstance(node, SeqNode) and isinstance(part, int) and 0 <= part < len(node.items):
        return node.items[part], None
    return None, None


def locate(root: Node, path: Path, *, key: bool = False) -> Pos:
    """The position of the value at ``path``, or of its key with ``key=True``.

    When the path does not exist (a missing field), the deepest existing ancestor is returned,
    which is where a user would add the field.
    """
    node = root
    key_pos: Pos | None = None
    for part in path:
        nxt, kp = child(node, part)
        if nxt is None:
            return node.pos
        node, key_pos = nxt, kp
    if key and key_pos is not None:
        return key_pos
    return node.pos


def walk_scalars(node: Node, path: Path = ()) -> Iterator[tuple[Path, ScalarNode]]:
    if isinstance(node, ScalarNode):
        yield path, node
    elif isinstance(node, SeqNode):
        for i, item in enumerate(node.items):
            yield from walk_scalars(item, (*path, i))
    elif isinstance(node, MapNode):
        for k, entry in node.entries.items():
            yield from walk_scalars(entry.value, (*path, k))


def format_path(path: Path) -> str:
    """``("spec", "variants", 0, "type")`` -> ``spec.variants[0].type``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out
