"""Planning ``MonitoringSchedule`` resources: one DescribeMonitoringSchedule each (on the pool),
compared with the spec in canonical form, and the steps that bring it there.

- Not there: CreateMonitoringSchedule pointing at the content-named AWS name of the definition
  (its ``DefinitionRef``, published by the definition kinds, which plan first), verified
  Scheduled; StopMonitoringSchedule when the spec wants it stopped. Undone by deleting it.
- There and owned: a schedule config, monitoring type or definition that differs is one
  UpdateMonitoringSchedule (undone by an update back to the config read), verified; a status
  that differs is Start/StopMonitoringSchedule (undone by the opposite), verified; tags follow.
  The definition the schedule moved away from is deleted last, once the schedule is verified on
  the new one, when this environment owns it and no spec still wants it (it is immutable and
  content-named: the undo of the update needs it until then).
- There and not owned: a problem (import it).

What the plan read is kept in ``ctx.observed`` for drift (the last execution, the status).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from reconciler.contract import Orphan
from reconciler.kinds._aws import sagemaker_arn
from reconciler.kinds._live import confirm_owner, not_found, sagemaker_tag_steps, tag_list
from reconciler.kinds._monitoring import (
    MONITORING_TYPES,
    DefinitionRef,
    arn_type,
    definition_key,
)
from reconciler.kinds.monitoring_schedule.cadence import next_run_text, utc_now
from reconciler.kinds.monitoring_schedule.reasons import MonitoringScheduleReason
from reconciler.kinds.monitoring_schedule.spec import MonitoringScheduleSpec
from reconciler.plan.context import PlanContext, target_tags, user_tags
from reconciler.plan.diff import diff
from reconciler.plan.model import KindPlan, Problem, ResourceChange, Step, Undo, digest
from reconciler.plan.vocabulary import Action, Common
from reconciler.spec.resources import Resource

KIND = "MonitoringSchedule"
OBSERVED = KIND
RESOURCE_TYPE = "sagemaker:monitoring-schedule"
STATUS = {"running": "Scheduled", "stopped": "Stopped"}
"""Desired status -> the MonitoringScheduleStatus that shows it."""
CLAIMED = "monitoring-schedule:deletes-definition:"
"""``ctx.shared`` prefix: a definition one schedule change deletes (no second change does)."""


def describe(sm: Any, name: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = sm.describe_monitoring_schedule(MonitoringScheduleName=name)
    except ClientError as err:
        if not_found(err):
            return None
        raise
    found.pop("ResponseMetadata", None)
    return found


def plan(ctx: PlanContext, desired: list[Resource]) -> KindPlan:
    result = KindPlan()
    sm = ctx.aws.client("sagemaker")
    observed = ctx.observed.setdefault(OBSERVED, {})
    for resource, live in zip(desired, ctx.aws.map(lambda r: describe(sm, r.name), desired),
                              strict=True):
        if live is not None:
            observed[resource.name] = live
        _plan_one(ctx, resource, live, result)
    return result


def schedule_config(spec: MonitoringScheduleSpec, definition: str) -> dict[str, Any]:
    """The request's MonitoringScheduleConfig, pointing at the AWS name ``definition``."""
    sched = spec.monitoring_schedule_config.schedule_config
    config: dict[str, Any] = {"ScheduleExpression": sched.schedule_expression}
    if sched.data_analysis_start_time is not None:
        config["DataAnalysisStartTime"] = sched.data_analysis_start_time
    if sched.data_analysis_end_time is not None:
        config["DataAnalysisEndTime"] = sched.data_analysis_end_time
    return {"ScheduleConfig": config, "MonitoringJobDefinitionName": definition,
            "MonitoringType": spec.monitoring_schedule_config.monitoring_type}


def live_config(live: dict[str, Any]) -> dict[str, Any]:
    """What of a DescribeMonitoringSchedule the spec owns, in request form."""
    config = live.get("MonitoringScheduleConfig") or {}
    sched = {k: v for k, v in (config.get("ScheduleConfig") or {}).items()
             if k in ("ScheduleExpression", "DataAnalysisStartTime", "DataAnalysisEndTime")}
    out: dict[str, Any] = {"ScheduleConfig": sched}
    if config.get("MonitoringJobDefinitionName"):
        out["MonitoringJobDefinitionName"] = config["MonitoringJobDefinitionName"]
    mtype = config.get("MonitoringType") or live.get("MonitoringType")
    if mtype:
        out["MonitoringType"] = mtype
    return out


def view(config: dict[str, Any]) -> dict[str, Any]:
    """A request-form config in spec casing, for diffs."""
    sched = {k[:1].lower() + k[1:]: v for k, v in config.get("ScheduleConfig", {}).items()}
    return {"scheduleConfig": sched,
            "monitoringJobDefinitionName": config.get("MonitoringJobDefinitionName"),
            "monitoringType": config.get("MonitoringType")}


def live_status(live: dict[str, Any]) -> str | None:
    """running / stopped, as the spec says it (None: Pending or Failed)."""
    return {"Scheduled": "running", "Stopped": "stopped"}.get(
        live.get("MonitoringScheduleStatus", ""))


def definition_ref(ctx: PlanContext, spec: MonitoringScheduleSpec) -> DefinitionRef | None:
    config = spec.monitoring_schedule_config
    kind = MONITORING_TYPES[config.monitoring_type]
    found = ctx.shared.get(definition_key(kind, config.monitoring_job_definition_name))
    return found if isinstance(found, DefinitionRef) else None


def content(spec: MonitoringScheduleSpec, ref: DefinitionRef) -> dict[str, Any]:
    """What the ownership digest covers: the config (with the definition's content name) and
    the desired status, so a schedule stopped by hand is drift, not a pending change."""
    return {"config": schedule_config(spec, ref.aws_name), "status": spec.status}


def _depends_on(ctx: PlanContext, ref: DefinitionRef) -> list[str]:
    deps = [ref.address]
    if ref.endpoint_name and ctx.specs.get("Endpoint", ref.endpoint_name) is not None:
        deps.append(f"Endpoint.{ref.endpoint_name}")
    return deps


def _verify(name: str, definition: str, status: str) -> list[Step]:
    """A wait while the schedule is Pending (SageMaker's status while it is being created),
    then the verification of the planned definition and status."""
    return [Step("sagectl:wait", name, {"until": "not Pending"}),
            Step("sagectl:verify", name, {"definition": definition, "status": STATUS[status]})]


def _consequences(summary: list[str], spec: MonitoringScheduleSpec) -> dict[str, Any]:
    expression = spec.monitoring_schedule_config.schedule_config.schedule_expression
    when = ("stopped: no runs until it is started" if spec.status == "stopped"
            else next_run_text(expression, utc_now()))
    return {"summary": [*summary, when], "schedule": expression, "status": spec.status}


def _plan_one(ctx: PlanContext, resource: Resource, live: dict[str, Any] | None,
              result: KindPlan) -> None:
    spec: MonitoringScheduleSpec = resource.spec  # type: ignore[assignment]
    name = resource.name
    ref = definition_ref(ctx, spec)
    config = spec.monitoring_schedule_config
    if ref is None:
        result.problems.append(Problem(
            resource.address, f"job definition {config.monitoring_job_definition_name!r} "
                              f"({MONITORING_TYPES[config.monitoring_type]}) was not planned, so "
                              "the schedule has nothing to point at",
            "fix the definition's own errors first"))
        return
    wanted = schedule_config(spec, ref.aws_name)
    ownership = ctx.ownership_tags(resource, digest(content(spec, ref)))
    deps = _depends_on(ctx, ref)
    if live is None:
        params = {"MonitoringScheduleName": name, "MonitoringScheduleConfig": wanted,
                  "Tags": tag_list({**spec.tags, **ownership})}
        steps = [Step("sagemaker:CreateMonitoringSchedule", name, params, digest(params)
                      ).undone_by(Undo("sagemaker:DeleteMonitoringSchedule", name,
                                       {"MonitoringScheduleName": name},
                                       "schedule created by this run")),
                 *_verify(name, ref.aws_name, "running")]
        if spec.status == "stopped":
            steps += [Step("sagemaker:StopMonitoringSchedule", name,
                           {"MonitoringScheduleName": name}).not_undone(
                               "the schedule this run created is deleted by the undo of its "
                               "creation"),
                      *_verify(name, ref.aws_name, "stopped")]
        result.changes.append(ResourceChange(
            resource.address, KIND, name, [Action.CREATE], Common.NEW,
            diff(None, {**view(wanted), "status": spec.status}) +
            diff(None, spec.tags, "tags"), steps,
            _consequences([f"creates monitoring schedule {name} ({config.monitoring_type}, "
                           f"job definition {ref.aws_name})"], spec),
            fingerprint=digest(None), depends_on=deps, spec_path=ctx.spec_path(resource)))
        return
    arn = live.get("MonitoringScheduleArn") or sagemaker_arn(ctx, "monitoring-schedule", name)
    owner = confirm_owner(ctx, arn, RESOURCE_TYPE)
    if owner != (ctx.env or ""):
        result.problems.append(Problem(
            resource.address, f"monitoring schedule {name} exists and is " +
            ("not managed by sagectl" if owner is None else f"managed by environment {owner!r}"),
            f"adopt it with `sagectl import {live.get('EndpointName') or 'ENDPOINT'} --adopt` "
            "(the endpoint it watches)" if owner is None else ""))
        return
    status = live.get("MonitoringScheduleStatus")
    now_status = live_status(live)
    if now_status is None:
        result.problems.append(Problem(
            resource.address, f"monitoring schedule {name} is {status}" +
            (f": {live['FailureReason']}" if live.get("FailureReason") else ""),
            "plan again once it is Scheduled" if status == "Pending" else
            "delete it (remove its spec and apply with pruning, or by hand) and apply again"))
        return
    owned = ctx.ownership.get(arn)
    live_tags = owned.tags if owned else {}
    have = live_config(live)
    config_entries = diff(view(have), view(wanted))
    status_entries = diff(now_status, spec.status, "status")
    tag_entries = diff(user_tags(live_tags), spec.tags, "tags")
    if not config_entries and not status_entries and not tag_entries:
        result.unchanged += 1
        return
    steps: list[Step] = []
    summary: list[str] = []
    if config_entries:
        params = {"MonitoringScheduleName": name, "MonitoringScheduleConfig": wanted}
        steps.append(Step("sagemaker:UpdateMonitoringSchedule", name, params, digest(params)
                          ).undone_by(Undo("sagemaker:UpdateMonitoringSchedule", name,
                                           {"MonitoringScheduleName": name,
                                            "MonitoringScheduleConfig": have},
                                           "schedule config as it was before this run")))
        summary.append(f"updates monitoring schedule {name} in place" + (
            f" to run job definition {ref.aws_name}"
            if have.get("MonitoringJobDefinitionName") != ref.aws_name else ""))
    if status_entries:
        start = spec.status == "running"
        op, back = ("Start", "Stop") if start else ("Stop", "Start")
        steps.append(Step(f"sagemaker:{op}MonitoringSchedule", name,
                          {"MonitoringScheduleName": name}).undone_by(
            Undo(f"sagemaker:{back}MonitoringSchedule", name, {"MonitoringScheduleName": name},
                 f"schedule {now_status} again")))
        summary.append(f"{'starts' if start else 'stops'} monitoring schedule {name}")
    if config_entries or status_entries:
        steps += _verify(name, ref.aws_name, spec.status)
    steps += sagemaker_tag_steps(arn, live_tags, target_tags(
        live_tags, spec.tags, ownership, bool(config_entries or status_entries)))
    if tag_entries and not summary:
        summary.append(f"updates the tags of monitoring schedule {name}")
    old = have.get("MonitoringJobDefinitionName")
    if old and old != ref.aws_name:
        gone = _old_definition(ctx, have.get("MonitoringType") or config.monitoring_type, old)
        if gone is not None:
            steps.append(gone)
            summary.append(f"then deletes job definition {old}, which it no longer runs")
    reason = (MonitoringScheduleReason.SCHEDULE_CHANGED if config_entries else
              MonitoringScheduleReason.STATUS_CHANGED if status_entries else Common.TAGS_ONLY)
    result.changes.append(ResourceChange(
        resource.address, KIND, name, [Action.UPDATE], reason,
        config_entries + status_entries + tag_entries, steps, _consequences(summary, spec),
        fingerprint=digest({"config": have, "status": status, "tags": live_tags}),
        depends_on=deps, spec_path=ctx.spec_path(resource)))


def _old_definition(ctx: PlanContext, mtype: str, name: str) -> Step | None:
    """The deletion of the definition a schedule moves away from: only one this environment
    owns, that no desired definition still is, and that no other change deletes already."""
    if mtype not in MONITORING_TYPES:
        return None
    arn = sagemaker_arn(ctx, arn_type(mtype), name)
    if ctx.ownership.owner_env(arn) != (ctx.env or ""):
        return None
    if any(isinstance(ref, DefinitionRef) and ref.aws_name == name
           for ref in ctx.shared.values()):
        return None
    if CLAIMED + name in ctx.shared:  # the kind plans its schedules one after the other
        return None
    ctx.shared[CLAIMED + name] = True
    return Step(f"sagemaker:Delete{mtype}JobDefinition", name, {"JobDefinitionName": name}
                ).not_undone("last step, once the schedule is verified on its new definition: "
                             "a job definition is immutable and content-named, and sagectl "
                             "creates it again from its spec if a later plan needs it")


def delete(ctx: PlanContext, orphan: Orphan) -> ResourceChange:
    owned = orphan.owned[0]
    name = owned.name
    return ResourceChange(
        orphan.address, KIND, name, [Action.DELETE], Common.NOT_IN_SPEC, [],
        [Step("sagemaker:DeleteMonitoringSchedule", name, {"MonitoringScheduleName": name}
              ).not_undone("not reversible: DeleteMonitoringSchedule stops the schedule and "
                           "deletes it (its execution history stays), and its spec left the "
                           "specs")],
        {"summary": [f"deletes monitoring schedule {name} (SageMaker stops it first; its "
                     "execution history is kept)"]}, fingerprint=digest(owned.tags))
