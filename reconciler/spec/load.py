"""Entry points of the spec stage: load the desired state for an environment, or validate a tree
for every environment it defines."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.contract import Registry
from reconciler.diagnostics import Diagnostic, Pos, Report
from reconciler.gcpause import without_gc
from reconciler.spec.environments import Environment
from reconciler.spec.files import (
    ENV_DIR_NAME,
    SpecTree,
    display_path,
    locate_env_dir,
    read_tree,
)
from reconciler.spec.resolve import load_environments, resolve
from reconciler.spec.resources import SpecSet


def _unknown_env(tree: SpecTree, name: str, envs: dict[str, Environment], report: Report) -> None:
    if tree.env_dir is None:
        where = display_path(tree.root / ENV_DIR_NAME)
        report.error(Pos(where), f"unknown environment {name!r}: there is no {ENV_DIR_NAME}/ "
                                 f"directory (expected {where}/{name}.yaml)")
        return
    defined = ", ".join(f"{e.name} ({e.name_pos})" for e in envs.values()) or "none"
    close = difflib.get_close_matches(name, list(envs), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    report.error(Pos(display_path(tree.env_dir)), f"unknown environment {name!r}{hint}; defined: "
                                                  f"{defined}")


def _focus(tree: SpecTree, result: SpecSet) -> SpecSet:
    """Keep what concerns the file that was asked for (see files.py)."""
    if tree.focus is None:
        return result
    focus = tree.focus.resolve()
    mine = {f"{r.kind} {r.name}" for r in result.resources if Path(r.file).resolve() == focus}
    theirs = {f"{r.kind} {r.name}" for r in result.resources} - mine

    def concerns_focus(diag: Diagnostic) -> bool:
        owner = diag.context.split(";")[0]
        if owner in theirs:
            return False
        return owner in mine or not tree.outside_focus(diag.pos.file)

    kept = [r for r in result.resources if f"{r.kind} {r.name}" in mine]
    diags = [d for d in result.report.items if concerns_focus(d)]
    return SpecSet(result.kinds, result.env_name, result.environment, kept, Report(diags))


@without_gc
def environment_names(path: str | Path, kinds: Registry) -> list[str]:
    """The environments a spec tree defines (those that load without errors)."""
    tree = read_tree(Path(path), kinds)
    return sorted(load_environments(tree, Report()))


@without_gc
def load_environment(path: str | Path, kinds: Registry, env: str) -> Environment | None:
    """Environment ``env`` of the spec tree at ``path``, reading only the environment files
    (each is parsed once a process: ``load_specs`` then finds it parsed); None when the tree
    has no such environment or its files have errors (``load_specs`` reports them)."""
    path = Path(path)
    root = path if path.is_dir() else path.parent
    report = Report()
    envs = load_environments(SpecTree(kinds, root, root, locate_env_dir(root)), report)
    return None if report.errors else envs.get(env)


@without_gc
def load_specs(path: str | Path, kinds: Registry, env: str | None = None,
               on_kind: Callable[[str], None] | None = None) -> SpecSet:
    """The desired state of one environment, validated against ``kinds``. Check ``.ok`` before
    acting on it. ``on_kind``: see ``read_tree``."""
    tree = read_tree(Path(path), kinds, on_kind)
    env_report = Report()
    envs = load_environments(tree, env_report)
    if env is not None and env not in envs:
        result = SpecSet(kinds, env, None)
        result.report.extend(tree.report.items + env_report.items)
        if not env_report.errors:
            _unknown_env(tree, env, envs, result.report)
    else:
        result = resolve(tree, envs.get(env) if env else None, env)
        result.report.items[:0] = tree.report.items + env_report.items
        result = _focus(tree, result)
    result.environments = sorted(envs)
    return result


@dataclass
class Validation:
    """The outcome of validating a tree for one or all of its environments."""

    environments: list[str]
    results: list[SpecSet]
    shared: Report = field(default_factory=Report)
    """Problems independent of the environment (YAML syntax, environment files)."""

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Every diagnostic once; one that occurs in some environments only says which."""
        seen: dict[Diagnostic, list[str]] = {}
        for result in self.results:
            for diag in result.report.items:
                seen.setdefault(diag, []).append(result.env_name or "")
        merged = Report(list(self.shared.items))
        for diag, envs in seen.items():
            if len(self.results) > 1 and len(envs) < len(self.results):
                note = f"environment{'s' if len(envs) > 1 else ''} {', '.join(envs)}"
                ctx = f"{diag.context}; {note}" if diag.context else note
                diag = Diagnostic(diag.pos, diag.message, diag.severity, diag.path, ctx)
            merged.add(diag)
        return merged.sorted()

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for result in self.results:
            counts: dict[str, int] = {}
            for res in result.resources:
                counts[res.kind] = counts.get(res.kind, 0) + 1
            out[result.env_name or "(no environment)"] = dict(sorted(counts.items()))
        return out


@without_gc
def validate(path: str | Path, kinds: Registry, env: str | None = None) -> Validation:
    """Validate for ``env``, or for every environment of the tree when ``env`` is None."""
    tree = read_tree(Path(path), kinds)
    shared = Report([d for d in tree.report.items if not tree.outside_focus(d.pos.file)])
    envs = load_environments(tree, shared)
    names: Iterable[str | None]
    if env is not None:
        if env not in envs:
            if not shared.errors:
                _unknown_env(tree, env, envs, shared)
            return Validation([env], [], shared)
        names = [env]
    else:
        names = list(envs) or [None]
    results = [_focus(tree, resolve(tree, envs.get(n) if n else None, n)) for n in names]
    return Validation([n for n in names if n], results, shared)
