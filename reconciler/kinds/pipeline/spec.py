"""The ``Pipeline`` kind: a SageMaker pipeline (CreatePipeline / UpdatePipeline) and its
triggers (a schedule, a start after each definition change).

The definition is the pipeline definition JSON (what the SageMaker SDK's ``pipeline.definition()``
produces), written inline as YAML, kept in a JSON/YAML file next to the spec, or returned by a
Python builder ``module:function`` (which may use the SDK: an optional extra, never imported by
sagectl itself).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, PlainValidator, StringConstraints, WithJsonSchema

from reconciler.contract import CheckContext, Issue, SpecModel, duplicates
from reconciler.diagnostics import Pos
from reconciler.kinds._aws import AwsExtra, RoleArn, Tags, check_extras, check_tags
from reconciler.kinds.pipeline.validate import check_definition
from reconciler.spec.builders import BUILDER_PATTERN
from reconciler.spec.errors import SENSITIVE_VALUES
from reconciler.spec.nodes import Node, Path, locate

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


ScheduleExpression = Annotated[str, StringConstraints(
    max_length=256, pattern=r"^(cron|rate)\(.+\)$")]


class PipelineSchedule(SpecModel):
    """Start the pipeline on a schedule: an EventBridge Scheduler schedule (default) or an
    EventBridge rule, named `sagectl-<pipeline>`, whose target is the pipeline."""

    type: Literal["Scheduler", "EventBridgeRule"] = "Scheduler"
    schedule_expression: ScheduleExpression
    """`cron(...)` or `rate(...)`, as EventBridge writes them."""
    schedule_expression_timezone: Annotated[str, StringConstraints(
        min_length=1, max_length=50)] | None = None
    """IANA time zone of a cron expression (Scheduler only; rules run in UTC)."""
    state: Literal["ENABLED", "DISABLED"] = "ENABLED"
    role_arn: RoleArn
    """The role EventBridge assumes to call StartPipelineExecution."""
    parameters: Annotated[dict[str, ParameterValue], SENSITIVE_VALUES] | None = None
    """Pipeline parameters of scheduled runs (default: the spec's `parameters`)."""


class StartOnChange(SpecModel):
    """Start an execution after every apply that created the pipeline or changed its
    definition."""

    wait_for_completion: bool = False
    """Wait for the execution's result; a failed execution fails the apply and restores the
    previous definition."""
    timeout_in_seconds: Annotated[int, Field(ge=60, le=7 * 24 * 3600)] = 3600
    """How long to wait for the result (with `waitForCompletion`)."""
    parameters: Annotated[dict[str, ParameterValue], SENSITIVE_VALUES] | None = None
    """Pipeline parameters of that execution (default: the spec's `parameters`)."""


class PipelineSpec(SpecModel):
    """A SageMaker pipeline. Give the definition inline (`pipelineDefinition`), as a file
    (`pipelineDefinitionFile`) or as a Python builder (`pipelineDefinitionBuilder`)."""

    aws_extra_shape: ClassVar[tuple[str, str]] = ("sagemaker", "CreatePipelineRequest")
    aws_extra_reserved: ClassVar[dict[str, str]] = {
        "pipelineName": "`pipelineName` is the resource's `metadata.name`",
        "pipelineDefinitionS3Location": "sagectl uploads the definition itself: set "
                                        "`pipelineDefinitionS3Bucket`",
        "clientRequestToken": "sagectl sets `clientRequestToken` itself (from the content)",
        # Aliases belong to pipeline versions (rule 55): UpdatePipeline takes them "only when
        # the update changes the pipeline definition", and not while another version holds
        # them, so a spec cannot keep them through Create/UpdatePipeline.
        "pipelineVersionAliases": "`pipelineVersionAliases` name pipeline versions, not the "
                                  "pipeline: UpdatePipeline takes them only with a new "
                                  "definition and not while another version holds them, so "
                                  "sagectl cannot keep them; assign them with "
                                  "UpdatePipelineVersion"}

    pipeline_display_name: Annotated[str, StringConstraints(
        min_length=1, max_length=256, pattern=PIPELINE_NAME_PATTERN)] | None = None
    pipeline_description: Annotated[str, StringConstraints(max_length=3072)] | None = None
    role_arn: RoleArn
    """IAM role the pipeline's steps run with."""
    pipeline_definition: dict[str, Any] | None = None
    """The pipeline definition (Version, Parameters, Steps, ...) as YAML."""
    pipeline_definition_file: Annotated[str, StringConstraints(min_length=1)] | None = None
    """Path of a JSON or YAML definition file, relative to this spec file."""
    pipeline_definition_builder: Annotated[str, StringConstraints(
        pattern=BUILDER_PATTERN)] | None = None
    """`module:function` (module relative to this spec file's directory or the repository
    root) returning the definition: a mapping, a JSON string, or a SageMaker SDK `Pipeline`
    (anything with `.definition()`). Called with one argument if it takes one: a mapping of
    `environment`, `region`, `accountId` and `variables`."""
    pipeline_definition_s3_bucket: Annotated[str, StringConstraints(
        min_length=3, max_length=63, pattern=r"^[a-z0-9][a-z0-9.\-]*[a-z0-9]$")] | None = None
    """Upload the definition to this bucket (key `sagectl/pipelines/<name>/<digest>.json`) and
    create/update the pipeline from there. Needed for definitions over 1 MiB."""
    parameters: Annotated[dict[str, ParameterValue], SENSITIVE_VALUES] = {}
    """Values for the definition's parameters when sagectl starts an execution. Each name must be
    declared in the definition's `Parameters`."""
    sensitive_parameters: list[Annotated[str, StringConstraints(min_length=1)]] = []
    """Names of parameters whose values are sensitive (each declared in the definition's
    `Parameters`): shown as `(sensitive)` in plans and saved plans (here, under `schedule` and
    `startOnChange`, and as defaults in the definition), and keyed with the environment's digest
    key in every digest and client request token that covers them."""
    parallelism_configuration: ParallelismConfiguration | None = None
    schedule: PipelineSchedule | None = None
    start_on_change: StartOnChange | None = None
    tags: Tags = {}
    aws_extra: AwsExtra | None = None
    """CreatePipeline members sagectl does not model, also sent with UpdatePipeline when
    UpdatePipeline takes the member. The installed botocore's only such member,
    `pipelineVersionAliases`, is refused: aliases name pipeline versions, and UpdatePipeline
    takes them only with a new definition and not while another version holds them."""

    def check(self, ctx: CheckContext, at: Path) -> Iterator[Issue]:
        yield from check_extras(self, at)
        sources = [(field, value) for field, value in (
            ("pipelineDefinition", self.pipeline_definition),
            ("pipelineDefinitionFile", self.pipeline_definition_file),
            ("pipelineDefinitionBuilder", self.pipeline_definition_builder)) if value is not None]
        via_s3 = self.pipeline_definition_s3_bucket is not None
        params = [(self.parameters, (*at, "parameters"))]
        for name, extra in (("schedule", self.schedule), ("startOnChange",
                                                          self.start_on_change)):
            if extra is not None and extra.parameters:
                params.append((extra.parameters, (*at, name, "parameters")))
        secret = (self.sensitive_parameters, (*at, "sensitiveParameters"))
        for name, indexes in duplicates(self.sensitive_parameters).items():
            for i in indexes:
                yield Issue((*at, "sensitiveParameters", i),
                            f"{name!r} is listed twice in `sensitiveParameters`")
        if len(sources) != 1:
            yield Issue(at, "set exactly one of `pipelineDefinition` (inline), "
                            "`pipelineDefinitionFile` and `pipelineDefinitionBuilder`")
        elif self.pipeline_definition is not None:
            yield from check_definition(self.pipeline_definition, (*at, "pipelineDefinition"),
                                        params, via_s3, secret)
        else:
            field, value = sources[0]
            loaded = (ctx.load_file(value, (*at, field)) if field == "pipelineDefinitionFile"
                      else ctx.build(value, (*at, field)))
            if loaded is not None:
                for issue in check_definition(loaded.value, (), params, via_s3, secret):
                    yield _in_file(issue, loaded.node)
        if self.schedule is not None and self.schedule.schedule_expression_timezone \
                and self.schedule.type != "Scheduler":
            yield Issue((*at, "schedule", "scheduleExpressionTimezone"),
                        "EventBridge rules run in UTC: a time zone needs `type: Scheduler`")
        yield from check_tags(self.tags, (*at, "tags"))

    def run_parameters(self, extra: PipelineSchedule | StartOnChange | None
                       ) -> dict[str, Any]:
        """The parameters an execution is started with: the trigger's own, else the spec's."""
        if extra is not None and extra.parameters is not None:
            return dict(extra.parameters)
        return dict(self.parameters)


def _in_file(issue: Issue, root: Node) -> Issue:
    """Re-home an issue whose path is inside a definition file."""
    if issue.path and issue.path[0] == "spec":
        return issue  # about the spec itself (e.g. `parameters`)
    pos: Pos = locate(root, issue.path)
    return Issue(issue.path, issue.message, issue.severity, pos)
