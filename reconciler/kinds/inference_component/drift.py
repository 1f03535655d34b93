"""What a drift check learns about inference components, from the DescribeInferenceComponent the
plan made (``PlanContext.observed``):

- ``autoscaler``: a component whose copy count the autoscaler owns runs another count than the
  spec's initial one (the plan ignores it; drift reports it as information);
- ``system``: SageMaker is working on it (Creating, Updating, Deleting): wait;
- ``failed_deployment``: SageMaker left it Failed.
A specification changed by hand is a change whose spec digest is the one last applied: the
generic rule classifies it ``out_of_band``.
"""

from __future__ import annotations

from typing import Any

from reconciler.drift.classify import DriftItem, KindDrift
from reconciler.kinds.inference_component import live
from reconciler.plan.context import PlanContext
from reconciler.plan.model import DiffEntry, ResourceChange

OBSERVED = "InferenceComponent"


def drift(ctx: PlanContext, changes: list[ResourceChange], seen: set[str]) -> KindDrift:
    described: dict[str, Any] = ctx.observed.get(OBSERVED, {})
    result = KindDrift()
    for change in changes:
        d = described.get(change.name) or {}
        status = d.get("InferenceComponentStatus")
        if status == "Failed":
            result.classified[change.address] = DriftItem(
                change.address, change.kind, change.name, "failed_deployment",
                f"inference component is Failed: {d.get('FailureReason') or 'no reason given'}",
                change.diff)
        elif status in live.BUSY:
            result.classified[change.address] = DriftItem(
                change.address, change.kind, change.name, "system",
                f"inference component is {status}; wait", change.diff)
    for resource in ctx.specs.resources:
        if resource.kind != OBSERVED or resource.name not in described:
            continue
        spec: Any = resource.spec
        if spec.effective_capacity_owner != "autoscaling" or spec.runtime_config is None:
            continue
        count = live.copies(described[resource.name])
        initial = spec.runtime_config.copy_count
        if count is None or count == initial:
            continue
        scaling = spec.autoscaling
        bounds = f" (bounds {scaling.min_capacity}-{scaling.max_capacity})" if scaling else ""
        result.items.append(DriftItem(
            resource.address, OBSERVED, resource.name, "autoscaler",
            f"inference component {resource.name} runs {count} cop"
            f"{'y' if count == 1 else 'ies'}, the spec's initial count is {initial}{bounds}: "
            "the autoscaler's to decide",
            [DiffEntry("runtimeConfig.desiredCopyCount", count, initial)]))
    return result
