"""What every SageMaker kind shares and the core must not know: SageMaker names, ARNs, tags,
content names, and the casing of boto3 requests built from spec models.

``SageMakerKind`` is the base of the kinds that name their resources like SageMaker does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import BaseModel, Field, StringConstraints

from reconciler.contract import Issue, Kind, describe_pattern
from reconciler.iam.tables import Scope, passed_to
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
SHARED_SCOPES = {
    SM_LIST: Scope("SageMakerList", ("*",)),  # List* actions take no resource in IAM
    ALARMS: Scope("CloudWatchAlarms", ("arn:{p}:cloudwatch:{r}:{a}:alarm:*",)),
    # per spec: the roles the specs name, else any role of the account
    PASS_SAGEMAKER: Scope("PassRoleToSageMaker", ("arn:{p}:iam::{a}:role/*",),
                          passed_to("sagemaker.amazonaws.com"), per_spec=True),
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
        if alias in exclude:
            continue
        value = getattr(model, name)
        if value is None:
            continue
        out[to_pascal(alias)] = _boto_value(value, exclude)
    return out


def _boto_value(value: Any, exclude: frozenset[str]) -> Any:
    if isinstance(value, BaseModel):
        return boto_request(value, exclude)
    if isinstance(value, list):
        return [_boto_value(v, exclude) for v in value]
    if isinstance(value, dict):
        return {k: _boto_value(v, exclude) for k, v in value.items()}
    return value
