"""The ``Pipeline`` kind: a SageMaker pipeline (CreatePipeline / UpdatePipeline).

The definition is the pipeline definition JSON (what the SageMaker SDK's ``pipeline.definition()``
produces), written inline as YAML or kept in a JSON/YAML file next to the spec.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import Field, PlainValidator, StringConstraints, WithJsonSchema

from reconciler.diagnostics import Pos
from reconciler.kinds._base import (
    CheckContext,
    Issue,
    RoleArn,
    SpecModel,
    Tags,
    check_tags,
)
from reconciler.spec.nodes import Node, Path, locate

MAX_DEFINITION_BYTES = 1024 * 1024
PIPELINE_NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$"


def _scalar(value: Any) -> str | int | float | bool:
    if isinstance(value, str | int | float | bool):
        return value
    raise ValueError("expected a string, number or boolean")


ParameterValue = Annotated[
    str | int | float | bool,
    PlainValidator(_scalar),
    WithJsonSchema({"type": ["string", "number", "boolean"]}),
]


class ParallelismConfiguration(SpecModel):
    max_parallel_execution_steps: Annotated[int, Field(ge=1)]


class PipelineSpec(SpecModel):
    """A SageMaker pipeline. Give the definition inline (`pipelineDefinition`) or as a file
    (`pipelineDefinitionFile`)."""

    pipeline_display_name: Annotated[str, StringConstraints(
        min_length=1, max_length=256, pattern=PIPELINE_NAME_PATTERN)] | None = None
    pipeline_description: Annotated[str, StringConstraints(max_length=3072)] | None = None
    role_arn: RoleArn
    """IAM role the pipeline's steps run with."""
    pipeline_definition: dict[str, Any] | None = None
    """The pipeline definition (Version, Parameters, Steps, ...) as YAML."""
    pipeline_definition_file: Annotated[str, StringConstraints(min_length=1)] | None = None
    """Path of a JSON or YAML definition file, relative to this spec file."""
    parameters: dict[str, ParameterValue] = {}
    """Values for the definition's parameters when sagectl starts an execution. Each name must be
    declared in the definition's `Parameters`."""
    parallelism_configuration: ParallelismConfiguration | None = None
    tags: Tags = {}

    def check(self, ctx: CheckContext, at: Path) -> Iterator[Issue]:
        inline, file = self.pipeline_definition, self.pipeline_definition_file
        if (inline is None) == (file is None):
            yield Issue(at, "set exactly one of `pipelineDefinition` (inline) and "
                            "`pipelineDefinitionFile`")
        elif inline is not None:
            yield from check_definition(inline, (*at, "pipelineDefinition"), self.parameters,
                                        (*at, "parameters"))
        elif file is not None:
            loaded = ctx.load_file(file, (*at, "pipelineDefinitionFile"))
            if loaded is not None:
                for issue in check_definition(loaded.value, (), self.parameters,
                                              (*at, "parameters")):
                    yield _in_file(issue, loaded.node)
        yield from check_tags(self.tags, (*at, "tags"))


def _in_file(issue: Issue, root: Node) -> Issue:
    """Re-home an issue whose path is inside a definition file."""
    if issue.path and issue.path[0] == "spec":
        return issue  # about the spec itself (e.g. `parameters`)
    pos: Pos = locate(root, issue.path)
    return Issue(issue.path, issue.message, issue.severity, pos)


def _step_names(steps: Any, at: Path) -> Iterator[tuple[str, Path]]:
    """Every step name, including steps nested in a Condition step's If/Else branches."""
    if not isinstance(steps, list):
        return
    for i, step in enumerate(steps):
        if not isinstance(step, dict):
            continue
        if isinstance(step.get("Name"), str):
            yield step["Name"], (*at, i, "Name")
        args = step.get("Arguments")
        if step.get("Type") == "Condition" and isinstance(args, dict):
            for branch in ("IfSteps", "ElseSteps"):
                yield from _step_names(args.get(branch), (*at, i, "Arguments", branch))


def check_definition(defn: Any, at: Path, parameters: dict[str, Any],
                     params_at: Path) -> Iterator[Issue]:
    """Structural checks of a pipeline definition that need no AWS call."""
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
    seen: dict[str, Path] = {}
    for name, path in _step_names(steps, (*at, "Steps")):
        if name in seen:
            yield Issue(path, f"duplicate step name {name!r}")
        else:
            seen[name] = path
    declared: set[str] = set()
    params = defn.get("Parameters", [])
    if not isinstance(params, list):
        yield Issue((*at, "Parameters"), "`Parameters` is a list of {Name, Type, DefaultValue}")
        params = []
    for i, param in enumerate(params):
        if not isinstance(param, dict) or not isinstance(param.get("Name"), str):
            yield Issue((*at, "Parameters", i), "each parameter needs a `Name`")
            continue
        if param["Name"] in declared:
            yield Issue((*at, "Parameters", i, "Name"), f"duplicate parameter {param['Name']!r}")
        declared.add(param["Name"])
    for name in parameters:
        if name not in declared:
            known = ", ".join(sorted(declared)) or "none"
            yield Issue((*params_at, name), f"parameter {name!r} is not declared in the "
                                            f"definition's Parameters (declared: {known})")
    size = len(json.dumps(defn, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_DEFINITION_BYTES:
        yield Issue(at, f"the definition is {size:,} bytes; SageMaker accepts at most "
                        f"{MAX_DEFINITION_BYTES:,} inline")
