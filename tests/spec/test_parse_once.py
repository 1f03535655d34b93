"""Each spec file is parsed once per command, however often the command reads the tree, and
an edited file is parsed again even when its size and modification time did not change."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli.registry import KINDS
from reconciler.spec import yamlfile
from reconciler.spec.load import load_specs, validate
from reconciler.spec.selection import select
from tests.conftest import EXAMPLES

ENDPOINTS = "endpoints/fraud-scorer.yaml"


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """The files parsed (by the name positions give them), counted; nothing remembered yet."""
    counted: Counter[str] = Counter()
    original = yamlfile.parse_text

    def counting(text: str, filename: str, **kwargs: Any) -> Any:
        counted[filename] += 1
        return original(text, filename, **kwargs)

    monkeypatch.setattr(yamlfile, "parse_text", counting)
    monkeypatch.setattr(yamlfile, "_parsed", {})
    return counted


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    specs = tmp_path / "specs"
    shutil.copytree(EXAMPLES, specs)
    return specs


def test_choosing_an_environment_then_loading_it_parses_each_file_once(
        tree: Path, parses: Counter[str]) -> None:
    chosen = select(tree, KINDS, "de*")
    specs = load_specs(tree, KINDS, chosen.names[0])
    again = validate(tree, KINDS)
    assert chosen.names == ["dev"] and specs.ok and not again.errors
    files = [*tree.rglob("*.yaml"), *tree.rglob("*.json")]  # a pipeline definition too
    assert len(parses) == len(files) and set(parses.values()) == {1}, parses


def test_an_edited_file_is_parsed_again_even_with_the_same_size_and_time(
        tree: Path, parses: Counter[str]) -> None:
    path = tree / ENDPOINTS
    assert load_specs(tree, KINDS, "dev").ok
    before = path.stat()
    text = path.read_text()
    edited = text.replace("instanceType: ${fraudInstanceType}",
                          "instanceType: ${fraudInstanceTypf}", 1)
    assert edited != text and len(edited) == len(text)
    path.write_text(edited)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    result = load_specs(tree, KINDS, "dev")
    assert not result.ok
    assert any("fraudInstanceTypf" in d.message for d in result.report.errors), \
        result.report.errors
    assert [n for n, count in parses.items() if count == 2] == [str(path)]


def test_the_cache_forgets_everything_past_its_limit(
        tree: Path, parses: Counter[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlfile, "PARSED_CACHE_BYTES", 1)
    load_specs(tree, KINDS, "dev")
    load_specs(tree, KINDS, "dev")
    assert set(parses.values()) == {2}  # nothing kept: every file parsed each time
