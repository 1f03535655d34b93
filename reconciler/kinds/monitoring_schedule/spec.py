"""The ``MonitoringSchedule`` spec: SageMaker's ``MonitoringScheduleConfig`` with the job
definition by reference (the spec name of a job definition kind's resource), the desired
status, tags; and the checks that need the rest of the specs (the definition and its stopping
condition). That the endpoint a definition watches captures data is the definition kinds'
check (at the definition's ``endpointName``), not repeated here.

The older embedded form (``monitoringJobDefinition`` inline in the schedule) is not supported:
it is an unknown key, reported at its line; define the job with one of the four job definition
kinds and name it.
"""

from __future__ import annotations

import difflib
from collections.abc import Generator, Iterator
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import StringConstraints

from reconciler.contract import CheckContext, Issue, SpecModel
from reconciler.kinds._aws import SageMakerName, Tags, check_tags
from reconciler.kinds._monitoring import MONITORING_TYPES
from reconciler.kinds.monitoring_schedule.cadence import Cadence, parse, parse_offset
from reconciler.spec.nodes import Path

MonitoringType = Literal["DataQuality", "ModelQuality", "ModelBias", "ModelExplainability"]
Offset = Annotated[str, StringConstraints(min_length=1, max_length=15, pattern=r"^.?P.*$")]
"""API_ScheduleConfig: DataAnalysisStartTime / DataAnalysisEndTime, 1-15 characters,
pattern ``^.?P.*``."""

MAX_WINDOW = timedelta(hours=24)
HOURLY_LIMITS = {"DataQuality": 3600, "ModelExplainability": 3600,
                 "ModelQuality": 1800, "ModelBias": 1800}
"""API_MonitoringStoppingCondition: "MaxRuntimeInSeconds cannot exceed the frequency of the job.
For data quality and model explainability, this can be up to 3600 seconds for an hourly
schedule. For model bias and model quality hourly schedules, this can be up to 1800 seconds."""


class ScheduleConfig(SpecModel):
    schedule_expression: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    """`cron(0 * ? * * *)` (hourly), `cron(0 H ? * * *)` (daily at hour H UTC),
    `cron(0 H/N ? * * *)` (every N hours from hour H, N 1-24) or `NOW` (once, at creation:
    then both data analysis offsets are required). SageMaker may start a run up to 20 minutes
    after its time."""
    data_analysis_start_time: Offset | None = None
    """The start of the data a run analyses, as an ISO 8601 offset to the run's time
    (`-PT5H`)."""
    data_analysis_end_time: Offset | None = None
    """The end of the data a run analyses (`-PT1H`); no more than 24 hours after the start."""


class MonitoringScheduleConfig(SpecModel):
    schedule_config: ScheduleConfig
    monitoring_job_definition_name: SageMakerName
    """The spec name (`metadata.name`) of the job definition of `monitoringType`'s kind
    (`DataQualityJobDefinition` ...); sagectl points the schedule at its content-named AWS
    definition. An inline `monitoringJobDefinition` (the older embedded form) is not
    supported."""
    monitoring_type: MonitoringType


class MonitoringScheduleSpec(SpecModel):
    """A Model Monitor schedule: runs the monitoring job a job definition describes on a
    cron-like schedule against the endpoint the definition watches."""

    monitoring_schedule_config: MonitoringScheduleConfig
    status: Literal["running", "stopped"] = "running"
    """Desired state: `running` (SageMaker status Scheduled) or `stopped` (Stopped), through
    StartMonitoringSchedule / StopMonitoringSchedule."""
    tags: Tags = {}

    def check(self, ctx: CheckContext, at: Path) -> Iterator[Issue]:
        config = self.monitoring_schedule_config
        here = (*at, "monitoringScheduleConfig")
        cadence = yield from _check_schedule(config.schedule_config, (*here, "scheduleConfig"))
        definition = yield from _check_definition(ctx, config, here)
        if definition is not None and cadence is not None:
            yield from _check_runtime(definition, cadence, config, here)
        yield from check_tags(self.tags, (*at, "tags"))


def _check_schedule(schedule: ScheduleConfig, at: Path
                    ) -> Generator[Issue, None, Cadence | None]:
    cadence = parse(schedule.schedule_expression)
    if isinstance(cadence, str):
        yield Issue((*at, "scheduleExpression"),
                    f"{schedule.schedule_expression!r}: {cadence} (API_ScheduleConfig)")
        cadence = None
    offsets: dict[str, timedelta] = {}
    for field, value in (("dataAnalysisStartTime", schedule.data_analysis_start_time),
                         ("dataAnalysisEndTime", schedule.data_analysis_end_time)):
        if value is None:
            if cadence is not None and cadence.once:
                yield Issue(at, f"`{field}` is required with scheduleExpression NOW "
                                "(API_ScheduleConfig)")
            continue
        parsed = parse_offset(value)
        if parsed is None:
            yield Issue((*at, field), f"{value!r} is not an ISO 8601 duration offset such as "
                                      "'-PT1H' (API_ScheduleConfig)")
        else:
            offsets[field] = parsed
    start, end = offsets.get("dataAnalysisStartTime"), offsets.get("dataAnalysisEndTime")
    if start is not None and end is not None and end - start > MAX_WINDOW:
        yield Issue((*at, "dataAnalysisEndTime"),
                    f"the end ({schedule.data_analysis_end_time}) follows the start "
                    f"({schedule.data_analysis_start_time}) by more than 24 hours "
                    "(API_ScheduleConfig)")
    return cadence


def _check_definition(ctx: CheckContext, config: MonitoringScheduleConfig, at: Path
                      ) -> Generator[Issue, None, Any]:
    """The definition the schedule names, of the kind its monitoring type names."""
    name = config.monitoring_job_definition_name
    kind = MONITORING_TYPES[config.monitoring_type]
    where = (*at, "monitoringJobDefinitionName")
    if ctx.defines(kind, name):
        return ctx.lookup(kind, name)  # None when the definition is itself invalid
    other = [k for k in MONITORING_TYPES.values() if k != kind and ctx.defines(k, name)]
    if other:
        yield Issue(where, f"{name!r} is a {other[0]}, and monitoringType "
                           f"{config.monitoring_type} needs a {kind}; set monitoringType to "
                           f"{_type_of(other[0])} or name a {kind}")
        return None
    names = _names(ctx, kind)
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    yield Issue(where, f"no {kind} named {name!r} in the specs (monitoringType "
                       f"{config.monitoring_type} runs a {kind}){hint}")
    return None


def _type_of(kind: str) -> str:
    return next(t for t, k in MONITORING_TYPES.items() if k == kind)


def _names(ctx: CheckContext, kind: str) -> list[str]:
    """The names the specs define for ``kind``, when the context can list them."""
    index = getattr(ctx, "index", None)
    if not isinstance(index, dict):
        return []
    return sorted(n for (k, n) in index if k == kind)


def find(value: Any, attribute: str) -> Any:
    """The first ``attribute`` set anywhere in a spec model (depth first): the schedule reads a
    definition's spec generically (kinds never import each other)."""
    if isinstance(value, SpecModel):
        found = getattr(value, attribute, None)
        if found is not None:
            return found
        for name in type(value).model_fields:
            inner = find(getattr(value, name), attribute)
            if inner is not None:
                return inner
    elif isinstance(value, list):
        for item in value:
            inner = find(item, attribute)
            if inner is not None:
                return inner
    return None


def _check_runtime(definition: Any, cadence: Cadence, config: MonitoringScheduleConfig,
                   at: Path) -> Iterator[Issue]:
    """API_MonitoringStoppingCondition: the job's MaxRuntimeInSeconds cannot exceed the
    schedule's frequency (hourly: 3600 s for data quality / explainability, 1800 s for model
    quality / bias)."""
    stopping = getattr(definition, "stopping_condition", None)
    runtime = getattr(stopping, "max_runtime_in_seconds", None)
    frequency = cadence.frequency_seconds
    if not isinstance(runtime, int) or frequency is None:
        return
    limit = HOURLY_LIMITS[config.monitoring_type] if cadence.hourly else min(frequency, 86400)
    if runtime > limit:
        why = (f"an hourly {config.monitoring_type} job may run up to {limit} s"
               if cadence.hourly else f"a job may not run longer than its schedule's "
                                      f"frequency ({limit} s)")
        yield Issue((*at, "scheduleConfig", "scheduleExpression"),
                    f"{config.monitoring_job_definition_name!r} has stoppingCondition."
                    f"maxRuntimeInSeconds {runtime}, and {why} "
                    "(API_MonitoringStoppingCondition)")
