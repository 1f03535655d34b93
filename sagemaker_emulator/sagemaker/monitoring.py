"""Model Monitor schedules: Create/Describe/List/Update/Start/Stop/DeleteMonitoringSchedule.

moto 5.2.5 has none of them. What is modelled (docs/sagemaker-rules.md, rules 58-62):

- CreateMonitoringSchedule: the name is unique (``ResourceInUse``, the error the page lists; the
  wording is ours). The config names a job definition (``MonitoringJobDefinitionName`` with
  ``MonitoringType``; without a type, the one definition of that name) that must exist, or holds
  one inline (``MonitoringJobDefinition``). ScheduleConfig is checked as API_ScheduleConfig says
  (``monitoring_cron.py``); without one the schedule runs daily (SageMaker "picks a time": the
  emulator picks 00:00 UTC). The schedule is ``Pending`` ("pending being created") for
  ``durations.monitoring_schedule_pending`` simulated seconds, then ``Scheduled``.
- Describe: EndpointName is the endpoint input of the job definition; MonitoringType; the
  summary of the latest execution (``monitoring_executions.py``).
- List: filters EndpointName, MonitoringJobDefinitionName, MonitoringTypeEquals, StatusEquals,
  NameContains, creation and modification times; sorts by Name, CreationTime or Status;
  paginates. Newest first by default.
- Update: replaces the config (checked as on create) and LastModifiedTime; the status is kept
  (AWS documents no transition on update; runs follow the new expression from now on).
- Start: Stopped -> Scheduled; Stop: -> Stopped (a run in progress completes). Starting a
  Scheduled schedule or stopping a Stopped one changes nothing (undocumented).
- Delete: gone at once; its executions stay listable.
A missing schedule is ``ResourceNotFound`` (the error each page lists).
"""

from __future__ import annotations

import copy
from typing import Any

from sagemaker_emulator.dispatch import AwsError, CallContext, handler, validation
from sagemaker_emulator.paging import page, with_token
from sagemaker_emulator.sagemaker import validate
from sagemaker_emulator.sagemaker.monitoring_cron import check_schedule_config
from sagemaker_emulator.sagemaker.monitoring_executions import (
    latest,
    observe,
    observe_schedule,
    summary,
)
from sagemaker_emulator.sagemaker.monitoring_store import (
    TYPES,
    Monitoring,
    Schedule,
    monitoring,
    when,
)
from sagemaker_emulator.state import STATE

Params = dict[str, Any]
SM = "sagemaker"


def store_of(ctx: CallContext) -> Monitoring:
    return monitoring(ctx.account, ctx.region)


def _resolve(store: Monitoring, config: Any) -> tuple[str, str | None, str | None]:
    """(monitoring type, job definition name, endpoint) of a MonitoringScheduleConfig."""
    if not isinstance(config, dict):
        raise validation("MonitoringScheduleConfig is required.")
    check_schedule_config(config.get("ScheduleConfig"))
    type_ = config.get("MonitoringType")
    if type_ is not None and type_ not in TYPES:
        raise validation(f"Invalid MonitoringType '{type_}'.")
    name, inline = config.get("MonitoringJobDefinitionName"), config.get("MonitoringJobDefinition")
    if (name is None) == (inline is None):
        raise validation("MonitoringScheduleConfig needs exactly one of "
                         "MonitoringJobDefinitionName and MonitoringJobDefinition.")
    if inline is not None:
        inputs = inline.get("MonitoringInputs") or [{}]
        endpoint = (inputs[0].get("EndpointInput") or {}).get("EndpointName")
        return type_ or "DataQuality", None, endpoint
    candidates = [type_] if type_ else list(TYPES)
    found = [d for t in candidates if (d := store.definition(t, name)) is not None]
    if len(found) != 1:
        what = f"{type_} job definition" if type_ else "monitoring job definition"
        raise validation(f"Could not find {what} '{name}'." if not found else
                         f"Several job definitions are named '{name}': give MonitoringType.")
    return found[0].type, found[0].name, found[0].endpoint


def get_schedule(store: Monitoring, name: Any) -> Schedule:
    found = store.schedules.get(name) if isinstance(name, str) else None
    if found is None:
        raise AwsError("ResourceNotFound", "Could not find monitoring schedule "
                       f'"{store.arn("monitoring-schedule", str(name))}".')
    return found


@handler(SM, "CreateMonitoringSchedule")
def create_monitoring_schedule(ctx: CallContext, params: Params) -> Params:
    store = store_of(ctx)
    name = validate.check_name(params.get("MonitoringScheduleName"), "monitoringScheduleName")
    arn = store.arn("monitoring-schedule", name)
    with store.lock:
        if name in store.schedules:
            raise AwsError("ResourceInUse", f'Monitoring schedule "{arn}" already exists.')
        config = copy.deepcopy(params.get("MonitoringScheduleConfig"))
        type_, definition, endpoint = _resolve(store, config)
        config["MonitoringType"] = type_
        now = STATE.clock.now()
        ready = now + STATE.durations.monitoring_schedule_pending
        store.schedules[name] = Schedule(
            name, arn, now, now, config, type_, endpoint, definition,
            {t["Key"]: t.get("Value", "") for t in params.get("Tags") or []},
            scheduled_from=ready, checked_until=ready)
    return {"MonitoringScheduleArn": arn}


@handler(SM, "DescribeMonitoringSchedule")
def describe_monitoring_schedule(ctx: CallContext, params: Params) -> Params:
    store = store_of(ctx)
    now = observe(store)
    with store.lock:
        s = get_schedule(store, params.get("MonitoringScheduleName"))
        out: Params = {"MonitoringScheduleArn": s.arn, "MonitoringScheduleName": s.name,
                       "MonitoringScheduleStatus": s.status_at(now), "MonitoringType": s.type,
                       "CreationTime": when(s.created), "LastModifiedTime": when(s.modified),
                       "MonitoringScheduleConfig": copy.deepcopy(s.config)}
        if s.endpoint:
            out["EndpointName"] = s.endpoint
        last = latest(store, s.name)
        if last is not None:
            out["LastMonitoringExecutionSummary"] = summary(last, now)
    return out


@handler(SM, "ListMonitoringSchedules")
def list_monitoring_schedules(ctx: CallContext, params: Params) -> Params:
    store = store_of(ctx)
    now = observe(store)
    with store.lock:
        items = list(store.schedules.values())
    contains = (params.get("NameContains") or "").lower()
    items = [s for s in items if contains in s.name.lower()]
    checks = (("EndpointName", lambda s: s.endpoint),
              ("MonitoringJobDefinitionName", lambda s: s.definition),
              ("MonitoringTypeEquals", lambda s: s.type),
              ("StatusEquals", lambda s: s.status_at(now)))
    for key, value_of in checks:
        if params.get(key):
            items = [s for s in items if value_of(s) == params[key]]
    for prefix, attr in (("CreationTime", "created"), ("LastModifiedTime", "modified")):
        if params.get(f"{prefix}After") is not None:
            items = [s for s in items if getattr(s, attr) > params[f"{prefix}After"]]
        if params.get(f"{prefix}Before") is not None:
            items = [s for s in items if getattr(s, attr) < params[f"{prefix}Before"]]
    by = params.get("SortBy", "CreationTime")
    if by == "Name":
        items.sort(key=lambda s: s.name)
    elif by == "Status":
        items.sort(key=lambda s: (s.status_at(now), s.name))
    else:
        items.sort(key=lambda s: (s.created, s.name))
    if params.get("SortOrder", "Descending") == "Descending":
        items.reverse()
    shown, token = page(items, params)
    rows = []
    for s in shown:
        row: Params = {"MonitoringScheduleName": s.name, "MonitoringScheduleArn": s.arn,
                       "CreationTime": when(s.created), "LastModifiedTime": when(s.modified),
                       "MonitoringScheduleStatus": s.status_at(now), "MonitoringType": s.type}
        if s.endpoint:
            row["EndpointName"] = s.endpoint
        if s.definition:
            row["MonitoringJobDefinitionName"] = s.definition
        rows.append(row)
    return with_token({"MonitoringScheduleSummaries": rows}, token)


@handler(SM, "UpdateMonitoringSchedule")
def update_monitoring_schedule(ctx: CallContext, params: Params) -> Params:
    store = store_of(ctx)
    now = observe(store)
    with store.lock:
        s = get_schedule(store, params.get("MonitoringScheduleName"))
        config = copy.deepcopy(params.get("MonitoringScheduleConfig"))
        s.type, s.definition, s.endpoint = _resolve(store, config)
        config["MonitoringType"] = s.type
        s.config, s.modified = config, now
        s.checked_until = max(s.checked_until, now)
    return {"MonitoringScheduleArn": s.arn}


@handler(SM, "StartMonitoringSchedule")
def start_monitoring_schedule(ctx: CallContext, params: Params) -> None:
    store = store_of(ctx)
    now = observe(store)
    with store.lock:
        s = get_schedule(store, params.get("MonitoringScheduleName"))
        if s.stopped:
            s.stopped = False
            s.scheduled_from = min(s.scheduled_from, now)
            s.checked_until = now
            s.modified = now


@handler(SM, "StopMonitoringSchedule")
def stop_monitoring_schedule(ctx: CallContext, params: Params) -> None:
    store = store_of(ctx)
    now = observe(store)
    with store.lock:
        s = get_schedule(store, params.get("MonitoringScheduleName"))
        if not s.stopped:
            observe_schedule(store, s, now)
            s.stopped = True
            s.modified = now


@handler(SM, "DeleteMonitoringSchedule")
def delete_monitoring_schedule(ctx: CallContext, params: Params) -> None:
    store = store_of(ctx)
    observe(store)
    with store.lock:
        s = get_schedule(store, params.get("MonitoringScheduleName"))
        del store.schedules[s.name]
