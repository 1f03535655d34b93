"""SageMaker models and endpoint configs served by the emulator (endpoints: ``endpoints.py``).

Fixes over moto: duplicate creates fail; current instance types are accepted; configs keep
ShadowProductionVariants, ExecutionRoleArn, VpcConfig and EnableNetworkIsolation; no empty
``VpcConfig: {}``; list operations paginate and filter.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from sagemaker_emulator.dispatch import CallContext, handler, validation
from sagemaker_emulator.paging import page, with_token
from sagemaker_emulator.sagemaker import validate
from sagemaker_emulator.sagemaker.store import (
    EndpointConfig,
    Hosting,
    Model,
    hosting,
)
from sagemaker_emulator.state import STATE

Params = dict[str, Any]
SM = "sagemaker"


def store_of(ctx: CallContext) -> Hosting:
    return hosting(ctx.account, ctx.region)


def request_tags(params: Params) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in params.get("Tags") or []}


def sim_now() -> Any:
    return STATE.clock.datetime()


# -- pagination -------------------------------------------------------------------------------

def listing(items: list[Any], params: Params, name_of: Callable[[Any], str],
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
    store = store_of(ctx)
    name = validate.check_name(params.get("ModelName"), "modelName")
    arn = store.arn("model", name)
    with store.lock:
        if name in store.models:
            raise validate.already_exists("model", arn)
        if not params.get("PrimaryContainer") and not params.get("Containers"):
            raise validation("Either PrimaryContainer or Containers must be specified.")
        request = {k: copy.deepcopy(params[k]) for k in MODEL_FIELDS if k in params}
        store.models[name] = Model(name, arn, sim_now(), request, request_tags(params))
    return {"ModelArn": arn}


def get_model(store: Hosting, name: Any) -> Model:
    model = store.models.get(name) if isinstance(name, str) else None
    if model is None:
        raise validate.not_found("model", store.arn("model", str(name)))
    return model


@handler(SM, "DescribeModel")
def describe_model(ctx: CallContext, params: Params) -> Params:
    model = get_model(store_of(ctx), params.get("ModelName"))
    return {"ModelName": model.name, "ModelArn": model.arn, "CreationTime": model.created,
            "EnableNetworkIsolation": False, **copy.deepcopy(model.request)}


@handler(SM, "DeleteModel")
def delete_model(ctx: CallContext, params: Params) -> None:
    store = store_of(ctx)
    with store.lock:
        model = get_model(store, params.get("ModelName"))
        del store.models[model.name]


@handler(SM, "ListModels")
def list_models(ctx: CallContext, params: Params) -> Params:
    store = store_of(ctx)
    items, token = listing(list(store.models.values()), params, lambda m: m.name,
                            lambda m: m.created)
    return with_token({"Models": [{"ModelName": m.name, "ModelArn": m.arn,
                                    "CreationTime": m.created} for m in items]}, token)


# -- endpoint configs -------------------------------------------------------------------------

CONFIG_FIELDS = ("ProductionVariants", "DataCaptureConfig", "KmsKeyId", "AsyncInferenceConfig",
                 "ExplainerConfig", "ShadowProductionVariants", "ExecutionRoleArn", "VpcConfig",
                 "EnableNetworkIsolation")


@handler(SM, "CreateEndpointConfig")
def create_endpoint_config(ctx: CallContext, params: Params) -> Params:
    store = store_of(ctx)
    name = validate.check_name(params.get("EndpointConfigName"), "endpointConfigName")
    arn = store.arn("endpoint-config", name)
    with store.lock:
        if name in store.configs:
            raise validate.already_exists("endpoint configuration", arn)
        validate.check_config(params, lambda model: get_model(store, model))
        request = {k: copy.deepcopy(params[k]) for k in CONFIG_FIELDS if k in params}
        for v in request["ProductionVariants"] + request.get("ShadowProductionVariants", []):
            v.setdefault("InitialVariantWeight", 1.0)
        store.configs[name] = EndpointConfig(name, arn, sim_now(), request, request_tags(params))
    return {"EndpointConfigArn": arn}


def get_config(store: Hosting, name: Any) -> EndpointConfig:
    cfg = store.configs.get(name) if isinstance(name, str) else None
    if cfg is None:
        raise validate.not_found("endpoint configuration", store.arn("endpoint-config", str(name)))
    return cfg


@handler(SM, "DescribeEndpointConfig")
def describe_endpoint_config(ctx: CallContext, params: Params) -> Params:
    cfg = get_config(store_of(ctx), params.get("EndpointConfigName"))
    return {"EndpointConfigName": cfg.name, "EndpointConfigArn": cfg.arn,
            "CreationTime": cfg.created, **copy.deepcopy(cfg.request)}


@handler(SM, "DeleteEndpointConfig")
def delete_endpoint_config(ctx: CallContext, params: Params) -> None:
    # SageMaker lets you delete a config an endpoint still uses (sagemaker-rules.md item 3:
    # the danger sagectl must avoid), so the emulator does too.
    store = store_of(ctx)
    with store.lock:
        cfg = get_config(store, params.get("EndpointConfigName"))
        del store.configs[cfg.name]


@handler(SM, "ListEndpointConfigs")
def list_endpoint_configs(ctx: CallContext, params: Params) -> Params:
    items, token = listing(list(store_of(ctx).configs.values()), params, lambda c: c.name,
                            lambda c: c.created)
    return with_token({"EndpointConfigs": [
        {"EndpointConfigName": c.name, "EndpointConfigArn": c.arn, "CreationTime": c.created}
        for c in items]}, token)
