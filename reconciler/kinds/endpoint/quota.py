"""Instance quotas (sagemaker-rules.md rule 20): what a change runs at its peak, per instance
type, against the account's quotas '<type> for endpoint usage' read from Service Quotas.

A variant with instance pools (rule 54) is counted against its priority-1 type, where SageMaker
puts its instances when it has the capacity; whether a quota limit (rather than insufficient
capacity) makes SageMaker fall back to the next pool is not documented, so the warning says
what happens on the first pool and no more.

AWS refuses a CreateEndpoint, UpdateEndpoint or UpdateEndpointWeightsAndCapacities that would
exceed a quota with ``ResourceLimitExceeded``; a blue/green update keeps the old fleet while it
brings up the new one, a rolling one needs one batch more. The plan warns when a change alone
needs more than the quota (other endpoints of the account count towards it too, which the plan
does not read); a quota sagectl may not read (no ``servicequotas:ListServiceQuotas``) means no
warning, never an error.
"""

from __future__ import annotations

from collections import Counter

from botocore.exceptions import BotoCoreError, ClientError

from reconciler.kinds.endpoint.apply_data import EndpointApplyData
from reconciler.kinds.endpoint.estimate import Rollout
from reconciler.kinds.endpoint.live import LiveEndpoint
from reconciler.kinds.endpoint.spec import EndpointSpec
from reconciler.plan.context import PlanContext
from reconciler.plan.model import Problem, ResourceChange

SERVICE_QUOTAS_PAGE = "https://docs.aws.amazon.com/sagemaker/latest/dg/regions-quotas.html"


def quota_name(instance_type: str) -> str:
    return f"{instance_type} for endpoint usage"


def running(live: LiveEndpoint) -> Counter[str]:
    """Instances per type the endpoint runs now (needs its described config)."""
    counts: Counter[str] = Counter()
    if live.config is None or live.described is None:
        return counts
    types = {v["variantName"]: v.get("instanceType")
             for v in live.config.get("productionVariants", [])
             + live.config.get("shadowProductionVariants", [])}
    for v in live.described.get("ProductionVariants", []) + \
            live.described.get("ShadowProductionVariants", []):
        if v.get("InstancePools"):  # a heterogeneous variant counts its instances per pool
            for pool in v["InstancePools"]:
                counts[pool["InstanceType"]] += int(pool.get("CurrentInstanceCount") or 0)
            continue
        itype = types.get(v["VariantName"])
        if itype:
            counts[itype] += int(v.get("CurrentInstanceCount") or 0)
    return counts


def new_fleet(spec: EndpointSpec, counts: dict[str, int], plan: Rollout | None = None
              ) -> Counter[str]:
    """Instances per type brought up next to the running fleet: the whole new fleet, or one
    batch for a rolling update. ``counts``: production variant counts after the deploy."""
    fleet: Counter[str] = Counter()
    for v in spec.production_variants:
        if v.first_instance_type and v.variant_name in counts:
            fleet[v.first_instance_type] += counts[v.variant_name]
    for v in spec.shadow_production_variants or []:
        if v.first_instance_type and v.initial_instance_count:
            fleet[v.first_instance_type] += v.initial_instance_count
    if plan is not None and plan.strategy == "rolling" and len(fleet) == 1:
        return Counter({next(iter(fleet)): plan.peak_extra})
    return fleet


def needs(running_now: Counter[str], added: Counter[str]) -> dict[str, dict[str, int]]:
    """``{type: {running, new, peak}}`` for the plan's consequences and apply data."""
    return {t: {"running": running_now[t], "new": added[t], "peak": running_now[t] + added[t]}
            for t in sorted(added) if added[t]}


def consequence(needed: dict[str, dict[str, int]]) -> dict[str, object]:
    """The plan's ``instances_by_type`` consequence, when the change adds instances."""
    return {"instances_by_type": needed} if needed else {}


def read_quotas(ctx: PlanContext) -> dict[str, float]:
    """Quota name -> value of the account's applied SageMaker quotas ({} if unreadable)."""
    try:
        found = ctx.aws.paginate("service-quotas", "list_service_quotas", "Quotas",
                                 ServiceCode="sagemaker")
    except (ClientError, BotoCoreError):
        return {}
    return {q["QuotaName"]: float(q["Value"]) for q in found if "Value" in q}


def warnings(change: ResourceChange, quotas: dict[str, float], region: str) -> list[Problem]:
    found = []
    for itype, need in EndpointApplyData.of(change).instances_by_type.items():
        limit = quotas.get(quota_name(itype))
        if limit is None or need["peak"] <= limit:
            continue
        found.append(Problem(
            change.address,
            f"at its peak this change runs {need['peak']} x {itype} ({need['running']} running "
            f"+ {need['new']} new), more than the account's quota '{quota_name(itype)}' of "
            f"{limit:g} in {region}: AWS will refuse it (ResourceLimitExceeded); other "
            "endpoints of the account count towards the quota too",
            f"request an increase in Service Quotas (service sagemaker, {SERVICE_QUOTAS_PAGE})"
            + (", or deploy with a rollingUpdatePolicy, which needs one batch more instead of a "
               "second fleet" if need["running"] else ""), "warning"))
    return found

