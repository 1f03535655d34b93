"""SageMaker endpoint operations served by the emulator: create, describe, list, delete, and the
two update paths (UpdateEndpoint with SageMaker's rules, UpdateEndpointWeightsAndCapacities).

Fixes over moto: endpoints move through Creating/Updating/RollingBack/Deleting on the simulated
clock (``lifecycle.py``) instead of being InService at once; UpdateEndpoint exists; weights-only
updates keep the counts they are not given; duplicate creates fail."""

from __future__ import annotations

import copy
from typing import Any

from reconciler.emulator import cloudwatch
from reconciler.emulator.dispatch import CallContext, handler, validation
from reconciler.emulator.paging import with_token
from reconciler.emulator.sagemaker import lifecycle, validate
from reconciler.emulator.sagemaker.api import (
    SM,
    get_config,
    listing,
    request_tags,
    sim_now,
    store_of,
)
from reconciler.emulator.sagemaker.store import Endpoint, Hosting, VariantState
from reconciler.emulator.state import STATE

Params = dict[str, Any]

# Endpoints settle just before and just after any alarm changes state (see lifecycle.py).
if lifecycle.settle not in cloudwatch.LISTENERS:
    cloudwatch.LISTENERS.append(lifecycle.settle)


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
        existing = store.endpoints.get(name)
        if existing is not None:
            lifecycle.observe(store, existing)
        if name in store.endpoints:
            raise validate.already_exists("endpoint", arn)
        cfg = get_config(store, params.get("EndpointConfigName"))
        now = sim_now()
        ep = Endpoint(name, arn, cfg.name, "Creating", now, now,
                      lifecycle.variants_from_config(cfg), tags=request_tags(params),
                      last_deployment_config=copy.deepcopy(params.get("DeploymentConfig")))
        lifecycle.start_create(ep, STATE.faults.take_endpoint_fault(name, "create"))
        store.endpoints[name] = ep
    return {"EndpointArn": arn}


def _variant_view(v: VariantState) -> Params:
    out: Params = {"VariantName": v.name, "CurrentWeight": v.current_weight,
                   "DesiredWeight": v.desired_weight}
    if v.is_serverless:
        out["CurrentServerlessConfig"] = copy.deepcopy(v.serverless)
        out["DesiredServerlessConfig"] = copy.deepcopy(v.serverless)
    else:
        out["CurrentInstanceCount"] = v.current_count
        out["DesiredInstanceCount"] = v.desired_count
    return out


def _pending(store: Hosting, ep: Endpoint) -> Params | None:
    op = ep.operation
    if op is None or op.kind != "update" or op.new_config is None:
        return None
    step = op.step_at(STATE.clock.now())
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
            "ProductionVariants": [_variant_view(v) for v in ep.variants if not v.shadow],
            "EndpointStatus": ep.status, "CreationTime": ep.created,
            "LastModifiedTime": ep.modified,
        }
        shadows = [_variant_view(v) for v in ep.variants if v.shadow]
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
        if ep.status == "Deleting":
            raise validation(f'Cannot delete endpoint "{ep.arn}" while it is being deleted.')
        lifecycle.start_delete(ep)


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


def _require_in_service(ep: Endpoint, verb: str) -> None:
    if ep.status != "InService":
        raise validation(f'Cannot {verb} endpoint "{ep.arn}" because its status is '
                         f"{ep.status}; the endpoint must be InService.")


@handler(SM, "UpdateEndpoint")
def update_endpoint(ctx: CallContext, params: Params) -> Params:
    from reconciler.emulator.app_autoscaling import targets_for_endpoint
    from reconciler.emulator.cloudwatch import alarm_states

    store = store_of(ctx)
    with store.lock:
        ep = _endpoint(store, params.get("EndpointName"))
        _require_in_service(ep, "update")
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
            if current and current.instance_type != target_variant.get("InstanceType"):
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
            shifting = deployment.get("RollingUpdatePolicy") or (
                deployment.get("BlueGreenUpdatePolicy", {}).get("TrafficRoutingConfiguration",
                                                                {}).get("Type")
                in ("CANARY", "LINEAR"))
            old_names = {v.name for v in ep.variants if not v.shadow}
            if shifting and old_names != set(counts):
                raise validation("Deployment guardrails require the same variant names in the "
                                 "current and the new endpoint configuration.")
        ep.last_deployment_config = copy.deepcopy(deployment)
        lifecycle.start_update(ep, new, new_variants, deployment,
                               STATE.faults.take_endpoint_fault(ep.name, "update"))
        ep.modified = sim_now()
        return {"EndpointArn": ep.arn}


@handler(SM, "UpdateEndpointWeightsAndCapacities")
def update_weights(ctx: CallContext, params: Params) -> Params:
    store = store_of(ctx)
    with store.lock:
        ep = _endpoint(store, params.get("EndpointName"))
        _require_in_service(ep, "update")
        wanted = params.get("DesiredWeightsAndCapacities") or []
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
        lifecycle.start_weights(ep, new_variants)
        ep.modified = sim_now()
        return {"EndpointArn": ep.arn}
