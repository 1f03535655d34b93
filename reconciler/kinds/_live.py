"""Helpers for the read side of kinds: live AWS data in spec form, errors, tag updates.

Canonical forms: both sides of a diff are spec-shaped dicts (camelCase keys, defaults filled).
The desired side is ``spec.model_dump``; the live side is the boto3 response mapped onto the same
pydantic model (keys the model does not know — fields AWS adds — are dropped), so a diff only
sees fields the spec owns.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, ValidationError

from reconciler.kinds._aws import EXTRA_ALIAS, extra_from_boto, to_pascal
from reconciler.plan.model import Step, Undo

NOT_FOUND_CODES = {"ResourceNotFound", "ResourceNotFoundException", "NoSuchEntity",
                   "ObjectNotFoundException"}


def not_found(err: ClientError) -> bool:
    code = err.response.get("Error", {}).get("Code", "")
    message = str(err.response.get("Error", {}).get("Message", ""))
    return code in NOT_FOUND_CODES or (
        code == "ValidationException" and ("Could not find" in message
                                           or "Cannot find" in message
                                           or "does not exist" in message))


def unwrap_annotation(annotation: Any) -> list[Any]:
    """The types an annotation admits: ``Annotated`` stripped, unions flattened, None dropped."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return unwrap_annotation(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for a in typing.get_args(annotation) for t in unwrap_annotation(a)
                if t is not type(None)]
    return [annotation]


def _convert(annotation: Any, value: Any) -> Any:
    for candidate in unwrap_annotation(annotation):
        origin = typing.get_origin(candidate)
        if isinstance(candidate, type) and issubclass(candidate, BaseModel) \
                and isinstance(value, dict):
            return from_boto(candidate, value)
        if origin is list and isinstance(value, list):
            item = typing.get_args(candidate)[0]
            return [_convert(item, v) for v in value]
        if origin is dict and isinstance(value, dict):
            return dict(value)
    return value


def from_boto(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """A boto3 response mapped onto ``model``'s aliases (unknown keys dropped). A model with an
    ``awsExtra`` gets the response's members that its request shape has and it does not model."""
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        alias = info.alias or name
        key = to_pascal(alias)
        if alias == EXTRA_ALIAS:
            extra = extra_from_boto(model, data)
            if extra:
                out[alias] = extra
        elif key in data and data[key] is not None:
            out[alias] = _convert(info.annotation, data[key])
    return out


def canonical(model: type[BaseModel], data: dict[str, Any],
              exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    """``data`` (spec-shaped) through ``model``: defaults filled, sagectl-only fields dropped."""
    try:
        value = model.model_validate(data, strict=False)
    except ValidationError:
        return {k: v for k, v in data.items() if k not in exclude}
    return dump(value, exclude)


def dump(value: BaseModel, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    raw = value.model_dump(by_alias=True, exclude_none=True, mode="json")
    return without(raw, exclude) if exclude else raw  # model_dump's dicts are already new


def without(value: Any, exclude: frozenset[str]) -> Any:
    """A copy of JSON-shaped ``value`` without the keys ``exclude`` at any depth (a deep copy
    when ``exclude`` is empty: much cheaper than ``copy.deepcopy`` on plain data)."""
    return _drop(value, exclude)


def _drop(value: Any, exclude: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {k: _drop(v, exclude) for k, v in value.items() if k not in exclude}
    if isinstance(value, list):
        return [_drop(v, exclude) for v in value]
    return value


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def add_tags(arn: str, tags: dict[str, str]) -> Step:
    """SageMaker's AddTags of ``tags`` on ``arn``."""
    return Step("sagemaker:AddTags", arn, {"ResourceArn": arn, "Tags": tag_list(tags)})


def tag_undo(ops: tuple[str, str], arn_key: str, arn: str, live: dict[str, str],
             changed: list[str]) -> list[Undo]:
    """The undo of a tag call that set or removed the keys ``changed`` on a resource whose tags
    were ``live``: ``ops`` = (the put operation, the remove operation), e.g. AddTags and
    DeleteTags; keys it added are removed, the others get their values back."""
    put, remove = ops
    added = sorted(k for k in changed if k not in live)
    back = {k: live[k] for k in changed if k in live}
    undo = []
    if added:
        undo.append(Undo(remove, arn, {arn_key: arn, "TagKeys": added},
                         "tags added by this run removed"))
    if back:
        undo.append(Undo(put, arn, {arn_key: arn, "Tags": tag_list(back)},
                         "tags as they were before this run"))
    return undo


SAGEMAKER_TAGS = ("sagemaker:AddTags", "sagemaker:DeleteTags")


def sagemaker_tag_steps(arn: str, live: dict[str, str], wanted: dict[str, str]) -> list[Step]:
    """AddTags / DeleteTags bringing ``live`` tags to ``wanted``, each undone back to ``live``."""
    steps = []
    changed = {k: v for k, v in wanted.items() if live.get(k) != v}
    removed = sorted(k for k in live if k not in wanted)
    if changed:
        steps.append(Step("sagemaker:AddTags", arn, {"ResourceArn": arn,
                                                     "Tags": tag_list(changed)}).undone_by(
            *tag_undo(SAGEMAKER_TAGS, "ResourceArn", arn, live, sorted(changed))))
    if removed:
        steps.append(Step("sagemaker:DeleteTags", arn, {"ResourceArn": arn, "TagKeys": removed}
                          ).undone_by(*tag_undo(SAGEMAKER_TAGS, "ResourceArn", arn, live,
                                                removed)))
    return steps


def confirm_owner(ctx: Any, arn: str, resource_type: str,
                  read_tags: Callable[[], list[dict[str, str]]] | None = None) -> str | None:
    """The owning environment of a resource the plan's tagging-API snapshot does not list ('' for
    none named; None: not managed by sagectl). The snapshot is read once, when the plan starts;
    a resource another run created since (while this plan read the rest) is missing from it and
    is not unmanaged for that. One tag read, only for such a resource: SageMaker's ListTags, or
    ``read_tags`` for another service's (CloudWatch's ListTagsForResource)."""
    from reconciler.plan.context import OwnedResource

    known = ctx.ownership.owner_env(arn)
    if known is not None:
        return known  # type: ignore[no-any-return]
    listed = read_tags() if read_tags is not None else ctx.aws.client("sagemaker").list_tags(
        ResourceArn=arn).get("Tags", [])
    tags = {t["Key"]: t.get("Value", "") for t in listed}
    found = OwnedResource(arn, resource_type, tags)
    if found.address is None:
        return None
    ctx.ownership.learn(found)
    return found.env or ""
