"""An endpoint's last known good state, and returning to it.

Before touching an endpoint, apply snapshots what it runs: the config, each variant's desired
weight and instance count, and the Application Auto Scaling of its variants (targets, policies,
scheduled actions). The snapshot goes into the journal, so a later run can restore it too.
Rollback: wait for SageMaker to settle, UpdateEndpoint back to the snapshot's config if it is not
already there (verified), put weights and counts back, restore autoscaling exactly.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from reconciler.apply.context import ApplyContext, StepFailed
from reconciler.kinds._live import not_found
from reconciler.kinds.endpoint.autoscaling_steps import action_request, policy_request
from reconciler.kinds.endpoint.guardrails import (
    BROKEN,
    Degraded,
    describe,
    verify,
    wait,
    when_settled,
)
from reconciler.kinds.endpoint.requests import capacity_calls

AAS = "application-autoscaling"
ROLLBACK_DEADLINE = 4 * 3600.0


def variant_state(described: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v[k] for k in ("VariantName", "DesiredWeight", "DesiredInstanceCount")
             if v.get(k) is not None}
            for v in described.get("ProductionVariants", [])]


def autoscaling_snapshot(actx: ApplyContext, name: str, variants: list[str]
                         ) -> dict[str, dict[str, Any]]:
    """resource id -> {target, policies, actions} for the variants that are autoscaled."""
    if not variants:
        return {}
    aas = actx.aws.client(AAS)
    rids = [f"endpoint/{name}/variant/{v}" for v in variants]
    targets = aas.describe_scalable_targets(ServiceNamespace="sagemaker",
                                            ResourceIds=rids)["ScalableTargets"]
    found: dict[str, dict[str, Any]] = {}
    for t in targets:
        rid = t["ResourceId"]
        policies = actx.aws.paginate(AAS, "describe_scaling_policies", "ScalingPolicies",
                                     ServiceNamespace="sagemaker", ResourceId=rid)
        actions = actx.aws.paginate(AAS, "describe_scheduled_actions", "ScheduledActions",
                                    ServiceNamespace="sagemaker", ResourceId=rid)
        found[rid] = {
            "target": {k: t[k] for k in ("ResourceId", "ScalableDimension", "MinCapacity",
                                         "MaxCapacity")},
            # what PutScalingPolicy and PutScheduledAction take back (as the plan's undo)
            "policies": [policy_request(p) for p in policies if p["ResourceId"] == rid],
            "actions": [action_request(a) for a in actions if a["ResourceId"] == rid]}
    return found


def snapshot(actx: ApplyContext, name: str) -> dict[str, Any] | None:
    described = describe(actx, name)
    if described is None:
        return None
    variants = [v["VariantName"] for v in described.get("ProductionVariants", [])]
    return {"config": described.get("EndpointConfigName"), "variants": variant_state(described),
            "autoscaling": autoscaling_snapshot(actx, name, variants)}


def restore_autoscaling(actx: ApplyContext, name: str, saved: dict[str, dict[str, Any]],
                        variants: list[str]) -> None:
    aas = actx.aws.client(AAS)
    now = autoscaling_snapshot(actx, name, variants)
    for rid, state in now.items():
        if rid not in saved:
            aas.deregister_scalable_target(ServiceNamespace="sagemaker", ResourceId=rid,
                                           ScalableDimension=state["target"]["ScalableDimension"])
    for rid, state in saved.items():
        target = state["target"]
        base = {"ServiceNamespace": "sagemaker", "ResourceId": rid,
                "ScalableDimension": target["ScalableDimension"]}
        current = now.get(rid)
        if current is None or current["target"] != target:
            aas.register_scalable_target(**base, MinCapacity=target["MinCapacity"],
                                         MaxCapacity=target["MaxCapacity"])
        have = {p["PolicyName"]: p for p in (current or {}).get("policies", [])}
        for policy in state["policies"]:
            if have.pop(policy["PolicyName"], None) != policy:
                aas.put_scaling_policy(**base, **policy)
        for stale in have:
            aas.delete_scaling_policy(**base, PolicyName=stale)
        have_actions = {a["ScheduledActionName"]: a for a in (current or {}).get("actions", [])}
        for action in state["actions"]:
            if have_actions.pop(action["ScheduledActionName"], None) != action:
                aas.put_scheduled_action(**base, **action)
        for stale in have_actions:
            aas.delete_scheduled_action(**base, ScheduledActionName=stale)


def rollback(actx: ApplyContext, name: str, saved: dict[str, Any], new_config: str | None,
             heartbeat: Any = None) -> str:
    """Return ``name`` to ``saved``; returns what was done. Raises ``Degraded`` when AWS left the
    endpoint broken, ``StepFailed`` when the rollback itself failed."""
    address = f"Endpoint.{name}"
    sm = actx.aws.client("sagemaker")
    described = wait(actx, name, ROLLBACK_DEADLINE, heartbeat=heartbeat)
    assert described is not None
    if described["EndpointStatus"] in BROKEN:
        raise Degraded(f"endpoint {name} is {described['EndpointStatus']}: "
                       f"{described.get('FailureReason') or 'AWS gave no reason'}")
    done = []
    if described.get("EndpointConfigName") != saved["config"]:
        actx.events.emit("rollback", address, message=f"rolling back to {saved['config']}")
        # AWS refuses an update that changes the instance type of (or removes) an autoscaled
        # variant: deregister what is registered now; the snapshot's autoscaling comes back below
        live_variants = [v["VariantName"] for v in described.get("ProductionVariants", [])]
        for rid, state in autoscaling_snapshot(actx, name, live_variants).items():
            actx.aws.client(AAS).deregister_scalable_target(
                ServiceNamespace="sagemaker", ResourceId=rid,
                ScalableDimension=state["target"]["ScalableDimension"])
        when_settled(actx, name, lambda: sm.update_endpoint(
            EndpointName=name, EndpointConfigName=saved["config"],
            RetainAllVariantProperties=True), ROLLBACK_DEADLINE, heartbeat)
        described = wait(actx, name, ROLLBACK_DEADLINE, heartbeat=heartbeat)
        assert described is not None
        verify(described, saved["config"])
        done.append(f"UpdateEndpoint back to {saved['config']} (verified)")
    else:
        done.append(f"endpoint already on {saved['config']}")
    live = {v["VariantName"]: v for v in variant_state(described)}
    fixes = []
    for want in saved["variants"]:
        have = live.get(want["VariantName"])
        if have is not None and have != want:
            fixes.append(want)
    if fixes:
        for batch in capacity_calls(fixes):  # one count change per call (rule 5)
            when_settled(actx, name, lambda b=batch: sm.update_endpoint_weights_and_capacities(
                EndpointName=name, DesiredWeightsAndCapacities=b), ROLLBACK_DEADLINE, heartbeat)
            described = wait(actx, name, ROLLBACK_DEADLINE, heartbeat=heartbeat)
        assert described is not None
        verify(described, saved["config"], fixes)
        done.append("weights and counts restored")
    variants = sorted({v["VariantName"] for v in saved["variants"]}
                      | {v["VariantName"] for v in described.get("ProductionVariants", [])})
    restore_autoscaling(actx, name, saved["autoscaling"], variants)
    done.append("autoscaling restored")
    if new_config and new_config != saved["config"]:
        try:
            sm.delete_endpoint_config(EndpointConfigName=new_config)
            done.append(f"deleted unused config {new_config}")
        except ClientError as err:
            if not not_found(err):
                raise StepFailed(f"could not delete {new_config}: {err}") from err
    return "; ".join(done)
