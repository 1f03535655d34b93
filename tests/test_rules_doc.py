"""docs/sagemaker-rules.md is honest about its tests: every test it names exists, and every test
named after a rule (``test_rule_19_...``, ``test_rule8_...``) is listed under that rule."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.conftest import REPO

DOC = REPO / "docs" / "sagemaker-rules.md"
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")
RULE_TEST = re.compile(r"^test_rule_?(\d+)_")


def sections() -> dict[int, set[tuple[str, str]]]:
    """Rule number -> the tests its section names."""
    found: dict[int, set[tuple[str, str]]] = {}
    current = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^### (\d+)\. ", line)
        if heading:
            current = int(heading.group(1))
            found[current] = set()
        elif line.startswith("## "):
            current = None
        if current is not None:
            found[current] |= set(REFERENCE.findall(line))
    return found


def functions_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef)
            and n.name.startswith("test")}


def test_every_named_test_exists() -> None:
    named = set().union(*sections().values())
    assert named, "the document names no test"
    missing = [f"{file}::{name}" for file, name in sorted(named)
               if not (REPO / file).exists() or name not in functions_in(REPO / file)]
    assert missing == []


def test_every_rule_test_is_listed_under_its_rule() -> None:
    listed = sections()
    unlisted = []
    for path in sorted((REPO / "tests").rglob("test_*.py")):
        rel = path.relative_to(REPO).as_posix()
        for name in sorted(functions_in(path)):
            rule = RULE_TEST.match(name)
            if rule and (rel, name) not in listed.get(int(rule.group(1)), set()):
                unlisted.append(f"{rel}::{name} (rule {rule.group(1)})")
    assert unlisted == []


def test_the_rules_are_numbered_in_order() -> None:
    numbers = sorted(sections())
    assert numbers == list(range(1, len(numbers) + 1))
