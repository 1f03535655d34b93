"""From a spec tree to validated resources for one environment.

    raw documents --${vars}--> envelope check --overrides--> pydantic --check()--> SpecSet

Nothing here raises on bad input: every problem is a diagnostic in the SpecSet's report, and a
resource is in ``resources`` only if it is fully valid.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from pydantic import ValidationError

from reconciler.contract import LoadedFile, Registry, SpecModel
from reconciler.diagnostics import Pos, Report
from reconciler.spec.auxiliary import build_auxiliary, load_auxiliary
from reconciler.spec.documents import (
    API_VERSION,
    ENVIRONMENT_KIND,
    ENVIRONMENT_NAME_HELP,
    document_model,
    environment_model,
    name_help,
)
from reconciler.spec.environments import Environment, Substituter, apply_overrides
from reconciler.spec.errors import describe, translate
from reconciler.spec.files import SpecTree, display_path, environment_files, real_path
from reconciler.spec.nodes import MapNode, Node, ScalarNode, format_path, locate, to_python
from reconciler.spec.nodes import Path as NodePath
from reconciler.spec.resources import Resource, SpecSet
from reconciler.spec.yamlfile import parse_file

# -- environments -----------------------------------------------------------------------------

def load_environments(tree: SpecTree, report: Report) -> dict[str, Environment]:
    envs: dict[str, Environment] = {}
    for path in environment_files(tree.env_dir):
        shown = display_path(path)
        parsed = parse_file(path, shown)
        report.extend(parsed.diagnostics)
        docs = [d for d in parsed.documents if not (isinstance(d, ScalarNode) and d.value is None)]
        if parsed.diagnostics:
            continue
        if len(docs) != 1:
            report.error(Pos(shown), f"an environment file holds exactly one Environment "
                                     f"document, found {len(docs)}")
            continue
        node = docs[0]
        model = environment_model()
        try:
            doc = model.model_validate(to_python(node))
        except ValidationError as err:
            report.extend(translate(err, node, model,
                                    {"metadata.name": ENVIRONMENT_NAME_HELP}))
            continue
        assert isinstance(node, MapNode)
        name = doc.metadata.name  # type: ignore[attr-defined]
        name_pos = locate(node, ("metadata", "name"))
        if name != path.stem:
            report.error(name_pos, f"environment {name!r} must be in a file named {name}.yaml "
                                   f"(this file is {path.name})", "metadata.name")
            continue
        reserved = set(doc.spec.variables) & {"env", "region", "accountId"}  # type: ignore[attr-defined]
        for var in sorted(reserved):
            report.error(locate(node, ("spec", "variables", var), key=True),
                         f"variable {var!r} is built in; set spec.region / spec.accountId, or "
                         "use another name", f"spec.variables.{var}")
        envs[name] = Environment(name, shown, name_pos, doc.spec, node)  # type: ignore[attr-defined]
    return envs


# -- one environment --------------------------------------------------------------------------

class _Context:
    """What a kind's check() may ask: other resources, and files next to the spec."""

    def __init__(self, env: str | None, index: dict[tuple[str, str], Resource | None],
                 tree: SpecTree, substituter: Substituter, report: Report,
                 environment: Environment | None = None) -> None:
        self.env = env
        self.region = environment.spec.region if environment else None
        self.account_id = environment.spec.account_id if environment else None
        self.index = index
        self.tree = tree
        self.substituter = substituter
        self.report = report
        self.resource: Resource | None = None

    def defines(self, kind: str, name: str) -> bool:
        return (kind, name) in self.index

    def names(self, kind: str) -> list[str]:
        return sorted(n for (k, n) in self.index if k == kind)

    def lookup(self, kind: str, name: str) -> SpecModel | None:
        res = self.index.get((kind, name))
        return res.spec if res is not None else None

    def load_file(self, relative: str, at: NodePath) -> LoadedFile | None:
        assert self.resource is not None
        res = self.resource
        pos = locate(res.node, at)
        base = Path(res.file).parent
        path = real_path(base / relative)  # Path.resolve raises on a symlink loop
        try:
            path.relative_to(self.tree.boundary.resolve())
        except ValueError:
            self.report.error(pos, f"{relative!r} is outside the repository "
                                   f"({display_path(self.tree.boundary)}); referenced files must "
                                   "be inside it", format_path(at))
            return None
        if not path.is_file():
            self.report.error(pos, f"file {relative!r} not found (looked for "
                                   f"{display_path(path)})", format_path(at))
            return None
        return load_auxiliary(path, self.substituter, self.report)

    def build(self, reference: str, at: NodePath) -> LoadedFile | None:
        assert self.resource is not None
        pos = locate(self.resource.node, at)
        return build_auxiliary(reference, pos, Path(self.resource.file).parent,
                               self.tree.boundary, self.substituter, self.report,
                               format_path(at))


def _same_name(ident: tuple[str, str], docs: dict[tuple[str, str], MapNode], kinds: Registry,
               folded: dict[tuple[str, str], tuple[str, str]]) -> tuple[str, str] | None:
    """The document ``ident`` duplicates, if any: the same kind and name, or a name that
    differs only in case where the kind's names ignore case (e.g. SageMaker endpoints).
    ``folded``: (kind, lower-case name) -> the first document so named, kept by the caller
    (a lookup, not a scan of every document: one scan each made this quadratic)."""
    if ident in docs:
        return ident
    kind = kinds.get(ident[0])
    if kind is None or kind.name_case_sensitive:
        return None
    return folded.get((ident[0], ident[1].lower()))


def _envelope(node: Node, report: Report, registry: Registry) -> tuple[str, str] | None:
    """(kind, name) if the document's envelope is usable; reports why not otherwise."""
    if not isinstance(node, MapNode):
        report.error(node.pos, "a sagectl document is a mapping with apiVersion, kind, metadata "
                               f"and spec; got {describe(to_python(node))}")
        return None
    ok = True
    api = node.get("apiVersion")
    if api is None:
        report.error(node.pos, f"missing `apiVersion: {API_VERSION}`", "apiVersion")
        ok = False
    elif not (isinstance(api, ScalarNode) and api.value == API_VERSION):
        report.error(api.pos, f"expected apiVersion {API_VERSION!r}, got "
                              f"{describe(to_python(api))}", "apiVersion")
        ok = False
    kind_node = node.get("kind")
    kinds = list(registry)
    kind: str | None = None
    if kind_node is None:
        report.error(node.pos, f"missing `kind` (one of {', '.join(kinds)})", "kind")
    elif not (isinstance(kind_node, ScalarNode) and isinstance(kind_node.value, str)):
        report.error(kind_node.pos, f"expected a kind ({', '.join(kinds)}), got "
                                    f"{describe(to_python(kind_node))}", "kind")
    elif kind_node.value == ENVIRONMENT_KIND:
        report.error(kind_node.pos, "Environment documents belong in the environments/ "
                                    "directory, not among the resource specs", "kind")
    elif kind_node.value not in registry:
        close = difflib.get_close_matches(kind_node.value, kinds, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        report.error(kind_node.pos, f"unknown kind {kind_node.value!r}: expected one of "
                                    f"{', '.join(kinds)}{hint}", "kind")
    else:
        kind = kind_node.value
    meta = node.get("metadata")
    name = meta.get("name") if isinstance(meta, MapNode) else None
    if not isinstance(meta, MapNode):
        report.error(meta.pos if meta else node.pos, "missing `metadata` with a `name`",
                     "metadata")
        return None
    if not (isinstance(name, ScalarNode) and isinstance(name.value, str) and name.value):
        where = name.pos if name is not None else meta.pos
        report.error(where, "missing `metadata.name` (a non-empty string)", "metadata.name")
        return None
    if kind is None or not ok:
        return None
    return kind, name.value


def resolve(tree: SpecTree, env: Environment | None, env_name: str | None = None) -> SpecSet:
    """Validate the tree's documents for one environment. ``env_name`` without ``env`` means the
    environment was asked for but does not exist (the caller reports that)."""
    result = SpecSet(tree.kinds, env.name if env else env_name, env)
    report = result.report
    variables = env.variables() if env else {}
    substituter = Substituter(variables, env.name if env else None,
                              env.file if env else None, report)

    docs: dict[tuple[str, str], MapNode] = {}
    files: dict[tuple[str, str], str] = {}
    folded: dict[tuple[str, str], tuple[str, str]] = {}
    for raw in tree.documents:
        if isinstance(raw.node, ScalarNode) and raw.node.value is None:
            continue  # an empty document (e.g. a trailing ---)
        node = substituter.node(raw.node)
        ident = _envelope(node, report, tree.kinds)
        if ident is None:
            continue
        assert isinstance(node, MapNode)
        same = _same_name(ident, docs, tree.kinds, folded)
        if same is not None:
            first = locate(docs[same], ("metadata", "name"))
            alike = "" if same == ident else \
                f" as {same[1]!r} (AWS ignores the case of {ident[0]} names)"
            report.error(locate(node, ("metadata", "name")),
                         f"duplicate {ident[0]} {ident[1]!r}: already defined{alike} at {first}",
                         "metadata.name")
            continue
        docs[ident] = node
        folded.setdefault((ident[0], ident[1].lower()), ident)
        files[ident] = raw.file

    if env is not None:
        docs = apply_overrides(env, docs, substituter.node, report, list(tree.kinds))

    index: dict[tuple[str, str], Resource | None] = {}
    for ident, node in docs.items():
        kind, name = ident
        model = document_model(tree.kinds[kind])
        index[ident] = None
        try:
            document = model.model_validate(to_python(node))
        except ValidationError as err:
            for diag in translate(err, node, model, {"metadata.name": name_help(tree.kinds[kind])}):
                if diag.pos in substituter.failed:
                    continue
                context = f"{kind} {name}" if diag.pos.file != files[ident] else ""
                report.error(diag.pos, diag.message, diag.path, context)
            continue
        resource = Resource(kind, name, files[ident], node, document)
        index[ident] = resource
        result.resources.append(resource)

    ctx = _Context(result.env_name, index, tree, substituter, report, env)
    for resource in result.resources:
        ctx.resource = resource
        for issue in tree.kinds[resource.kind].check(resource.name, resource.spec, ctx):
            pos = issue.pos or locate(resource.node, issue.path, key=issue.key)
            context = f"{resource.kind} {resource.name}" if pos.file != resource.file else ""
            diag_path = format_path(issue.path)  # in the referenced file when issue.pos
            if issue.severity == "warning":
                report.warning(pos, issue.message, diag_path, context)
            else:
                report.error(pos, issue.message, diag_path, context)
    if not result.resources and not report.errors and tree.spec_files:
        report.error(Pos(display_path(tree.root)), "no resources defined")
    return result
