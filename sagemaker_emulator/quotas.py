"""Instance quotas for SageMaker endpoints, and Service Quotas' ListServiceQuotas for them
(sagemaker-rules.md rule 20).

AWS: ``ResourceLimitExceeded`` is the one error botocore's model declares for CreateEndpoint,
UpdateEndpoint and UpdateEndpointWeightsAndCapacities ("You have exceeded an SageMaker resource
limit"); quotas are per account and Region, one per instance type, named "<type> for endpoint
usage" (Service Quotas, service code ``sagemaker``). What AWS does not document, and the emulator's
choice:
- the message: the emulator uses the wording users quote from real accounts (e.g.
  aws-samples/aws-genai-llm-chatbot#244): "The account-level service limit '<type> for endpoint
  usage' is N Instances, with current utilization of U Instances and a request delta of D
  Instances. ...";
- what counts: every instance of that type the account's endpoints in the Region run, plus the
  fleets being brought up; a blue/green update's request delta is its whole new fleet (the old
  one "maintained" meanwhile, BlueGreenUpdatePolicy), a rolling update's one batch ("roughly the
  batch size overhead", rolling deployments guide), a capacity change its increase;
- the check is made when the call is made (the error is modeled on the call);
- no quota set means no limit (accounts differ; tests set the quotas they need);
- quota codes: AWS assigns opaque ``L-XXXXXXXX`` codes that are not documented for SageMaker;
  the emulator derives stable ones from the quota name. sagectl matches quotas by name.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from typing import Any

from moto.servicequotas.models import servicequotas_backends

from sagemaker_emulator.dispatch import AwsError, CallContext, handler
from sagemaker_emulator.paging import page, with_token
from sagemaker_emulator.sagemaker import pools
from sagemaker_emulator.sagemaker.store import Endpoint, EndpointConfig, Hosting

Params = dict[str, Any]


def quota_name(instance_type: str) -> str:
    return f"{instance_type} for endpoint usage"


def quotas(account: str, region: str) -> dict[str, int]:
    """Instance type -> the account's quota in the Region (set by ``Emulator.set_quota``)."""
    backend = servicequotas_backends[account][region]
    found = getattr(backend, "_sagectl_quotas", None)
    if found is None:
        found = {}
        backend._sagectl_quotas = found
    return found  # type: ignore[no-any-return]


def fleet(cfg: EndpointConfig) -> Counter[str]:
    """Instances per type that ``cfg`` runs (production and shadow variants)."""
    counts: Counter[str] = Counter()
    for v in cfg.variants + cfg.shadow_variants:
        itype = pools.provisioned_type(v)  # the pool its instances come from (rule 54)
        if itype:
            counts[itype] += int(v.get("InitialInstanceCount") or 0)
    return counts


def _running(ep: Endpoint) -> Counter[str]:
    counts: Counter[str] = Counter()
    for v in ep.variants:
        if v.instance_type:
            counts[v.instance_type] += max(v.current_count or 0, v.desired_count or 0)
    op = ep.operation
    if op is not None and op.kind == "update" and op.fleet_delta:
        counts.update(op.fleet_delta)
    return counts


def usage(store: Hosting) -> Counter[str]:
    """Instances per type the account's endpoints in this Region run or are bringing up."""
    total: Counter[str] = Counter()
    for ep in store.endpoints.values():
        total.update(_running(ep))
    return total


def rolling_delta(new: Counter[str], deployment: Params | None) -> Counter[str]:
    """The extra instances a rolling update needs at once: one batch (of its one variant)."""
    size = ((deployment or {}).get("RollingUpdatePolicy") or {}).get("MaximumBatchSize")
    if not size:
        return new
    out: Counter[str] = Counter()
    for itype, count in new.items():
        out[itype] = size["Value"] if size["Type"] == "INSTANCE_COUNT" else \
            max(1, math.ceil(count * size["Value"] / 100))
    return out


def check(store: Hosting, delta: Counter[str]) -> None:
    """Raise ResourceLimitExceeded if bringing up ``delta`` exceeds a quota."""
    limits = quotas(store.account, store.region)
    if not limits:
        return
    used = usage(store)
    for itype, wanted in sorted(delta.items()):
        limit = limits.get(itype)
        if limit is not None and wanted > 0 and used[itype] + wanted > limit:
            raise AwsError("ResourceLimitExceeded", (
                f"The account-level service limit '{quota_name(itype)}' is {limit} Instances, "
                f"with current utilization of {used[itype]} Instances and a request delta of "
                f"{wanted} Instances. Please use AWS Service Quotas to request an increase for "
                "this quota. If AWS Service Quotas is not available, contact AWS support to "
                "request an increase for this quota."))


def _code(name: str) -> str:
    return "L-" + hashlib.sha256(name.encode()).hexdigest()[:8].upper()


@handler("service-quotas", "ListServiceQuotas")
def list_service_quotas(ctx: CallContext, params: Params) -> Params:
    """The applied SageMaker endpoint quotas set in the emulator ("If the applied quota value is
    not available for a quota, the quota is not retrieved": unset ones are not listed)."""
    if params.get("ServiceCode") != "sagemaker":
        return {"Quotas": []}
    limits = quotas(ctx.account, ctx.region)
    items = []
    for itype in sorted(limits):
        name = quota_name(itype)
        code = _code(name)
        items.append({
            "ServiceCode": "sagemaker", "ServiceName": "Amazon SageMaker",
            "QuotaArn": f"arn:aws:servicequotas:{ctx.region}:{ctx.account}:sagemaker/{code}",
            "QuotaCode": code, "QuotaName": name, "Value": float(limits[itype]),
            "Unit": "None", "Adjustable": True, "GlobalQuota": False})
    chunk, token = page(items, params, 100, 100)
    return with_token({"Quotas": chunk}, token)
