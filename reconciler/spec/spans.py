"""Exact text spans of the scalars of a YAML file, for edits that leave every other byte alone.

The spec loader's nodes carry start positions only; PyYAML's events have both ends, so a second
pass over one file's events finds where a value (or a key) starts and ends, whether it is plain,
quoted or in a flow collection, and whether editing it could change other values (anchors, tags).
A ``Source`` keeps the file's bytes (BOM, newline style) so the edited text is written back the
same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml import events as ev

from reconciler.diagnostics import Pos

_BOM = b"\xef\xbb\xbf"


class SpanError(Exception):
    """A position that does not hold what it should (the file changed under us)."""


@dataclass
class Scalar:
    start: int
    end: int
    value: str
    style: str | None
    is_key: bool
    shared: bool
    """Anchored, tagged, or inside an anchored collection: editing it could change other values."""
    flow: bool
    key_end: int | None = None
    """For a mapping value: where its key ends."""
    value_end: int | None = None
    """For a key whose value is a scalar: where that value ends."""


@dataclass
class _Frame:
    is_map: bool
    shared: bool
    flow: bool
    expecting_key: bool = True
    last_key: Scalar | None = None


def scalars(text: str) -> dict[int, list[Scalar]]:
    """Every scalar of ``text`` by start offset (an empty value can share its offset with the
    next key, hence lists)."""
    found: dict[int, list[Scalar]] = {}
    stack: list[_Frame] = []
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        top = stack[-1] if stack else None
        is_key = bool(top and top.is_map and top.expecting_key)
        if isinstance(event, ev.ScalarEvent | ev.AliasEvent | ev.CollectionStartEvent) and top:
            if top.is_map:
                top.expecting_key = not top.expecting_key
            if is_key:
                top.last_key = None  # set below when the key is a scalar
        if isinstance(event, ev.CollectionStartEvent):
            stack.append(_Frame(isinstance(event, ev.MappingStartEvent),
                                bool(event.anchor) or bool(top and top.shared),
                                bool(event.flow_style) or bool(top and top.flow)))
        elif isinstance(event, ev.CollectionEndEvent):
            stack.pop()
        elif isinstance(event, ev.ScalarEvent):
            scalar = Scalar(event.start_mark.index, event.end_mark.index, event.value,
                             event.style, is_key,
                             bool(event.anchor or event.tag or (top and top.shared)),
                             bool(top and top.flow))
            if top and top.is_map and is_key:
                top.last_key = scalar
            elif top and top.is_map and top.last_key is not None:
                scalar.key_end = top.last_key.end
                top.last_key.value_end = scalar.end
            found.setdefault(scalar.start, []).append(scalar)
    return found


@dataclass
class Source:
    """One file as bytes and text; edits are made on the text, positions are the loader's."""

    file: str
    data: bytes
    text: str
    bom: bool
    _scalars: dict[int, list[Scalar]] | None = field(default=None, repr=False)

    @classmethod
    def read(cls, file: str) -> Source:
        data = Path(file).read_bytes()
        bom = data.startswith(_BOM)
        return cls(file, data, data[3 if bom else 0:].decode("utf-8"), bom)

    def encode(self, text: str) -> bytes:
        return (_BOM if self.bom else b"") + text.encode("utf-8")

    @property
    def newline(self) -> str:
        first = self.text.find("\n")
        return "\r\n" if first > 0 and self.text[first - 1] == "\r" else "\n"

    def offset(self, pos: Pos) -> int:
        """The loader counts lines at ``\\n`` only and columns in characters (LineIndex)."""
        start = 0
        for _ in range(pos.line - 1):
            start = self.text.index("\n", start) + 1
        return start + pos.column - 1

    def scalar(self, pos: Pos, *, key: bool) -> Scalar:
        if self._scalars is None:
            self._scalars = scalars(self.text)
        for found in self._scalars.get(self.offset(pos), []):
            if found.is_key == key:
                return found
        raise SpanError(f"{pos}: expected a YAML {'key' if key else 'value'} here; did the "
                           "file change while sagectl was reading it?")


class Sources(dict[str, Source]):
    def __missing__(self, file: str) -> Source:
        self[file] = source = Source.read(file)
        return source
