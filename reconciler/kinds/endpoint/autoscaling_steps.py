"""Application Auto Scaling steps for an endpoint's variants (rule 8: target
``endpoint/<endpoint>/variant/<variant>``, dimension DesiredInstanceCount or, for serverless,
DesiredProvisionedConcurrency)."""

from __future__ import annotations

from typing import Any

from reconciler.kinds._autoscaling import (  # noqa: F401 (the endpoint's names for them)
    ACTION_FIELDS,
    POLICY_FIELDS,
    action_request,
    policy_request,
    target_steps,
)
from reconciler.kinds.endpoint.requests import dimension, resource_id
from reconciler.kinds.endpoint.variants import ProductionVariant
from reconciler.plan.model import Step

AAS = "application-autoscaling"


def _target_params(name: str, v: ProductionVariant) -> dict[str, Any]:
    return {"ServiceNamespace": "sagemaker", "ResourceId": resource_id(name, v.variant_name),
            "ScalableDimension": dimension(v)}


def register_steps(name: str, v: ProductionVariant, live: dict[str, Any] | None,
                   force: bool = False) -> list[Step]:
    """Bring a variant's autoscaling from ``live`` (spec-shaped) to the spec (all of it when
    ``force``: after a deregistration)."""
    assert v.autoscaling is not None
    return target_steps(resource_id(name, v.variant_name), dimension(v), v.autoscaling,
                        None if force else live)


def deregister_step(name: str, variant: str, live_target: dict[str, Any], why: str) -> Step:
    rid = resource_id(name, variant)
    return Step(f"{AAS}:DeregisterScalableTarget", rid,
                {"ServiceNamespace": "sagemaker", "ResourceId": rid,
                 "ScalableDimension": live_target["ScalableDimension"]}, note=why)
