"""The ``MonitoringSchedule`` kind: a SageMaker Model Monitor schedule that runs the job a job
definition kind describes (``DataQualityJobDefinition`` ...), on a schedule, against the
endpoint that definition watches; running or stopped as desired.

The package has the shape every kind has (docs/adding-a-kind.md): ``spec.py`` (the spec model
and its checks), ``cadence.py`` (the schedule expressions SageMaker accepts, the next run),
``reasons.py``, ``plan.py`` (read and decide), ``apply.py`` (verification), ``drift.py``,
``importing.py``, ``permissions.py``, and this class. What it shares with the definition kinds
is ``reconciler/kinds/_monitoring.py`` (kinds never import each other).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.kinds._aws import SageMakerKind
from reconciler.kinds._monitoring import MONITORING_TYPES, SCHEDULE_PLAN_ORDER
from reconciler.kinds.monitoring_schedule.permissions import PERMISSIONS
from reconciler.kinds.monitoring_schedule.reasons import REASONS
from reconciler.kinds.monitoring_schedule.spec import MonitoringScheduleSpec

if TYPE_CHECKING:
    from collections.abc import Mapping

    from reconciler.apply.context import ApplyContext
    from reconciler.apply.state import StateTable
    from reconciler.apply.steps import StepHooks, UndoLog
    from reconciler.contract import Orphan
    from reconciler.drift.classify import KindDrift
    from reconciler.iam.tables import Permissions
    from reconciler.importer.adopt import Tagging
    from reconciler.importer.documents import Document
    from reconciler.importer.live import Tagged
    from reconciler.importer.naming import Choice, ImportContext
    from reconciler.plan.context import PlanContext
    from reconciler.plan.model import KindPlan, Problem, ResourceChange
    from reconciler.spec.resources import Resource


class MonitoringScheduleKind(SageMakerKind):
    kind = "MonitoringSchedule"
    noun = "monitoring schedule"
    spec_model = MonitoringScheduleSpec
    description = ("A SageMaker Model Monitor schedule: runs the monitoring job of a job "
                   "definition (by its spec name) on an hourly, daily, every-N-hours or "
                   "one-time (NOW) schedule; running or stopped as desired. The older inline "
                   "`monitoringJobDefinition` is not supported: define the job with a job "
                   "definition kind and name it.")
    resource_types = ("sagemaker:monitoring-schedule",)
    plan_order = SCHEDULE_PLAN_ORDER
    """After the job definitions (whose ``DefinitionRef`` it reads) and endpoints; deleted
    before them (deletions run in reverse)."""
    reasons = REASONS

    @classmethod
    def plan(cls, ctx: PlanContext, desired: list[Resource]) -> KindPlan:
        from reconciler.kinds.monitoring_schedule import plan

        return plan.plan(ctx, desired)

    @classmethod
    def delete_orphan(cls, ctx: PlanContext, orphan: Orphan) -> ResourceChange:
        from reconciler.kinds.monitoring_schedule import plan

        return plan.delete(ctx, orphan)

    @classmethod
    def uses(cls, resource: Resource) -> list[tuple[str, str]]:
        config = resource.spec.monitoring_schedule_config  # type: ignore[attr-defined]
        return [(MONITORING_TYPES[config.monitoring_type], config.monitoring_job_definition_name)]

    @classmethod
    def drift(cls, ctx: PlanContext, state: StateTable, changes: list[ResourceChange],
              seen: set[str]) -> KindDrift:
        from reconciler.kinds.monitoring_schedule import drift

        return drift.drift(ctx, changes, seen)

    # -- import (the schedules that watch an imported endpoint) -----------------------------
    @classmethod
    def import_related(cls, ictx: ImportContext, kind: str, names: list[str]
                       ) -> dict[str, list[str]]:
        from reconciler.kinds.monitoring_schedule import importing

        return importing.related(ictx, kind, names)

    @classmethod
    def import_read(cls, ictx: ImportContext, names: list[str]) -> dict[str, Tagged]:
        from reconciler.kinds.monitoring_schedule import importing

        return importing.read(ictx, names)

    @classmethod
    def import_choice(cls, ictx: ImportContext, name: str, live: Tagged | None, role: str
                      ) -> Choice | None:
        from reconciler.kinds.monitoring_schedule import importing

        return importing.choice(ictx, name, live)

    @classmethod
    def to_document(cls, ictx: ImportContext, live: Tagged, name: str) -> Document:
        from reconciler.kinds.monitoring_schedule import importing

        return importing.document(ictx, live, name)

    @classmethod
    def adoption(cls, ctx: PlanContext, resources: list[Resource],
                 documents: Mapping[str, Document]) -> tuple[list[Tagging], list[Problem]]:
        from reconciler.kinds.monitoring_schedule import importing

        return importing.adoption(ctx, resources, documents)

    @classmethod
    def permissions(cls) -> Permissions:
        return PERMISSIONS

    @classmethod
    def step_hooks(cls, actx: ApplyContext, change: ResourceChange, log: UndoLog
                   ) -> StepHooks:
        from reconciler.kinds.monitoring_schedule import apply

        return apply.ScheduleSteps(actx, change, log)


__all__ = ["MonitoringScheduleKind", "MonitoringScheduleSpec"]
