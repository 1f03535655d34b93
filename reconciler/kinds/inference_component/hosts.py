"""Where components go: the variant that hosts them, from the Endpoint spec that defines it, or
read live for an endpoint sagectl does not manage (which must then exist: rule 46); and the
capacity-fit verdict for every variant the specs place components on (rule 49)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from reconciler.kinds._live import not_found
from reconciler.kinds.inference_component import capacity
from reconciler.kinds.inference_component.spec import InferenceComponentSpec
from reconciler.plan.context import PlanContext
from reconciler.plan.model import Problem
from reconciler.spec.resources import Resource


@dataclass
class Host:
    """The variant one component is placed on."""

    endpoint: str
    variant: str
    instance_type: str | None = None
    """The type its instances come from when SageMaker has the capacity (instance pools: the
    priority-1 pool's)."""
    fallbacks: list[str] = field(default_factory=list)
    """The types of its other instance pools, in the order SageMaker falls back to them on
    insufficient capacity (rule 54)."""
    maximum: int = 0
    """The most instances the variant can have."""
    limit: str = ""
    """Where ``maximum`` comes from, in words."""
    problem: str | None = None
    """Why no component can go there (an external endpoint that does not exist, ...)."""
    in_specs: bool = True


def _from_spec(endpoint: Any, name: str, variant_name: str) -> Host:
    host = Host(name, variant_name)
    variant = next((v for v in endpoint.production_variants
                    if v.variant_name == variant_name), None)
    if variant is None:  # reported by the spec check
        host.problem = f"endpoint {name} has no production variant {variant_name}"
        return host
    host.instance_type, *host.fallbacks = variant.instance_types or [None]
    mis = variant.managed_instance_scaling
    if mis is not None and mis.status == "ENABLED" and mis.max_instance_count:
        host.maximum = mis.max_instance_count
        host.limit = f"managedInstanceScaling max is {mis.max_instance_count}"
    else:
        host.maximum = int(variant.initial_instance_count or 0)
        host.limit = (f"variant {variant_name} has {host.maximum} instance(s) and no managed "
                      "instance scaling")
    return host


def _from_aws(ctx: PlanContext, name: str, variant_name: str) -> Host:
    host = Host(name, variant_name, in_specs=False)
    sm = ctx.aws.client("sagemaker")
    try:
        endpoint = sm.describe_endpoint(EndpointName=name)
    except ClientError as err:
        if not not_found(err):
            raise
        host.problem = (f"endpoint {name} is not defined in the specs and does not exist in AWS; "
                        "define it as an Endpoint, or create it first")
        return host
    live = next((v for v in endpoint.get("ProductionVariants", [])
                 if v["VariantName"] == variant_name), None)
    if live is None:
        host.problem = f"endpoint {name} has no production variant {variant_name}"
        return host
    config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    variant = next((v for v in config.get("ProductionVariants", [])
                    if v["VariantName"] == variant_name), {})
    if variant.get("ModelName") or variant.get("ServerlessConfig"):
        host.problem = (f"variant {variant_name} of endpoint {name} "
                        + ("hosts model " + variant["ModelName"] if variant.get("ModelName")
                           else "is serverless")
                        + ": inference components go on an instance-based variant without a "
                          "model")
        return host
    pools = sorted(variant.get("InstancePools") or [], key=lambda p: p["Priority"])
    host.instance_type, *host.fallbacks = [p["InstanceType"] for p in pools] or \
        [variant.get("InstanceType")]
    mis = variant.get("ManagedInstanceScaling") or {}
    if mis.get("Status") == "ENABLED" and mis.get("MaxInstanceCount"):
        host.maximum = int(mis["MaxInstanceCount"])
        host.limit = f"managedInstanceScaling max is {host.maximum}"
    else:
        host.maximum = int(live.get("CurrentInstanceCount") or live.get("DesiredInstanceCount")
                           or 0)
        host.limit = f"variant {variant_name} runs {host.maximum} instance(s)"
    return host


def hosts(ctx: PlanContext, desired: list[Resource]) -> dict[tuple[str, str], Host]:
    """The host of every (endpoint, variant) the specs place components on."""
    wanted = sorted({(r.spec.endpoint_name, r.spec.variant_name)  # type: ignore[attr-defined]
                     for r in desired})

    def find(key: tuple[str, str]) -> Host:
        found = ctx.specs.get("Endpoint", key[0])
        if found is not None:
            return _from_spec(found.spec, *key)
        return ctx.once(f"ic-host:{key[0]}:{key[1]}", lambda: _from_aws(ctx, *key))

    return dict(zip(wanted, ctx.aws.map(find, wanted), strict=True))


def offer(ctx: PlanContext, instance_type: str) -> capacity.Offer | None:
    return ctx.once(f"ec2-type:{instance_type}", lambda: capacity.read_offer(
        ctx.aws.client("ec2"), instance_type))


def _exists(ctx: PlanContext, host: Host) -> bool:
    """Whether the endpoint was read and exists: an external one (``_from_aws``), or one the
    specs define that the Endpoint kind's plan described (``PlanContext.observed``)."""
    if not host.in_specs:
        return host.problem is None
    return host.endpoint in ctx.observed.get("Endpoint", {})


def busy(ctx: PlanContext, endpoint: str) -> str | None:
    """The status of a spec endpoint the Endpoint kind's plan described, when it is not
    InService: SageMaker takes no component on it then (rule 31), so a component change waits.
    None for InService, or an endpoint not described (to be created by this plan: the
    component's change depends on that one)."""
    status = (ctx.observed.get("Endpoint", {}).get(endpoint) or {}).get("EndpointStatus")
    return None if status in (None, "InService") else str(status)


def neighbours(ctx: PlanContext, desired: list[Resource],
               placed: dict[tuple[str, str], Host]) -> dict[tuple[str, str], list[capacity.Copies]]:
    """The copies of live components that share a variant with the specs' components but that
    these specs do not define: one paginated ListInferenceComponents per endpoint that exists
    (none for an endpoint still to be created), a DescribeInferenceComponent for each one found.
    Their current copy count (desired or current, whichever is larger) is what they occupy."""
    ours = {r.name for r in desired}
    by_endpoint: dict[str, set[str]] = {}
    for (endpoint, variant), host in placed.items():
        if host.instance_type is not None and _exists(ctx, host):
            by_endpoint.setdefault(endpoint, set()).add(variant)
    sm = ctx.aws.client("sagemaker")

    def listed(endpoint: str) -> list[dict[str, Any]]:
        variants = by_endpoint[endpoint]
        where = {"EndpointNameEquals": endpoint}
        if len(variants) == 1:
            where["VariantNameEquals"] = next(iter(variants))
        return [c for c in ctx.aws.paginate("sagemaker", "list_inference_components",
                                            "InferenceComponents", **where)
                if c["VariantName"] in variants and c["InferenceComponentName"] not in ours]

    found = [c for cs in ctx.aws.map(listed, sorted(by_endpoint)) for c in cs]
    described = ctx.aws.map(lambda c: sm.describe_inference_component(
        InferenceComponentName=c["InferenceComponentName"]), found)
    out: dict[tuple[str, str], list[capacity.Copies]] = {}
    for d in described:
        held = _held(d, foreign=True)
        if held is not None:
            out.setdefault((d["EndpointName"], d["VariantName"]), []).append(held)
    return out


def _held(described: dict[str, Any], foreign: bool = False) -> capacity.Copies | None:
    """The copies a described live component holds: the larger of its desired and current
    count, with its compute requirements (None: an adapter, which uses its base's compute, or
    no copies)."""
    spec = described.get("Specification") or {}
    runtime = described.get("RuntimeConfig") or {}
    count = max(int(runtime.get("DesiredCopyCount") or 0),
                int(runtime.get("CurrentCopyCount") or 0))
    if spec.get("BaseInferenceComponentName") or not count:
        return None
    req = spec.get("ComputeResourceRequirements") or {}
    needs = {"accelerators": float(req.get("NumberOfAcceleratorDevicesRequired") or 0),
             "cpus": float(req.get("NumberOfCpuCoresRequired") or 0),
             "memory": float(req.get("MinMemoryRequiredInMb") or 0)}
    return capacity.Copies(described["InferenceComponentName"], count, needs, foreign=foreign)


def live_copies(ctx: PlanContext, endpoint: str, variant: str) -> list[capacity.Copies]:
    """The copies every live component on a variant holds now (adapters hold none): one
    paginated ListInferenceComponents and a DescribeInferenceComponent per component, once per
    variant and plan. What a rolling update's batches must find room next to (rule 53)."""
    def read() -> list[capacity.Copies]:
        sm = ctx.aws.client("sagemaker")
        listed = ctx.aws.paginate("sagemaker", "list_inference_components",
                                  "InferenceComponents", EndpointNameEquals=endpoint,
                                  VariantNameEquals=variant)
        described = ctx.aws.map(lambda c: sm.describe_inference_component(
            InferenceComponentName=c["InferenceComponentName"]), listed)
        return [held for d in described if (held := _held(d)) is not None]

    return ctx.once(f"ic-live-copies:{endpoint}:{variant}", read)


def fit_problems(ctx: PlanContext, desired: list[Resource],
                 placed: dict[tuple[str, str], Host]) -> list[Problem]:
    """Capacity fit of every variant: the components' copies at their maximum (the autoscaler's
    maximum, else the spec's count) on the variant's maximum instances, with the copies of live
    components on the same variant that the specs do not define (``neighbours``)."""
    problems: list[Problem] = []
    others = neighbours(ctx, desired, placed)
    for key, host in sorted(placed.items()):
        if host.problem is not None or host.instance_type is None:
            continue
        mine = [r for r in desired if (r.spec.endpoint_name,  # type: ignore[attr-defined]
                                       r.spec.variant_name) == key]  # type: ignore[attr-defined]
        groups = []
        for r in mine:
            spec: InferenceComponentSpec = r.spec  # type: ignore[assignment]
            if spec.specification.is_adapter:
                continue  # it uses its base component's compute
            groups.append(capacity.Copies(r.name, spec.max_copies(),
                                          capacity.needs_of(
                                              spec.specification.compute_resource_requirements)))
        if not groups:
            continue
        groups += sorted(others.get(key, []), key=lambda g: g.name)
        address = mine[0].address if len(mine) == 1 else f"Endpoint.{key[0]}"
        for rank, itype in enumerate([host.instance_type, *host.fallbacks]):
            problems += _fit(ctx, address, key, host, itype, rank, groups)
    return problems


def _fit(ctx: PlanContext, address: str, key: tuple[str, str], host: Host, itype: str,
         rank: int, groups: list[capacity.Copies]) -> list[Problem]:
    """The fit on one instance type. ``rank`` 0 is where the instances go when SageMaker has
    the capacity: a misfit there is an error. A later instance pool is used only on
    insufficient capacity of the ones before it: a misfit there is a warning, saying so."""
    where = f"variant {key[1]} of endpoint {key[0]}"
    fallback = (f"if SageMaker falls back to instance pool {rank + 1} ({itype}) on "
                "insufficient capacity, " if rank else "")
    found = offer(ctx, itype)
    if found is None:
        return [Problem(address, f"{fallback}capacity fit not checked for {where}: EC2 has no "
                                 f"instance type {itype.removeprefix('ml.')} to take its "
                                 "accelerators, CPUs and memory from", severity="warning")]
    verdict = capacity.check(found, groups, host.maximum, host.limit)
    hint = ("raise the variant's instance maximum (managedInstanceScaling.maxInstanceCount), "
            "use a larger instance type, or fewer copies (autoscaling.maxCapacity / "
            "runtimeConfig.copyCount)")
    if rank:
        return [Problem(address, f"{fallback}the components' copies do not fit on {where}: {e}",
                        f"{hint}; or remove that instance pool", "warning")
                for e in verdict.errors]
    return [Problem(address, f"the components' copies do not fit on {where}: {e}", hint)
            for e in verdict.errors] + [Problem(address, f"{where}: {w}", severity="warning")
                                         for w in verdict.warnings]
