"""Instance pools of a production variant (heterogeneous endpoints, sagemaker-rules.md rule 54).

AWS (dg/realtime-endpoints-heterogeneous.html): "you replace the InstanceType parameter in your
production variant with an InstancePools list. Each entry specifies an instance type and a
priority (1 to 5, where 1 is the highest)"; SageMaker "tries to provision instances from the
highest-priority pool (priority 1)" and on an insufficient capacity error (ICE) "automatically
falls back to the next pool in priority order ... until the required number of instances is
provisioned, all pools are exhausted, or the total provisioning timeout
(VariantInstanceProvisionTimeoutInSeconds) is reached". Without pools, an ICE fails the
deployment. DescribeEndpoint reports each pool's ``CurrentInstanceCount``
(``InstancePoolSummary``).

The emulator provisions every instance of a variant from one type: the highest-priority pool
whose type is not made unavailable with ``Emulator.set_capacity_unavailable``. Whether AWS mixes
types within one variant when a pool yields only part of the count is not documented; nor is
the order of pools with equal priorities (the emulator takes list order).
"""

from __future__ import annotations

from typing import Any

from sagemaker_emulator.dispatch import validation
from sagemaker_emulator.state import STATE

Params = dict[str, Any]


def ordered(v: Params) -> list[Params]:
    """The variant's pools by priority (list order among equal priorities)."""
    pools = v.get("InstancePools") or []
    return sorted(pools, key=lambda p: p.get("Priority", 0))


def config_types(v: Params) -> list[str]:
    """Every instance type a config variant may run on, in the order SageMaker tries them."""
    if v.get("InstancePools"):
        return [p["InstanceType"] for p in ordered(v)]
    return [v["InstanceType"]] if v.get("InstanceType") else []


def config_types_of(state: Any) -> list[str]:
    """The same for a live variant (a ``VariantState``)."""
    if state.pools:
        return [p["InstanceType"] for p in state.pools]
    return [state.instance_type] if state.instance_type else []


def provisioned_type(v: Params) -> str | None:
    """The type the variant's instances come from; None when every type it may run on has
    insufficient capacity (or it runs on no instance: serverless)."""
    unavailable = STATE.faults.unavailable_types
    return next((t for t in config_types(v) if t not in unavailable), None)


def insufficient(v: Params) -> str | None:
    """The FailureReason of a deployment whose variant ``v`` gets no instance (None: it does).
    The wording is the emulator's: AWS names the error (ICE), not its text."""
    types = config_types(v)
    if not types or provisioned_type(v) is not None:
        return None
    tried = ", ".join(types)
    return (f"Insufficient capacity for variant {v['VariantName']}: no capacity for "
            f"{tried}" + (" in any of its instance pools." if v.get("InstancePools") else "."))


def check(v: Params, field: str, enum: tuple[str, ...], require_model: Any) -> None:
    """Validation of ``InstancePools`` as botocore's shapes state it (InstancePoolList 1-5,
    InstancePool.InstanceType enum and required, Priority 1-5 required) plus the documented
    replacement of ``InstanceType``."""
    pools = v.get("InstancePools")
    if pools is None:
        return
    if v.get("InstanceType"):
        # "you replace the InstanceType parameter ... with an InstancePools list"; the error
        # AWS answers for both is not documented (wording: the emulator's).
        raise validation(f"Variant {v['VariantName']}: specify InstanceType or InstancePools, "
                         "not both.")
    if not isinstance(pools, list) or not 1 <= len(pools) <= 5:
        raise validation(f"1 validation error detected: Value at '{field}.instancePools' failed "
                         "to satisfy constraint: Member must have length between 1 and 5")
    for i, pool in enumerate(pools, 1):
        at = f"{field}.instancePools.{i}.member"
        if pool.get("InstanceType") not in enum:
            raise validation(f"1 validation error detected: Value '{pool.get('InstanceType')}' "
                             f"at '{at}.instanceType' failed to satisfy constraint: Member must "
                             f"satisfy enum value set: [{', '.join(enum)}]")
        priority = pool.get("Priority")
        if not isinstance(priority, int) or not 1 <= priority <= 5:
            raise validation(f"1 validation error detected: Value '{priority}' at "
                             f"'{at}.priority' failed to satisfy constraint: Member must have "
                             "value between 1 and 5")
        if pool.get("ModelNameOverride") is not None:
            require_model(pool["ModelNameOverride"])


def summaries(pools: list[Params], provisioned: str | None, count: int | None) -> list[Params]:
    """DescribeEndpoint's ``InstancePools`` (InstancePoolSummary): every pool with the instances
    it runs."""
    return [{"InstanceType": p["InstanceType"],
             "CurrentInstanceCount": (count or 0) if p["InstanceType"] == provisioned else 0}
            for p in pools]
