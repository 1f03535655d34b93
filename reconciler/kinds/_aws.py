"""What every SageMaker kind shares and the core must not know: SageMaker names, ARNs, tags,
content names, and the casing of boto3 requests built from spec models.

``SageMakerKind`` is the base of the kinds that name their resources like SageMaker does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import BaseModel, Field, StringConstraints, WithJsonSchema

from reconciler.contract import Issue, Kind, describe_pattern
from reconciler.iam.tables import Scope, passed_to
from reconciler.spec import botoshape
from reconciler.spec.nodes import Path

if TYPE_CHECKING:
    from reconciler.plan.context import PlanContext

# -- names -----------------------------------------------------------------------------------

SAGEMAKER_NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$"
SAGEMAKER_NAME_HELP = (
    "letters, digits and hyphens, starting and ending with a letter or digit")
CONTENT_SUFFIX_LEN = 9
"""sagectl names immutable things by content: ``<name>-<8 hex digits>``."""

SageMakerName = Annotated[str, StringConstraints(min_length=1, max_length=63,
                                                 pattern=SAGEMAKER_NAME_PATTERN)]
RoleArn = Annotated[str, StringConstraints(
    min_length=20, max_length=2048,
    pattern=r"^arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-/]+$")]
S3Uri = Annotated[str, StringConstraints(max_length=1024, pattern=r"^(https|s3)://[^/]+/?.*$")]
SnsTopicArn = Annotated[str, StringConstraints(
    max_length=2048, pattern=r"^arn:aws[a-z\-]*:sns:[a-z0-9\-]*:[0-9]{12}:[a-zA-Z0-9_.-]+$")]
KmsKeyId = Annotated[str, StringConstraints(max_length=2048, pattern=r"^[a-zA-Z0-9:/_-]*$")]
ALARM_NAME_PATTERN = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"
"""CloudWatch alarm names: printable characters, not only whitespace."""
NonEmptyStr = Annotated[str, StringConstraints(min_length=1)]

describe_pattern(SAGEMAKER_NAME_PATTERN, f"a SageMaker name ({SAGEMAKER_NAME_HELP})")
describe_pattern(RoleArn.__metadata__[0].pattern,
                 "an IAM role ARN (arn:aws:iam::123456789012:role/NAME)")
describe_pattern(S3Uri.__metadata__[0].pattern, "an S3 URI (s3://bucket/prefix)")
describe_pattern(SnsTopicArn.__metadata__[0].pattern,
                 "an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)")
describe_pattern(KmsKeyId.__metadata__[0].pattern, "a KMS key id, alias or ARN")


class SageMakerKind(Kind):
    """A kind whose resources have SageMaker names (63 characters, letters, digits, hyphens)."""

    name_pattern: ClassVar[str] = SAGEMAKER_NAME_PATTERN
    name_max_length: ClassVar[int] = 63
    name_help: ClassVar[str] = SAGEMAKER_NAME_HELP


def sagemaker_arn(ctx: PlanContext, kind: str, name: str) -> str:
    """The ARN of a SageMaker resource in the plan's account and region (``kind``: the ARN's
    resource type, e.g. ``endpoint-config``). SageMaker ARNs carry names in lower case."""
    return ctx.arn("sagemaker", f"{kind}/{name.lower()}")


def is_arn(value: str) -> bool:
    return value.startswith("arn:")


_ARN_RE = re.compile(r"^arn:aws[a-z\-]*:[a-z0-9\-]+:[a-z0-9\-]*:\d{12}:.+$")


def valid_arn(value: str) -> bool:
    return bool(_ARN_RE.match(value))


# -- IAM scopes several kinds use (each declares them in its ``permissions``) ---------------

SM_LIST, ALARMS, PASS_SAGEMAKER = "sm-list", "cloudwatch-alarms", "pass-sagemaker"
EVENTS_RULES, PASS_EVENTS = "events-rules", "pass-events"
SAGECTL_PREFIX = "sagectl-"
"""Of the EventBridge rules (and Scheduler schedules, connections, API destinations) sagectl
names: the IAM policy allows these only."""
SHARED_SCOPES = {
    SM_LIST: Scope("SageMakerList", ("*",)),  # List* actions take no resource in IAM
    ALARMS: Scope("CloudWatchAlarms", ("arn:{p}:cloudwatch:{r}:{a}:alarm:*",)),
    # per spec: the roles the specs name, else any role of the account
    PASS_SAGEMAKER: Scope("PassRoleToSageMaker", ("arn:{p}:iam::{a}:role/*",),
                          passed_to("sagemaker.amazonaws.com"), per_spec=True),
    # a pipeline's schedule and an approval trigger are EventBridge rules named sagectl-*
    EVENTS_RULES: Scope("EventBridgeRules",
                        (f"arn:{{p}}:events:{{r}}:{{a}}:rule/{SAGECTL_PREFIX}*",)),
    # per spec: the roles the specs name for rule targets, else any role of the account
    PASS_EVENTS: Scope("PassRoleToEventBridge", ("arn:{p}:iam::{a}:role/*",),
                       passed_to("events.amazonaws.com"), per_spec=True),
}


def sagemaker_scope(sid: str, resource_type: str) -> Scope:
    """The scope of every SageMaker resource of one type (``endpoint-config``)."""
    return Scope(sid, (f"arn:{{p}}:sagemaker:{{r}}:{{a}}:{resource_type}/*",))


# -- tags ------------------------------------------------------------------------------------

RESERVED_TAG_PREFIXES = ("aws:", "sagectl:")
MAX_USER_TAGS = 40
"""AWS allows 50 tags; sagectl keeps 10 for its ownership tags."""

TagKey = Annotated[str, StringConstraints(min_length=1, max_length=128,
                                          pattern=r"^[\w\s.:/=+\-@]*$")]
TagValue = Annotated[str, StringConstraints(max_length=256,
                                            pattern=r"^[\w\s.:/=+\-@]*$")]
Tags = Annotated[dict[TagKey, TagValue], Field(
    description="Tags to put on the AWS resource, as a map. Keys starting with `aws:` or "
                "`sagectl:` are reserved.")]

describe_pattern(TagKey.__metadata__[0].pattern,
                 "a tag (letters, digits, spaces and _ . : / = + - @)")


def check_tags(tags: dict[str, str], at: Path) -> Iterator[Issue]:
    for key in tags:
        if key.lower().startswith(RESERVED_TAG_PREFIXES):
            yield Issue((*at, key), f"tag key {key!r} uses a reserved prefix "
                                    f"({', '.join(RESERVED_TAG_PREFIXES)})")
    if len(tags) > MAX_USER_TAGS:
        yield Issue(at, f"at most {MAX_USER_TAGS} tags (AWS allows 50; sagectl keeps 10 for "
                        f"ownership), got {len(tags)}")


# -- awsExtra: API members sagectl does not model, checked against botocore ----------------------

EXTRA_ALIAS = "awsExtra"
AwsExtra = Annotated[dict[str, Any], WithJsonSchema({
    "type": "object",
    "description": "API members sagectl does not model yet, passed through to the request, in "
                   "sagectl's casing (the boto3 member name with its first letter lowered, at "
                   "every depth). Checked against the installed botocore's request shape before "
                   "AWS is called: an unknown member, a wrong type, enum value, length, range or "
                   "pattern is an error at its line, like a modelled field. A member sagectl "
                   "models is refused (use the field). Shown in plans and part of content "
                   "names.",
})]


def extra_shape(model: type[BaseModel]) -> tuple[str, str] | None:
    """(service, botocore shape) that the ``awsExtra`` of a spec model merges into."""
    return getattr(model, "aws_extra_shape", None)


def _modelled(model: type[BaseModel]) -> dict[str, str]:
    """Aliases a spec model has (its own fields), each with where it goes instead."""
    reserved: dict[str, str] = dict(getattr(model, "aws_extra_reserved", {}))
    for name, info in model.model_fields.items():
        alias = info.alias or name
        if alias != EXTRA_ALIAS:
            reserved.setdefault(alias, f"`{alias}` is modelled by sagectl: set it as a field "
                                       f"next to `{EXTRA_ALIAS}` (`{alias}:`), not in "
                                       f"`{EXTRA_ALIAS}`")
    return reserved


def check_extras(value: Any, at: Path) -> Iterator[Issue]:
    """Every ``awsExtra`` under a spec model (recursively), checked against its botocore shape;
    each problem at its own key or value."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield from check_extras(item, (*at, i))
        return
    if not isinstance(value, BaseModel):
        return
    model = type(value)
    for name, info in model.model_fields.items():
        alias = info.alias or name
        item = getattr(value, name)
        if alias == EXTRA_ALIAS:
            where = extra_shape(model)
            if item and where is not None:
                service, shape = where
                for problem in botoshape.check(service, shape, item, (*at, EXTRA_ALIAS),
                                               _modelled(model)):
                    yield Issue(problem.path, f"{problem.message} (botocore shape {shape})",
                                key=problem.key)
        else:
            yield from check_extras(item, (*at, alias))


def extra_request(model: BaseModel) -> dict[str, Any]:
    """The ``awsExtra`` of a spec model in boto3 casing (empty without one)."""
    where = extra_shape(type(model))
    extra = getattr(model, "aws_extra", None)
    if not extra or where is None:
        return {}
    return botoshape.to_boto(where[0], where[1], extra)  # type: ignore[no-any-return]


def extra_from_boto(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """The members of a boto3 response that the request shape of ``model``'s ``awsExtra`` has
    and the model does not: what an ``awsExtra`` could have set, in sagectl casing."""
    where = extra_shape(model)
    if where is None:
        return {}
    service, shape = where
    modelled = {to_pascal(a) for a in _modelled(model)}
    members = botoshape.members(service, shape).values()
    picked = {m: data[m] for m in members if m in data and m not in modelled
              and data[m] is not None}
    return botoshape.from_boto(service, shape, picked) if picked else {}  # type: ignore[no-any-return]


def extra_live(model: type[BaseModel], wanted: dict[str, Any] | None,
               data: dict[str, Any]) -> dict[str, Any]:
    """The live ``awsExtra`` of a kind compared field by field: what Describe returned for the
    shape's unmodelled members (``extra_from_boto``), plus each wanted member that Describe
    does not return at all, taken as wanted: sagectl cannot see it, so it is sent with the
    request but is never a lasting difference (a change to it alone is not planned)."""
    out = extra_from_boto(model, data)
    for member, value in (wanted or {}).items():
        if to_pascal(member) not in data and member not in out:
            out[member] = value
    return out


# -- boto3 requests from spec models ---------------------------------------------------------

_PASCAL_EXCEPTIONS = {"okActions": "OKActions"}


def to_pascal(alias: str) -> str:
    return _PASCAL_EXCEPTIONS.get(alias, alias[:1].upper() + alias[1:])


def to_camel_key(key: str) -> str:
    for camel, pascal in _PASCAL_EXCEPTIONS.items():
        if key == pascal:
            return camel
    return key[:1].lower() + key[1:]


def boto_request(model: BaseModel, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The boto3 request for a spec model: field aliases in PascalCase, unset fields dropped.

    Only model fields are renamed; user-defined maps (tags, environment variables) keep their keys.
    ``exclude`` names aliases (at any depth) that are sagectl's own, not AWS's.
    """
    out: dict[str, Any] = {}
    for name, info in type(model).model_fields.items():
        alias = info.alias or name
        if alias in exclude or alias == EXTRA_ALIAS:
            continue
        value = getattr(model, name)
        if value is None:
            continue
        out[to_pascal(alias)] = _boto_value(value, exclude)
    out.update(extra_request(model))  # checked: it names no member the model has
    return out


def _boto_value(value: Any, exclude: frozenset[str]) -> Any:
    if isinstance(value, BaseModel):
        return boto_request(value, exclude)
    if isinstance(value, list):
        return [_boto_value(v, exclude) for v in value]
    if isinstance(value, dict):
        return {k: _boto_value(v, exclude) for k, v in value.items()}
    return value
