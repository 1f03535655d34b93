"""The planned undo of an endpoint's steps (``Step.undo``), from what the plan read.

An endpoint is not taken back call by call. When a step fails once the endpoint exists, apply
returns it to its last known good state as one guarded rollback (``rollback.py``): it waits for
SageMaker to settle, deregisters autoscaling first where AWS requires it, updates back, verifies,
then puts weights, counts and autoscaling back. The undo planned for each step is what that
rollback restores for it, from the state the plan read: the config the endpoint ran, its weights
and instance counts, its autoscaling (targets, policies, scheduled actions). The plan's
fingerprint covers that state; apply still reads it again before the first step (the snapshot,
kept in the journal so that a resumed run can finish a rollback) and restores what it read then,
which is what the plan read unless the endpoint moved in between.

Only the endpoint config a change creates is undone through the engine's undo log (``logged``):
by the rollback's end, or when the change fails before it touched the endpoint.

Not undone, each with its reason (``Step.irreversible``): a new endpoint and what is set up on it,
deletions, tags, serverless concurrency, and the old configs deleted after a verified deploy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reconciler.kinds.endpoint.autoscaling_steps import AAS, action_request, policy_request
from reconciler.kinds.endpoint.live import LiveEndpoint, Scaling
from reconciler.kinds.endpoint.requests import capacity_calls
from reconciler.plan.model import Step, Undo

DELETE_CONFIG = "sagemaker:DeleteEndpointConfig"
ROLLBACK = ("rollback to the config the endpoint ran when planned, verified (autoscaling "
            "deregistered first where AWS requires it; weights, counts and autoscaling put back "
            "after); apply reads the endpoint again before its first step and returns it to "
            "what it read then (kept in the journal for a resumed run)")
RESTORED = "autoscaling as it was (restored by the endpoint's rollback)"
NEW_ENDPOINT = ("not undone: SageMaker's only undo of a create is deleting the endpoint, which "
                "apply never does to one it created; a later failure is reported (a Failed "
                "endpoint as degraded, with AWS's reason) and the next apply goes on from what "
                "exists")
ON_NEW_ENDPOINT = ("not undone: set up on the endpoint this change creates, which is kept when a "
                   "later step fails")
TAGS = ("not undone: an endpoint's rollback restores what serves traffic (config, weights, "
        "counts, autoscaling), not its tags; the next apply sets them from the spec")
SERVERLESS = ("not undone: an endpoint's rollback restores weights and instance counts, not "
              "serverless concurrency; the next apply sets it from the spec")
DELETED_ENDPOINT = "not reversible: SageMaker cannot restore a deleted endpoint"
DELETED_CONFIG = ("not reversible: a deleted endpoint config is not made again (its endpoint is "
                  "deleted in the same change)")
GC = ("not undone: old configs are deleted only after the deploy was verified and baked, never "
      "the one the endpoint runs")


def logged(step: Step) -> list[Undo]:
    """The part of ``step``'s undo the engine's undo log runs (the rest is the rollback's)."""
    return [u for u in step.undo if u.op == DELETE_CONFIG]


class _Read:
    """What the plan read of one endpoint, for its steps' undo."""

    def __init__(self, name: str, live: LiveEndpoint | None, scaling: Scaling) -> None:
        self.name, self.live, self.scaling = name, live, scaling
        self.creating = live is not None and live.described is None
        """The endpoint does not exist: what is set up on it is kept with it."""

    def base(self, rid: str, dimension: str) -> dict[str, Any]:
        return {"ServiceNamespace": "sagemaker", "ResourceId": rid,
                "ScalableDimension": dimension}

    def target(self, rid: str) -> list[Undo]:
        """A scalable target as read, with its policies and scheduled actions."""
        target = self.scaling.targets[rid]
        base = self.base(rid, target["ScalableDimension"])
        calls = [Undo(f"{AAS}:RegisterScalableTarget", rid, {
            **base, "MinCapacity": target["MinCapacity"],
            "MaxCapacity": target["MaxCapacity"]}, RESTORED)]
        calls += [Undo(f"{AAS}:PutScalingPolicy", f"{rid}:{p['PolicyName']}",
                       {**base, **policy_request(p)}, RESTORED)
                  for p in sorted(self.scaling.policies.get(rid, []),
                                  key=lambda p: p["PolicyName"])]
        calls += [Undo(f"{AAS}:PutScheduledAction", f"{rid}:{a['ScheduledActionName']}",
                       {**base, **action_request(a)}, RESTORED)
                  for a in sorted(self.scaling.actions.get(rid, []),
                                  key=lambda a: a["ScheduledActionName"])]
        return calls

    def policy(self, rid: str, name: str) -> dict[str, Any] | None:
        return next((p for p in self.scaling.policies.get(rid, []) if p["PolicyName"] == name),
                    None)

    def action(self, rid: str, name: str) -> dict[str, Any] | None:
        return next((a for a in self.scaling.actions.get(rid, [])
                     if a["ScheduledActionName"] == name), None)


def _config_created(step: Step, read: _Read) -> None:
    step.undone_by(Undo(DELETE_CONFIG, step.target, {"EndpointConfigName": step.target},
                        "config created by this run"))


def _endpoint_updated(step: Step, read: _Read) -> None:
    assert read.live is not None and read.live.config_name is not None
    step.undone_by(Undo("sagemaker:UpdateEndpoint", read.name, {
        "EndpointName": read.name, "EndpointConfigName": read.live.config_name,
        "RetainAllVariantProperties": True}, ROLLBACK))


def _capacity(step: Step, read: _Read) -> None:
    """Weights and spec-owned counts back to the live ones (what the rollback compares and puts
    back); serverless concurrency is not restored."""
    assert read.live is not None
    back = []
    for want in step.params.get("DesiredWeightsAndCapacities") or []:
        have = read.live.variant(want["VariantName"]) or {}
        old = {key: have[key] for key in ("DesiredWeight", "DesiredInstanceCount")
               if key in want and have.get(key) is not None}
        if old:
            back.append({"VariantName": want["VariantName"], **old})
    if not back:
        step.not_undone(SERVERLESS)
        return
    note = "weights and counts as they were (restored by the endpoint's rollback)"
    step.undone_by(*(Undo(step.op, read.name, {"EndpointName": read.name,
                                               "DesiredWeightsAndCapacities": call}, note)
                     for call in capacity_calls(back)))


def _autoscaling(step: Step, read: _Read) -> None:
    """Each Application Auto Scaling step back to what was read."""
    if read.creating:
        step.not_undone(ON_NEW_ENDPOINT)
        return
    params = step.params
    rid = params["ResourceId"]
    base = read.base(rid, params["ScalableDimension"])
    operation = step.op.split(":", 1)[1]
    undo: list[Undo]
    if operation == "DeregisterScalableTarget":
        undo = read.target(rid)
    elif operation == "RegisterScalableTarget":
        old = read.scaling.targets.get(rid)
        undo = [Undo(step.op, rid, {**base, "MinCapacity": old["MinCapacity"],
                                    "MaxCapacity": old["MaxCapacity"]}, RESTORED)] if old else \
            [Undo(f"{AAS}:DeregisterScalableTarget", rid, base,
                  "autoscaling registered by this run (removed by the endpoint's rollback)")]
    elif operation in ("PutScalingPolicy", "DeleteScalingPolicy"):
        policy = read.policy(rid, params["PolicyName"])
        undo = [Undo(f"{AAS}:PutScalingPolicy", step.target, {**base, **policy_request(policy)},
                     RESTORED)] if policy else \
            [Undo(f"{AAS}:DeleteScalingPolicy", step.target,
                  {**base, "PolicyName": params["PolicyName"]},
                  "scaling policy added by this run (removed by the endpoint's rollback)")]
    else:  # PutScheduledAction, DeleteScheduledAction
        action = read.action(rid, params["ScheduledActionName"])
        undo = [Undo(f"{AAS}:PutScheduledAction", step.target,
                     {**base, **action_request(action)}, RESTORED)] if action else \
            [Undo(f"{AAS}:DeleteScheduledAction", step.target,
                  {**base, "ScheduledActionName": params["ScheduledActionName"]},
                  "scheduled action added by this run (removed by the endpoint's rollback)")]
    step.undone_by(*undo)


def _reason(why: str) -> Callable[[Step, _Read], None]:
    def reverse(step: Step, read: _Read) -> None:
        step.not_undone(why)
    return reverse


REVERSE: dict[str, Callable[[Step, _Read], None]] = {
    "sagemaker:CreateEndpointConfig": _config_created,
    "sagemaker:CreateEndpoint": _reason(NEW_ENDPOINT),
    "sagemaker:UpdateEndpoint": _endpoint_updated,
    "sagemaker:UpdateEndpointWeightsAndCapacities": _capacity,
    "sagemaker:AddTags": _reason(TAGS),
    "sagemaker:DeleteTags": _reason(TAGS),
    "sagemaker:DeleteEndpoint": _reason(DELETED_ENDPOINT),
    "sagemaker:DeleteEndpointConfig": _reason(DELETED_CONFIG),
    "sagectl:gc": _reason(GC),
    **{f"{AAS}:{operation}": _autoscaling for operation in (
        "RegisterScalableTarget", "DeregisterScalableTarget", "PutScalingPolicy",
        "DeleteScalingPolicy", "PutScheduledAction", "DeleteScheduledAction")},
}
"""How each step an endpoint change may have is undone (``sagectl:wait``, ``verify`` and
``bake`` change nothing)."""


def plan_undo(name: str, steps: list[Step], live: LiveEndpoint | None,
              scaling: Scaling) -> list[Step]:
    """``steps`` of endpoint ``name`` with their undo, from the endpoint as read (``live``; None
    when only its autoscaling was read: a deletion) and its autoscaling (``scaling``)."""
    read = _Read(name, live, scaling)
    for step in steps:
        reverse = REVERSE.get(step.op)
        if reverse is not None:
            reverse(step, read)
    return steps
