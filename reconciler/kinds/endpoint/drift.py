"""What a drift check learns about endpoints, from the DescribeEndpoint the plan made
(``plan.read`` records them in ``PlanContext.observed``) and the quarantine records:

- ``failed_deployment``: an endpoint Failed or UpdateRollbackFailed, or quarantined after a
  rollback of the very spec it should run now;
- ``system``: SageMaker is working on it (Creating, Updating, SystemUpdating, ...): wait;
- ``autoscaler``: a variant whose capacity the autoscaler owns runs another count than the spec's
  initial one (within bounds: the plan ignores it, drift reports it as information).
"""

from __future__ import annotations

from typing import Any

from reconciler.apply.state import StateError, StateTable
from reconciler.drift.classify import DriftItem, KindDrift
from reconciler.plan.context import PlanContext
from reconciler.plan.model import DiffEntry, ResourceChange

OBSERVED = "Endpoint"
"""``PlanContext.observed`` key: DescribeEndpoint by name, of the spec endpoints that exist."""
BROKEN = {"Failed", "UpdateRollbackFailed"}
BUSY = {"Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting"}


def observe(ctx: PlanContext, described: dict[str, dict[str, Any] | None]) -> None:
    """Record what the plan read, for a drift check."""
    ctx.observed[OBSERVED] = {n: d for n, d in described.items() if d is not None}


def _quarantine(state: StateTable, names: list[str]) -> dict[str, Any]:
    """Quarantine records by endpoint; none when the state table does not exist (drift is
    read-only: it never creates it)."""
    out: dict[str, Any] = {}
    try:
        for name in names:
            found = state.quarantined(name)
            if found:
                out[name] = found
    except StateError:
        return {}
    return out


def _classify(ctx: PlanContext, change: ResourceChange, described: dict[str, Any],
              quarantine: dict[str, Any]) -> DriftItem | None:
    def item(drift_class: str, reason: str) -> DriftItem:
        return DriftItem(change.address, change.kind, change.name, drift_class, reason,
                         change.diff)

    status = (described.get(change.name) or {}).get("EndpointStatus")
    found = quarantine.get(change.name)
    wanted = str(getattr(change.apply_data, "spec_digest", None)  # what the change deploys
                 or ctx.digests.get(change.address))
    if found and found.get("spec_digest") == wanted:
        return item("failed_deployment", f"quarantined after a rollback: "
                                         f"{found.get('reason') or 'no reason recorded'}")
    if status in BROKEN:
        reason = (described.get(change.name) or {}).get("FailureReason") or "no reason"
        return item("failed_deployment", f"endpoint is {status}: {reason}")
    if status in BUSY:
        return item("system", f"endpoint is {status}; wait")
    return None


def _autoscaler(ctx: PlanContext, described: dict[str, Any]) -> list[DriftItem]:
    """Variants whose capacity the autoscaler owns and moved (within bounds: the plan ignores
    them, drift reports them as information)."""
    items = []
    for resource in ctx.specs.resources:
        if resource.kind != "Endpoint" or resource.name not in described:
            continue
        live = {v.get("VariantName"): v for v in
                (described[resource.name] or {}).get("ProductionVariants", [])}
        for variant in resource.spec.production_variants:  # type: ignore[attr-defined]
            if variant.effective_capacity_owner not in ("autoscaling", "managed"):
                continue
            count = (live.get(variant.variant_name) or {}).get("CurrentInstanceCount")
            if count is None or count == variant.initial_instance_count:
                continue
            scaling, mis = variant.autoscaling, variant.managed_instance_scaling
            bounds = f" (bounds {scaling.min_capacity}-{scaling.max_capacity})" if scaling else ""
            if variant.managed and mis is not None:
                bounds = (f" (managed instance scaling {mis.min_instance_count}-"
                          f"{mis.max_instance_count})")
            items.append(DriftItem(
                resource.address, "Endpoint", resource.name, "autoscaler",
                f"variant {variant.variant_name} runs {count} instance(s), the spec's initial "
                f"count is {variant.initial_instance_count}{bounds}: the autoscaler's to decide",
                [DiffEntry(f"productionVariants[{variant.variant_name}].currentInstanceCount",
                           count, variant.initial_instance_count)]))
    return items


def _system(described: dict[str, Any], seen: set[str]) -> list[DriftItem]:
    """Endpoints with no change that are nevertheless broken or busy."""
    items = []
    for name, d in sorted(described.items()):
        address = f"Endpoint.{name}"
        status = (d or {}).get("EndpointStatus")
        if address in seen or status is None:
            continue
        if status in BROKEN:
            reason = d.get("FailureReason") or "no reason given"
            items.append(DriftItem(address, "Endpoint", name, "failed_deployment",
                                   f"endpoint is {status}: {reason}"))
        elif status in BUSY:
            items.append(DriftItem(address, "Endpoint", name, "system",
                                   f"endpoint is {status}; wait"))
    return items


def drift(ctx: PlanContext, state: StateTable, changes: list[ResourceChange],
          seen: set[str]) -> KindDrift:
    described: dict[str, Any] = ctx.observed.get(OBSERVED, {})
    quarantine = _quarantine(state, list(described))
    result = KindDrift()
    for change in changes:
        item = _classify(ctx, change, described, quarantine)
        if item is not None:
            result.classified[change.address] = item
    result.items = _system(described, seen) + _autoscaler(ctx, described)
    return result
