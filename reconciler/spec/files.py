"""Finding and parsing the spec files of a tree.

A spec tree is a directory: every ``*.yaml``/``*.yml`` below it, hidden entries skipped.
Environments live in its ``environments/`` directory. Given a single file, sagectl reads the whole
tree the file belongs to (the directory holding the nearest ``environments/`` above it), because
the file's references and the environments' overrides may involve other files, and reports on
that file only (``focus``). Files that a spec names as auxiliary input (a pipeline definition) are
not spec documents.

Symlinks in the tree are followed, so a team can link in a shared directory of specs. Nothing the
walk meets may vanish silently, because a spec that is not read is a resource ``prune`` deletes:
a symlink loop, a dangling symlink, a directory that cannot be listed and a link to specs outside
the repository (``boundary``: git keeps only the link, so what it points to is not what was
reviewed; the rule for files that specs refer to) are errors at the link. Each directory and file
is read once, under its direct path where it has one (linked entries are followed after every
direct one). FIFOs, sockets and devices are never opened (reading a FIFO blocks): a warning names
them.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from reconciler.contract import Kind, Registry
from reconciler.diagnostics import Pos, Report
from reconciler.spec.nodes import MapNode, Node, ScalarNode, to_python
from reconciler.spec.yamlfile import parse_file
from reconciler.spec.yamlload import ParsedFile

ENV_DIR_NAME = "environments"
SPEC_SUFFIXES = (".yaml", ".yml")
_SPECIAL = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
            (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def display_path(path: Path) -> str:
    """A path as the user should see it: relative to the working directory when below it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def real_path(path: Path | str) -> Path:
    """``path`` with every symlink resolved; unlike ``Path.resolve`` (Python 3.11), a symlink
    loop does not raise (the looping part stays unresolved, so the path does not exist)."""
    return Path(os.path.realpath(path))


@dataclass
class RawDocument:
    file: str
    path: Path
    index: int
    node: Node


@dataclass
class SpecTree:
    kinds: Registry
    """The kinds the documents may be (handed to ``read_tree`` by the command line)."""
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
        """Whether diagnostics in ``file`` (a displayed path) are about another spec file.
        Compared as real paths: the focus may have been named through a symlink."""
        if self.focus is None:
            return False
        real = real_path(file)
        return real != real_path(self.focus) and real in self._real_spec_files

    @cached_property
    def _real_spec_files(self) -> frozenset[Path]:
        return frozenset(real_path(p) for p in self.spec_files)


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


def locate_env_dir(root: Path) -> Path | None:
    """The nearest ``environments/`` above ``root``, up to the repository root (else the working
    directory). The path as given is searched first, then its real path: a file in a symlinked
    directory belongs to the tree that links it in."""
    cwd = Path.cwd().resolve()
    for start in dict.fromkeys((Path(os.path.abspath(root)), real_path(root))):
        stop = repo_root(start) or (cwd if start.is_relative_to(cwd) else start)
        found = _find_env_dir(start, stop)
        if found is not None:
            return found
    return None


def _special(mode: int) -> str | None:
    return next((what for test, what in _SPECIAL if test(mode)), None)


def _follow(link: Path, boundary: Path | None, report: Report) -> os.stat_result | None:
    """What the symlink ``link`` points to; None (reported) if it loops, dangles or leaves the
    repository with a directory or spec file."""
    shown = display_path(link)
    try:
        st = os.stat(link)
    except OSError as err:
        if err.errno == errno.ELOOP:
            report.error(Pos(shown), "symlink loop: following this link never reaches a file or "
                                     "directory")
        elif err.errno in (errno.ENOENT, errno.ENOTDIR):
            report.error(Pos(shown), f"dangling symlink: its target {os.readlink(link)!r} does "
                                     "not exist, so whatever specs it held cannot be read")
        else:
            report.error(Pos(shown), f"cannot follow symlink: {err.strerror}")
        return None
    candidate = stat.S_ISDIR(st.st_mode) or (
        stat.S_ISREG(st.st_mode) and link.name.endswith(SPEC_SUFFIXES))
    if candidate and boundary is not None and not real_path(link).is_relative_to(boundary):
        report.error(Pos(shown), f"symlink to {display_path(real_path(link))}, which is outside "
                                 f"the repository ({display_path(boundary)}); specs must be "
                                 "inside it (git keeps only the link, not what it points to)")
        return None
    return st


def _listing(directory: Path, report: Report) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(directory) as entries:
            return sorted((e for e in entries if not e.name.startswith(".")),
                          key=lambda e: e.name)
    except OSError as err:
        report.error(Pos(display_path(directory)), f"cannot read directory: {err.strerror}")
        return []


def _spec_files(root: Path, env_dir: Path | None, boundary: Path, report: Report
                ) -> list[Path]:
    """Every spec file below ``root`` in ``os.walk`` order (a directory's files, then its
    subdirectories), then those reached only through symlinks; each real file once."""
    def ident(st: os.stat_result) -> tuple[int, int]:
        return st.st_dev, st.st_ino

    top = ident(os.stat(root))
    visited = {top} | ({ident(os.stat(env_dir))} if env_dir is not None else set())
    found: dict[Path, Path] = {}  # real path -> path as reached
    direct: list[tuple[Path, frozenset[tuple[int, int]]]] = [(root, frozenset({top}))]
    linked: list[tuple[Path, frozenset[tuple[int, int]]]] = []
    boundary = real_path(boundary)
    real_dirs: dict[Path, Path] = {}

    def real_file(path: Path, linked: bool) -> Path:
        """The real path of a spec file: a file that is not a link is where its directory
        really is (one ``realpath`` per directory, not one per file)."""
        if linked:
            return real_path(path)
        parent = path.parent
        if parent not in real_dirs:
            real_dirs[parent] = real_path(parent)
        return real_dirs[parent] / path.name

    def visit(path: Path, st: os.stat_result, ancestors: frozenset[tuple[int, int]],
              subdirs: list[tuple[Path, frozenset[tuple[int, int]]]], linked: bool) -> None:
        if stat.S_ISDIR(st.st_mode):
            if ident(st) in ancestors:
                report.error(Pos(display_path(path)), "symlink loop: it points to "
                             f"{display_path(real_path(path))}, a directory that contains it")
            elif ident(st) not in visited:
                visited.add(ident(st))
                subdirs.append((path, ancestors | {ident(st)}))
        elif stat.S_ISREG(st.st_mode):
            if path.name.endswith(SPEC_SUFFIXES):
                found.setdefault(real_file(path, linked), path)
        else:
            report.warning(Pos(display_path(path)), f"skipped: {_special(st.st_mode)}, not a "
                                                    "regular file (never read)")

    while direct or linked:
        if not direct:
            link, ancestors = linked.pop(0)
            st = _follow(link, boundary, report)
            if st is not None:
                visit(link, st, ancestors, direct, linked=True)
            continue
        directory, ancestors = direct.pop()
        subdirs: list[tuple[Path, frozenset[tuple[int, int]]]] = []
        for entry in _listing(directory, report):
            path = directory / entry.name
            if entry.is_symlink():
                linked.append((path, ancestors))
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as err:
                report.error(Pos(display_path(path)), f"cannot read: {err.strerror}")
                continue
            visit(path, st, ancestors, subdirs, linked=False)
        direct.extend(reversed(subdirs))
    return list(found.values())


def _env_files(env_dir: Path, boundary: Path | None, report: Report) -> list[Path]:
    """The environment files: regular ``*.yaml``/``*.yml`` directly in ``env_dir``."""
    files: list[Path] = []
    boundary = real_path(boundary) if boundary is not None else None
    for entry in _listing(env_dir, report):
        path = env_dir / entry.name
        try:
            st = (_follow(path, boundary, report) if entry.is_symlink()
                  else entry.stat(follow_symlinks=False))
        except OSError as err:
            report.error(Pos(display_path(path)), f"cannot read: {err.strerror}")
            continue
        if st is None or stat.S_ISDIR(st.st_mode):
            continue
        if not stat.S_ISREG(st.st_mode):
            report.warning(Pos(display_path(path)), f"skipped: {_special(st.st_mode)}, not a "
                                                    "regular file (never read)")
        elif entry.name.endswith(SPEC_SUFFIXES):
            files.append(path)
    return files


_NO_AUXILIARY = Kind.auxiliary_files.__func__  # type: ignore[attr-defined]


def _auxiliary(doc: RawDocument, kinds: Registry) -> list[Path]:
    node = doc.node
    if not isinstance(node, MapNode):
        return []
    kind = node.get("kind")
    spec = node.get("spec")
    if not isinstance(kind, ScalarNode) or not isinstance(kind.value, str) or spec is None:
        return []
    kind_cls = kinds.get(kind.value)
    if kind_cls is None or _NO_AUXILIARY is getattr(kind_cls.auxiliary_files, "__func__", None):
        return []  # the contract's default (no files): no need to convert the spec to ask
    return [real_path(doc.path.parent / rel) for rel in kind_cls.auxiliary_files(to_python(spec))]


def _missing(path: Path, tree: SpecTree) -> SpecTree:
    """The tree for a spec path that does not exist (or is a broken symlink)."""
    if path.is_symlink():
        _follow(path, None, tree.report)
    else:
        tree.report.error(Pos(display_path(path)), "no such file or directory")
    return tree


def read_tree(path: Path, kinds: Registry,
              on_kind: Callable[[str], None] | None = None) -> SpecTree:
    """Every spec document under ``path``, parsed (not validated). ``on_kind(kind)`` is told
    the ``kind`` of each document as soon as its file is parsed (a plan starts that kind's
    region-wide reads then: ``reconciler/plan/early.py``)."""
    path = Path(path)
    if not path.exists():
        return _missing(path, SpecTree(kinds, path, path, None))
    root = path if path.is_dir() else path.parent
    env_dir = locate_env_dir(root)
    repo = repo_root(real_path(root))
    if not path.is_dir() and env_dir is not None:
        root = Path(display_path(env_dir.parent))
    boundary = repo or real_path(root)
    tree = SpecTree(kinds, root, boundary, env_dir, focus=None if path.is_dir() else path)
    if env_dir is not None:
        _env_files(env_dir, boundary, tree.report)
    files = (_spec_files(root, env_dir, boundary, tree.report) if path.is_dir() or env_dir
             else [path])
    if tree.focus is not None and (kind := _special(os.stat(path).st_mode)):
        shown = display_path(path)
        tree.report.items = [d for d in tree.report.items if d.pos.file != shown]
        tree.report.error(Pos(shown), f"not a regular file ({kind}); sagectl does not read it")
        files = [f for f in files if f != path]
    elif tree.focus is not None and all(real_path(f) != real_path(path) for f in files):
        files.append(path)  # e.g. a file with another suffix, or inside a hidden directory
    parsed: list[ParsedFile] = []
    for file in files:
        parsed.append(parse_file(file, display_path(file)))
        for i, node in enumerate(parsed[-1].documents):
            tree.documents.append(RawDocument(parsed[-1].filename, file, i, node))
            if on_kind is not None and isinstance(node, MapNode) and isinstance(
                    kind := node.get("kind"), ScalarNode) and isinstance(kind.value, str):
                on_kind(kind.value)
    auxiliary = {aux for doc in tree.documents for aux in _auxiliary(doc, kinds)}
    if auxiliary:  # realpath is a system call per component: only when there is something
        tree.documents = [d for d in tree.documents if real_path(d.path) not in auxiliary]
    for file, result in zip(files, parsed, strict=True):
        if auxiliary and real_path(file) in auxiliary:
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
    """The environment files (read_tree reported what was skipped, and why)."""
    return [] if env_dir is None else _env_files(env_dir, None, Report())
