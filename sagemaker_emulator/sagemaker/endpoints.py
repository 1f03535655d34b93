"""SageMaker endpoint operations served by the emulator: create, describe, list, delete, and the
two update paths (UpdateEndpoint with SageMaker's rules, UpdateEndpointWeightsAndCapacities).

Fixes over moto: endpoints move through Creating/Updating/RollingBack/Deleting on the simulated
clock (``lifecycle.py``) instead of being InService at once; UpdateEndpoint exists; weights-only
updates keep the counts they are not given; duplicate creates fail."""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

from sagemaker_emulator import cloudwatch, quotas
from sagemaker_emulator.app_autoscaling import deregister_endpoint_targets, targets_for_endpoint
from sagemaker_emulator.cloudwatch import alarm_states
from sagemaker_emulator.dispatch import CallContext, handler, validation
from sagemaker_emulator.faults import EndpointFault
from sagemaker_emulator.paging import with_token
from sagemaker_emulator.sagemaker import components, exclusions, lifecycle, pools, validate
from sagemaker_emulator.sagemaker.api import (
    SM,
    get_config,
    listing,
    request_tags,
    sim_now,
    store_of,
)
from sagemaker_emulator.sagemaker.store import Endpoint, Hosting, VariantState, hosting
from sagemaker_emulator.state import STATE

Params = dict[str, Any]

# Endpoints settle just before and just after any alarm changes state (see lifecycle.py); that
# takes the hosting lock, so evaluating alarms takes it first (cloudwatch.LOCKS: one lock order).
if lifecycle.settle not in cloudwatch.LISTENERS:
    cloudwatch.LISTENERS.append(lifecycle.settle)
    cloudwatch.LOCKS.append(lambda account, region: hosting(account, region).lock)


def _endpoint(store: Hosting, name: Any) -> Endpoint:
    ep = store.endpoints.get(name) if isinstance(name, str) else None
    if ep is not None:
        lifecycle.observe(store, ep)
        ep = store.endpoints.get(name)
    if ep is None:
        raise validate.not_found("endpoint", store.arn("endpoint", str(name)))
    return ep


@handler(SM, "CreateEndpoint")
def create_endpoint(ctx: CallContext, params: Params) -> Params:
    store = store_of(ctx)
    name = validate.check_name(params.get("EndpointName"), "endpointName")
    arn = store.arn("endpoint", name)
    with store.lock:
        # "The name is case-insensitive in CreateEndpoint" (API reference): MyEp and myep collide
        for existing in [e for e in store.endpoints.values() if e.name.lower() == name.lower()]:
            lifecycle.observe(store, existing)
        if any(e.lower() == name.lower() for e in store.endpoints):
            raise validate.already_exists("endpoint", arn)
        cfg = get_config(store, params.get("EndpointConfigName"))
        quotas.check(store, quotas.fleet(cfg))
        fault = STATE.faults.take_endpoint_fault(name, "create") or _no_capacity(cfg)
        now = sim_now()
        ep = Endpoint(name, arn, cfg.name, "Creating", now, now,
                      lifecycle.variants_from_config(cfg), tags=request_tags(params),
                      last_deployment_config=copy.deepcopy(params.get("DeploymentConfig")))
        lifecycle.start_create(ep, fault)
        store.endpoints[name] = ep
    return {"EndpointArn": arn}


def _no_capacity(cfg: Any) -> EndpointFault | None:
    """The deployment of ``cfg`` fails when one of its variants gets no instance: every type it
    may run on has insufficient capacity (rule 54)."""
    for v in cfg.variants + cfg.shadow_variants:
        reason = pools.insufficient(v)
        if reason:
            return EndpointFault("fail", reason)
    return None


def _variant_view(v: VariantState) -> Params:
    out: Params = {"VariantName": v.name, "CurrentWeight": v.current_weight,
                   "DesiredWeight": v.desired_weight}
    if v.is_serverless:
        out["CurrentServerlessConfig"] = copy.deepcopy(v.serverless)
        out["DesiredServerlessConfig"] = copy.deepcopy(v.serverless)
    else:
        out["CurrentInstanceCount"] = v.current_count
        out["DesiredInstanceCount"] = v.desired_count
    if v.managed_scaling:
        out["ManagedInstanceScaling"] = copy.deepcopy(v.managed_scaling)
    out.update(copy.deepcopy(v.extra))
    return out


def _variant_views(store: Hosting, ep: Endpoint, shadow: bool) -> list[Params]:
    views = []
    for v in ep.variants:
        if v.shadow != shadow:
            continue
        view = _variant_view(v)
        managed = components.managed_instance_count(store, ep.name, v)
        if managed is not None:  # managed instance scaling: the instances the copies use
            view["CurrentInstanceCount"] = view["DesiredInstanceCount"] = managed
        if v.pools:
            view["InstancePools"] = pools.summaries(v.pools, v.instance_type,
                                                    view.get("CurrentInstanceCount"))
        views.append(view)
    return views


def _pending(store: Hosting, ep: Endpoint) -> Params | None:
    op = ep.operation
    if op is None or op.kind != "update" or op.new_config is None:
        return None
    step = op.step_at(STATE.clock.now())
    if step.rollback:
        return None
    message = (f"{step.traffic}% of traffic on the new fleet" if step.traffic
               else "Provisioning the new fleet")
    variants = []
    for v in op.new_variants or []:
        if v.shadow:
            continue
        view = _variant_view(v)
        view.pop("CurrentWeight", None)
        cfg_variant = store.configs[op.new_config].variant(v.name) if \
            op.new_config in store.configs else None
        if cfg_variant and cfg_variant.get("InstanceType"):
            view["InstanceType"] = cfg_variant["InstanceType"]
        if v.pools:  # the new fleet is still being provisioned: no instance counted yet
            view["InstancePools"] = pools.summaries(v.pools, v.instance_type, 0)
        view["VariantStatus"] = [{"Status": step.phase, "StatusMessage": message,
                                  "StartTime": lifecycle.when(step.start)}]
        variants.append(view)
    return {"EndpointConfigName": op.new_config, "ProductionVariants": variants,
            "StartTime": lifecycle.when(op.start)}


@handler(SM, "DescribeEndpoint")
def describe_endpoint(ctx: CallContext, params: Params) -> Params:
    store = store_of(ctx)
    with store.lock:
        ep = _endpoint(store, params.get("EndpointName"))
        out: Params = {
            "EndpointName": ep.name, "EndpointArn": ep.arn, "EndpointConfigName": ep.config_name,
            "ProductionVariants": _variant_views(store, ep, shadow=False),
            "EndpointStatus": ep.status, "CreationTime": ep.created,
            "LastModifiedTime": ep.modified,
        }
        shadows = _variant_views(store, ep, shadow=True)
        if shadows:
            out["ShadowProductionVariants"] = shadows
        if ep.failure_reason:
            out["FailureReason"] = ep.failure_reason
        if ep.last_deployment_config:
            out["LastDeploymentConfig"] = copy.deepcopy(ep.last_deployment_config)
        cfg = store.configs.get(ep.config_name)
        if cfg is not None:
            capture = cfg.request.get("DataCaptureConfig")
            if capture:
                out["DataCaptureConfig"] = {
                    "EnableCapture": capture.get("EnableCapture", True),
                    "CaptureStatus": "Started" if capture.get("EnableCapture", True) else "Stopped",
                    "CurrentSamplingPercentage": capture["InitialSamplingPercentage"],
                    "DestinationS3Uri": capture["DestinationS3Uri"],
                    **({"KmsKeyId": capture["KmsKeyId"]} if capture.get("KmsKeyId") else {}),
                }
            if cfg.request.get("AsyncInferenceConfig"):
                out["AsyncInferenceConfig"] = copy.deepcopy(cfg.request["AsyncInferenceConfig"])
        pending = _pending(store, ep)
        if pending:
            out["PendingDeploymentSummary"] = pending
        return out


@handler(SM, "DeleteEndpoint")
def delete_endpoint(ctx: CallContext, params: Params) -> None:
    store = store_of(ctx)
    with store.lock:
        ep = _endpoint(store, params.get("EndpointName"))
        _refuse_busy(ep, updating=False)
        hosted = components.components_on(store, ep.name)
        if hosted:
            # rule 32: AWS documents no answer; the emulator refuses (sagemaker-rules.md)
            raise validation(f'Cannot delete endpoint "{ep.arn}": it hosts inference '
                             f"component(s) {', '.join(hosted)}; delete them first.")
        lifecycle.start_delete(ep)
        # rule 23: Application Auto Scaling deregisters the endpoint's variants silently
        deregister_endpoint_targets(ctx.account, ctx.region, ep.name)


@handler(SM, "ListEndpoints")
def list_endpoints(ctx: CallContext, params: Params) -> Params:
    store = store_of(ctx)
    with store.lock:
        for ep in list(store.endpoints.values()):
            lifecycle.observe(store, ep)
        items, token = listing(list(store.endpoints.values()), params, lambda e: e.name,
                                lambda e: e.created, lambda e: e.status)
        return with_token({"Endpoints": [
            {"EndpointName": e.name, "EndpointArn": e.arn, "CreationTime": e.created,
             "LastModifiedTime": e.modified, "EndpointStatus": e.status} for e in items]}, token)


IN_PROGRESS = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting",
                         "OutOfService"})


def _refuse_busy(ep: Endpoint, updating: bool = True) -> None:
    """SageMaker's refusal to change an endpoint that is not settled (sagemaker-rules.md rule
    19). AWS documents the statuses (DescribeEndpoint: SystemUpdating "cannot be updated or
    deleted or re-scaled", Failed allows only DeleteEndpoint), not the error: the wording is
    AWS's as users and AWS's own Kubernetes operator see it for Creating and Updating
    (aws/amazon-sagemaker-operator-for-k8s, ``DeleteEndpointInProgressMessagePrefix``), the same
    for UpdateEndpoint, UpdateEndpointWeightsAndCapacities and DeleteEndpoint. The emulator
    answers it for every in-progress status; that SystemUpdating, RollingBack and Deleting answer
    exactly this text is an assumption. ``Cannot update failed endpoint`` is seen in public code
    only as a message fragment. UpdateRollbackFailed accepts an update (rolling deployment
    guide: "make another call to the UpdateEndpoint API to return your endpoint to a healthy
    state")."""
    if ep.status in IN_PROGRESS:
        raise validation(f'Cannot update in-progress endpoint "{ep.arn}".')
    if updating and ep.status == "Failed":
        raise validation(f'Cannot update failed endpoint "{ep.arn}".')


@handler(SM, "UpdateEndpoint")
def update_endpoint(ctx: CallContext, params: Params) -> Params:
    store = store_of(ctx)
    with store.lock:
        ep = _endpoint(store, params.get("EndpointName"))
        _refuse_busy(ep)
        new = get_config(store, params.get("EndpointConfigName"))
        old = store.configs.get(ep.config_name)
        was_instance = any(not v.is_serverless for v in ep.variants)
        if was_instance and any(v.get("ServerlessConfig") for v in new.variants):
            raise validation("Updating an endpoint with instance-based variants to a serverless "
                             "configuration is not supported; create a new endpoint.")
        if old is not None and old.request.get("AsyncInferenceConfig") and \
                not new.request.get("AsyncInferenceConfig"):
            raise validation("AsyncInferenceConfig cannot be removed from an endpoint by an "
                             "update; create a new endpoint.")
        for variant, _target in targets_for_endpoint(ctx.account, ctx.region, ep.name).items():
            current = ep.variant(variant)
            target_variant = new.variant(variant)
            if target_variant is None:
                raise validation(f"The variant {variant} is registered with Application Auto "
                                 "Scaling and cannot be removed by an update; deregister its "
                                 "scalable target first.")
            if current and pools.config_types_of(current) != pools.config_types(target_variant):
                raise validation(f"The instance type of variant {variant} cannot be changed "
                                 "while it is registered with Application Auto Scaling; "
                                 "deregister its scalable target first.")
        retain = bool(params.get("RetainAllVariantProperties"))
        exclude = frozenset(p["VariantPropertyType"]
                            for p in params.get("ExcludeRetainedVariantProperties") or [])
        new_variants = lifecycle.variants_from_config(new, ep, retain, exclude)
        deployment = params.get("DeploymentConfig")
        if deployment is None and params.get("RetainDeploymentConfig"):
            deployment = ep.last_deployment_config
        if deployment:
            counts = {v.name: v.desired_count for v in new_variants if not v.shadow}
            serverless = any(v.is_serverless for v in new_variants)
            alarms = (deployment.get("AutoRollbackConfiguration") or {}).get("Alarms") or []
            existing = alarm_states(ctx.account, ctx.region, [a["AlarmName"] for a in alarms])
            validate.check_deployment(deployment, counts, serverless, existing.__contains__)
        excluded = exclusions.exclusion(store, [old, new])
        shifting = deployment is not None and (deployment.get("RollingUpdatePolicy") or (
            deployment.get("BlueGreenUpdatePolicy", {}).get("TrafficRoutingConfiguration",
                                                            {}).get("Type")
            in ("CANARY", "LINEAR")))
        old_names = {v.name for v in ep.variants if not v.shadow}
        new_names = {v.name for v in new_variants if not v.shadow}
        if shifting and not excluded and old_names != new_names:
            # Documented requirement (deployment-guardrails-exclusions.html); the error AWS
            # answers is not documented: the emulator refuses, so nothing relies on a guess.
            raise validation("Deployment guardrails require the same variant names in the "
                             "current and the new endpoint configuration.")
        # LastDeploymentConfig echoes the request, also when AWS falls back (undocumented).
        ep.last_deployment_config = copy.deepcopy(deployment)
        run_as = exclusions.ALL_AT_ONCE if excluded and exclusions.guarded(deployment) \
            else deployment
        delta = quotas.rolling_delta(quotas.fleet(new), run_as)
        quotas.check(store, delta)
        lifecycle.start_update(ep, new, new_variants, run_as,
                               STATE.faults.take_endpoint_fault(ep.name, "update")
                               or _no_capacity(new))
        ep.operation.fleet_delta = delta
        ep.modified = sim_now()
        return {"EndpointArn": ep.arn}


@handler(SM, "UpdateEndpointWeightsAndCapacities")
def update_weights(ctx: CallContext, params: Params) -> Params:
    store = store_of(ctx)
    with store.lock:
        ep = _endpoint(store, params.get("EndpointName"))
        _refuse_busy(ep)
        wanted = params.get("DesiredWeightsAndCapacities") or []
        counted = [w["VariantName"] for w in wanted if "DesiredInstanceCount" in w]
        if len(counted) > 1:
            # "Updates variant weight of one or more variants ..., or capacity of one variant"
            # (API reference); the error's wording is not documented: the emulator's own.
            raise validation("UpdateEndpointWeightsAndCapacities can change the capacity of "
                             f"one variant per request; got {', '.join(counted)}.")
        missing = [w["VariantName"] for w in wanted if ep.variant(w["VariantName"]) is None]
        if missing:
            raise validation(f"The variant(s) \"{missing}\" is/are not present in endpoint "
                             f"\"{ep.arn}\".")
        new_variants = copy.deepcopy(ep.variants)
        for want in wanted:
            v = next(x for x in new_variants if x.name == want["VariantName"])
            if "DesiredWeight" in want:
                if want["DesiredWeight"] < 0:
                    raise validation("DesiredWeight must be >= 0.")
                v.desired_weight = float(want["DesiredWeight"])
            if "DesiredInstanceCount" in want:
                if v.is_serverless:
                    raise validation(f"Variant {v.name} is serverless; use "
                                     "ServerlessUpdateConfig.")
                v.desired_count = want["DesiredInstanceCount"]
            update = want.get("ServerlessUpdateConfig")
            if update:
                if not v.is_serverless:
                    raise validation(f"Variant {v.name} is not serverless.")
                assert v.serverless is not None
                v.serverless = {**v.serverless, **update}
        increase: Counter[str] = Counter()
        for before, after in zip(ep.variants, new_variants, strict=True):
            if after.instance_type and (after.desired_count or 0) > (before.desired_count or 0):
                increase[after.instance_type] += after.desired_count - (before.desired_count or 0)
        quotas.check(store, increase)
        lifecycle.start_weights(ep, new_variants)
        ep.modified = sim_now()
        return {"EndpointArn": ep.arn}
