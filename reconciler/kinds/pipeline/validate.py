"""Checks of a pipeline definition that need no AWS call.

What SageMaker would refuse at CreatePipeline, or worse, hours into an execution: a definition
without Version/Steps, duplicate step names, a ``Get: Steps.X...`` or ``DependsOn`` naming a step
that does not exist, a property file no step declares, a ``Get: Parameters.X`` that is not
declared, pipeline parameters the spec sets that the definition does not declare, and a
definition over 1 MiB without an S3 location to go through.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from reconciler.contract import Issue
from reconciler.spec.nodes import Path

MAX_DEFINITION_BYTES = 1024 * 1024
_STEP_REF = re.compile(r"^Steps\.([^.\[]+)(?:\.PropertyFiles\.([^.\[]+))?")
_PARAM_REF = re.compile(r"^Parameters\.([^.\[]+)")


def step_list(steps: Any, at: Path) -> Iterator[tuple[dict[str, Any], Path]]:
    """Every step with its path, including steps nested in a Condition step's branches."""
    if not isinstance(steps, list):
        return
    for i, step in enumerate(steps):
        if not isinstance(step, dict):
            continue
        yield step, (*at, i)
        args = step.get("Arguments")
        if step.get("Type") == "Condition" and isinstance(args, dict):
            for branch in ("IfSteps", "ElseSteps"):
                yield from step_list(args.get(branch), (*at, i, "Arguments", branch))


def definition_size(defn: Any) -> int:
    return len(json.dumps(defn, separators=(",", ":"), ensure_ascii=False).encode())


def _references(value: Any, at: Path) -> Iterator[tuple[str, Path]]:
    """Every ``{"Get": "..."}`` expression with its path."""
    if isinstance(value, dict):
        get = value.get("Get")
        if isinstance(get, str):
            yield get, (*at, "Get")
        for key, item in value.items():
            if key != "Get":
                yield from _references(item, (*at, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _references(item, (*at, i))


def _known(names: set[str]) -> str:
    return ", ".join(sorted(names)) or "none"


def check_definition(defn: Any, at: Path, parameters: list[tuple[dict[str, Any], Path]],
                     via_s3: bool = False,
                     sensitive: tuple[list[str], Path] | None = None) -> Iterator[Issue]:
    """Structural checks; ``at`` is where the definition starts (``()`` for a file).
    ``parameters``: the values the spec sets for executions, with where each set is;
    ``sensitive``: the names of ``sensitiveParameters``, and where the list is."""
    if not isinstance(defn, dict):
        yield Issue(at, "a pipeline definition is a mapping with `Version` and `Steps`")
        return
    if not isinstance(defn.get("Version"), str):
        yield Issue(at, "the definition needs `Version` (e.g. \"2020-12-01\")")
    steps = defn.get("Steps")
    if not isinstance(steps, list) or not steps:
        yield Issue((*at, "Steps") if "Steps" in defn else at,
                    "the definition needs `Steps`: a non-empty list of steps")
        steps = []
    for i, step in enumerate(steps):
        if not isinstance(step, dict) or not isinstance(step.get("Name"), str) \
                or not isinstance(step.get("Type"), str):
            yield Issue((*at, "Steps", i), "each step needs a `Name` and a `Type`")
    all_steps = list(step_list(steps, (*at, "Steps")))
    property_files: dict[str, set[str]] = {}
    for step, path in all_steps:
        name = step.get("Name")
        if not isinstance(name, str):
            continue
        if name in property_files:
            yield Issue((*path, "Name"), f"duplicate step name {name!r}")
            continue
        files = step.get("PropertyFiles")
        property_files[name] = {f.get("PropertyFileName") for f in files
                                if isinstance(f, dict)} if isinstance(files, list) else set()
    declared = yield from _declared_parameters(defn, at)
    for step, path in all_steps:
        depends = step.get("DependsOn")
        if isinstance(depends, list):
            for j, other in enumerate(depends):
                if other not in property_files:
                    yield Issue((*path, "DependsOn", j),
                                f"step {step.get('Name')!r} depends on {other!r}, which is not a "
                                f"step of this pipeline (steps: {_known(set(property_files))})")
    for ref, path in _references(defn, at):
        step_ref = _STEP_REF.match(ref)
        if step_ref:
            name, prop_file = step_ref.groups()
            if name not in property_files:
                yield Issue(path, f"{ref!r} refers to step {name!r}, which does not exist "
                                  f"(steps: {_known(set(property_files))})")
            elif prop_file is not None and prop_file not in property_files[name]:
                yield Issue(path, f"{ref!r} refers to property file {prop_file!r}, which step "
                                  f"{name!r} does not declare (its PropertyFiles: "
                                  f"{_known(property_files[name])})")
            continue
        param_ref = _PARAM_REF.match(ref)
        if param_ref and param_ref.group(1) not in declared:
            yield Issue(path, f"{ref!r} refers to parameter {param_ref.group(1)!r}, which the "
                              f"definition's Parameters do not declare (declared: "
                              f"{_known(declared)})")
    for values, params_at in parameters:
        for name in values:
            if name in declared:
                continue
            yield Issue((*params_at, name), f"parameter {name!r} is not declared in the "
                                        f"definition's Parameters (declared: "
                                        f"{_known(declared)})")
    names, names_at = sensitive or ([], ())
    for i, name in enumerate(names):
        if name not in declared:
            yield Issue((*names_at, i), f"sensitive parameter {name!r} is not declared in the "
                                        f"definition's Parameters (declared: {_known(declared)})")
    size = definition_size(defn)
    if size > MAX_DEFINITION_BYTES and not via_s3:
        yield Issue(at, f"the definition is {size:,} bytes; SageMaker accepts at most "
                        f"{MAX_DEFINITION_BYTES:,} inline: set `pipelineDefinitionS3Bucket` so "
                        "sagectl uploads it and creates the pipeline from S3")


def _declared_parameters(defn: dict[str, Any], at: Path) -> Iterator[Issue]:
    """Yields issues about ``Parameters``; returns the declared names (use ``yield from``)."""
    declared: set[str] = set()
    params = defn.get("Parameters", [])
    if not isinstance(params, list):
        yield Issue((*at, "Parameters"), "`Parameters` is a list of {Name, Type, DefaultValue}")
        return declared
    for i, param in enumerate(params):
        if not isinstance(param, dict) or not isinstance(param.get("Name"), str):
            yield Issue((*at, "Parameters", i), "each parameter needs a `Name`")
            continue
        if param["Name"] in declared:
            yield Issue((*at, "Parameters", i, "Name"), f"duplicate parameter {param['Name']!r}")
        declared.add(param["Name"])
    return declared
