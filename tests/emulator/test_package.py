"""The emulator is a package of its own (``sagemaker_emulator``): it imports nothing from sagectl,
so anyone can run it in their own CI, and its root and command line load without moto."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import sagemaker_emulator

PACKAGE = Path(sagemaker_emulator.__file__).resolve().parent


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, deferred and TYPE_CHECKING imports included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def test_the_emulator_imports_nothing_from_sagectl() -> None:
    sources = sorted(PACKAGE.rglob("*.py"))
    assert len(sources) > 20, sources  # the whole package is looked at
    leaks = {str(p.relative_to(PACKAGE)): sorted(m for m in imported_modules(p)
                                                 if m.split(".")[0] == "reconciler")
             for p in sources}
    assert {p: m for p, m in leaks.items() if m} == {}


def test_its_command_line_loads_without_moto() -> None:
    """sagectl's own parser imports ``sagemaker_emulator.cli``: that must not need the emulator's
    extra (moto is loaded when an ``Emulator`` is first used)."""
    code = ("import sys, sagemaker_emulator.cli, reconciler.cli; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('moto', 'flask')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]", done.stdout
    from sagemaker_emulator import Emulator  # and the names of the root still resolve

    assert Emulator.__module__ == "sagemaker_emulator.emulator"
