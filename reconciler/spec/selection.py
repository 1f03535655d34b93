"""Which environments a command covers: ``--env`` is one name (as always), a comma list
(``dev,staging``) or shell-style patterns (``'prod-*'``, ``'*'``, matched with ``fnmatch``
against the names the tree defines), and in which stages an apply over several takes them.

A plain name (no comma, no ``*?[``) is left to ``load_specs``, which reports an unknown one as it
always has; a list or pattern that names one environment behaves exactly like that name. An
item of a list that names nothing is an error that lists the environments defined."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.contract import Registry
from reconciler.diagnostics import Report
from reconciler.gcpause import without_gc
from reconciler.spec.environments import Environment
from reconciler.spec.files import read_tree
from reconciler.spec.resolve import load_environments

_PATTERN_CHARS = "*?["


def is_selection(expression: str | None) -> bool:
    """True when ``--env`` is a list or a pattern rather than one plain name."""
    return bool(expression) and ("," in str(expression)
                                 or any(c in str(expression) for c in _PATTERN_CHARS))


@dataclass
class Selection:
    names: list[str] = field(default_factory=list)
    """The environments chosen, in the tree's order (by name), each once."""
    environments: dict[str, Environment] = field(default_factory=dict)
    """Every environment of the tree (those that load without errors)."""
    report: Report = field(default_factory=Report)
    """Problems of the environment files (located)."""
    error: str | None = None
    """Why nothing can be chosen (an item that names nothing), or None."""


def _defined(envs: dict[str, Environment]) -> str:
    return ", ".join(f"{e.name} ({e.name_pos})" for e in envs.values()) or "none"


@without_gc
def select(path: str | Path, kinds: Registry, expression: str) -> Selection:
    """The environments ``expression`` (a comma list of names and patterns) names."""
    report = Report()
    envs = load_environments(read_tree(Path(path), kinds), report)
    envs = dict(sorted(envs.items()))
    chosen: set[str] = set()
    for item in (part.strip() for part in expression.split(",")):
        if not item:
            return Selection([], envs, report, f"--env {expression!r} has an empty item: "
                                               "write names or patterns separated by commas")
        found = [n for n in envs if fnmatch.fnmatchcase(n, item)]
        if not found:
            what = "pattern" if any(c in item for c in _PATTERN_CHARS) else "environment"
            return Selection([], envs, report,
                             f"--env: the {what} {item!r} matches no environment; "
                             f"defined: {_defined(envs)}")
        chosen.update(found)
    return Selection([n for n in envs if n in chosen], envs, report)


def stages(envs: list[Environment]) -> tuple[list[list[str]], list[str]]:
    """(the environments by stage, lowest first; problems): every environment of an apply over
    several must declare ``spec.stage``, each problem is located at its file."""
    missing = [f"{e.name_pos}: error: environment {e.name!r} has no spec.stage: an apply of "
               "several environments applies them stage by stage (stage 1 first), so each "
               "declares its stage" for e in envs if e.spec.stage is None]
    if missing:
        return [], missing
    order = sorted({e.spec.stage for e in envs if e.spec.stage is not None})
    return [[e.name for e in envs if e.spec.stage == s] for s in order], []
