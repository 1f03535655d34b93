"""Property-based tests: whatever the input, the loader returns validated models or structured
diagnostics — never an exception — and every diagnostic points inside the file it names.

CI (``CI=true``) runs 2,000 examples per property; see the profiles in conftest.py.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, note
from hypothesis import strategies as st

from reconciler.cli.registry import KINDS
from reconciler.diagnostics import Diagnostic
from reconciler.spec.load import load_specs, validate
from reconciler.spec.resources import SpecSet
from tests.conftest import EXAMPLES


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("props")
    (root / ".git").mkdir()
    yield root


def check_diagnostics(result: SpecSet, root: Path) -> None:
    """Well-formed diagnostics; positions inside the file; models only when valid."""
    for diag in result.report.items:
        assert isinstance(diag, Diagnostic)
        assert diag.message and diag.severity in ("error", "warning")
        assert diag.pos.line >= 1 and diag.pos.column >= 1
        path = Path(diag.pos.file)
        if not path.is_absolute():
            path = Path.cwd() / path
        if path.is_file():
            data = path.read_bytes()
            lines = data.split(b"\n")
            assert diag.pos.line <= len(lines) + 1, diag.text()
            if diag.pos.line <= len(lines):
                text = lines[diag.pos.line - 1].decode("utf-8", "replace").rstrip("\r")
                assert diag.pos.column <= len(text) + 2, diag.text()
    if result.ok:
        for res in result.resources:
            assert res.document is not None and res.name


def run_text(root: Path, text: str | bytes) -> SpecSet:
    target = root / "specs"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir()
    path = target / "doc.yaml"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    result = load_specs(target, KINDS)
    check_diagnostics(result, target)
    return result


YAML_ALPHABET = st.sampled_from([*"abcxyz019 -:_.,[]{}#&*!|>'\"%@`\n\t\\$",
                                 "apiVersion", "kind", "spec", "metadata", "name", "sagectl/v1",
                                 "Endpoint", "Model", "<<", "${x}", "---", "\r\n", "\x00",
                                 "\ufeff", "é", "\U0001f600"])


@given(st.lists(YAML_ALPHABET, max_size=80).map("".join))
def test_random_yaml_text(workdir: Path, text: str) -> None:
    run_text(workdir, text)


@given(st.binary(max_size=300))
def test_random_bytes(workdir: Path, data: bytes) -> None:
    run_text(workdir, data)


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                    st.text(max_size=20), st.sampled_from(["Endpoint", "Model", "sagectl/v1",
                                                           "${count}", "ml.m5.large"]))
structures = st.recursive(scalars, lambda kids: st.one_of(
    st.lists(kids, max_size=4),
    st.dictionaries(st.sampled_from(["apiVersion", "kind", "metadata", "spec", "name",
                                     "productionVariants", "variantName", "x", "tags"]),
                    kids, max_size=5)), max_leaves=25)


@given(st.lists(structures, min_size=1, max_size=3))
def test_random_structures(workdir: Path, docs: list[Any]) -> None:
    run_text(workdir, yaml.safe_dump_all(docs, allow_unicode=True))


def _envelope(spec: Any, kind: str) -> dict[str, Any]:
    return {"apiVersion": "sagectl/v1", "kind": kind, "metadata": {"name": "x"}, "spec": spec}


@given(st.sampled_from(["Endpoint", "Model", "Alarm", "Pipeline", "ModelPackageGroup"]),
       structures)
def test_random_specs_of_every_kind(workdir: Path, kind: str, spec: Any) -> None:
    run_text(workdir, yaml.safe_dump(_envelope(spec, kind)))


# -- mutations of the real example specs --------------------------------------------------------

EXAMPLE_FILES = sorted(p.relative_to(EXAMPLES) for p in EXAMPLES.rglob("*")
                       if p.suffix in (".yaml", ".json"))


@pytest.fixture(scope="module")
def examples(workdir: Path) -> Path:
    dest = workdir / "examples"
    shutil.copytree(EXAMPLES, dest)
    return dest


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(_paths(v, (*prefix, i)))
    return out


def _apply(doc: Any, path: tuple[Any, ...], op: str, value: Any) -> Any:
    if not path:
        return value if op == "replace" else doc
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    key = path[-1]
    if op == "replace":
        parent[key] = value
    elif op == "delete":
        del parent[key]
    elif op == "insert" and isinstance(parent[key], dict):
        parent[key][str(value)[:20] or "k"] = value
    elif op == "insert" and isinstance(parent[key], list):
        parent[key].append(value)
    return doc


@given(st.sampled_from([f for f in EXAMPLE_FILES if f.suffix == ".yaml"]), st.data())
def test_structural_mutations_of_examples(examples: Path, rel: Path, data: st.DataObject) -> None:
    path = examples / rel
    original = (EXAMPLES / rel).read_text()
    docs = list(yaml.safe_load_all(original))
    i = data.draw(st.integers(0, len(docs) - 1))
    where = data.draw(st.sampled_from(_paths(docs[i])))
    op = data.draw(st.sampled_from(["replace", "delete", "insert"]))
    value = data.draw(structures)
    note(f"{rel} doc {i} {op} {where} {value!r}")
    docs[i] = _apply(docs[i], where, op, value)
    try:
        path.write_text(yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True))
        env = data.draw(st.sampled_from(["dev", "prod", None]))
        if env is None:
            for result in validate(examples, KINDS).results:
                check_diagnostics(result, examples)
        else:
            check_diagnostics(load_specs(examples, KINDS, env), examples)
    finally:
        path.write_text(original)


@given(st.sampled_from(EXAMPLE_FILES), st.data())
def test_byte_mutations_of_examples(examples: Path, rel: Path, data: st.DataObject) -> None:
    path = examples / rel
    original = (EXAMPLES / rel).read_bytes()
    mutated = bytearray(original)
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(mutated)))
        op = data.draw(st.sampled_from(["insert", "delete", "replace", "truncate"]))
        byte = data.draw(st.sampled_from([b"\t", b":", b" ", b"\n", b"-", b"{", b"[", b"'",
                                          b"\xff", b"&a", b"*a", b"${", b"}", b"#", b"\x00"]))
        if op == "insert":
            mutated[pos:pos] = byte
        elif op == "delete":
            del mutated[pos:pos + data.draw(st.integers(1, 20))]
        elif op == "replace":
            mutated[pos:pos + len(byte)] = byte
        else:
            del mutated[pos:]
    note(f"{rel}: {bytes(mutated)[:200]!r}")
    try:
        path.write_bytes(bytes(mutated))
        check_diagnostics(load_specs(examples, KINDS, data.draw(st.sampled_from(["dev", "prod"]))),
                          examples)
    finally:
        path.write_bytes(original)


def test_examples_are_deterministic(examples: Path) -> None:
    first = load_specs(examples, KINDS, "prod")
    second = load_specs(examples, KINDS, "prod")
    assert [r.document for r in first.resources] == [r.document for r in second.resources]
