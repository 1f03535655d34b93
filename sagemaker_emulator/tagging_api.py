"""The Resource Groups Tagging API sees the emulator's SageMaker hosting resources.

moto's tagging API walks every backend that mixes in ``TaggableResourcesMixin``, including its
SageMaker backend, whose ``iter_tagged_resources`` lists moto's own resources (pipelines, model
package groups, ...). Endpoints, endpoint configs and models are kept by the emulator instead
(see ``sagemaker/store.py``), so without this module GetResources would never return them. Here
moto's SageMaker backend also yields them, and TagResources / UntagResources route to the same
tag store as SageMaker's AddTags, so ownership tags of a whole fleet can be read in a few
paginated GetResources calls, with moto's own tag filters, type filters and pagination.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from moto.core.resource_tagging import TaggedResource
from moto.resourcegroupstaggingapi.models import resourcegroupstaggingapi_backends
from moto.sagemaker.models import SageMakerModelBackend

from sagemaker_emulator.dispatch import AwsError, CallContext, handler
from sagemaker_emulator.sagemaker import tags as sagemaker_tags
from sagemaker_emulator.sagemaker.store import hosting
from sagemaker_emulator.state import STATE

_original_iter = SageMakerModelBackend.iter_tagged_resources


def _iter_tagged_resources(self: SageMakerModelBackend) -> Iterator[TaggedResource]:
    yield from _original_iter(self)
    store = hosting(self.account_id, self.region_name)
    with store.lock:  # collect under the lock, yield outside it
        collected = [(f"sagemaker:{kind}", r.arn, dict(r.tags))
                     for kind, items in (("endpoint", store.endpoints),
                                         ("endpoint-config", store.configs),
                                         ("model", store.models),
                                         ("inference-component", store.components))
                     for r in items.values()]
    from sagemaker_emulator.sagemaker.monitoring_store import ARN_KINDS, monitoring

    mon = monitoring(self.account_id, self.region_name)
    with mon.lock:
        collected += [("sagemaker:monitoring-schedule", s.arn, dict(s.tags))
                      for s in mon.schedules.values()]
        collected += [(f"sagemaker:{ARN_KINDS[t]}", d.arn, dict(d.tags))
                      for t, items in mon.definitions.items() for d in items.values()]
    for resource_type, arn, tags in collected:
        yield TaggedResource(arn, tags, resource_type)


def _target(backend: SageMakerModelBackend, arn: str) -> sagemaker_tags.Tags:
    ctx = CallContext("sagemaker", "", backend.account_id, backend.region_name)
    return sagemaker_tags.resolve(ctx, arn)


def _tag_resource(self: SageMakerModelBackend, arn: str, tags: dict[str, str]) -> None:
    target = _target(self, arn)
    target.set({**target.get(), **tags})


def _untag_resource(self: SageMakerModelBackend, arn: str, tag_keys: list[str]) -> None:
    target = _target(self, arn)
    target.set({k: v for k, v in target.get().items() if k not in set(tag_keys)})


SageMakerModelBackend.iter_tagged_resources = _iter_tagged_resources  # type: ignore[method-assign]
SageMakerModelBackend.tag_resource = _tag_resource  # type: ignore[method-assign]
SageMakerModelBackend.untag_resource = _untag_resource  # type: ignore[method-assign]


# -- GetResources -----------------------------------------------------------------------------
# moto ends every page one resource early (">=" where ">" is meant) and, when TagsPerPage is not
# given, caps pages at 100 tags: with sagectl's several ownership tags per resource that is a
# fraction of what AWS returns per call. Its tokens are also single-use generator states. The
# emulator pages moto's own filtered resource list with ResourcesPerPage (and TagsPerPage only
# when given), with stable tokens.

_LISTED: dict[str, Any] = {}
"""The last filtered list per query, reused by the following pages while nothing changed."""


def _matching(ctx: CallContext, params: dict[str, Any]) -> list[Any]:
    """moto's filtered resource list. Walking every backend is the expensive part of a page, so
    the list is kept for the next pages of the same query, as long as no mutating call happened
    and the clock did not move (a frozen clock, as in the benchmarks)."""
    key = json.dumps([ctx.account, ctx.region, params.get("TagFilters"),
                      params.get("ResourceTypeFilters"), params.get("ResourceARNList")],
                     sort_keys=True, default=str)
    version = (id(STATE.faults), STATE.faults.mutations, STATE.clock.now())
    found = _LISTED.get(key)
    if found is not None and found[0] == version:
        return found[1]  # type: ignore[no-any-return]
    backend = resourcegroupstaggingapi_backends[ctx.account][ctx.region]
    resources = list(backend._get_resources_generator(
        tag_filters=params.get("TagFilters") or [],
        resource_type_filters=params.get("ResourceTypeFilters") or [],
        resource_arn_list=params.get("ResourceARNList") or []))
    if len(_LISTED) > 64:
        _LISTED.clear()
    _LISTED[key] = (version, resources)
    return resources


@handler("resourcegroupstaggingapi", "GetResources")
def get_resources(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    per_page = params.get("ResourcesPerPage", 50)
    if not 1 <= per_page <= 100:
        raise AwsError("InvalidParameterException", "ResourcesPerPage must be between 1 and 100")
    tag_limit = params.get("TagsPerPage")
    if tag_limit is not None and not 100 <= tag_limit <= 500:
        raise AwsError("InvalidParameterException", "TagsPerPage must be between 100 and 500")
    token = params.get("PaginationToken") or ""
    if token and not (token.startswith("page:") and token[5:].isdigit()):
        raise AwsError("PaginationTokenExpiredException", "Token does not exist")
    resources = _matching(ctx, params)
    start = int(token[5:]) if token else 0
    end, tags = start, 0
    while end < len(resources) and end - start < per_page:
        weight = max(1, len(resources[end].tags))  # AWS counts an untagged resource as one tag
        if tag_limit is not None and end > start and tags + weight > tag_limit:
            break
        tags += weight
        end += 1
    return {"PaginationToken": f"page:{end}" if end < len(resources) else "",
            "ResourceTagMappingList": [
                {"ResourceARN": r.arn, "Tags": [{"Key": k, "Value": v} for k, v in r.tags.items()]}
                for r in resources[start:end]]}
