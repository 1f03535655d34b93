"""Finding and parsing the spec files of a tree.

A spec tree is a directory: every ``*.yaml``/``*.yml`` below it, hidden directories skipped.
Environments live in its ``environments/`` directory. Given a single file, sagectl reads the whole
tree the file belongs to (the directory holding the nearest ``environments/`` above it), because
the file's references and the environments' overrides may involve other files, and reports on
that file only (``focus``). Files that a spec names as auxiliary input (a pipeline definition) are
not spec documents.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.diagnostics import Pos, Report
from reconciler.kinds import KINDS
from reconciler.spec.nodes import MapNode, Node, ScalarNode, to_python
from reconciler.spec.yamlload import ParsedFile, parse_file

ENV_DIR_NAME = "environments"
SPEC_SUFFIXES = (".yaml", ".yml")


def display_path(path: Path) -> str:
    """A path as the user should see it: relative to the working directory when below it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


@dataclass
class RawDocument:
    file: str
    path: Path
    index: int
    node: Node


@dataclass
class SpecTree:
    root: Path
    """The directory specs are read from (for a single file: its directory)."""
    boundary: Path
    """Files a spec refers to must be inside this directory (the repository, else the root)."""
    env_dir: Path | None
    spec_files: list[Path] = field(default_factory=list)
    documents: list[RawDocument] = field(default_factory=list)
    report: Report = field(default_factory=Report)
    focus: Path | None = None
    """When a single file was asked for: only its resources and problems are reported."""

    def outside_focus(self, file: str) -> bool:
        """Whether diagnostics in ``file`` (a displayed path) are about another spec file."""
        if self.focus is None:
            return False
        shown = display_path(self.focus)
        return file != shown and file in {display_path(p) for p in self.spec_files}


def repo_root(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return None


def _find_env_dir(root: Path, boundary: Path) -> Path | None:
    for directory in (root, *root.parents):
        candidate = directory / ENV_DIR_NAME
        if candidate.is_dir():
            return candidate
        if directory == boundary:
            break
    return None


def _spec_files(root: Path, env_dir: Path | None) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                             and (env_dir is None or (here / d).resolve() != env_dir.resolve()))
        found += [here / f for f in sorted(filenames)
                  if f.endswith(SPEC_SUFFIXES) and not f.startswith(".")]
    return found


def _auxiliary(doc: RawDocument) -> list[Path]:
    node = doc.node
    if not isinstance(node, MapNode):
        return []
    kind = node.get("kind")
    spec = node.get("spec")
    if not isinstance(kind, ScalarNode) or not isinstance(kind.value, str) or spec is None:
        return []
    kind_cls = KINDS.get(kind.value)
    if kind_cls is None:
        return []
    return [(doc.path.parent / rel).resolve() for rel in kind_cls.auxiliary_files(to_python(spec))]


def read_tree(path: Path) -> SpecTree:
    path = Path(path)
    if not path.exists():
        tree = SpecTree(path, path, None)
        tree.report.error(Pos(display_path(path)), "no such file or directory")
        return tree
    root = path if path.is_dir() else path.parent
    resolved, cwd = root.resolve(), Path.cwd().resolve()
    repo = repo_root(resolved)
    # Look for environments/ up to the repository root, else up to the working directory.
    stop = repo or (cwd if resolved.is_relative_to(cwd) else resolved)
    env_dir = _find_env_dir(resolved, stop)
    if not path.is_dir() and env_dir is not None:
        root = Path(display_path(env_dir.parent))
    boundary = repo or root.resolve()
    tree = SpecTree(root, boundary, env_dir, focus=None if path.is_dir() else path)
    files = _spec_files(root, env_dir) if path.is_dir() or env_dir else [path]
    if tree.focus is not None and all(f.resolve() != path.resolve() for f in files):
        files.append(path)  # e.g. a file with another suffix, or inside a hidden directory
    parsed: list[ParsedFile] = []
    for file in files:
        parsed.append(parse_file(file, display_path(file)))
        for i, node in enumerate(parsed[-1].documents):
            tree.documents.append(RawDocument(parsed[-1].filename, file, i, node))
    auxiliary = {aux for doc in tree.documents for aux in _auxiliary(doc)}
    tree.documents = [d for d in tree.documents if d.path.resolve() not in auxiliary]
    for file, result in zip(files, parsed, strict=True):
        if file.resolve() in auxiliary:
            continue
        tree.spec_files.append(file)
        tree.report.extend(result.diagnostics)
        if not result.diagnostics and not any(
                not (isinstance(d, ScalarNode) and d.value is None) for d in result.documents):
            tree.report.warning(Pos(result.filename), "file has no documents")
    if path.is_dir() and not tree.spec_files:
        tree.report.error(Pos(display_path(path)), "no spec files (*.yaml, *.yml) in this "
                                                   "directory")
    return tree


def environment_files(env_dir: Path | None) -> list[Path]:
    if env_dir is None:
        return []
    return sorted(p for p in env_dir.iterdir()
                  if p.suffix in SPEC_SUFFIXES and p.is_file() and not p.name.startswith("."))
