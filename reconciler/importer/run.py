"""``sagectl import`` as one stage: live AWS -> spec files -> (rehearsed) adoption.

1. read the endpoints and what they use (``live.py``); refuse early (nothing written) on an
   unknown, busy or already managed endpoint;
2. decide what becomes a new document and under which name (``naming.py``), build the documents
   (``documents.py``) and their YAML (``yamltext.py``), one file per endpoint;
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
from reconciler.diagnostics import Diagnostic
from reconciler.importer import yamltext
from reconciler.importer.adopt import Rehearsal, Tagging, adopt, rehearse
from reconciler.importer.documents import (
    AlarmRef,
    Document,
    alarm_document,
    endpoint_document,
    model_document,
)
from reconciler.importer.live import ImportRefused, LiveEndpoint, LiveEstate, read
from reconciler.importer.naming import Naming, Tree
from reconciler.plan.context import with_key
from reconciler.spec.load import load_specs
from reconciler.spec.resources import SpecSet


@dataclass
class ImportOptions:
    endpoints: list[str]
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
    endpoint: str
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


def _header(ep: LiveEndpoint, aws: Aws, account: str | None) -> list[str]:
    where = f"account {account}, {aws.region}" if account else aws.region
    return [f"Imported by `sagectl import` from endpoint {ep.name} (endpoint config "
            f"{ep.config.name}), {where}."]


def build_files(options: ImportOptions, estate: LiveEstate, tree: Tree
                ) -> tuple[list[SpecFile], Naming]:
    """The documents of each endpoint's file (nothing is written)."""
    naming = Naming(tree)
    for ep in estate.endpoints:
        naming.endpoint(ep.endpoint, ep.config)
    rollback = {ep.name: [naming.alarm(a, estate, rollback=True) for a in ep.rollback_alarms]
                for ep in estate.endpoints}
    metric = {ep.name: [naming.alarm(a, estate, rollback=False) for a in ep.metric_alarms]
              for ep in estate.endpoints}
    claimed: set[str] = set()
    files = []
    for ep in estate.endpoints:
        docs: list[Document] = []
        model_names = {}
        for variant in ep.variants():
            live = estate.models[variant["ModelName"]]
            choice = naming.model(live)
            model_names[live.name] = choice.name
            if choice.new and f"Model.{choice.name}" not in claimed:
                doc, warnings = model_document(live, choice.name)
                docs.append(doc)
                naming.warnings += warnings
                claimed.add(doc.address)
        refs = [AlarmRef(c.name, c.external) for c in rollback[ep.name] if c is not None]
        endpoint, warnings = endpoint_document(ep, model_names, refs)
        docs.append(endpoint)
        naming.warnings += warnings
        for choice in rollback[ep.name] + metric[ep.name]:
            if choice is None or not choice.new or f"Alarm.{choice.name}" in claimed:
                continue
            doc, warnings = alarm_document(estate.alarms[choice.name])
            docs.append(doc)
            naming.warnings += warnings
            claimed.add(doc.address)
        files.append(SpecFile(options.out / f"{ep.name}.yaml", ep.name, docs))
    return files, naming


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
    estate = read(aws, options.endpoints)
    rewritten = {(options.out / f"{n}.yaml").resolve() for n in options.endpoints}
    files, naming = build_files(options, estate, Tree.of(specs, rewritten))
    by_name = {ep.name: ep for ep in estate.endpoints}
    for f in files:
        f.text = yamltext.render([d.data() for d in f.documents],
                                 [d.comments for d in f.documents],
                                 _header(by_name[f.endpoint], aws, account))
    _check_existing(files, options.force)
    for f in files:
        if f.written:
            _write(f.path, f.text)
    result.files, result.warnings, result.notes = files, naming.warnings, naming.notes
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
