"""The four Model Monitor job definition APIs: Create/Describe/List/Delete of DataQuality,
ModelQuality, ModelBias and ModelExplainability job definitions.

Served by the emulator for all four (moto 5.2.5 has no model quality definitions, and its others
neither refuse duplicates nor filter or page their lists). Fixes over moto: a duplicate name is
``ResourceInUse`` (the error the Create pages list; the wording is ours); a missing definition
is ``ResourceNotFound``; lists filter (EndpointName, NameContains, creation times), sort (Name,
CreationTime) and paginate; Describe returns the request as given; tags are kept for AddTags /
ListTags / DeleteTags and the Resource Groups Tagging API; times are on the simulated clock.
Deleting a definition a schedule uses is not refused: no page documents a refusal (rule 63).
"""

from __future__ import annotations

import copy
from typing import Any

from sagemaker_emulator.dispatch import AwsError, CallContext, handler, validation
from sagemaker_emulator.paging import page, with_token
from sagemaker_emulator.sagemaker import validate
from sagemaker_emulator.sagemaker.monitoring_store import (
    ARN_KINDS,
    TYPES,
    JobDefinition,
    Monitoring,
    monitoring,
    when,
)
from sagemaker_emulator.state import STATE

Params = dict[str, Any]
SM = "sagemaker"
COMMON = ("JobResources", "NetworkConfig", "RoleArn", "StoppingCondition")
PARTS = ("BaselineConfig", "AppSpecification", "JobInput", "JobOutputConfig")
WHAT = {"DataQuality": "data quality", "ModelQuality": "model quality",
        "ModelBias": "model bias", "ModelExplainability": "model explainability"}


def store_of(ctx: CallContext) -> Monitoring:
    return monitoring(ctx.account, ctx.region)


def not_found(store: Monitoring, type_: str, name: Any) -> AwsError:
    return AwsError("ResourceNotFound", f"Could not find {WHAT[type_]} job definition "
                    f'"{store.arn(ARN_KINDS[type_], str(name))}".')


def get_definition(store: Monitoring, type_: str, name: Any) -> JobDefinition:
    found = store.definition(type_, name)
    if found is None:
        raise not_found(store, type_, name)
    return found


def _create(type_: str):  # type: ignore[no-untyped-def]
    def create(ctx: CallContext, params: Params) -> Params:
        store = store_of(ctx)
        name = validate.check_name(params.get("JobDefinitionName"), "jobDefinitionName")
        arn = store.arn(ARN_KINDS[type_], name)
        with store.lock:
            if name in store.definitions[type_]:
                raise AwsError("ResourceInUse", f'Job definition "{arn}" already exists.')
            for part in ("AppSpecification", "JobInput", "JobOutputConfig"):
                if not isinstance(params.get(f"{type_}{part}"), dict):
                    raise validation(f"{type_}{part} is required.")
            keys = [f"{type_}{p}" for p in PARTS] + list(COMMON)
            request = {k: copy.deepcopy(params[k]) for k in keys if k in params}
            store.definitions[type_][name] = JobDefinition(
                name, arn, type_, STATE.clock.now(), request,
                {t["Key"]: t.get("Value", "") for t in params.get("Tags") or []})
        return {"JobDefinitionArn": arn}
    return create


def _describe(type_: str):  # type: ignore[no-untyped-def]
    def describe(ctx: CallContext, params: Params) -> Params:
        store = store_of(ctx)
        with store.lock:
            d = get_definition(store, type_, params.get("JobDefinitionName"))
            return {"JobDefinitionArn": d.arn, "JobDefinitionName": d.name,
                    "CreationTime": when(d.created), **copy.deepcopy(d.request)}
    return describe


def _delete(type_: str):  # type: ignore[no-untyped-def]
    def delete(ctx: CallContext, params: Params) -> None:
        store = store_of(ctx)
        with store.lock:
            d = get_definition(store, type_, params.get("JobDefinitionName"))
            del store.definitions[type_][d.name]
    return delete


def _list(type_: str):  # type: ignore[no-untyped-def]
    def list_definitions(ctx: CallContext, params: Params) -> Params:
        store = store_of(ctx)
        with store.lock:
            items = list(store.definitions[type_].values())
        contains = (params.get("NameContains") or "").lower()
        items = [d for d in items if contains in d.name.lower()]
        if params.get("EndpointName"):
            items = [d for d in items if d.endpoint == params["EndpointName"]]
        if params.get("CreationTimeAfter") is not None:
            items = [d for d in items if d.created > params["CreationTimeAfter"]]
        if params.get("CreationTimeBefore") is not None:
            items = [d for d in items if d.created < params["CreationTimeBefore"]]
        if params.get("SortBy") == "Name":
            items.sort(key=lambda d: d.name)
        else:
            items.sort(key=lambda d: (d.created, d.name))
        if params.get("SortOrder", "Descending") == "Descending":
            items.reverse()
        shown, token = page(items, params)
        return with_token({"JobDefinitionSummaries": [
            {"MonitoringJobDefinitionName": d.name, "MonitoringJobDefinitionArn": d.arn,
             "CreationTime": when(d.created), "EndpointName": d.endpoint or ""}
            for d in shown]}, token)
    return list_definitions


for _type in TYPES:
    handler(SM, f"Create{_type}JobDefinition")(_create(_type))
    handler(SM, f"Describe{_type}JobDefinition")(_describe(_type))
    handler(SM, f"Delete{_type}JobDefinition")(_delete(_type))
    handler(SM, f"List{_type}JobDefinitions")(_list(_type))
