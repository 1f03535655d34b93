"""The seams of ../shared/ARCHITECTURE.md, checked on the source: the import graph of
``reconciler`` has no cycle (imports deferred into functions count: a cycle held apart by a
deferred import breaks at run time when a function moves), the core is handed its kinds and
imports none, and the contract a kind implements knows no SageMaker.

Imports under ``if TYPE_CHECKING:`` are left out: they never run (they name the types the
kind contract's methods are called with)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import reconciler

PACKAGE = Path(reconciler.__file__).resolve().parent
CORE = ("reconciler.spec", "reconciler.plan", "reconciler.apply", "reconciler.contract")
STAGES = ("reconciler.drift", "reconciler.importer", "reconciler.iam", "reconciler.promote")
"""Stages that ask the kinds through the registry (``Kind`` hooks) and know none of them."""


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            found |= {id(sub) for sub in ast.walk(node)}
    return found


def _owner(name: str) -> str | None:
    """The module ``name`` (a module or a name in one) is defined in."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports(module: str, type_checking: bool = False) -> Iterator[tuple[str, int]]:
    """(imported module, line) for every import of ``reconciler`` in ``module``, deferred ones
    included; importing ``a.b.c`` also runs the packages ``a.b`` and ``a``."""
    tree = ast.parse(MODULES[module].read_text())
    skipped = set() if type_checking else _type_checking_nodes(tree)
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            target = _owner(name) if name.startswith("reconciler") else None
            if target is None:
                continue
            parts = target.split(".")
            for i in range(2, len(parts) + 1):
                parent = ".".join(parts[:i])
                if parent in MODULES and parent != module and not module.startswith(parent + "."):
                    yield parent, node.lineno


def graph() -> dict[str, set[str]]:
    return {m: {t for t, _ in imports(m)} for m in MODULES}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_import_graph_has_no_cycle_counting_deferred_imports() -> None:
    assert len(MODULES) > 100  # the whole package was read
    assert cycles(graph()) == []


def test_the_cycle_check_finds_a_cycle_held_apart_by_a_deferred_import() -> None:
    edges = graph()
    edges["reconciler.contract"].add("reconciler.cli.registry")  # as a deferred import would
    assert any("reconciler.contract" in c and "reconciler.cli.registry" in c
               for c in cycles(edges))


def test_the_core_imports_no_kind_and_no_registry() -> None:
    found = [f"{m}:{line} imports {t}" for m in MODULES if m.startswith(CORE)
             for t, line in imports(m, type_checking=True)
             if t.startswith(("reconciler.kinds", "reconciler.cli"))]
    assert found == []


def test_drift_import_iam_and_promote_import_no_kind() -> None:
    """Everything a kind knows is in the kind: these stages loop over the registry's kinds and
    import none of them, not even the kinds' shared helpers (type annotations included)."""
    stages = [m for m in MODULES if m.startswith(STAGES)]
    assert {"reconciler.drift.classify", "reconciler.importer.adopt", "reconciler.iam.policy",
            "reconciler.promote"} <= set(stages)
    found = [f"{m}:{line} imports {t}" for m in stages
             for t, line in imports(m, type_checking=True)
             if t.startswith(("reconciler.kinds", "reconciler.cli"))]
    assert found == []


def test_only_the_command_line_assembles_the_registry() -> None:
    kind_packages = {m for m in MODULES if m.count(".") == 2 and m.startswith("reconciler.kinds.")
                     and not m.rpartition(".")[2].startswith("_")}
    assert {"reconciler.kinds.endpoint", "reconciler.kinds.model"} <= kind_packages
    users = {m for m in MODULES for t, _ in imports(m) if t == "reconciler.cli.registry"}
    assert users and all(m.startswith("reconciler.cli.") for m in users)
    every_kind = {m for m in MODULES if any(t in kind_packages for t, _ in imports(m))
                  and not m.startswith("reconciler.kinds")}
    assert every_kind >= {"reconciler.cli.registry"}


def test_the_kind_contract_knows_no_sagemaker() -> None:
    contract = sorted(m for m in MODULES if m == "reconciler.contract"
                      or m.startswith("reconciler.contract."))
    assert contract == ["reconciler.contract", "reconciler.contract.kind", "reconciler.contract.spec"]
    code = ""
    for module in contract:
        tree = ast.parse(MODULES[module].read_text())
        for node in ast.walk(tree):  # docstrings may say what the module is not about
            body = getattr(node, "body", None)
            if isinstance(body, list):
                node.body = [n for n in body if not (isinstance(n, ast.Expr) and
                                                     isinstance(n.value, ast.Constant))] or [ast.Pass()]
        code += ast.unparse(tree)
    assert "class Kind" in code and "class Registry" in code and "class SpecModel" in code
    assert "sagemaker" not in code.lower() and "arn:" not in code
    assert {t for m in contract for t, _ in imports(m)} <= {
        "reconciler.diagnostics", "reconciler.spec", "reconciler.spec.nodes", *contract}


def test_a_kind_is_one_package_that_only_the_registry_imports() -> None:
    """Adding a kind is adding its package and one line in cli/registry.py (docs/adding-a-kind.md):
    no other module imports a kind's package, and kinds do not import each other."""
    from reconciler.cli.registry import KINDS

    packages = {kind.__module__ for kind in KINDS.values()}
    assert all(p.count(".") == 2 and (PACKAGE / "kinds" / p.split(".")[2] / "__init__.py").is_file()
               for p in packages), packages
    found = [f"{m}:{line} imports {t}" for m in MODULES for t, line in imports(m, type_checking=True)
             for p in packages if (t == p or t.startswith(p + "."))
             and not m.startswith(p) and m != "reconciler.cli.registry"]
    assert found == []
