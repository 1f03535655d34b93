"""The ``Pipeline`` kind: spec (``spec.py``, ``validate.py``), planning (``plan.py``, with the
schedule in ``trigger.py``) and applying (``apply.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.kinds._aws import SageMakerKind
from reconciler.kinds.pipeline import permissions
from reconciler.kinds.pipeline.reasons import REASONS
from reconciler.kinds.pipeline.spec import PIPELINE_NAME_PATTERN, PipelineSpec

if TYPE_CHECKING:
    from reconciler.apply.context import ApplyContext
    from reconciler.apply.steps import StepHooks, UndoLog
    from reconciler.contract import Orphan
    from reconciler.iam.tables import Permissions
    from reconciler.plan.context import PlanContext
    from reconciler.plan.model import KindPlan, ResourceChange
    from reconciler.spec.resources import Resource


class PipelineKind(SageMakerKind):
    kind = "Pipeline"
    spec_model = PipelineSpec
    description = "A SageMaker pipeline definition with its role, parameters and parallelism."
    name_pattern = PIPELINE_NAME_PATTERN
    name_max_length = 256
    resource_types = ("sagemaker:pipeline",)
    plan_order = 50
    reasons = REASONS

    @classmethod
    def auxiliary_files(cls, raw_spec: object) -> list[str]:
        if isinstance(raw_spec, dict):
            ref = raw_spec.get("pipelineDefinitionFile")
            if isinstance(ref, str):
                return [ref]
        return []

    @classmethod
    def plan(cls, ctx: PlanContext, desired: list[Resource]) -> KindPlan:
        from reconciler.kinds.pipeline import plan

        return plan.plan(ctx, desired)

    @classmethod
    def delete_orphan(cls, ctx: PlanContext, orphan: Orphan) -> ResourceChange:
        from reconciler.kinds.pipeline import plan

        return plan.delete(ctx, orphan)

    # -- IAM -----------------------------------------------------------------------------------
    @classmethod
    def permissions(cls) -> Permissions:
        return permissions.PERMISSIONS

    @classmethod
    def policy_resources(cls, resource: Resource) -> dict[str, list[str]]:
        return permissions.policy_resources(resource.spec)  # type: ignore[arg-type]

    @classmethod
    def step_hooks(cls, actx: ApplyContext, change: ResourceChange, log: UndoLog
                   ) -> StepHooks:
        from reconciler.kinds.pipeline import apply

        return apply.PipelineSteps(actx, change, log)


__all__ = ["PipelineKind", "PipelineSpec"]
