"""The ``Alarm`` kind: spec (``spec.py``) and planning (``plan.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from reconciler.contract import CheckContext, Issue, Kind, SpecModel
from reconciler.kinds._aws import ALARM_NAME_PATTERN
from reconciler.kinds.alarm import plan
from reconciler.kinds.alarm.managed import RESERVED_MESSAGE, owned_by_autoscaling
from reconciler.kinds.alarm.spec import AlarmSpec

if TYPE_CHECKING:
    from reconciler.plan.context import OwnedResource, PlanContext
    from reconciler.plan.model import KindPlan
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

    @classmethod
    def check(cls, name: str, spec: SpecModel, ctx: CheckContext) -> Iterator[Issue]:
        """The spec's own checks, and its name outside Application Auto Scaling's."""
        if owned_by_autoscaling(name):
            yield Issue(("metadata", "name"), RESERVED_MESSAGE)
        yield from super().check(name, spec, ctx)

    @classmethod
    def prefetch(cls, ctx: PlanContext, desired: list[Resource]) -> None:
        plan.prefetch(ctx, desired)

    @classmethod
    def plan(cls, ctx: PlanContext, desired: list[Resource]) -> KindPlan:
        return plan.plan(ctx, desired)

    @classmethod
    def plan_orphans(cls, ctx: PlanContext, orphans: list[OwnedResource]) -> KindPlan:
        return plan.plan_orphans(ctx, orphans)


__all__ = ["AlarmKind", "AlarmSpec", "owned_by_autoscaling"]
