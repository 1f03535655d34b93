"""Which job definitions live monitoring schedules use: a definition a schedule uses is never
deleted by the definition kinds (SageMaker refuses anyway, and the schedule kind deletes the
version it moves away from once it has verified the move).

Read only when a plan may delete a definition (earlier versions of a desired one, or one that
left the specs): one paginated ListMonitoringSchedules per plan, whose summaries name each
schedule's ``MonitoringJobDefinitionName`` and ``MonitoringType``. A schedule this plan deletes
itself (owned by this environment, gone from the specs, pruning on, not protected) does not
keep the definitions of a definition spec that left the specs: deletions run in reverse planning
order, so the schedule goes first. Earlier versions of a definition that is still in the specs
are deleted only when no live schedule at all uses them (the next plan deletes the rest).
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.plan.context import PROTECTION_TAG, PlanContext

SCHEDULE_TYPE = "sagemaker:monitoring-schedule"
SCHEDULE_KIND = "MonitoringSchedule"


@dataclass(frozen=True)
class User:
    """A live schedule that uses a job definition."""

    schedule: str
    monitoring_type: str
    deleted_by_plan: bool


def _deleted_by_this_plan(ctx: PlanContext, name: str) -> bool:
    owned = next((r for r in ctx.ownership.mine(SCHEDULE_TYPE) if r.name == name.lower()), None)
    if owned is None or not ctx.prune or owned.tags.get(PROTECTION_TAG) == "true":
        return False
    spec_name = (owned.address or "").partition(".")[2] or name
    return ctx.specs.get(SCHEDULE_KIND, spec_name) is None


def definitions_in_use(ctx: PlanContext) -> dict[tuple[str, str], list[User]]:
    """(monitoring type, job definition name in lower case) -> the live schedules using it."""
    def read() -> dict[tuple[str, str], list[User]]:
        found: dict[tuple[str, str], list[User]] = {}
        for s in ctx.aws.paginate("sagemaker", "list_monitoring_schedules",
                                  "MonitoringScheduleSummaries"):
            definition = s.get("MonitoringJobDefinitionName")
            if not definition:
                continue  # a schedule with its job definition inline uses none of ours
            name = s["MonitoringScheduleName"]
            key = (s.get("MonitoringType") or "DataQuality", definition.lower())
            found.setdefault(key, []).append(User(name, key[0],
                                                  _deleted_by_this_plan(ctx, name)))
        return found

    return ctx.once("monitoring-definitions-in-use", read)


def users(ctx: PlanContext, monitoring_type: str, name: str, *, keep_deleted: bool
          ) -> list[str]:
    """The live schedules that keep definition ``name`` (``keep_deleted``: also those this
    plan deletes)."""
    return sorted(u.schedule for u in definitions_in_use(ctx).get(
        (monitoring_type, name.lower()), []) if keep_deleted or not u.deleted_by_plan)
