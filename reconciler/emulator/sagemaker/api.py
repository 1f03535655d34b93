"""SageMaker hosting operations served by the emulator (models, endpoint configs, endpoints).

Fixes over moto: duplicate creates fail; current instance types are accepted; configs keep
ShadowProductionVariants, ExecutionRoleArn, VpcConfig and EnableNetworkIsolation; no empty
``VpcConfig: {}``; endpoints move through Creating/Updating/RollingBack/Deleting on the
simulated clock; UpdateEndpoint exists, with SageMaker's rules; weights-only updates keep counts;
list operations paginate and filter.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from reconciler.emulator import cloudwatch
from reconciler.emulator.dispatch import CallContext, handler, validation
from reconciler.emulator.paging import page, with_token
from reconciler.emulator.sagemaker import lifecycle, validate
from reconciler.emulator.sagemaker.store import (
    Endpoint,
    EndpointConfig,
    Hosting,
    Model,
    VariantState,
    hosting,
)
from reconciler.emulator.state import STATE

Params = dict[str, Any]
SM = "sagemaker"

# Endpoints settle just before and just after any alarm changes state (see lifecycle.py).
if lifecycle.settle not in cloudwatch.LISTENERS:
    cloudwatch.LISTENERS.append(lifecycle.settle)


def _store(ctx: CallContext) -> Hosting:
    return hosting(ctx.account, ctx.region)


def _tags(params: Params) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in params.get("Tags") or []}


def _now() -> Any:
    return STATE.clock.datetime()


# -- pagination -------------------------------------------------------------------------------

def _listing(items: list[Any], params: Params, name_of: Callable[[Any], str],
             created_of: Callable[[Any], Any], status_of: Callable[[Any], str] | None = None
             ) -> tuple[list[Any], str | None]:
    contains = (params.get("NameContains") or "").lower()
    items = [i for i in items if contains in name_of(i).lower()]
    if status_of and params.get("StatusEquals"):
        items = [i for i in items if status_of(i) == params["StatusEquals"]]
    if params.get("CreationTimeAfter") is not None:
        items = [i for i in items if created_of(i).timestamp() > params["CreationTimeAfter"]]
    if params.get("CreationTimeBefore") is not None:
        items = [i for i in items if created_of(i).timestamp() < params["CreationTimeBefore"]]
    by = params.get("SortBy", "CreationTime")
    if by == "Name":
        items.sort(key=name_of)
    elif by == "Status" and status_of is not None:
        items.sort(key=lambda i: (status_of(i), name_of(i)))
    else:
        items.sort(key=lambda i: (created_of(i), name_of(i)))
    if params.get("SortOrder", "Descending") == "Descending":
        items.reverse()
    return page(items, params)


# -- models -----------------------------------------------------------------------------------

MODEL_FIELDS = ("PrimaryContainer", "Containers", "InferenceExecutionConfig", "ExecutionRoleArn",
                "VpcConfig", "EnableNetworkIsolation")


@handler(SM, "CreateModel")
def create_model(ctx: CallContext, params: Params) -> Params:
    store = _store(ctx)
    name = validate.check_name(params.get("ModelName"), "modelName")
    arn = store.arn("model", name)
    with store.lock:
        if name in store.models:
            raise validate.already_exists("model", arn)
        if not params.get("PrimaryContainer") and not params.get("Containers"):
            raise validation("Either PrimaryContainer or Containers must be specified.")
        request = {k: copy.deepcopy(params[k]) for k in MODEL_FIELDS if k in params}
        store.models[name] = Model(name, arn, _now(), request, _tags(params))
    return {"ModelArn": arn}


def _model(store: Hosting, name: Any) -> Model:
    model = store.models.get(name) if isinstance(name, str) else None
    if model is None:
        raise validate.not_found("model", store.arn("model", str(name)))
    return model


@handler(SM, "DescribeModel")
def describe_model(ctx: CallContext, params: Params) -> Params:
    model = _model(_store(ctx), params.get("ModelName"))
    return {"ModelName": model.name, "ModelArn": model.arn, "CreationTime": model.created,
            "EnableNetworkIsolation": False, **copy.deepcopy(model.request)}


@handler(SM, "DeleteModel")
def delete_model(ctx: CallContext, params: Params) -> None:
    store = _store(ctx)
    with store.lock:
        model = _model(store, params.get("ModelName"))
        del store.models[model.name]


@handler(SM, "ListModels")
def list_models(ctx: CallContext, params: Params) -> Params:
    store = _store(ctx)
    items, token = _listing(list(store.models.values()), params, lambda m: m.name,
                            lambda m: m.created)
    return with_token({"Models": [{"ModelName": m.name, "ModelArn": m.arn,
                                    "CreationTime": m.created} for m in items]}, token)


# -- endpoint configs -------------------------------------------------------------------------

CONFIG_FIELDS = ("ProductionVariants", "DataCaptureConfig", "KmsKeyId", "AsyncInferenceConfig",
                 "ExplainerConfig", "ShadowProductionVariants", "ExecutionRoleArn", "VpcConfig",
                 "EnableNetworkIsolation")


@handler(SM, "CreateEndpointConfig")
def create_endpoint_config(ctx: CallContext, params: Params) -> Params:
    store = _store(ctx)
    name = validate.check_name(params.get("EndpointConfigName"), "endpointConfigName")
    arn = store.arn("endpoint-config", name)
    with store.lock:
        if name in store.configs:
            raise validate.already_exists("endpoint configuration", arn)
        validate.check_config(params, lambda model: _model(store, model))
        request = {k: copy.deepcopy(params[k]) for k in CONFIG_FIELDS if k in params}
        for v in request["ProductionVariants"] + request.get("ShadowProductionVariants", []):
            v.setdefault("InitialVariantWeight", 1.0)
        store.configs[name] = EndpointConfig(name, arn, _now(), request, _tags(params))
    return {"EndpointConfigArn": arn}


def _config(store: Hosting, name: Any) -> EndpointConfig:
    cfg = store.configs.get(name) if isinstance(name, str) else None
    if cfg is None:
        raise validate.not_found("endpoint configuration", store.arn("endpoint-config", str(name)))
    return cfg


@handler(SM, "DescribeEndpointConfig")
def describe_endpoint_config(ctx: CallContext, params: Params) -> Params:
    cfg = _config(_store(ctx), params.get("EndpointConfigName"))
    return {"EndpointConfigName": cfg.name, "EndpointConfigArn": cfg.arn,
            "CreationTime": cfg.created, **copy.deepcopy(cfg.request)}


@handler(SM, "DeleteEndpointConfig")
def delete_endpoint_config(ctx: CallContext, params: Params) -> None:
    # SageMaker lets you delete a config an endpoint still uses (sagemaker-rules.md item 3:
    # the danger sagectl must avoid), so the emulator does too.
    store = _store(ctx)
    with store.lock:
        cfg = _config(store, params.get("EndpointConfigName"))
        del store.configs[cfg.name]


@handler(SM, "ListEndpointConfigs")
def list_endpoint_configs(ctx: CallContext, params: Params) -> Params:
    items, token = _listing(list(_store(ctx).configs.values()), params, lambda c: c.name,
                            lambda c: c.created)
    return with_token({"EndpointConfigs": [
        {"EndpointConfigName": c.name, "EndpointConfigArn": c.arn, "CreationTime": c.created}
        for c in items]}, token)


# -- endpoints --------------------------------------------------------------------------------

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
    store = _store(ctx)
    name = validate.check_name(params.get("EndpointName"), "endpointName")
    arn = store.arn("endpoint", name)
    with store.lock:
        existing = store.endpoints.get(name)
        if existing is not None:
            lifecycle.observe(store, existing)
        if name in store.endpoints:
            raise validate.already_exists("endpoint", arn)
        cfg = _config(store, params.get("EndpointConfigName"))
        now = _now()
        ep = Endpoint(name, arn, cfg.name, "Creating", now, now,
                      lifecycle.variants_from_config(cfg), tags=_tags(params),
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
    store = _store(ctx)
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
    store = _store(ctx)
    with store.lock:
        ep = _endpoint(store, params.get("EndpointName"))
        if ep.status == "Deleting":
            raise validation(f'Cannot delete endpoint "{ep.arn}" while it is being deleted.')
        lifecycle.start_delete(ep)


@handler(SM, "ListEndpoints")
def list_endpoints(ctx: CallContext, params: Params) -> Params:
    store = _store(ctx)
    with store.lock:
        for ep in list(store.endpoints.values()):
            lifecycle.observe(store, ep)
        items, token = _listing(list(store.endpoints.values()), params, lambda e: e.name,
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

    store = _store(ctx)
    with store.lock:
        ep = _endpoint(store, params.get("EndpointName"))
        _require_in_service(ep, "update")
        new = _config(store, params.get("EndpointConfigName"))
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
        ep.modified = _now()
        return {"EndpointArn": ep.arn}


@handler(SM, "UpdateEndpointWeightsAndCapacities")
def update_weights(ctx: CallContext, params: Params) -> Params:
    store = _store(ctx)
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
        ep.modified = _now()
        return {"EndpointArn": ep.arn}
