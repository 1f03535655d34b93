"""SageMaker AddTags / ListTags / DeleteTags for every taggable resource.

Fixes over moto: adding an existing key overwrites its value (moto appended a duplicate); an
unknown or malformed ARN is a ValidationException, as on AWS (moto crashed with a 500), see
aws/amazon-sagemaker-feedback#108 for the error AWS gives.
"""

from __future__ import annotations

import re
from typing import Any

from moto.sagemaker.models import sagemaker_backends

from sagemaker_emulator.dispatch import CallContext, handler, validation
from sagemaker_emulator.paging import page, with_token
from sagemaker_emulator.sagemaker.store import hosting

Params = dict[str, Any]
ARN = re.compile(r"^arn:aws[a-z-]*:sagemaker:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
                 r"(?P<type>[a-z-]+)/(?P<name>.+)$")
OURS = {"model": "models", "endpoint-config": "configs", "endpoint": "endpoints",
        "inference-component": "components"}
MONITORING = {"monitoring-schedule": "", "data-quality-job-definition": "DataQuality",
              "model-quality-job-definition": "ModelQuality",
              "model-bias-job-definition": "ModelBias",
              "model-explainability-job-definition": "ModelExplainability"}
"""Model Monitor ARN resource types (``monitoring_store.py``) -> monitoring type."""


class _MotoTags:
    """moto keeps tags as a list of {Key, Value} on each resource object."""

    def __init__(self, resource: Any) -> None:
        self.resource = resource

    def get(self) -> dict[str, str]:
        return {t["Key"]: t.get("Value", "") for t in self.resource.tags or []}

    def set(self, tags: dict[str, str]) -> None:
        self.resource.tags = [{"Key": k, "Value": v} for k, v in tags.items()]


class _OurTags:
    def __init__(self, resource: Any) -> None:
        self.resource = resource

    def get(self) -> dict[str, str]:
        return dict(self.resource.tags)

    def set(self, tags: dict[str, str]) -> None:
        self.resource.tags = dict(tags)


Tags = _MotoTags | _OurTags


def resolve(ctx: CallContext, arn: Any) -> Tags:
    match = ARN.match(arn) if isinstance(arn, str) else None
    if match is None:
        raise validation(f"Invalid resource ARN: {arn!r}.")
    kind, name = match["type"], match["name"]
    missing = validation(f'Could not find resource "{arn}".')
    if (match["account"], match["region"]) != (ctx.account, ctx.region):
        raise missing
    if kind in OURS:
        store = hosting(ctx.account, ctx.region)
        items = getattr(store, OURS[kind])
        found = next((r for n, r in items.items() if n.lower() == name.lower()), None)
        if found is None:
            raise missing
        return _OurTags(found)
    if kind in MONITORING:
        from sagemaker_emulator.sagemaker.monitoring_store import monitoring

        mon = monitoring(ctx.account, ctx.region)
        items = mon.schedules if kind == "monitoring-schedule" else \
            mon.definitions[MONITORING[kind]]
        found = next((r for n, r in items.items() if n.lower() == name.lower()), None)
        if found is None:
            raise missing
        return _OurTags(found)
    if kind == "pipeline":  # pipeline ARNs carry the name in lower case (pipelines.py)
        from sagemaker_emulator.sagemaker.pipelines import find

        pipeline = find(sagemaker_backends[ctx.account][ctx.region], name)
        if pipeline is None:
            raise missing
        return _MotoTags(pipeline)
    try:
        resource = sagemaker_backends[ctx.account][ctx.region]._get_resource_from_arn(arn)
    except Exception:  # moto raises AttributeError/KeyError/ValueError for unknown ARNs
        raise missing from None
    if resource is None or not hasattr(resource, "tags"):
        raise missing
    return _MotoTags(resource)


@handler("sagemaker", "AddTags")
def add_tags(ctx: CallContext, params: Params) -> Params:
    target = resolve(ctx, params.get("ResourceArn"))
    tags = target.get()
    for tag in params.get("Tags") or []:
        tags[tag["Key"]] = tag.get("Value", "")
    if len(tags) > 50:
        raise validation("A resource can have at most 50 tags.")
    target.set(tags)
    return {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}


@handler("sagemaker", "ListTags")
def list_tags(ctx: CallContext, params: Params) -> Params:
    tags = resolve(ctx, params.get("ResourceArn")).get()
    items, token = page([{"Key": k, "Value": v} for k, v in tags.items()], params, 50, 100)
    return with_token({"Tags": items}, token)


@handler("sagemaker", "DeleteTags")
def delete_tags(ctx: CallContext, params: Params) -> None:
    target = resolve(ctx, params.get("ResourceArn"))
    keys = set(params.get("TagKeys") or [])
    target.set({k: v for k, v in target.get().items() if k not in keys})
