"""Application Auto Scaling, served by the emulator.

moto's implementation paginates DescribeScalableTargets with a repeating token, matches
DescribeScalingPolicies' ResourceId as a substring, leaves policies behind when a target is
deregistered, accepts MinCapacity > MaxCapacity and targets of endpoints that do not exist, and
rejects the serverless ``sagemaker:variant:DesiredProvisionedConcurrency`` dimension. This module
replaces it for every namespace; for ``sagemaker`` it also checks the variant exists and can be
scaled (sagemaker-rules.md item 8: not on burstable ml.t* instances).

Target-tracking policies own two CloudWatch alarms (``target_tracking.py``). Deleting an endpoint
deregisters its variants' targets (``deregister_endpoint_targets``, called by DeleteEndpoint).
Lock order: SageMaker's hosting store before this one (DeleteEndpoint and UpdateEndpoint call in
here holding theirs).
"""

from __future__ import annotations

import copy
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moto.applicationautoscaling.models import applicationautoscaling_backends

from sagemaker_emulator import target_tracking
from sagemaker_emulator.dispatch import AwsError, CallContext, handler, validation
from sagemaker_emulator.paging import page, with_token
from sagemaker_emulator.state import STATE
from sagemaker_emulator.target_tracking import ManagedAlarms

Params = dict[str, Any]
Key = tuple[str, str, str]  # namespace, resource id, dimension
AAS = "application-autoscaling"
INSTANCE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
CONCURRENCY_DIMENSION = "sagemaker:variant:DesiredProvisionedConcurrency"
COPY_DIMENSION = "sagemaker:inference-component:DesiredCopyCount"
COMPONENT_PREFIX = "inference-component/"


@dataclass
class Target:
    key: Key
    min_capacity: int
    max_capacity: int
    role_arn: str
    suspended: Params
    created: datetime
    arn: str
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Policy:
    key: Key
    name: str
    policy_type: str
    configuration: Params
    arn: str
    created: datetime
    managed: ManagedAlarms | None = None
    """The CloudWatch alarms Application Auto Scaling made for it (target tracking only)."""


@dataclass
class ScheduledAction:
    key: Key
    name: str
    request: Params
    arn: str
    created: datetime


class Store:
    def __init__(self) -> None:
        self.targets: dict[Key, Target] = {}
        self.policies: dict[tuple[Key, str], Policy] = {}
        self.actions: dict[tuple[Key, str], ScheduledAction] = {}
        self.lock = threading.RLock()


def store(account: str, region: str) -> Store:
    backend = applicationautoscaling_backends[account][region]
    found = getattr(backend, "_sagectl_aas", None)
    if found is None:
        found = Store()
        backend._sagectl_aas = found
    return found


def targets_for_endpoint(account: str, region: str, endpoint: str) -> dict[str, Target]:
    """Registered scalable targets of an endpoint's variants, by variant name."""
    prefix = f"endpoint/{endpoint}/variant/"
    with store(account, region).lock:
        return {key[1][len(prefix):]: t for key, t in store(account, region).targets.items()
                if key[0] == "sagemaker" and key[1].startswith(prefix)}


def target_key(params: Params) -> Key:
    namespace = params.get("ServiceNamespace")
    resource = params.get("ResourceId")
    dimension = params.get("ScalableDimension")
    if not namespace or not resource or not dimension:
        raise validation("ServiceNamespace, ResourceId and ScalableDimension are required.")
    if dimension.split(":", 1)[0] != namespace:
        raise validation(f"Unsupported scalable dimension {dimension} for service namespace "
                         f"{namespace}.")
    return namespace, resource, dimension


def described(key: Key) -> str:
    return (f"service namespace: {key[0]}, resource ID: {key[1]}, scalable dimension: {key[2]}")


def no_target(key: Key) -> AwsError:
    return AwsError("ObjectNotFoundException", f"No scalable target registered for "
                                               f"{described(key)}")


def _check_sagemaker_variant(ctx: CallContext, key: Key) -> None:
    from sagemaker_emulator.sagemaker.store import hosting

    if key[1].startswith(COMPONENT_PREFIX):
        _check_component(ctx, key)
        return
    if key[2] == COPY_DIMENSION:
        raise validation(f"Unsupported resource ID {key[1]} for {COPY_DIMENSION}: expected "
                         f"{COMPONENT_PREFIX}<inference-component-name>.")
    parts = key[1].split("/")
    if len(parts) != 4 or parts[0] != "endpoint" or parts[2] != "variant":
        raise validation(f"Unsupported resource ID {key[1]}: expected "
                         "endpoint/<endpoint-name>/variant/<variant-name>.")
    endpoint, variant = parts[1], parts[3]
    state = hosting(ctx.account, ctx.region).find_variant(endpoint, variant)
    if state is None:
        raise validation(f"The variant {variant} of endpoint {endpoint} does not exist.")
    if key[2] == INSTANCE_DIMENSION:
        if state.is_serverless:
            raise validation(f"Variant {variant} is serverless; scale its provisioned concurrency "
                             f"({CONCURRENCY_DIMENSION}).")
        if (state.instance_type or "").startswith("ml.t"):
            raise validation(f"The instance type {state.instance_type} of variant {variant} "
                             "is burstable and does not support autoscaling.")
    elif key[2] == CONCURRENCY_DIMENSION:
        if not state.is_serverless or not (state.serverless or {}).get("ProvisionedConcurrency"):
            raise validation(f"Variant {variant} has no provisioned concurrency to scale.")
    else:
        raise validation(f"Unsupported scalable dimension {key[2]} for SageMaker variants.")


def _check_component(ctx: CallContext, key: Key) -> None:
    """``inference-component/<name>`` with ``sagemaker:inference-component:DesiredCopyCount``
    (sagemaker-rules.md rule 38): the component must exist and have copies of its own."""
    from sagemaker_emulator.sagemaker.components import find_component

    name = key[1][len(COMPONENT_PREFIX):]
    if key[2] != COPY_DIMENSION:
        raise validation(f"Unsupported scalable dimension {key[2]} for SageMaker inference "
                         f"components: use {COPY_DIMENSION}.")
    found = find_component(ctx.account, ctx.region, name)
    if found is None:
        raise validation(f"The inference component {name} does not exist.")
    if found.base is not None:
        raise validation(f"The inference component {name} is an adapter: it has no copy count "
                         "to scale.")


def _suspended(params: Params, previous: Params | None) -> Params:
    base = previous or {"DynamicScalingInSuspended": False, "DynamicScalingOutSuspended": False,
                        "ScheduledScalingSuspended": False}
    return {**base, **(params.get("SuspendedState") or {})}


# -- scalable targets -------------------------------------------------------------------------

@handler(AAS, "RegisterScalableTarget")
def register_scalable_target(ctx: CallContext, params: Params) -> Params:
    key = target_key(params)
    db = store(ctx.account, ctx.region)
    with db.lock:
        existing = db.targets.get(key)
        low = params.get("MinCapacity", existing.min_capacity if existing else None)
        high = params.get("MaxCapacity", existing.max_capacity if existing else None)
        if low is None or high is None:
            raise validation("MinCapacity and MaxCapacity are required to register a new "
                             "scalable target.")
        if low < 0 or high < 0:
            raise validation("MinCapacity and MaxCapacity must be >= 0.")
        if low > high:
            raise validation(f"Minimum capacity ({low}) cannot be larger than maximum capacity "
                             f"({high}).")
    if key[0] == "sagemaker":
        _check_sagemaker_variant(ctx, key)  # takes the hosting lock: not under ours
        if key[2] == COPY_DIMENSION:
            # "it changes the resource's current capacity to a value that is inside of this
            # range" (RegisterScalableTarget): for copy counts (rule 38)
            from sagemaker_emulator.sagemaker.components import clamp_copies

            clamp_copies(ctx.account, ctx.region, key[1][len(COMPONENT_PREFIX):], low, high)
    with db.lock:
        existing = db.targets.get(key)
        if existing is not None:
            existing.min_capacity, existing.max_capacity = low, high
            existing.suspended = _suspended(params, existing.suspended)
            existing.role_arn = params.get("RoleARN", existing.role_arn)
            existing.tags.update(params.get("Tags") or {})
            return {"ScalableTargetARN": existing.arn}
        role = params.get("RoleARN") or (
            f"arn:aws:iam::{ctx.account}:role/aws-service-role/{key[0]}.application-autoscaling."
            "amazonaws.com/AWSServiceRoleForApplicationAutoScaling")
        arn = (f"arn:aws:application-autoscaling:{ctx.region}:{ctx.account}:scalable-target/"
               f"{uuid.uuid4().hex}")
        db.targets[key] = Target(key, low, high, role, _suspended(params, None),
                                 STATE.clock.datetime(), arn, dict(params.get("Tags") or {}))
        return {"ScalableTargetARN": arn}


def _deregister(account: str, region: str, db: Store, key: Key) -> None:
    """Drop a target, "Deregistering a scalable target deletes the scaling policies and the
    scheduled actions that are associated with it" (API reference), and their alarms."""
    del db.targets[key]
    for k in [k for k in db.policies if k[0] == key]:
        target_tracking.delete(account, region, db.policies.pop(k).managed)
    for k in [k for k in db.actions if k[0] == key]:
        del db.actions[k]


@handler(AAS, "DeregisterScalableTarget")
def deregister_scalable_target(ctx: CallContext, params: Params) -> None:
    key = target_key(params)
    db = store(ctx.account, ctx.region)
    with db.lock:
        if key not in db.targets:
            raise no_target(key)
        _deregister(ctx.account, ctx.region, db, key)


def deregister_endpoint_targets(account: str, region: str, endpoint: str) -> list[str]:
    """DeleteEndpoint's side effect: "If you delete an endpoint, Application Auto Scaling checks
    to see whether any of the models on that endpoint are targets for auto scaling. If any are and
    you have permission to deregister the model, Application Auto Scaling deregisters those models
    as scalable targets without notifying you." (SageMaker Developer Guide,
    https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-delete-with-scaling.html). Every
    ``sagemaker`` target ``endpoint/<endpoint>/variant/*`` goes, with its policies, scheduled
    actions and alarms (no IAM here: the permission is always there). Returns the resource ids."""
    prefix = f"endpoint/{endpoint}/variant/"
    db = store(account, region)
    with db.lock:
        keys = sorted(k for k in db.targets if k[0] == "sagemaker" and k[1].startswith(prefix)
                      and "/" not in k[1][len(prefix):])
        for key in keys:
            _deregister(account, region, db, key)
    return [k[1] for k in keys]


def matching(params: Params, keys: list[Key], ids_key: str = "ResourceIds") -> list[Key]:
    namespace = params.get("ServiceNamespace")
    if not namespace:
        raise validation("ServiceNamespace is required.")
    ids = params.get(ids_key)
    if ids_key == "ResourceIds" and ids is not None and len(ids) > 50:
        raise validation("ResourceIds can contain at most 50 items.")
    if isinstance(ids, str):
        ids = [ids]
    dimension = params.get("ScalableDimension")
    return [k for k in keys if k[0] == namespace and (ids is None or k[1] in ids)
            and (dimension is None or k[2] == dimension)]


@handler(AAS, "DescribeScalableTargets")
def describe_scalable_targets(ctx: CallContext, params: Params) -> Params:
    db = store(ctx.account, ctx.region)
    with db.lock:
        keys = sorted(matching(params, list(db.targets)))
        chunk, token = page(keys, params, 50, 50)
        out: Params = {"ScalableTargets": [_target_view(db.targets[k]) for k in chunk]}
    return with_token(out, token)


def _target_view(t: Target) -> Params:
    return {"ServiceNamespace": t.key[0], "ResourceId": t.key[1], "ScalableDimension": t.key[2],
            "MinCapacity": t.min_capacity, "MaxCapacity": t.max_capacity, "RoleARN": t.role_arn,
            "CreationTime": t.created, "SuspendedState": dict(t.suspended),
            "ScalableTargetARN": t.arn}


# -- scaling policies -------------------------------------------------------------------------

POLICY_CONFIG = {"TargetTrackingScaling": "TargetTrackingScalingPolicyConfiguration",
                 "StepScaling": "StepScalingPolicyConfiguration",
                 "PredictiveScaling": "PredictiveScalingPolicyConfiguration"}


@handler(AAS, "PutScalingPolicy")
def put_scaling_policy(ctx: CallContext, params: Params) -> Params:
    key = target_key(params)
    name = params.get("PolicyName")
    if not name:
        raise validation("PolicyName is required.")
    policy_type = params.get("PolicyType", "StepScaling")
    config_key = POLICY_CONFIG.get(policy_type)
    if config_key is None or config_key not in params:
        raise validation(f"A {policy_type} policy needs {config_key or 'a configuration'}.")
    db = store(ctx.account, ctx.region)
    with db.lock:
        if key not in db.targets:
            raise no_target(key)
        previous = db.policies.get((key, name))
        arn = previous.arn if previous else (
            f"arn:aws:autoscaling:{ctx.region}:{ctx.account}:scalingPolicy:{uuid.uuid4()}:"
            f"resource/{key[0]}/{key[1]}:policyName/{name}")
        had = previous.managed if previous else None
        if policy_type == "TargetTrackingScaling":  # its alarms are made or updated in place
            managed = target_tracking.put(ctx.account, ctx.region, key[1], arn,
                                          params[config_key], had)
        else:  # a step (or predictive) policy has none: a former target tracking's go
            target_tracking.delete(ctx.account, ctx.region, had)
            managed = None
        db.policies[(key, name)] = Policy(key, name, policy_type,
                                          {config_key: copy.deepcopy(params[config_key])}, arn,
                                          STATE.clock.datetime(), managed)
        return {"PolicyARN": arn, "Alarms": target_tracking.listed(managed)}


@handler(AAS, "DescribeScalingPolicies")
def describe_scaling_policies(ctx: CallContext, params: Params) -> Params:
    db = store(ctx.account, ctx.region)
    names = params.get("PolicyNames")
    with db.lock:
        keys = set(matching(params, list({k for k, _ in db.policies}), "ResourceId"))
        # sorted by (key, name): the dictionary's own keys, compared in C (no key function)
        found = [db.policies[k] for k in sorted(k for k in db.policies
                                                if k[0] in keys and (names is None or
                                                                     k[1] in names))]
        chunk, token = page(found, params, 10, 10)
        out: Params = {"ScalingPolicies": [
            {"PolicyARN": p.arn, "PolicyName": p.name, "ServiceNamespace": p.key[0],
             "ResourceId": p.key[1], "ScalableDimension": p.key[2], "PolicyType": p.policy_type,
             **copy.deepcopy(p.configuration), "Alarms": target_tracking.listed(p.managed),
             "CreationTime": p.created}
            for p in chunk]}
    return with_token(out, token)


@handler(AAS, "DeleteScalingPolicy")
def delete_scaling_policy(ctx: CallContext, params: Params) -> None:
    key = target_key(params)
    db = store(ctx.account, ctx.region)
    with db.lock:
        gone = db.policies.pop((key, params.get("PolicyName", "")), None)
        if gone is None:
            raise AwsError("ObjectNotFoundException", f"No scaling policy found for "
                                                      f"{described(key)}, policy name: "
                                                      f"{params.get('PolicyName')}")
        target_tracking.delete(ctx.account, ctx.region, gone.managed)  # its alarms go with it


# -- tags on scalable targets -----------------------------------------------------------------

def _target_by_arn(db: Store, arn: Any) -> Target:
    found = next((t for t in db.targets.values() if t.arn == arn), None)
    if found is None:
        raise AwsError("ResourceNotFoundException", f"No scalable target with ARN {arn}.")
    return found


@handler(AAS, "TagResource")
def tag_resource(ctx: CallContext, params: Params) -> None:
    db = store(ctx.account, ctx.region)
    with db.lock:
        _target_by_arn(db, params.get("ResourceARN")).tags.update(params.get("Tags") or {})


@handler(AAS, "UntagResource")
def untag_resource(ctx: CallContext, params: Params) -> None:
    db = store(ctx.account, ctx.region)
    with db.lock:
        target = _target_by_arn(db, params.get("ResourceARN"))
        for key in params.get("TagKeys") or []:
            target.tags.pop(key, None)


@handler(AAS, "ListTagsForResource")
def list_tags_for_resource(ctx: CallContext, params: Params) -> Params:
    db = store(ctx.account, ctx.region)
    with db.lock:
        return {"Tags": dict(_target_by_arn(db, params.get("ResourceARN")).tags)}
