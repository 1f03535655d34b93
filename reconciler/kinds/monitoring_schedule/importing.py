"""``sagectl import`` for the monitoring schedules that watch an imported endpoint: reading them
(one paginated ListMonitoringSchedules with ``EndpointName`` per endpoint, a
DescribeMonitoringSchedule each), naming them, their spec documents, and the tags adoption puts
on them. The endpoint import asks the definition kinds for the job definition each one runs
(``kinds/_monitoring.py``: ``schedule_definition``) before it asks for the schedule's document.

- Naming: a schedule is named by its spec name, so it keeps its own name. One the spec tree
  defines already is left as it is (no document); one sagectl manages for another address or
  environment is refused; one that is Pending or Failed is refused (plan cannot take it over as
  it is); one with an inline job definition (the older embedded form) or without a
  ScheduleConfig (SageMaker picks its time; a spec names an expression) is left out with a
  warning.
- The document: the schedule config with the definition by the spec name the definition's
  import gave it (a sagectl-made definition: its content suffix stripped; an unmanaged one: its
  own name), ``status: stopped`` for a Stopped schedule, user tags.
- Adoption tags it as ``plan`` would have: the digest of the config (pointing at the
  definition's AWS name, which the definition kinds publish as they plan first) and the status.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.importer.adopt import Tagging
from reconciler.importer.documents import Document
from reconciler.importer.live import ImportRefused, Tagged, clean
from reconciler.importer.naming import Choice, ImportContext
from reconciler.kinds._documents import integral, unmanaged, unmanaged_warning, user_tags
from reconciler.kinds._live import add_tags
from reconciler.kinds._monitoring import schedule_definition
from reconciler.kinds.monitoring_schedule.plan import (
    content,
    definition_ref,
    describe,
    live_status,
)
from reconciler.kinds.monitoring_schedule.spec import MonitoringScheduleSpec
from reconciler.plan.context import PlanContext
from reconciler.plan.model import Problem, digest
from reconciler.spec.resources import Resource

KIND = "MonitoringSchedule"
READ_ONLY = frozenset({
    "MonitoringScheduleArn", "MonitoringScheduleName", "MonitoringScheduleStatus",
    "MonitoringType", "FailureReason", "CreationTime", "LastModifiedTime", "EndpointName",
    "LastMonitoringExecutionSummary"})
"""Response fields that describe a schedule rather than configure it (its type is in the
config too; the endpoint is the definition's)."""
SCHEDULE_KEYS = ("ScheduleExpression", "DataAnalysisStartTime", "DataAnalysisEndTime")


def related(ictx: ImportContext, kind: str, names: list[str]) -> dict[str, list[str]]:
    """The schedules that watch each endpoint (ListMonitoringSchedules with ``EndpointName``,
    one paginated list per endpoint)."""
    if kind != "Endpoint":
        return {}

    def listed(endpoint: str) -> list[str]:
        return sorted(s["MonitoringScheduleName"] for s in ictx.aws.paginate(
            "sagemaker", "list_monitoring_schedules", "MonitoringScheduleSummaries",
            EndpointName=endpoint))
    return dict(zip(names, ictx.aws.map(listed, names), strict=True))


def read(ictx: ImportContext, names: list[str]) -> dict[str, Tagged]:
    """The schedules ``names`` (one deleted since it was listed is left out); one that is not
    Scheduled or Stopped is refused."""
    sm = ictx.aws.client("sagemaker")

    def one(name: str) -> Tagged | None:
        described = describe(sm, name)
        if described is None:
            return None
        return Tagged(name, described["MonitoringScheduleArn"], clean(described), {})

    found = {t.name: t for t in ictx.aws.map(one, names) if t is not None}
    busy = [t for t in found.values() if live_status(t.described) is None]
    if busy:
        raise ImportRefused("; ".join(
            f"monitoring schedule {t.name} is {t.described.get('MonitoringScheduleStatus')}"
            + (f" ({t.described['FailureReason']})" if t.described.get("FailureReason") else "")
            for t in busy) + ": sagectl imports a schedule that is Scheduled or Stopped")
    return found


def choice(ictx: ImportContext, name: str, found: Tagged | None) -> Choice | None:
    if found is None:
        return None
    known = ictx.named_as_live(KIND, "monitoring schedule", name, found)
    if known is not None:
        return known
    config = found.described.get("MonitoringScheduleConfig") or {}
    why = ("holds its job definition inline (the older embedded form)"
           if schedule_definition(found.described) is None else
           "has no ScheduleConfig (SageMaker picks its time)"
           if not (config.get("ScheduleConfig") or {}).get("ScheduleExpression") else None)
    if why is not None:
        ictx.warnings.append(f"monitoring schedule {name} {why}, which a MonitoringSchedule "
                             "spec does not describe: not imported (it stays as it is, not "
                             "managed by sagectl)")
        return None
    return Choice(name, new=True)


def _definition_name(ictx: ImportContext, described: dict[str, Any]) -> str:
    """The spec name the import gave the definition the schedule runs (its kind chose it)."""
    used = schedule_definition(described)
    assert used is not None  # choice() left embedded definitions out
    chosen = ictx.choices.get(used)
    return chosen.name if chosen is not None else used[1]


def document(ictx: ImportContext, found: Tagged, name: str) -> Document:
    d = found.described
    live_config = d.get("MonitoringScheduleConfig") or {}
    schedule = live_config.get("ScheduleConfig") or {}
    sched = {k[:1].lower() + k[1:]: schedule[k] for k in SCHEDULE_KEYS if schedule.get(k)}
    mtype = live_config.get("MonitoringType") or d.get("MonitoringType")
    spec: dict[str, Any] = {"monitoringScheduleConfig": {
        "scheduleConfig": sched, "monitoringJobDefinitionName": _definition_name(ictx, d),
        "monitoringType": mtype}}
    if live_status(d) == "stopped":
        spec["status"] = "stopped"
    tags = user_tags(found.tags)
    if tags:
        spec["tags"] = tags
    ictx.warnings += unmanaged_warning(
        f"monitoring schedule {found.name}",
        unmanaged(MonitoringScheduleSpec, d, READ_ONLY),
        "an update by sagectl would not keep them")
    return Document(KIND, name, integral(spec), found)


def adoption(ctx: PlanContext, resources: list[Resource], documents: Mapping[str, Document]
             ) -> tuple[list[Tagging], list[Problem]]:
    """The tags ``plan`` gives the schedule it creates (the digest of its config, pointing at
    the definition's AWS name, and of its status)."""
    taggings, problems = [], []
    for r in resources:
        doc = documents[r.address]
        spec: MonitoringScheduleSpec = r.spec  # type: ignore[assignment]
        ref = definition_ref(ctx, spec)
        if ref is None:
            job = spec.monitoring_schedule_config.monitoring_job_definition_name
            problems.append(Problem(r.address, f"its job definition {job!r} was not planned",
                                    "fix the definition's own errors first"))
            continue
        wanted = {**spec.tags, **ctx.ownership_tags(r, digest(content(spec, ref)))}
        taggings.append(Tagging(r.address, f"monitoring schedule {r.name}", doc.source.arn,
                                doc.source.tags, wanted, add_tags))
    return taggings, problems
