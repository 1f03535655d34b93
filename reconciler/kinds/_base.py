"""What every resource kind builds on: the spec model base, naming, tags, and semantic checks.

Field naming: a spec field is the boto3 parameter name with its first letter lowered
(``InitialInstanceCount`` -> ``initialInstanceCount``, ``VolumeSizeInGB`` -> ``volumeSizeInGB``),
so a person who knows the API can guess it. Python attributes are snake_case; the alias
generator below maps between the two, keeping AWS's acronyms (GB, MB, SSM).

Validation happens in two layers:
1. pydantic (strict types, ranges, enums, unknown keys rejected) — also exported as JSON Schema;
2. ``check()`` methods for rules that involve several fields or other resources. They yield
   ``Issue``s with a field path, so every problem is reported at its own file:line:column.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from reconciler.diagnostics import Pos
from reconciler.spec.nodes import Node, Path

if TYPE_CHECKING:
    from reconciler.apply.context import ApplyContext, Outcome
    from reconciler.apply.steps import Undo, UndoLog
    from reconciler.plan.context import OwnedResource, PlanContext
    from reconciler.plan.model import ApplyData, KindPlan, ResourceChange, Step
    from reconciler.plan.vocabulary import Reason
    from reconciler.spec.resolve import Resource

_ACRONYMS = {"gb": "GB", "mb": "MB", "ssm": "SSM"}


def to_camel(snake: str) -> str:
    first, *rest = snake.split("_")
    return first + "".join(_ACRONYMS.get(part, part.capitalize()) for part in rest)


class SpecModel(BaseModel):
    """Base of every spec model: strict types, unknown keys rejected, camelCase keys."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=False,
        frozen=True,
        allow_inf_nan=False,
        use_attribute_docstrings=True,
    )


@dataclass(frozen=True, slots=True)
class Issue:
    """A semantic problem at ``path`` (from the document root, e.g. ``("spec", "x")``), or at
    ``pos`` when it is in another file the spec refers to."""

    path: Path
    message: str
    severity: str = "error"
    pos: Pos | None = None


@dataclass(frozen=True, slots=True)
class LoadedFile:
    """A YAML or JSON file a spec refers to, parsed with positions and variables substituted."""

    display: str
    value: Any
    node: Node


class CheckContext(Protocol):
    """What a kind's ``check`` may ask about the rest of the specs."""

    env: str | None

    def defines(self, kind: str, name: str) -> bool:
        """Whether the specs define this resource (valid or not)."""
        ...

    def lookup(self, kind: str, name: str) -> SpecModel | None:
        """The validated spec of another resource; None if undefined or itself invalid."""
        ...

    def load_file(self, relative: str, at: Path) -> LoadedFile | None:
        """A file named (relative to the spec's file) by the field at ``at``. Problems reading
        it are reported by the context, at that field; None then."""
        ...

    def build(self, reference: str, at: Path) -> LoadedFile | None:
        """The data returned by the Python builder ``module:function`` named by the field at
        ``at``, positioned there and substituted. Failures are reported at that field."""
        ...


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

PATTERN_HELP: dict[str, str] = {
    SAGEMAKER_NAME_PATTERN: f"a SageMaker name ({SAGEMAKER_NAME_HELP})",
    RoleArn.__metadata__[0].pattern: "an IAM role ARN (arn:aws:iam::123456789012:role/NAME)",
    S3Uri.__metadata__[0].pattern: "an S3 URI (s3://bucket/prefix)",
    SnsTopicArn.__metadata__[0].pattern: "an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)",
    KmsKeyId.__metadata__[0].pattern: "a KMS key id, alias or ARN",
}
"""Human descriptions of regex patterns, used to phrase errors."""


def pattern_help(pattern: str) -> str | None:
    return PATTERN_HELP.get(pattern)


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

PATTERN_HELP[TagKey.__metadata__[0].pattern] = (
    "a tag (letters, digits, spaces and _ . : / = + - @)")


def check_tags(tags: dict[str, str], at: Path) -> Iterator[Issue]:
    for key in tags:
        if key.lower().startswith(RESERVED_TAG_PREFIXES):
            yield Issue((*at, key), f"tag key {key!r} uses a reserved prefix "
                                    f"({', '.join(RESERVED_TAG_PREFIXES)})")
    if len(tags) > MAX_USER_TAGS:
        yield Issue(at, f"at most {MAX_USER_TAGS} tags (AWS allows 50; sagectl keeps 10 for "
                        f"ownership), got {len(tags)}")


def duplicates(names: list[str]) -> dict[str, list[int]]:
    """Names that occur more than once, with the indexes of their later occurrences."""
    seen: dict[str, int] = {}
    dups: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        if name in seen:
            dups.setdefault(name, []).append(i)
        else:
            seen[name] = i
    return dups


# -- kinds -----------------------------------------------------------------------------------

class Kind:
    """One resource kind. Subclasses live in ``reconciler.kinds.<kind>`` and hold all of that
    kind's AWS knowledge; the generic engine only talks to this interface."""

    kind: ClassVar[str]
    spec_model: ClassVar[type[SpecModel]]
    description: ClassVar[str]
    name_pattern: ClassVar[str] = SAGEMAKER_NAME_PATTERN
    name_max_length: ClassVar[int] = 63
    name_help: ClassVar[str] = SAGEMAKER_NAME_HELP
    name_length_note: ClassVar[str] = ""
    """Why ``name_max_length`` is what it is, when that is not obvious."""
    name_case_sensitive: ClassVar[bool] = True
    """False where AWS treats names that differ only in case as the same name."""

    @classmethod
    def check(cls, name: str, spec: SpecModel, ctx: CheckContext) -> Iterator[Issue]:
        """Semantic checks; by default the spec model's own ``check``."""
        checker = getattr(spec, "check", None)
        if checker is not None:
            yield from checker(ctx, ("spec",))

    @classmethod
    def auxiliary_files(cls, raw_spec: object) -> list[str]:
        """Files a spec refers to (relative to its own file) that are not spec documents."""
        return []

    # -- planning ----------------------------------------------------------------------------
    resource_types: ClassVar[tuple[str, ...]] = ()
    """Tagging API resource types this kind creates (e.g. ``sagemaker:endpoint``)."""
    plan_order: ClassVar[int] = 50
    """Kinds are planned in this order (a kind may use facts published by earlier ones)."""
    reasons: ClassVar[tuple[Reason, ...]] = ()
    """Every ``action_reason`` this kind's changes can give: ``Common`` members and its own
    ``Reason`` subclass's (``reconciler/plan/vocabulary.py``), in the README table's order."""
    apply_data: ClassVar[type[ApplyData] | None] = None
    """The type of its changes' ``apply_data`` (None: they carry none)."""

    @classmethod
    def start_chains(cls, ctx: PlanContext, desired: list[Resource]) -> None:
        """Start this kind's long serial reads (paginated lists) on the pool, first of all:
        they bound the plan's wall time. Results go in ``ctx.prefetched``."""

    @classmethod
    def prefetch(cls, ctx: PlanContext, desired: list[Resource]) -> None:
        """Start reads that need neither ownership nor other kinds' facts (results go in
        ``ctx.prefetched``), after every kind's chains and the ownership reads."""

    @classmethod
    def plan(cls, ctx: PlanContext, desired: list[Resource]) -> KindPlan:
        """Read what ``desired`` needs from AWS and return the changes."""
        raise NotImplementedError

    @classmethod
    def plan_orphans(cls, ctx: PlanContext, orphans: list[OwnedResource]) -> KindPlan:
        """Resources this environment owns that left the specs (deleted only when pruning)."""
        raise NotImplementedError

    pin_prefix: ClassVar[str | None] = None
    """The prefix of the pins (``PlanContext.pinned`` keys) this kind makes, if it makes any."""

    @classmethod
    def check_pin(cls, ctx: PlanContext, key: str, value: str) -> str | None:
        """Why a saved plan's pin ``key`` -> ``value`` must not be applied (None: it may)."""
        return None

    # -- applying ----------------------------------------------------------------------------
    @classmethod
    def apply_change(cls, actx: ApplyContext, change: ResourceChange, log: UndoLog) -> Outcome:
        """Run one change. By default its AWS steps in order, each recording its undo; the
        first failure undoes what ran, newest first."""
        from reconciler.apply.runner import run_steps

        return run_steps(actx, change, log, cls.undo_step)

    @classmethod
    def blocked(cls, actx: ApplyContext, change: ResourceChange) -> Outcome | None:
        """Why ``change`` must not start in this run (None: it may), asked of every change
        before the apply starts and without side effects, so that what the plan makes only for
        a blocked change (a quarantined endpoint's new models) waits with it."""
        return None

    @classmethod
    def lease_key(cls, address: str, name: str) -> str:
        """The state table lease of this resource (every change is leased while it runs)."""
        return address

    @classmethod
    def recover(cls, actx: ApplyContext, names: list[str]) -> list[Outcome]:
        """Finish or undo what a killed run left in flight on these resources."""
        return []

    @classmethod
    def undo_step(cls, actx: ApplyContext, step: Step) -> Undo | None:
        """How to take ``step`` back, decided just before it runs (None: nothing to undo)."""
        return None


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


def is_arn(value: str) -> bool:
    return value.startswith("arn:")


_ARN_RE = re.compile(r"^arn:aws[a-z\-]*:[a-z0-9\-]+:[a-z0-9\-]*:\d{12}:.+$")


def valid_arn(value: str) -> bool:
    return bool(_ARN_RE.match(value))
