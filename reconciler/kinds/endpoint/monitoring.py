"""The Model Monitor schedules watching an endpoint, when the endpoint goes away.

AWS documents no refusal of DeleteEndpoint while a monitoring schedule watches the endpoint
(API_DeleteEndpoint lists none; no Model Monitor page says so), so sagectl claims none. What is
certain is that a run while the endpoint is absent has no endpoint and no captured data to
analyse. So:

- a replacement (DeleteEndpoint, then CreateEndpoint) stops each ``Scheduled`` schedule watching
  the endpoint before the delete (undo: StartMonitoringSchedule) and starts it again once the new
  endpoint is InService (undo: Stop). A schedule is only stopped and started, never deleted, owned
  or not. Stopped, Pending and Failed schedules are left as they are. The MonitoringSchedule kind
  plans nothing for them in the same plan: it sees ``Scheduled`` before the apply and after it.
- a deletion (an orphan endpoint pruned) warns about each schedule still watching the endpoint
  that this plan does not delete too (one this environment owns whose spec is gone is pruned
  before the endpoint, by the reverse planning order).

The schedules are read (ListMonitoringSchedules with ``EndpointName``, paginated) only on these
two paths: a converged plan makes no such call.
"""

from __future__ import annotations

from typing import Any

from reconciler.kinds._monitoring import SCHEDULE_RESOURCE_TYPE
from reconciler.plan.context import PROTECTION_TAG, PlanContext
from reconciler.plan.model import Problem, Step, Undo

STOP = "sagemaker:StopMonitoringSchedule"
START = "sagemaker:StartMonitoringSchedule"
NO_RUNS = "no monitoring run against a missing endpoint"


def watching(ctx: PlanContext, endpoint: str) -> list[dict[str, Any]]:
    """The summaries of the monitoring schedules watching ``endpoint``, sorted by name."""
    found = ctx.aws.paginate("sagemaker", "list_monitoring_schedules",
                             "MonitoringScheduleSummaries", EndpointName=endpoint)
    return sorted(found, key=lambda s: s["MonitoringScheduleName"])


def scheduled(schedules: list[dict[str, Any]]) -> list[str]:
    """The names of those that run (the ones a replacement stops and starts again)."""
    return [s["MonitoringScheduleName"] for s in schedules
            if s.get("MonitoringScheduleStatus") == "Scheduled"]


def stop_steps(endpoint: str, names: list[str]) -> list[Step]:
    """Before DeleteEndpoint: each schedule stopped, undone by starting it."""
    return [Step(STOP, name, {"MonitoringScheduleName": name},
                 note=f"watches endpoint {endpoint}: {NO_RUNS} during the replacement"
                 ).undone_by(Undo(START, name, {"MonitoringScheduleName": name},
                                  "monitoring schedule running again, as before the change"))
            for name in names]


def start_steps(endpoint: str, names: list[str]) -> list[Step]:
    """After the new endpoint is InService: each schedule started again, undone by stopping it
    (the endpoint's apply pairs it with its stop: a failure leaves the schedule running, as
    before the change)."""
    return [Step(START, name, {"MonitoringScheduleName": name},
                 note=f"endpoint {endpoint} is InService again").undone_by(
                     Undo(STOP, name, {"MonitoringScheduleName": name},
                          "monitoring schedule stopped again (its stop's undo starts it)"))
            for name in names]


def replacement_lines(endpoint: str, schedules: list[dict[str, Any]]) -> list[str]:
    """The consequences reviewers read."""
    running = scheduled(schedules)
    lines = []
    if running:
        lines.append(f"stops monitoring schedule(s) {', '.join(running)} (watching {endpoint}) "
                     "before deleting the endpoint and starts them again once the new one is "
                     f"InService: {NO_RUNS} or captured data; the schedules are not deleted")
    others = [f"{s['MonitoringScheduleName']} ({s.get('MonitoringScheduleStatus')})"
              for s in schedules if s["MonitoringScheduleName"] not in running]
    if others:
        lines.append(f"leaves monitoring schedule(s) {', '.join(others)} watching {endpoint} "
                     "as they are")
    return lines


def deleted_by_plan(ctx: PlanContext, summary: dict[str, Any]) -> bool:
    """Whether this plan deletes the schedule too: this environment owns it, its spec is gone,
    pruning is on (the caller's path) and it has no deletion protection (the planner's rule)."""
    owned = ctx.ownership.get(summary["MonitoringScheduleArn"])
    if owned is None or owned.resource_type != SCHEDULE_RESOURCE_TYPE or \
            not ctx.ownership.is_mine(owned.arn):
        return False
    if owned.tags.get(PROTECTION_TAG) == "true":
        return False
    wanted = {r.address for r in ctx.specs.resources}
    return bool(owned.address) and owned.address not in wanted


def deletion_warnings(ctx: PlanContext, address: str, endpoint: str) -> list[Problem]:
    """A warning for each schedule that keeps watching ``endpoint`` after this plan deletes it."""
    return [Problem(address, f"monitoring schedule {s['MonitoringScheduleName']} watches endpoint "
                             f"{endpoint}, which this plan deletes: its runs will find no "
                             "endpoint",
                    "delete or stop the schedule, or point its job definition at another "
                    "endpoint", severity="warning")
            for s in watching(ctx, endpoint) if not deleted_by_plan(ctx, s)]
