"""The desired side of an endpoint: its endpoint-config request, names and canonical forms.

Endpoint configs are immutable, so sagectl names them by content: ``<endpoint>-<hash8>``, hashing
the CreateEndpointConfig request (with the AWS names of its models) and the environment. The
*structure* of a config is the request without what UpdateEndpointWeightsAndCapacities can change
(initial counts and weights, serverless concurrency): two configs with the same structure differ
only in capacity, which never needs a new fleet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.kinds._aws import boto_request
from reconciler.kinds._live import dump, without
from reconciler.kinds.endpoint.spec import EndpointSpec
from reconciler.kinds.endpoint.variants import ProductionVariant
from reconciler.plan.model import Step, digest

SAGECTL_FIELDS = frozenset({"capacityOwner", "autoscaling", "deploymentConfig", "bake",
                            "deletionProtection", "allowReplacement", "tags"})
CAPACITY_FIELDS = ("initialInstanceCount", "initialVariantWeight")
INSTANCE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
CONCURRENCY_DIMENSION = "sagemaker:variant:DesiredProvisionedConcurrency"


def model_aws_name(reference: str, names: dict[str, str]) -> str:
    """The AWS name of a variant's model: a Model spec's content name, or an ARN's name."""
    if reference.startswith("arn:"):
        return reference.rsplit("/", 1)[-1]
    return names.get(reference, reference)


def variant_models(v: dict[str, Any]) -> list[str]:
    """The models a CreateEndpointConfig variant names: its ``ModelName`` (none on a variant
    that hosts inference components) and its instance pools' ``ModelNameOverride``."""
    names = [v["ModelName"]] if v.get("ModelName") else []
    return names + [p["ModelNameOverride"] for p in v.get("InstancePools") or []
                    if p.get("ModelNameOverride")]


def _resolve(variants: list[dict[str, Any]], names: dict[str, str], model: str, pools: str,
             override: str) -> None:
    for v in variants:
        if model in v:  # a variant without a model hosts inference components
            v[model] = model_aws_name(v[model], names)
        for pool in v.get(pools) or []:
            if override in pool:
                pool[override] = model_aws_name(pool[override], names)


@dataclass
class DesiredEndpoint:
    spec: EndpointSpec
    request: dict[str, Any]
    """CreateEndpointConfig without name and tags."""
    config_name: str
    structure: str
    canonical: dict[str, Any]
    """Spec-shaped config (camelCase), model names as in AWS: one side of the config diff."""
    digest: str
    """Of everything sagectl applies for this endpoint (config, autoscaling, tags, settings)."""


def build(name: str, env: str | None, spec: EndpointSpec, model_names: dict[str, str]
          ) -> DesiredEndpoint:
    request = boto_request(spec, SAGECTL_FIELDS)
    _resolve(request["ProductionVariants"] + request.get("ShadowProductionVariants", []),
             model_names, "ModelName", "InstancePools", "ModelNameOverride")
    hashed = digest({"env": env, "request": request})
    whole = dump(spec)
    canonical = without(whole, SAGECTL_FIELDS)
    _resolve(canonical["productionVariants"] + canonical.get("shadowProductionVariants", []),
             model_names, "modelName", "instancePools", "modelNameOverride")
    used = {name for v in request["ProductionVariants"]
            + request.get("ShadowProductionVariants", []) for name in variant_models(v)}
    everything = digest({"env": env, "spec": whole, "models": sorted(used)})
    return DesiredEndpoint(spec, request, f"{name}-{hashed[:8]}", structure_of(canonical),
                           canonical, everything)


def strip_capacity(canonical: dict[str, Any]) -> dict[str, Any]:
    """A spec-shaped config without what UpdateEndpointWeightsAndCapacities can change."""
    out: dict[str, Any] = without(canonical, frozenset())
    for v in out.get("productionVariants", []) + out.get("shadowProductionVariants", []):
        for key in CAPACITY_FIELDS:
            v.pop(key, None)
        serverless = v.get("serverlessConfig")
        if serverless:
            serverless.pop("maxConcurrency", None)
            serverless.pop("provisionedConcurrency", None)
    return out


def structure_of(canonical: dict[str, Any]) -> str:
    return digest(strip_capacity(canonical))[:16]


def all_variants(spec: EndpointSpec) -> list[ProductionVariant]:
    return list(spec.production_variants) + list(spec.shadow_production_variants or [])


def resource_id(endpoint: str, variant: str) -> str:
    return f"endpoint/{endpoint}/variant/{variant}"


def dimension(variant: ProductionVariant) -> str:
    return CONCURRENCY_DIMENSION if variant.is_serverless else INSTANCE_DIMENSION


def desired_autoscaling(variant: ProductionVariant) -> dict[str, Any] | None:
    """Spec-shaped autoscaling with every policy's type made explicit."""
    if variant.autoscaling is None:
        return None
    out = dump(variant.autoscaling)
    for spec_policy, policy in zip(variant.autoscaling.scaling_policies,
                                   out.get("scalingPolicies", []), strict=True):
        policy["policyType"] = spec_policy.effective_type
    return out


def capacity_calls(desired: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """UpdateEndpointWeightsAndCapacities requests for ``desired`` (its DesiredWeightsAndCapacities
    items). AWS: the operation "Updates variant weight of one or more variants ..., or capacity of
    one variant" (API reference): every weight and the first count change go in the first call,
    each further count change in a call of its own (sagemaker-rules.md rule 5)."""
    calls: list[list[dict[str, Any]]] = [[]]
    counted = False
    for want in desired:
        if "DesiredInstanceCount" not in want:
            calls[0].append(want)
            continue
        if not counted:
            calls[0].append(want)
            counted = True
            continue
        weight = {k: v for k, v in want.items() if k != "DesiredInstanceCount"}
        if len(weight) > 1:
            calls[0].append(weight)
        calls.append([{"VariantName": want["VariantName"],
                       "DesiredInstanceCount": want["DesiredInstanceCount"]}])
    return [c for c in calls if c]


def weights_steps(name: str, desired: list[dict[str, Any]], note: str = "") -> list[Step]:
    """UpdateEndpointWeightsAndCapacities, one count change per call, each waited for (the
    endpoint is Updating meanwhile, and SageMaker refuses a second call until it settles)."""
    steps = []
    for call in capacity_calls(desired):
        steps += [Step("sagemaker:UpdateEndpointWeightsAndCapacities", name,
                       {"EndpointName": name, "DesiredWeightsAndCapacities": call}, note=note),
                  Step("sagectl:wait", name, {"until": "InService"})]
    return steps

