"""The ``Endpoint`` kind: endpoint, endpoint config, variants, autoscaling, deployment policy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.kinds._aws import CONTENT_SUFFIX_LEN, SageMakerKind
from reconciler.kinds.endpoint import apply, plan, quarantine, resume
from reconciler.kinds.endpoint.spec import EndpointSpec

if TYPE_CHECKING:
    from reconciler.apply.context import ApplyContext, Outcome
    from reconciler.apply.steps import StepHooks, UndoLog
    from reconciler.plan.context import OwnedResource, PlanContext
    from reconciler.plan.model import KindPlan, ResourceChange
    from reconciler.spec.resources import Resource


class EndpointKind(SageMakerKind):
    kind = "Endpoint"
    spec_model = EndpointSpec
    description = ("A SageMaker real-time, serverless or asynchronous endpoint with its variants, "
                   "autoscaling and deployment guardrails.")
    name_max_length = 63 - CONTENT_SUFFIX_LEN
    name_length_note = ("leaving room for the content suffix of its endpoint configs "
                        "(-xxxxxxxx)")
    name_case_sensitive = False
    """"The name is case-insensitive in CreateEndpoint" (API reference, EndpointName)."""
    resource_types = ("sagemaker:endpoint", "sagemaker:endpoint-config")
    plan_order = 40

    @classmethod
    def start_chains(cls, ctx: PlanContext, desired: list[Resource]) -> None:
        plan.start_chains(ctx)

    @classmethod
    def prefetch(cls, ctx: PlanContext, desired: list[Resource]) -> None:
        plan.prefetch(ctx, desired)

    @classmethod
    def plan(cls, ctx: PlanContext, desired: list[Resource]) -> KindPlan:
        return plan.plan(ctx, desired)

    @classmethod
    def plan_orphans(cls, ctx: PlanContext, orphans: list[OwnedResource]) -> KindPlan:
        return plan.plan_orphans(ctx, [o for o in orphans
                                       if o.resource_type == "sagemaker:endpoint"])

    @classmethod
    def step_hooks(cls, actx: ApplyContext, change: ResourceChange, log: UndoLog
                   ) -> StepHooks:
        return apply.EndpointSteps(actx, change, log)

    @classmethod
    def blocked(cls, actx: ApplyContext, change: ResourceChange) -> Outcome | None:
        known = quarantine.Quarantine.read(actx, change)
        return known.refusal(actx, change, str(change.consequences.get("spec_digest", "")))

    @classmethod
    def lease_key(cls, address: str, name: str) -> str:
        return name  # the lease item endpoints had before every kind was leased

    @classmethod
    def recover(cls, actx: ApplyContext, names: list[str]) -> list[Outcome]:
        outcomes = [o for o in (resume.recover(actx, n) for n in names) if o is not None]
        quarantine.after_table_loss(actx, names)
        return outcomes


__all__ = ["EndpointKind", "EndpointSpec"]
