"""``sagectl import`` as one stage: live AWS -> spec files -> (rehearsed) adoption.

1-2. the import root kind (``Kind.import_root``: endpoints) reads the resources named and what
   they use, refusing early (nothing written) on an unknown, busy or already managed one, and
   decides with the kinds of what they use what becomes a new document and under which name
   (``Kind.import_files``, in the ``ImportContext`` of ``naming.py``); the documents' YAML
   (``yamltext.py``), one file per named resource;
3. refuse existing files that would change (unless ``force``), then write;
4. load the spec tree for the environment with the new files: it must be valid;
5. rehearse adoption (``adopt.py``) and, with ``adopt``, tag.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.apply.state import StateTable
from reconciler.aws import Aws
from reconciler.contract import Kind
from reconciler.diagnostics import Diagnostic
from reconciler.importer import yamltext
from reconciler.importer.adopt import Rehearsal, Tagging, adopt, rehearse
from reconciler.importer.documents import Document
from reconciler.importer.live import ImportRefused
from reconciler.importer.naming import ImportContext, Tree
from reconciler.plan.context import with_key
from reconciler.spec.load import load_specs
from reconciler.spec.resources import SpecSet


@dataclass
class ImportOptions:
    names: list[str]
    """Resources of the import root kind (endpoints)."""
    path: Path
    """The spec tree (its root is the root of spec paths, as for plan and apply)."""
    out: Path
    """Directory of the written files, inside ``path``."""
    env: str | None
    adopt: bool = False
    force: bool = False


@dataclass
class SpecFile:
    path: Path
    name: str
    origin: str
    """What it was imported from (for its header)."""
    documents: list[Document]
    text: str = ""
    written: bool = False
    """False when the file already had exactly this text."""


@dataclass
class ImportResult:
    files: list[SpecFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    """Errors of the spec tree with the written files (then nothing is adopted)."""
    rehearsal: Rehearsal | None = None
    adopted: list[Tagging] = field(default_factory=list)

    @property
    def documents(self) -> list[Document]:
        return [d for f in self.files for d in f.documents]


def _header(origin: str, aws: Aws, account: str | None) -> list[str]:
    where = f"account {account}, {aws.region}" if account else aws.region
    return [f"Imported by `sagectl import` from {origin}, {where}."]


def import_root(specs: SpecSet) -> type[Kind]:
    """The kind ``sagectl import NAME...`` names resources of."""
    (root,) = [k for k in specs.kinds.ordered() if k.import_root]
    return root


def build_files(options: ImportOptions, ictx: ImportContext, root: type[Kind]
                ) -> list[SpecFile]:
    """The documents of each named resource's file (nothing is written)."""
    return [SpecFile(options.out / f"{unit.name}.yaml", unit.name, unit.origin, unit.documents)
            for unit in root.import_files(ictx, options.names)]


def _check_existing(files: list[SpecFile], force: bool) -> None:
    for f in files:
        if not f.path.exists():
            f.written = True
            continue
        same = f.path.read_text(encoding="utf-8") == f.text
        if not same and not force:
            raise ImportRefused(f"{f.path} exists and differs from what the import would write "
                                "(use --force to overwrite it)")
        f.written = not same


def _write(path: Path, text: str) -> None:
    """Atomically: a reader sees the old file or the new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_import(options: ImportOptions, specs: SpecSet, aws: Aws, account: str | None
               ) -> ImportResult:
    """``specs``: the tree for the environment before the import (for names and references)."""
    result = ImportResult()
    rewritten = {(options.out / f"{n}.yaml").resolve() for n in options.names}
    ictx = ImportContext(aws, specs.kinds, Tree.of(specs, rewritten))
    files = build_files(options, ictx, import_root(specs))
    for f in files:
        f.text = yamltext.render([d.data() for d in f.documents],
                                 [d.comments for d in f.documents],
                                 _header(f.origin, aws, account))
    _check_existing(files, options.force)
    for f in files:
        if f.written:
            _write(f.path, f.text)
    result.files, result.warnings, result.notes = files, ictx.warnings, ictx.notes
    after = load_specs(options.path, specs.kinds, options.env)
    if not after.ok:
        result.diagnostics = after.report.errors
        return result
    # adoption tags digests that may be keyed: with the environment's key, created if missing
    keyed = with_key(StateTable(aws), after.env_name, None) if options.adopt else None
    result.rehearsal = rehearse(after, aws, options.path.resolve(), account, result.documents,
                                keyed)
    if options.adopt and result.rehearsal.clean:
        result.adopted = adopt(aws, result.rehearsal.taggings)
    return result
