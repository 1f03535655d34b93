"""Read YAML safely into position-aware nodes.

Built on PyYAML's event parser (iterative, so deep nesting cannot exhaust the stack) with our own
composer, which gives:

- YAML 1.2 core-schema scalars: ``yes``/``no``/``on``/``off`` are strings, not booleans; ``0755`` is
  the integer 755; timestamps stay strings. A config language should not guess.
- Duplicate keys are errors (YAML says keys are unique; PyYAML silently keeps the last one).
- Bounded input: file size, nesting depth and the number of nodes after alias expansion (an alias
  bomb is reported, never expanded). Only standard tags are accepted.
- Merge keys (``<<: *defaults``) work, with explicit keys taking precedence.
- Every problem becomes a Diagnostic with file:line:column; nothing here raises on bad input.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import yaml
from yaml import events as ev

from reconciler.diagnostics import Diagnostic, Pos
from reconciler.spec.nodes import Entry, MapNode, Node, ScalarNode, SeqNode

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_NODES = 250_000
MAX_DEPTH = 100

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL_TRUE = re.compile(r"^(?:true|True|TRUE)$")
_BOOL_FALSE = re.compile(r"^(?:false|False|FALSE)$")
_INT10 = re.compile(r"^[-+]?[0-9]+$")
_INT8 = re.compile(r"^0o[0-7]+$")
_INT16 = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_TAG}{t}" for t in ("str", "int", "float", "bool", "null")}


class LoadError(Exception):
    """Internal: aborts composing one file. Always converted into a Diagnostic."""

    def __init__(self, pos: Pos, message: str) -> None:
        super().__init__(message)
        self.pos = pos
        self.message = message


_NOT_ONLY_TEXT = frozenset("~nNtTfF+-.0123456789")
"""The first characters of every plain scalar the patterns above may match (the empty one is
null): any other first character means text, without trying them."""


def resolve_plain(text: str) -> str | int | float | bool | None:
    """Resolve an untagged plain scalar with the YAML 1.2 core schema."""
    if text and text[0] not in _NOT_ONLY_TEXT:
        return text
    if _NULL.match(text):
        return None
    if _BOOL_TRUE.match(text):
        return True
    if _BOOL_FALSE.match(text):
        return False
    # int() raises ValueError past sys.get_int_max_str_digits(); callers report it.
    if _INT10.match(text):
        return int(text, 10)
    if _INT8.match(text):
        return int(text[2:], 8)
    if _INT16.match(text):
        return int(text[2:], 16)
    if _INF.match(text):
        return float("-inf") if text.startswith("-") else float("inf")
    if _NAN.match(text):
        return float("nan")
    if _FLOAT.match(text):
        return float(text)
    return text


def _resolve_checked(pos: Pos, text: str) -> str | int | float | bool | None:
    try:
        return resolve_plain(text)
    except ValueError:
        raise LoadError(pos, f"number has too many digits ({len(text)})") from None


_OTHER_BREAKS = ("\r", "\x85", "\u2028", "\u2029")
"""What YAML (and so PyYAML and libyaml) also counts as a line break, and editors do not."""


class LineIndex:
    """Positions as editors, git and grep count them: lines end at ``\n`` only.

    PyYAML's marks also break lines at U+0085, U+2028, U+2029 and a lone ``\r`` (as the YAML
    spec says), which would make our line numbers disagree with every editor. In a text that
    holds one of those, we use the mark's character offset instead of its line. In any other
    text (nearly every file) the mark's line and column are the same numbers, read directly:
    no search per mark.
    """

    def __init__(self, filename: str, text: str) -> None:
        self.filename = filename
        self.text = text
        self.marks_agree = not any(brk in text for brk in _OTHER_BREAKS)
        """True when the marks' lines end at ``\n`` only, as ours do."""

    @cached_property
    def starts(self) -> list[int]:
        return [0] + [i + 1 for i, ch in enumerate(self.text) if ch == "\n"]

    def pos(self, index: int) -> Pos:
        line = bisect.bisect_right(self.starts, index) - 1
        return Pos(self.filename, line + 1, index - self.starts[line] + 1)

    def mark(self, mark: yaml.Mark | None) -> Pos:
        if mark is None:
            return Pos(self.filename)
        if self.marks_agree:
            return Pos(self.filename, mark.line + 1, mark.column + 1)
        return self.pos(mark.index)


def _explicit_scalar(pos: Pos, tag: str, text: str) -> str | int | float | bool | None:
    if tag in ("!", f"{_TAG}str"):
        return text
    if tag not in _SCALAR_TAGS:
        raise LoadError(pos, f"unsupported YAML tag {tag!r}; only standard tags (!!str, !!int, "
                             "!!float, !!bool, !!null) are accepted")
    value = _resolve_checked(pos, text)
    wanted = tag.removeprefix(_TAG)
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, int | float) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "null": value is None,
    }[wanted]
    if not ok:
        raise LoadError(pos, f"value {text!r} is not a valid !!{wanted}")
    if wanted == "float":
        return float(value)  # type: ignore[arg-type]
    return value


@dataclass
class _MapFrame:
    node: MapNode
    anchor: str | None
    key: tuple[str, Pos, bool] | None = None  # text, position, was it a plain scalar
    awaiting_key: bool = True
    merges: list[tuple[Node, Pos]] = field(default_factory=list)
    explicit: set[str] = field(default_factory=set)


@dataclass
class _SeqFrame:
    node: SeqNode
    anchor: str | None


class _Composer:
    def __init__(self, lines: LineIndex, max_nodes: int, max_depth: int) -> None:
        self.lines = lines
        self.max_nodes = max_nodes
        self.max_depth = max_depth
        self.total = 0
        self.anchors: dict[str, Node] = {}
        self.open_anchors: set[str] = set()
        self.stack: list[_MapFrame | _SeqFrame] = []
        self.docs: list[Node] = []
        self.doc_root: Node | None = None
        self.diagnostics: list[Diagnostic] = []
        """Problems that do not stop composing (the rest of the file is still checked)."""

    # -- bookkeeping -------------------------------------------------------------------------
    def _count(self, n: int, pos: Pos) -> None:
        self.total += n
        if self.total > self.max_nodes:
            raise LoadError(pos, f"document is too large: more than {self.max_nodes} values after "
                                 "expanding aliases (an alias bomb?)")

    def _register(self, anchor: str | None, node: Node) -> None:
        if anchor is not None:
            self.anchors[anchor] = node
            self.open_anchors.discard(anchor)

    # -- attaching a finished node to its parent ----------------------------------------------
    def _attach(self, node: Node) -> None:
        if not self.stack:
            self.doc_root = node
            return
        frame = self.stack[-1]
        frame.node.size += node.size
        if isinstance(frame, _SeqFrame):
            frame.node.items.append(node)
            return
        if frame.awaiting_key:
            if not isinstance(node, ScalarNode):
                raise LoadError(node.pos, "mapping keys must be plain strings, not "
                                          f"{'mappings' if isinstance(node, MapNode) else 'lists'}")
            # An alias used as a key: its scalar value, as text.
            text = node.value if isinstance(node.value, str) else (
                "" if node.value is None else str(node.value).lower()
                if isinstance(node.value, bool) else str(node.value))
            self._set_key(frame, text, node.pos, node.plain)
            frame.node.size -= node.size
            return
        assert frame.key is not None
        key, key_pos, plain_key = frame.key
        frame.awaiting_key = True
        frame.key = None
        if key == "<<" and plain_key:
            if not isinstance(node, MapNode | SeqNode):
                raise LoadError(node.pos, "a merge key (<<) takes a mapping or a list of "
                                          "mappings")
            frame.merges.append((node, key_pos))
            frame.node.size -= node.size
            return
        existing = frame.node.entries.get(key)
        if existing is not None:
            self.diagnostics.append(Diagnostic(key_pos, (
                f"duplicate key {key!r} (first defined at line {existing.key_pos.line}, column "
                f"{existing.key_pos.column}); each key may appear only once in a mapping")))
            frame.node.size -= node.size
            return
        frame.node.entries[key] = Entry(key_pos, node)
        frame.explicit.add(key)

    @staticmethod
    def _set_key(frame: _MapFrame, text: str, pos: Pos, plain: bool) -> None:
        frame.key = (text, pos, plain)
        frame.awaiting_key = False

    def _finish_map(self, frame: _MapFrame) -> MapNode:
        node = frame.node
        for merge, key_pos in frame.merges:
            sources = merge.items if isinstance(merge, SeqNode) else [merge]
            for src in sources:
                if not isinstance(src, MapNode):
                    raise LoadError(src.pos, "a merge key (<<) takes a mapping or a list of "
                                             "mappings")
                for k, entry in src.entries.items():
                    if k not in node.entries:
                        node.entries[k] = Entry(key_pos, entry.value)
                        node.size += entry.value.size
        return node

    # -- event loop ------------------------------------------------------------------------
    def feed(self, event: ev.Event) -> None:
        """One parser event. Dispatched on its exact type (the parsers make no subclasses);
        stream start and end need nothing."""
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    def _document_start(self, event: ev.DocumentStartEvent) -> None:
        self.anchors.clear()
        self.doc_root = None

    def _document_end(self, event: ev.DocumentEndEvent) -> None:
        if self.doc_root is not None:
            self.docs.append(self.doc_root)

    def _scalar(self, event: ev.ScalarEvent) -> None:
        pos = self.lines.mark(event.start_mark)
        self._count(1, pos)
        top = self.stack[-1] if self.stack else None
        plain = event.tag is None and bool(event.implicit[0])
        if isinstance(top, _MapFrame) and top.awaiting_key and event.anchor is None:
            # Keys are always text: `200: ok` has the key "200", `null: x` the key "null".
            self._set_key(top, event.value, pos, plain)
            return
        if event.tag is None:
            value = _resolve_checked(pos, event.value) if plain else event.value
            node = ScalarNode(pos, value, plain=plain)
        else:
            try:
                node = ScalarNode(pos, _explicit_scalar(pos, event.tag, event.value))
            except LoadError as err:  # report, keep the text, check the rest of the file
                self.diagnostics.append(Diagnostic(err.pos, err.message))
                node = ScalarNode(pos, event.value)
        self._register(event.anchor, node)
        self._attach(node)

    def _alias(self, event: ev.AliasEvent) -> None:
        pos = self.lines.mark(event.start_mark)
        if event.anchor in self.open_anchors:
            raise LoadError(pos, f"alias *{event.anchor} refers to a value that contains it "
                                 "(recursive aliases are not supported)")
        target = self.anchors.get(event.anchor)
        if target is None:
            raise LoadError(pos, f"unknown alias *{event.anchor}: no anchor &{event.anchor} "
                                 "defined before it in this document")
        self._count(target.size, pos)
        self._attach(target)

    def _collection_start(self, event: ev.SequenceStartEvent | ev.MappingStartEvent) -> None:
        pos = self.lines.mark(event.start_mark)
        self._count(1, pos)
        if len(self.stack) >= self.max_depth:
            raise LoadError(pos, f"nesting is too deep (more than {self.max_depth} levels)")
        tag = event.tag
        is_map = isinstance(event, ev.MappingStartEvent)
        if tag not in (None, "!", f"{_TAG}{'map' if is_map else 'seq'}"):
            raise LoadError(pos, f"unsupported YAML tag {tag!r}")
        if event.anchor is not None:
            self.open_anchors.add(event.anchor)
        if is_map:
            self.stack.append(_MapFrame(MapNode(pos), event.anchor))
        else:
            self.stack.append(_SeqFrame(SeqNode(pos), event.anchor))

    def _collection_end(self, event: ev.SequenceEndEvent | ev.MappingEndEvent) -> None:
        frame = self.stack.pop()
        node = self._finish_map(frame) if isinstance(frame, _MapFrame) else frame.node
        self._register(frame.anchor, node)
        self._attach(node)


_HANDLERS: dict[type, Callable[[_Composer, Any], None]] = {
    ev.ScalarEvent: _Composer._scalar,
    ev.MappingStartEvent: _Composer._collection_start,
    ev.SequenceStartEvent: _Composer._collection_start,
    ev.MappingEndEvent: _Composer._collection_end,
    ev.SequenceEndEvent: _Composer._collection_end,
    ev.AliasEvent: _Composer._alias,
    ev.DocumentStartEvent: _Composer._document_start,
    ev.DocumentEndEvent: _Composer._document_end,
}


def _friendly(problem: str) -> str:
    if "'\\t'" in problem or "\\t" in problem:
        return "tab character where YAML expects indentation or a value: indent with spaces"
    return problem


FAST_LOADER = getattr(yaml, "CSafeLoader", None)
"""PyYAML's libyaml binding when the installed PyYAML has it (the wheels do); None: pure Python.
Its events carry the same marks as PyYAML's parser (``tests/spec/test_yaml_fast.py``); only the
style of a plain scalar differs (``""`` for None), which nothing here reads."""


def _compose(loader: Any, composer: _Composer) -> None:
    """Feed every event of ``loader`` to ``composer``: ``yaml.parse`` without its generator
    and its ``check_event`` per event (both parsers end the stream with a StreamEndEvent)."""
    try:
        get_event, handlers = loader.get_event, _HANDLERS
        while (event := get_event()) is not None and type(event) is not ev.StreamEndEvent:
            handler = handlers.get(type(event))
            if handler is not None:
                handler(composer, event)
    finally:
        loader.dispose()


@dataclass
class ParsedFile:
    filename: str
    documents: list[Node]
    diagnostics: list[Diagnostic]


def parse_text(text: str, filename: str, *, max_nodes: int = MAX_NODES,
               max_depth: int = MAX_DEPTH) -> ParsedFile:
    """Parse every document of a YAML text. Documents before a syntax error are kept."""
    lines = LineIndex(filename, text)
    if FAST_LOADER is not None:
        # libyaml first: the same events with the same marks (line, column, character index),
        # several times faster. Any error: parse again below with PyYAML's own parser, whose
        # messages the diagnostics are written for (an invalid file costs two parses).
        composer = _Composer(lines, max_nodes, max_depth)
        try:
            _compose(FAST_LOADER(text), composer)
            return ParsedFile(filename, composer.docs, composer.diagnostics)
        except (yaml.YAMLError, LoadError, RecursionError):
            pass
    composer = _Composer(lines, max_nodes, max_depth)
    diags: list[Diagnostic] = []
    try:
        _compose(yaml.SafeLoader(text), composer)
    except LoadError as err:
        diags.append(Diagnostic(err.pos, err.message))
    except RecursionError:  # pragma: no cover - depth is bounded above; belt and braces
        diags.append(Diagnostic(Pos(filename), "YAML structure is nested too deeply"))
    except yaml.reader.ReaderError as err:
        char = err.character
        shown = f"{char:#x}" if isinstance(char, int) else repr(char)
        diags.append(Diagnostic(lines.pos(err.position),
                                f"character {shown} is not allowed in a YAML file"))
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        message = _friendly(err.problem or err.context or "invalid YAML")
        if err.context and err.problem and "tab character" not in message:
            message = f"{message} ({err.context})"
        diags.append(Diagnostic(lines.mark(mark), f"invalid YAML: {message}"))
    except yaml.YAMLError as err:  # pragma: no cover - every PyYAML error we know is marked
        diags.append(Diagnostic(Pos(filename), f"invalid YAML: {err}"))
    return ParsedFile(filename, composer.docs, composer.diagnostics + diags)
