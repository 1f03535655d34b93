"""Files a spec refers to (a pipeline definition): parsed with positions, ``${var}`` substituted.
Used by validation (errors located in the file) and by planning (the definition to deploy)."""

from __future__ import annotations

from pathlib import Path

from reconciler.contract import LoadedFile
from reconciler.diagnostics import Pos, Report
from reconciler.spec.builders import BuilderError, run_builder, to_nodes
from reconciler.spec.environments import Substituter
from reconciler.spec.files import display_path, repo_root
from reconciler.spec.nodes import to_python
from reconciler.spec.resources import Resource, SpecSet
from reconciler.spec.yamlfile import parse_file


def load_auxiliary(path: Path, substituter: Substituter, report: Report) -> LoadedFile | None:
    parsed = parse_file(path, display_path(path))
    report.extend(parsed.diagnostics)
    if parsed.diagnostics:
        return None
    if len(parsed.documents) != 1:
        report.error(Pos(parsed.filename), "expected exactly one document, found "
                                           f"{len(parsed.documents)}")
        return None
    node = substituter.node(parsed.documents[0])
    return LoadedFile(parsed.filename, to_python(node), node)


def _substituter(specs: SpecSet, report: Report) -> Substituter:
    env = specs.environment
    return Substituter(env.variables() if env else {}, specs.env_name,
                       env.file if env else None, report)


def load_for(specs: SpecSet, resource: Resource, relative: str) -> LoadedFile | None:
    """The file ``relative`` to ``resource``'s spec, substituted for ``specs``' environment."""
    report = Report()
    substituter = _substituter(specs, report)
    loaded = load_auxiliary((Path(resource.file).parent / relative).resolve(), substituter,
                            report)
    return None if report.errors else loaded


def build_auxiliary(reference: str, pos: Pos, spec_dir: Path, repo_root: Path,
                    substituter: Substituter, report: Report, field: str = ""
                    ) -> LoadedFile | None:
    """Run the builder ``reference`` (see ``reconciler.spec.builders``) for the substituter's
    environment; its data is positioned at ``pos`` and ``${var}``-substituted."""
    variables = substituter.variables
    context = {"environment": substituter.env, "region": variables.get("region"),
               "accountId": variables.get("accountId"), "variables": dict(variables)}
    try:
        data = run_builder(reference, [spec_dir, repo_root], context)
    except BuilderError as err:
        report.error(pos, str(err), field)
        return None
    node = substituter.node(to_nodes(data, pos))
    return LoadedFile(reference, to_python(node), node)


def build_for(specs: SpecSet, resource: Resource, reference: str) -> LoadedFile | None:
    """The builder's data for ``resource`` in ``specs``' environment (None if it fails: validation
    reported why)."""
    report = Report()
    substituter = _substituter(specs, report)
    spec_dir = Path(resource.file).parent
    root = repo_root(spec_dir.resolve()) or spec_dir
    built = build_auxiliary(reference, Pos(resource.file), spec_dir, root, substituter, report)
    return None if report.errors else built
