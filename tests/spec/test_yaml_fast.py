"""The spec parser reads YAML with libyaml (PyYAML's C binding) when it is installed and falls
back to PyYAML's own parser on any error: both must give the same nodes, positions and
diagnostics, so the speed changes nothing a user sees."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.diagnostics import Pos
from reconciler.spec import yamlload
from reconciler.spec.nodes import MapNode, Node, ScalarNode, SeqNode

REPO = Path(__file__).resolve().parents[2]
TRICKY = [
    "a: 'ümlaut ✓'\nb: [1, {c: d}]\n---\nx: |\n  multi\n  line ü\ny: !!str 3\nz: &a 1\nw: *a\n",
    "k: v\nk: w\n",  # a duplicate key: a diagnostic, not an exception
    "a: [1, 2\n",  # a syntax error
    "a:\n\t- b\n",  # a tab
    "a: b: c\n",
    "- x\n- {y: [z, {w: 1.5e3}]}\n- null\n- ~\n- 'quoted: yes'\n- \"é\\t\"\n",
]


def dump(node: Node | None) -> Any:
    if node is None:
        return None
    where = (node.pos.line, node.pos.column, node.size)
    if isinstance(node, ScalarNode):
        return ("scalar", where, node.value, node.plain)
    if isinstance(node, SeqNode):
        return ("seq", where, [dump(n) for n in node.items])
    assert isinstance(node, MapNode)
    return ("map", where, [(k, (e.key_pos.line, e.key_pos.column), dump(e.value))
                           for k, e in node.entries.items()])


def parsed(text: str) -> Any:
    out = yamlload.parse_text(text, "f.yaml")
    return [dump(d) for d in out.documents], [(d.pos.line, d.pos.column, d.message)
                                              for d in out.diagnostics]


def texts() -> list[str]:
    found = [p.read_text(encoding="utf-8") for p in sorted((REPO / "specs").rglob("*.yaml"))]
    return found + TRICKY


@pytest.mark.skipif(yamlload.FAST_LOADER is None, reason="PyYAML built without libyaml")
@pytest.mark.parametrize("text", texts())
def test_libyaml_and_pyyaml_give_the_same_nodes_and_diagnostics(
        text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = parsed(text)
    monkeypatch.setattr(yamlload, "FAST_LOADER", None)
    assert fast == parsed(text)


def _by_offset(self: yamlload.LineIndex, mark: Any) -> Pos:
    return Pos(self.filename) if mark is None else self.pos(mark.index)


ODD_BREAKS = ["a: 1\r\nb:\r\n  c: [x,\r\n    y]\r\n", "a: 'x\ry'\nb: 2\n", "a: \"p\u2028q\"\nb: 3\n",
              "a: \"p\x85q\"\n  # c\u2029\nb: 4\n", "a: [1, 2\r\n"]


@pytest.mark.parametrize("text", texts() + ODD_BREAKS)
def test_positions_read_from_the_marks_lines_are_those_counted_from_their_offsets(
        text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where a file has no line break but ``\\n``, the loader takes a mark's line and column as
    they are (no search per mark); everywhere else, and always before, positions were counted
    from the mark's character offset. Both ways must give the same positions and messages."""
    direct = parsed(text)
    monkeypatch.setattr(yamlload.LineIndex, "mark", _by_offset)
    assert direct == parsed(text)


def test_a_file_with_another_line_break_than_newline_is_located_by_offsets() -> None:
    assert yamlload.LineIndex("f", "a: 1\nb: 2\n").marks_agree
    for text in ODD_BREAKS:
        assert not yamlload.LineIndex("f", text).marks_agree, text
    doc = yamlload.parse_text("a: \"p\u2028q\"\nb: [1,\r 2]\n", "f.yaml").documents[0]
    assert isinstance(doc, MapNode)
    seq = doc.get("b")
    assert isinstance(seq, SeqNode)
    assert (seq.items[1].pos.line, seq.items[1].pos.column) == (2, 9)  # editors see one line


def test_a_plain_scalar_that_starts_like_no_number_bool_or_null_is_text_without_a_pattern(
        ) -> None:
    """resolve_plain skips its patterns when the first character rules them all out: no pattern
    may match a text starting with any other character."""
    patterns = [yamlload._NULL, yamlload._BOOL_TRUE, yamlload._BOOL_FALSE, yamlload._INT10,
                yamlload._INT8, yamlload._INT16, yamlload._FLOAT, yamlload._INF, yamlload._NAN]
    tails = ["", "1", "ull", "rue", "alse", "x1f", "o17", "inf", "nan", "5e3", ".5", "ULL"]
    for code in range(32, 0x250):
        first = chr(code)
        if first in yamlload._NOT_ONLY_TEXT:
            continue
        for tail in tails:
            text = first + tail
            assert not any(p.match(text) for p in patterns), text
            assert yamlload.resolve_plain(text) == text
    samples = {"~": None, "": None, "Null": None, "TRUE": True, "false": False, "-12": -12,
               "0o17": 15, "0x1F": 31, ".5": 0.5, "+1e3": 1000.0, "-.inf": float("-inf"),
               "nope": "nope", "ml.m6i.xlarge": "ml.m6i.xlarge", "10.0.0.1": "10.0.0.1"}
    assert {t: yamlload.resolve_plain(t) for t in samples} == samples
