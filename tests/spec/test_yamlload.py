"""The YAML reader: positions, YAML 1.2 scalars, and hostile input handled as diagnostics."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from reconciler.spec.nodes import MapNode, ScalarNode, locate, to_python
from reconciler.spec.yamlfile import decode, parse_file
from reconciler.spec.yamlload import MAX_DEPTH, parse_text


def one(text: str) -> object:
    parsed = parse_text(text, "t.yaml")
    assert parsed.diagnostics == []
    assert len(parsed.documents) == 1
    return to_python(parsed.documents[0])


def errors(text: str, **kw: int) -> list[str]:
    return [d.text() for d in parse_text(text, "t.yaml", **kw).diagnostics]


def test_yaml_1_2_scalars_do_not_guess() -> None:
    doc = one("a: yes\nb: no\nc: on\nd: 0755\ne: 1.50\nf: ~\ng: True\nh: '12'\n"
              "i: 2024-01-01\nj: 0x1F\nk: 0o17\nl: .inf\nm: 1e3\n")
    assert doc == {"a": "yes", "b": "no", "c": "on", "d": 755, "e": 1.5, "f": None, "g": True,
                   "h": "12", "i": "2024-01-01", "j": 31, "k": 15, "l": math.inf, "m": 1000.0}


def test_keys_are_always_text() -> None:
    assert one("200: ok\ntrue: x\nnull: y\n") == {"200": "ok", "true": "x", "null": "y"}


def test_positions_are_one_based_line_and_column() -> None:
    parsed = parse_text("spec:\n  variants:\n    - name: a\n      count: 3\n", "f.yaml")
    root = parsed.documents[0]
    pos = locate(root, ("spec", "variants", 0, "count"))
    assert (pos.file, pos.line, pos.column) == ("f.yaml", 4, 14)
    key = locate(root, ("spec", "variants", 0, "count"), key=True)
    assert (key.line, key.column) == (4, 7)
    # a missing field is located at the mapping that should hold it
    assert locate(root, ("spec", "variants", 0, "nope")).line == 3


def test_crlf_line_endings_keep_positions() -> None:
    parsed = parse_text("a: 1\r\nb:\r\n  c: x\r\n", "f.yaml")
    assert locate(parsed.documents[0], ("b", "c")).line == 3


def test_duplicate_keys_are_errors_and_all_are_reported() -> None:
    msgs = errors("a: 1\nb: 2\na: 3\nc:\n  d: 1\n  d: 2\n")
    assert msgs == [
        "t.yaml:3:1: error: duplicate key 'a' (first defined at line 1, column 1); "
        "each key may appear only once in a mapping",
        "t.yaml:6:3: error: duplicate key 'd' (first defined at line 5, column 3); "
        "each key may appear only once in a mapping",
    ]


def test_first_value_of_a_duplicate_key_is_kept() -> None:
    parsed = parse_text("a: 1\na: 2\n", "t.yaml")
    assert to_python(parsed.documents[0]) == {"a": 1}


def test_tabs_are_explained() -> None:
    assert errors("a:\n\tb: 1\n") == [
        "t.yaml:2:1: error: invalid YAML: tab character where YAML expects indentation or a "
        "value: indent with spaces"]


def test_syntax_error_keeps_earlier_documents() -> None:
    parsed = parse_text("a: 1\n---\nb: [\n", "t.yaml")
    assert [to_python(d) for d in parsed.documents] == [{"a": 1}]
    assert parsed.diagnostics[0].pos.line == 4
    assert "invalid YAML" in parsed.diagnostics[0].message


def test_alias_bomb_is_bounded_not_expanded() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    msgs = errors("\n".join(lines) + "\n")
    assert len(msgs) == 1
    assert "more than 250000 values after expanding aliases" in msgs[0]


def test_modest_aliases_and_merge_keys_work() -> None:
    doc = one("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\nl: [*b, *b]\n")
    assert doc == {"base": {"x": 1, "y": 2}, "d": {"y": 3, "x": 1},
                   "l": [{"x": 1, "y": 2}, {"x": 1, "y": 2}]}


def test_recursive_alias_is_rejected() -> None:
    assert "recursive aliases are not supported" in errors("a: &a [1, *a]\n")[0]


def test_unknown_alias_is_reported() -> None:
    assert "unknown alias *nope" in errors("a: *nope\n")[0]


def test_deep_nesting_is_bounded_without_recursion_errors() -> None:
    depth = 20_000
    msgs = errors("[" * depth + "]" * depth)
    assert msgs == [f"t.yaml:1:{MAX_DEPTH + 1}: error: nesting is too deep (more than "
                    f"{MAX_DEPTH} levels)"]


def test_custom_tags_are_rejected_standard_ones_work() -> None:
    assert "unsupported YAML tag '!python/object'" in errors("a: !python/object x\n")[0]
    assert one("a: !!str 12\nb: !!int '7'\nc: !!float 1\n") == {"a": "12", "b": 7, "c": 1.0}
    assert "is not a valid !!int" in errors("a: !!int x\n")[0]


def test_complex_keys_are_rejected() -> None:
    assert "mapping keys must be plain strings" in errors("? [a]\n: 1\n")[0]


def test_control_characters_are_located() -> None:
    assert errors("a: ok\nb: \x07\n") == [
        "t.yaml:2:4: error: character 0x7 is not allowed in a YAML file"]


def test_huge_integers_are_reported() -> None:
    assert "number has too many digits" in errors("a: " + "9" * 5000 + "\n")[0]


def test_non_utf8_bytes_are_located() -> None:
    text, diags = decode(b"a: 1\nb: caf\xe9\n", "t.yaml")
    assert text is None
    assert diags[0].text() == "t.yaml:2:7: error: file is not valid UTF-8 (byte 0xe9); save it as UTF-8"


def test_utf8_bom_is_accepted() -> None:
    text, diags = decode("\ufeffa: 1\n".encode(), "t.yaml")
    assert diags == [] and text == "a: 1\n"


def test_empty_text_has_no_documents() -> None:
    assert parse_text("", "t.yaml").documents == []
    assert parse_text("# only a comment\n", "t.yaml").documents == []
    empty_doc = parse_text("---\n", "t.yaml").documents
    assert len(empty_doc) == 1 and isinstance(empty_doc[0], ScalarNode)


def test_huge_file_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as fh:
        fh.truncate(9 * 1024 * 1024)
    parsed = parse_file(big, "big.yaml")
    assert parsed.documents == []
    assert "file is too large (9,437,184 bytes; the limit is 8,388,608)" in parsed.diagnostics[0].message


def test_unreadable_path_is_a_diagnostic(tmp_path: Path) -> None:
    parsed = parse_file(tmp_path / "missing.yaml", "missing.yaml")
    assert "cannot read file" in parsed.diagnostics[0].message


@pytest.mark.parametrize("text", ["[1, 2", "a: 'unterminated\n", "{a: 1", "a: b: c\n", "- a\nb: 1\n",
                                  "&anchor", "!!binary x", "? x\n? x\n"])
def test_malformed_yaml_never_raises(text: str) -> None:
    parsed = parse_text(text, "t.yaml")
    for diag in parsed.diagnostics:
        assert diag.pos.line >= 1 and diag.pos.column >= 1 and diag.message


def test_mapping_nodes_keep_key_order() -> None:
    parsed = parse_text("z: 1\na: 2\nm: 3\n", "t.yaml")
    root = parsed.documents[0]
    assert isinstance(root, MapNode) and list(root.entries) == ["z", "a", "m"]
