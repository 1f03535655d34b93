"""Drift: every difference between live AWS and the specs, with a class that says what to do.

The plan already knows *what* differs; drift says *why*, from what the plan read:

- ``out_of_band``: an owned resource differs although its spec did not change since sagectl last
  applied it (the digest in its ownership tag is the one the specs give now): someone changed it
  by hand. Healed by ``--heal``.
- ``missing``: in the specs, absent in AWS (and never created in another version). Healed.
- ``pending``: the specs changed and no apply has made the change yet (the tag holds an older
  digest, a new model version is not created, an owned resource left the specs): the merge's
  apply did not run or did not finish. Actionable, never healed (that is apply's job).
- ``failed_deployment``: an endpoint Failed, UpdateRollbackFailed, or quarantined after a
  rollback of the spec it should run. Actionable, never healed (a human must look).
- ``unmanaged``: a resource with a spec's name that sagectl does not own. Actionable (import it
  or rename the spec), never healed.
- ``autoscaler``: the autoscaler moved a variant's capacity within its bounds. Information.
- ``system``: SageMaker's own activity (SystemUpdating, an update in flight): wait. Information.

Knows the plan's vocabulary and the endpoint status names; reads nothing but one DescribeEndpoint
per endpoint spec and the quarantine records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.plan.context import ADDRESS_TAG, DIGEST_TAG, PlanContext
from reconciler.plan.model import DiffEntry, Plan, ResourceChange

ACTIONABLE = ("out_of_band", "missing", "pending", "failed_deployment", "unmanaged")
INFORMATIONAL = ("autoscaler", "system")
HEALABLE = ("out_of_band", "missing")
BROKEN = {"Failed", "UpdateRollbackFailed"}
BUSY = {"Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting"}

WHY = {
    "out_of_band": "changed outside sagectl: its spec is the one last applied, the live state "
                   "is not",
    "missing": "in the specs, not in AWS",
    "pending": "the specs changed and no apply has made the change yet",
    "failed_deployment": "the last deployment did not succeed",
    "unmanaged": "exists with this name but is not managed by sagectl",
    "autoscaler": "the autoscaler moved capacity within the scaling bounds (left alone)",
    "system": "SageMaker is working on it; wait",
}


@dataclass
class DriftItem:
    address: str
    kind: str
    name: str
    drift_class: str
    reason: str
    diff: list[DiffEntry] = field(default_factory=list)

    @property
    def actionable(self) -> bool:
        return self.drift_class in ACTIONABLE

    def as_dict(self) -> dict[str, Any]:
        return {"address": self.address, "kind": self.kind, "name": self.name,
                "class": self.drift_class, "actionable": self.actionable, "reason": self.reason,
                "diff": [{"path": d.path, "live": d.before, "spec": d.after}
                         for d in self.diff]}


@dataclass
class DriftReport:
    plan: Plan
    items: list[DriftItem] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Plan problems that are not drift (e.g. a create-only field changed): shown, not classed."""

    @property
    def actionable(self) -> bool:
        return any(i.actionable for i in self.items)

    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(ACTIONABLE + INFORMATIONAL, 0)
        for item in self.items:
            counts[item.drift_class] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        p = self.plan
        return {"format_version": 1, "env": p.env, "account": p.account, "region": p.region,
                "git_commit": p.git_commit, "actionable": self.actionable,
                "summary": self.summary(), "drift": [i.as_dict() for i in self.items],
                "problems": self.problems}


def _live_tags(ctx: PlanContext) -> dict[str, dict[str, str]]:
    """Ownership tags by address, from the resource that carries the address first (an endpoint
    and its configs share one address: the endpoint wins)."""
    out: dict[str, dict[str, str]] = {}
    for owned in sorted(ctx.ownership.by_arn.values(),
                        key=lambda r: (r.resource_type != "sagemaker:endpoint", r.arn)):
        address = owned.tags.get(ADDRESS_TAG)
        if address and (owned.env or "") == (ctx.env or "") and address not in out:
            out[address] = owned.tags
    return out


def _owned_versions(ctx: PlanContext, address: str) -> int:
    return sum(1 for r in ctx.ownership.by_arn.values()
               if r.tags.get(ADDRESS_TAG) == address and (r.env or "") == (ctx.env or ""))


def _classify_change(change: ResourceChange, ctx: PlanContext, tags: dict[str, dict[str, str]],
                     described: dict[str, Any], quarantine: dict[str, Any]) -> DriftItem:
    def item(drift_class: str, reason: str | None = None) -> DriftItem:
        return DriftItem(change.address, change.kind, change.name, drift_class,
                         reason or WHY[drift_class], change.diff)

    if change.actions == ["delete"]:
        return item("pending", "owned, no longer in the specs, not deleted yet")
    if change.kind == "Endpoint":
        status = (described.get(change.name) or {}).get("EndpointStatus")
        found = quarantine.get(change.name)
        # the spec digest the change deploys (the kind's apply data names it)
        wanted = str(getattr(change.apply_data, "spec_digest", None)
                     or ctx.digests.get(change.address))
        if found and found.get("spec_digest") == wanted:
            return item("failed_deployment", f"quarantined after a rollback: "
                                             f"{found.get('reason') or 'no reason recorded'}")
        if status in BROKEN:
            reason = (described.get(change.name) or {}).get("FailureReason") or "no reason"
            return item("failed_deployment", f"endpoint is {status}: {reason}")
        if status in BUSY:
            return item("system", f"endpoint is {status}; wait")
    if change.actions == ["create"]:
        if change.kind == "Model" and _owned_versions(ctx, change.address):
            return item("pending", "the model's spec changed: its new version is not created "
                                   "yet")
        return item("missing")
    recorded = tags.get(change.address, {}).get(DIGEST_TAG)
    wanted = ctx.digests.get(change.address)
    if recorded and wanted and recorded == wanted:
        return item("out_of_band")
    return item("pending")


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
            if variant.effective_capacity_owner != "autoscaling":
                continue
            count = (live.get(variant.variant_name) or {}).get("CurrentInstanceCount")
            if count is None or count == variant.initial_instance_count:
                continue
            scaling = variant.autoscaling
            bounds = f" (bounds {scaling.min_capacity}-{scaling.max_capacity})" if scaling else ""
            items.append(DriftItem(
                resource.address, "Endpoint", resource.name, "autoscaler",
                f"variant {variant.variant_name} runs {count} instance(s), the spec's initial "
                f"count is {variant.initial_instance_count}{bounds}: the autoscaler's to decide",
                [DiffEntry(f"productionVariants[{variant.variant_name}].currentInstanceCount",
                           count, variant.initial_instance_count)]))
    return items


def _system(ctx: PlanContext, described: dict[str, Any], seen: set[str]) -> list[DriftItem]:
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


def classify(plan: Plan, ctx: PlanContext, described: dict[str, Any],
             quarantine: dict[str, Any]) -> DriftReport:
    """``described``: DescribeEndpoint by endpoint name (spec endpoints that exist);
    ``quarantine``: the state table's quarantine records by endpoint name."""
    report = DriftReport(plan)
    tags = _live_tags(ctx)
    seen: set[str] = set()
    for change in plan.resource_changes:
        report.items.append(_classify_change(change, ctx, tags, described, quarantine))
        seen.add(change.address)
    for problem in plan.problems:
        if "not managed by sagectl" in problem.message:
            kind, _, name = problem.address.partition(".")
            report.items.append(DriftItem(problem.address, kind, name, "unmanaged",
                                          problem.message + (f" ({problem.hint})"
                                                             if problem.hint else "")))
            seen.add(problem.address)
        elif problem.severity == "error":
            report.problems.append(f"{problem.address}: {problem.message}")
    report.items += _system(ctx, described, seen)
    report.items += _autoscaler(ctx, described)
    order = {c: i for i, c in enumerate(ACTIONABLE + INFORMATIONAL)}
    report.items.sort(key=lambda i: (order[i.drift_class], i.address))
    return report
