"""The ``Alarm`` kind: spec (``spec.py``) and planning (``plan.py``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from reconciler.contract import CheckContext, Issue, Kind, SpecModel
from reconciler.kinds._aws import ALARM_NAME_PATTERN
from reconciler.kinds.alarm.managed import RESERVED_MESSAGE, owned_by_autoscaling
from reconciler.kinds.alarm.permissions import PERMISSIONS
from reconciler.kinds.alarm.reasons import REASONS
from reconciler.kinds.alarm.spec import AlarmSpec

if TYPE_CHECKING:
    from reconciler.contract import Orphan
    from reconciler.iam.tables import Permissions
    from reconciler.importer.adopt import Tagging
    from reconciler.importer.documents import Document
    from reconciler.importer.live import Tagged
    from reconciler.importer.naming import Choice, ImportContext
    from reconciler.plan.context import PlanContext
    from reconciler.plan.model import KindPlan, Problem, ResourceChange
    from reconciler.spec.resources import Resource


class AlarmKind(Kind):
    kind = "Alarm"
    spec_model = AlarmSpec
    description = "A CloudWatch metric alarm, e.g. a guardrail that triggers an automatic rollback."
    name_pattern = ALARM_NAME_PATTERN
    name_max_length = 255
    name_help = "any printable characters, not only spaces"
    resource_types = ("cloudwatch:alarm",)
    plan_order = 30
    reasons = REASONS

    @classmethod
    def check(cls, name: str, spec: SpecModel, ctx: CheckContext) -> Iterator[Issue]:
        """The spec's own checks, and its name outside Application Auto Scaling's."""
        if owned_by_autoscaling(name):
            yield Issue(("metadata", "name"), RESERVED_MESSAGE)
        yield from super().check(name, spec, ctx)

    @classmethod
    def prefetch(cls, ctx: PlanContext, desired: list[Resource]) -> None:
        from reconciler.kinds.alarm import plan

        plan.prefetch(ctx, desired)

    @classmethod
    def plan(cls, ctx: PlanContext, desired: list[Resource]) -> KindPlan:
        from reconciler.kinds.alarm import plan

        return plan.plan(ctx, desired)

    @classmethod
    def keep_orphan(cls, ctx: PlanContext, orphan: Orphan) -> Problem | None:
        from reconciler.kinds.alarm import plan

        return plan.keep_orphan(orphan)

    @classmethod
    def delete_orphan(cls, ctx: PlanContext, orphan: Orphan) -> ResourceChange:
        from reconciler.kinds.alarm import plan

        return plan.delete(orphan)

    # -- import --------------------------------------------------------------------------------
    @classmethod
    def import_related(cls, ictx: ImportContext, kind: str, names: list[str]
                       ) -> dict[str, list[str]]:
        from reconciler.kinds.alarm import importing

        return importing.related(ictx, kind, names)

    @classmethod
    def import_read(cls, ictx: ImportContext, names: list[str]) -> dict[str, Tagged]:
        from reconciler.kinds.alarm import importing

        return importing.read(ictx, names)

    @classmethod
    def import_choice(cls, ictx: ImportContext, name: str, live: Tagged | None, role: str
                      ) -> Choice | None:
        from reconciler.kinds.alarm import importing

        return importing.choice(ictx, name, live, role)

    @classmethod
    def to_document(cls, ictx: ImportContext, live: Tagged, name: str) -> Document:
        from reconciler.kinds.alarm import importing

        return importing.document(ictx, live, name)

    @classmethod
    def adoption(cls, ctx: PlanContext, resources: list[Resource],
                 documents: Mapping[str, Document]) -> tuple[list[Tagging], list[Problem]]:
        from reconciler.kinds.alarm import importing

        return importing.adoption(ctx, resources, documents)

    # -- IAM -----------------------------------------------------------------------------------
    @classmethod
    def permissions(cls) -> Permissions:
        return PERMISSIONS


__all__ = ["AlarmKind", "AlarmSpec", "owned_by_autoscaling"]
