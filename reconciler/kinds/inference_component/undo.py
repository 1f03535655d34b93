"""The planned undo of a component's steps (``Step.undo``), from what the plan read.

- CreateInferenceComponent: DeleteInferenceComponent (a component that never served).
- UpdateInferenceComponent: UpdateInferenceComponent back to the specification read (and the
  copy count read, when the update changed it); apply runs it once the component settled, then
  waits and verifies it (``apply.py``).
- UpdateInferenceComponentRuntimeConfig: the copy count read.
- Application Auto Scaling: each target, policy and scheduled action as read (deregistered,
  deleted when it did not exist).
- Tags: the tags as read. Deletions are not reversible.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reconciler.kinds._autoscaling import (
    AAS,
    Scaling,
    action_request,
    policy_request,
    target_params,
)
from reconciler.kinds.inference_component import live
from reconciler.plan.model import Step, Undo

ROLLBACK = ("the specification the component ran when planned (sent once it settled, then "
            "waited for and verified)")
DELETED = "not reversible: SageMaker cannot restore a deleted inference component"
DEREGISTERED = ("not undone: the component is deleted in the same change, and its scalable "
                "target with it")
RESTORED = "autoscaling as it was"


class _Read:
    def __init__(self, name: str, described: dict[str, Any] | None, scaling: Scaling) -> None:
        self.name, self.described, self.scaling = name, described, scaling


def _created(step: Step, read: _Read) -> None:
    step.undone_by(Undo("sagemaker:DeleteInferenceComponent", read.name,
                        {"InferenceComponentName": read.name},
                        "inference component created by this run"))


def _updated(step: Step, read: _Read) -> None:
    assert read.described is not None
    params: dict[str, Any] = {"InferenceComponentName": read.name,
                              "Specification": live.live_request(read.described)}
    if "RuntimeConfig" in step.params and live.copies(read.described) is not None:
        params["RuntimeConfig"] = {"CopyCount": live.copies(read.described)}
    step.undone_by(Undo(step.op, read.name, params, ROLLBACK))


def _copies(step: Step, read: _Read) -> None:
    before = live.copies(read.described)
    step.undone_by(Undo(step.op, read.name, {"InferenceComponentName": read.name,
                                             "DesiredRuntimeConfig": {"CopyCount": before}},
                        f"the copy count read ({before})"))


def _autoscaling(step: Step, read: _Read) -> None:
    params = step.params
    rid = params["ResourceId"]
    base = target_params(rid, params["ScalableDimension"])
    operation = step.op.split(":", 1)[1]
    if read.described is None:  # a new component: its create's undo deletes it
        undo = [Undo(f"{AAS}:DeregisterScalableTarget", rid, base,
                     "autoscaling registered by this run")] \
            if operation == "RegisterScalableTarget" else []
        step.undone_by(*undo) if undo else step.not_undone(
            "not undone: set up on the component this change creates")
        return
    if operation == "DeregisterScalableTarget":
        target = read.scaling.targets.get(rid)
        if target is None or step.target != rid:
            step.not_undone(DEREGISTERED)
            return
        calls = [Undo(f"{AAS}:RegisterScalableTarget", rid, {
            **base, "MinCapacity": target["MinCapacity"], "MaxCapacity": target["MaxCapacity"]},
            RESTORED)]
        calls += [Undo(f"{AAS}:PutScalingPolicy", f"{rid}:{p['PolicyName']}",
                       {**base, **policy_request(p)}, RESTORED)
                  for p in read.scaling.policies.get(rid, [])]
        calls += [Undo(f"{AAS}:PutScheduledAction", f"{rid}:{a['ScheduledActionName']}",
                       {**base, **action_request(a)}, RESTORED)
                  for a in read.scaling.actions.get(rid, [])]
        step.undone_by(*calls)
        return
    if operation == "RegisterScalableTarget":
        old = read.scaling.targets.get(rid)
        step.undone_by(Undo(step.op, rid, {**base, "MinCapacity": old["MinCapacity"],
                                           "MaxCapacity": old["MaxCapacity"]}, RESTORED)
                       if old else Undo(f"{AAS}:DeregisterScalableTarget", rid, base,
                                        "autoscaling registered by this run"))
    elif operation in ("PutScalingPolicy", "DeleteScalingPolicy"):
        policy = read.scaling.policy(rid, params["PolicyName"])
        step.undone_by(Undo(f"{AAS}:PutScalingPolicy", step.target,
                            {**base, **policy_request(policy)}, RESTORED) if policy else
                       Undo(f"{AAS}:DeleteScalingPolicy", step.target,
                            {**base, "PolicyName": params["PolicyName"]},
                            "scaling policy added by this run"))
    else:
        action = read.scaling.action(rid, params["ScheduledActionName"])
        step.undone_by(Undo(f"{AAS}:PutScheduledAction", step.target,
                            {**base, **action_request(action)}, RESTORED) if action else
                       Undo(f"{AAS}:DeleteScheduledAction", step.target,
                            {**base, "ScheduledActionName": params["ScheduledActionName"]},
                            "scheduled action added by this run"))


def _reason(why: str) -> Callable[[Step, _Read], None]:
    def reverse(step: Step, read: _Read) -> None:
        step.not_undone(why)
    return reverse


REVERSE: dict[str, Callable[[Step, _Read], None]] = {
    "sagemaker:CreateInferenceComponent": _created,
    "sagemaker:UpdateInferenceComponent": _updated,
    "sagemaker:UpdateInferenceComponentRuntimeConfig": _copies,
    "sagemaker:DeleteInferenceComponent": _reason(DELETED),
    **{f"{AAS}:{operation}": _autoscaling for operation in (
        "RegisterScalableTarget", "DeregisterScalableTarget", "PutScalingPolicy",
        "DeleteScalingPolicy", "PutScheduledAction", "DeleteScheduledAction")},
}
"""How each step a component change may have is undone (tag steps carry their own undo;
``sagectl:wait``, ``verify`` and ``bake`` change nothing)."""


def plan_undo(name: str, steps: list[Step], described: dict[str, Any] | None,
              scaling: Scaling) -> list[Step]:
    read = _Read(name, described, scaling)
    for step in steps:
        reverse = REVERSE.get(step.op)
        if reverse is not None:
            reverse(step, read)
    return steps
