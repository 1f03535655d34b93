"""The ``Model`` kind: spec (``spec.py``) and planning (``plan.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.kinds._aws import CONTENT_SUFFIX_LEN, SageMakerKind
from reconciler.kinds.model import pins, plan
from reconciler.kinds.model.spec import ModelSpec

if TYPE_CHECKING:
    from reconciler.plan.context import OwnedResource, PlanContext
    from reconciler.plan.model import KindPlan
    from reconciler.spec.resources import Resource


class ModelKind(SageMakerKind):
    kind = "Model"
    spec_model = ModelSpec
    description = ("A SageMaker model: container image and artifacts, or a package from the "
                   "model registry. Created under a content-derived name.")
    name_max_length = 63 - CONTENT_SUFFIX_LEN
    name_length_note = "leaving room for the content suffix sagectl appends (-xxxxxxxx)"
    resource_types = ("sagemaker:model",)
    plan_order = 20
    pin_prefix = "registry:"

    @classmethod
    def plan(cls, ctx: PlanContext, desired: list[Resource]) -> KindPlan:
        return plan.plan(ctx, desired)

    @classmethod
    def plan_orphans(cls, ctx: PlanContext, orphans: list[OwnedResource]) -> KindPlan:
        return plan.plan_orphans(ctx, orphans)

    @classmethod
    def check_pin(cls, ctx: PlanContext, key: str, value: str) -> str | None:
        return pins.check_pin(ctx, key, value)


__all__ = ["ModelKind", "ModelSpec"]
