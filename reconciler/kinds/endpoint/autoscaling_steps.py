"""Application Auto Scaling steps for an endpoint's variants (rule 8: target
``endpoint/<endpoint>/variant/<variant>``, dimension DesiredInstanceCount or, for serverless,
DesiredProvisionedConcurrency)."""

from __future__ import annotations

from typing import Any

from reconciler.kinds._aws import boto_request
from reconciler.kinds.endpoint.requests import desired_autoscaling, dimension, resource_id
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
    wanted = desired_autoscaling(v)
    assert wanted is not None and v.autoscaling is not None
    base = _target_params(name, v)
    rid = base["ResourceId"]
    have = None if force else live
    steps = []
    if have is None or (have["minCapacity"], have["maxCapacity"]) != (
            wanted["minCapacity"], wanted["maxCapacity"]):
        steps.append(Step(f"{AAS}:RegisterScalableTarget", rid,
                          {**base, "MinCapacity": wanted["minCapacity"],
                           "MaxCapacity": wanted["maxCapacity"]}))
    have_policies = {p["policyName"]: p for p in (have or {}).get("scalingPolicies", [])}
    for spec_policy, policy in zip(v.autoscaling.scaling_policies, wanted["scalingPolicies"],
                                   strict=True):
        if have_policies.get(policy["policyName"]) != policy:
            steps.append(Step(f"{AAS}:PutScalingPolicy", f"{rid}:{policy['policyName']}",
                              {**base, **boto_request(spec_policy),
                               "PolicyType": spec_policy.effective_type}))
    for stale in sorted(set(have_policies) - {p["policyName"] for p in wanted["scalingPolicies"]}):
        steps.append(Step(f"{AAS}:DeleteScalingPolicy", f"{rid}:{stale}",
                          {**base, "PolicyName": stale}))
    have_actions = {a["scheduledActionName"]: a for a in (have or {}).get("scheduledActions", [])}
    for spec_action, action in zip(v.autoscaling.scheduled_actions, wanted["scheduledActions"],
                                   strict=True):
        if have_actions.get(action["scheduledActionName"]) != action:
            steps.append(Step(f"{AAS}:PutScheduledAction",
                              f"{rid}:{action['scheduledActionName']}",
                              {**base, **boto_request(spec_action)}))
    for stale in sorted(set(have_actions) - {a["scheduledActionName"]
                                             for a in wanted["scheduledActions"]}):
        steps.append(Step(f"{AAS}:DeleteScheduledAction", f"{rid}:{stale}",
                          {**base, "ScheduledActionName": stale}))
    return steps


POLICY_FIELDS = ("PolicyName", "PolicyType", "TargetTrackingScalingPolicyConfiguration",
                 "StepScalingPolicyConfiguration")
"""What PutScalingPolicy takes back of a described policy; not ``Alarms``: a target-tracking
policy's are Application Auto Scaling's, made again by the put (kinds/alarm/managed.py)."""
ACTION_FIELDS = ("ScheduledActionName", "Schedule", "Timezone", "StartTime", "EndTime",
                 "ScalableTargetAction")
"""What PutScheduledAction takes back of a described scheduled action."""


def policy_request(described: dict[str, Any]) -> dict[str, Any]:
    return {k: described[k] for k in described if k in POLICY_FIELDS}


def action_request(described: dict[str, Any]) -> dict[str, Any]:
    return {k: described[k] for k in described if k in ACTION_FIELDS}


def deregister_step(name: str, variant: str, live_target: dict[str, Any], why: str) -> Step:
    rid = resource_id(name, variant)
    return Step(f"{AAS}:DeregisterScalableTarget", rid,
                {"ServiceNamespace": "sagemaker", "ResourceId": rid,
                 "ScalableDimension": live_target["ScalableDimension"]}, note=why)
