"""What a drift check learns about monitoring schedules, from the DescribeMonitoringSchedule
the plan made (``PlanContext.observed``):

- a schedule stopped by hand (the spec wants it running), or pointing at another job
  definition, while its spec is the one last applied: the generic rule classifies the change
  ``out_of_band`` (the ownership digest covers the config and the desired status);
- the latest execution (``LastMonitoringExecutionSummary``) Failed or CompletedWithViolations:
  ``monitoring``, information, with its FailureReason and where the violations report is (the
  job definition's S3 output, where the monitoring job writes its reports;
  dg/model-monitor-interpreting-results, dg/model-monitor-byoc-contract-outputs).
"""

from __future__ import annotations

from typing import Any

from reconciler.drift.classify import DriftItem, KindDrift
from reconciler.kinds._monitoring import MONITORING_TYPES
from reconciler.kinds.monitoring_schedule.plan import OBSERVED
from reconciler.kinds.monitoring_schedule.spec import find
from reconciler.plan.context import PlanContext
from reconciler.plan.model import ResourceChange

NOTEWORTHY = ("Failed", "CompletedWithViolations")


def drift(ctx: PlanContext, changes: list[ResourceChange], seen: set[str]) -> KindDrift:
    described: dict[str, Any] = ctx.observed.get(OBSERVED, {})
    result = KindDrift()
    for resource in ctx.specs.resources:
        if resource.kind != OBSERVED or resource.name not in described:
            continue
        last = described[resource.name].get("LastMonitoringExecutionSummary") or {}
        status = last.get("MonitoringExecutionStatus")
        if status not in NOTEWORTHY:
            continue
        when = last.get("ScheduledTime")
        at = f" (scheduled {when:%Y-%m-%d %H:%M} UTC)" if hasattr(when, "strftime") else ""
        if status == "Failed":
            reason = (f"the latest monitoring execution{at} Failed: "
                      f"{last.get('FailureReason') or 'no reason given'}")
        else:
            reason = (f"the latest monitoring execution{at} completed with violations of the "
                      f"baseline constraints; report: {_report(ctx, resource, last)}")
        result.items.append(DriftItem(resource.address, OBSERVED, resource.name, "monitoring",
                                      reason))
    return result


def _report(ctx: PlanContext, resource: Any, last: dict[str, Any]) -> str:
    """Where the violations report is: the monitoring job's output (the S3 URI of the job
    definition's output, which sagectl reads from its spec), in ``constraint_violations.json``
    as dg/model-monitor-byoc-contract-outputs names the file; the processing job named too."""
    config = resource.spec.monitoring_schedule_config
    definition = ctx.specs.get(MONITORING_TYPES[config.monitoring_type],
                               config.monitoring_job_definition_name)
    outputs = find(definition.spec, "monitoring_outputs") if definition is not None else None
    uri = getattr(find(outputs, "s3_output"), "s3_uri", None)
    job = last.get("ProcessingJobArn", "")
    where = (f"under {uri} (constraint_violations.json)" if uri else
             "in the job definition's S3 output (constraint_violations.json)")
    return where + (f", processing job {job.rsplit('/', 1)[-1]}" if job else "")
