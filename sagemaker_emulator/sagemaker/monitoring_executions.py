"""Monitoring executions on the simulated clock, and ListMonitoringExecutions.

A Scheduled schedule starts an execution at each time its expression names (minute 0 of the
hours it runs at, UTC; ``NOW``: once, when the schedule becomes Scheduled). AWS may start a run
0-20 minutes late (API_ScheduleConfig); the emulator starts it on the hour. An execution is
``InProgress`` for ``durations.monitoring_execution`` simulated seconds (default 300), then
``Completed`` — or ``CompletedWithViolations`` / ``Failed`` with a FailureReason when injected
(``Emulator.fail_next_monitoring_execution``). Nothing runs in the background: the runs that
fell due are started, at the moment they fell due, whenever schedules or executions of the
account and region are read or changed (``observe``). At most ``MAX_CATCH_UP`` runs per
schedule are started at a time (the latest). Executions outlive their schedule
(API_DeleteMonitoringSchedule: the job execution history is not deleted).
"""

from __future__ import annotations

import hashlib
from typing import Any

from sagemaker_emulator.dispatch import CallContext, handler
from sagemaker_emulator.paging import page, with_token
from sagemaker_emulator.sagemaker.monitoring_cron import due_times, hours_of
from sagemaker_emulator.sagemaker.monitoring_store import (
    Execution,
    Monitoring,
    Schedule,
    monitoring,
    when,
)
from sagemaker_emulator.state import STATE

Params = dict[str, Any]
SM = "sagemaker"
MAX_CATCH_UP = 100


def _start(store: Monitoring, schedule: Schedule, at: float) -> None:
    fault = STATE.faults.take_monitoring_fault(schedule.name)
    stamp = when(at).strftime("%Y%m%d%H%M")
    digest = hashlib.sha1(f"{schedule.arn}/{at}".encode()).hexdigest()[:8]
    job = f"model-monitoring-{stamp}-{digest}"
    store.executions.append(Execution(
        schedule=schedule.name, endpoint=schedule.endpoint, definition=schedule.definition,
        type=schedule.type, scheduled=at, end=at + STATE.durations.monitoring_execution,
        processing_job_arn=f"arn:aws:sagemaker:{store.region}:{store.account}:"
                           f"processing-job/{job}",
        outcome=fault[0] if fault else "Completed", failure=fault[1] if fault else None))


def observe_schedule(store: Monitoring, schedule: Schedule, now: float) -> None:
    """Start the runs of ``schedule`` that fell due up to ``now``."""
    if schedule.stopped or now < schedule.scheduled_from:
        return
    expression = (schedule.config.get("ScheduleConfig") or {}).get("ScheduleExpression")
    hours = hours_of(expression) if schedule.config.get("ScheduleConfig") else hours_of(None)
    if hours is None:  # NOW: one run, when the schedule became Scheduled
        if not schedule.now_ran:
            schedule.now_ran = True
            _start(store, schedule, schedule.scheduled_from)
    else:
        after = max(schedule.checked_until, schedule.scheduled_from - 1e-6)
        for at in due_times(hours, after, now)[-MAX_CATCH_UP:]:
            _start(store, schedule, at)
    schedule.checked_until = max(schedule.checked_until, now)


def observe(store: Monitoring) -> float:
    """Bring every schedule of ``store`` up to the simulated now; returns now."""
    now = STATE.clock.now()
    with store.lock:
        for schedule in list(store.schedules.values()):
            observe_schedule(store, schedule, now)
    return now


def summary(execution: Execution, now: float) -> Params:
    status, since = execution.status_at(now)
    out: Params = {"MonitoringScheduleName": execution.schedule,
                   "ScheduledTime": when(execution.scheduled),
                   "CreationTime": when(execution.scheduled),
                   "LastModifiedTime": when(since),
                   "MonitoringExecutionStatus": status,
                   "ProcessingJobArn": execution.processing_job_arn,
                   "MonitoringType": execution.type}
    if execution.endpoint:
        out["EndpointName"] = execution.endpoint
    if execution.definition:
        out["MonitoringJobDefinitionName"] = execution.definition
    if status == "Failed" and execution.failure:
        out["FailureReason"] = execution.failure
    return out


def latest(store: Monitoring, schedule: str) -> Execution | None:
    runs = [e for e in store.executions if e.schedule == schedule]
    return max(runs, key=lambda e: e.scheduled) if runs else None


@handler(SM, "ListMonitoringExecutions")
def list_monitoring_executions(ctx: CallContext, params: Params) -> Params:
    store = monitoring(ctx.account, ctx.region)
    now = observe(store)
    with store.lock:
        rows = [summary(e, now) for e in store.executions]
    for key, member in (("MonitoringScheduleName", "MonitoringScheduleName"),
                        ("EndpointName", "EndpointName"),
                        ("MonitoringJobDefinitionName", "MonitoringJobDefinitionName"),
                        ("MonitoringTypeEquals", "MonitoringType"),
                        ("StatusEquals", "MonitoringExecutionStatus")):
        if params.get(key):
            rows = [r for r in rows if r.get(member) == params[key]]
    for prefix, member in (("ScheduledTime", "ScheduledTime"), ("CreationTime", "CreationTime"),
                           ("LastModifiedTime", "LastModifiedTime")):
        if params.get(f"{prefix}After") is not None:
            rows = [r for r in rows if r[member].timestamp() > params[f"{prefix}After"]]
        if params.get(f"{prefix}Before") is not None:
            rows = [r for r in rows if r[member].timestamp() < params[f"{prefix}Before"]]
    by = {"Status": "MonitoringExecutionStatus", "CreationTime": "CreationTime"}.get(
        params.get("SortBy", "ScheduledTime"), "ScheduledTime")
    rows.sort(key=lambda r: (r[by], r["ScheduledTime"], r["MonitoringScheduleName"]))
    if params.get("SortOrder", "Descending") == "Descending":
        rows.reverse()
    shown, token = page(rows, params)
    return with_token({"MonitoringExecutionSummaries": shown}, token)
