"""Positions and diagnostics: how sagectl reports a problem in a user's files.

Every user-facing error carries a position (file, 1-based line and column), the field path it is
about and a message saying what was expected. Errors are collected, never raised, so that one run
reports all of them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True, order=True)
class Pos:
    """A place in a file. ``line`` and ``column`` are 1-based, as editors show them."""

    file: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    pos: Pos
    message: str
    severity: Severity = "error"
    path: str = ""
    """Dotted field path inside the document, e.g. ``spec.productionVariants[0].instanceType``."""
    context: str = ""
    """What the diagnostic is about when the position alone does not say it (e.g. the resource a
    patch in an environment file applies to, or the environments an error occurs in)."""

    def text(self) -> str:
        where = f"{self.path}: " if self.path else ""
        ctx = f" [{self.context}]" if self.context else ""
        return f"{self.pos}: {self.severity}: {where}{self.message}{ctx}"

    def github(self) -> str:
        """A GitHub Actions workflow command, so CI annotates the pull request."""
        where = f"{self.path}: " if self.path else ""
        msg = f"{where}{self.message}".replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return (
            f"::{self.severity} file={self.pos.file},line={self.pos.line},"
            f"col={self.pos.column}::{msg}"
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.pos.file,
            "line": self.pos.line,
            "column": self.pos.column,
            "severity": self.severity,
            "path": self.path,
            "message": self.message,
            "context": self.context,
        }


@dataclass
class Report:
    """An ordered, de-duplicated collection of diagnostics."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diag: Diagnostic) -> None:
        self.items.append(diag)

    def error(self, pos: Pos, message: str, path: str = "", context: str = "") -> None:
        self.items.append(Diagnostic(pos, message, "error", path, context))

    def warning(self, pos: Pos, message: str, path: str = "", context: str = "") -> None:
        self.items.append(Diagnostic(pos, message, "warning", path, context))

    def extend(self, diags: Iterable[Diagnostic]) -> None:
        self.items.extend(diags)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"]

    def sorted(self) -> list[Diagnostic]:
        seen: set[Diagnostic] = set()
        out = []
        order = sorted(self.items, key=lambda d: (d.pos, d.severity != "error", d.path, d.message))
        for d in order:
            if d not in seen:
                seen.add(d)
                out.append(d)
        return out


def render_json(diags: Iterable[Diagnostic], **extra: object) -> str:
    payload = {**extra, "diagnostics": [d.as_dict() for d in diags]}
    return json.dumps(payload, indent=2, sort_keys=False)
