"""Adopted models: models that existed before sagectl keep their own AWS names.

sagectl names the models it creates by content (``<name>-<hash8>``), so an unchanged spec finds its
model by name. A model made by hand has an arbitrary name, and renaming it is not possible (models
are immutable: a copy under the content name would mean redeploying every endpoint that uses it).
So ``sagectl import`` records the live name on the Model spec::

    metadata:
      name: fraud-scorer
      annotations: {sagectl.io/aws-name: fraud-scorer-prod-2023}

and the plan uses that name instead of the content name while the live model is

- owned by this environment as this Model's address (``sagectl import --adopt`` tagged it), and
- tagged with the digest of the CreateModel request the spec asks for *now*. The import compared
  the live model with the spec before tagging it, so the digest stands for its content, exactly as
  a content name does.

Once the spec changes, the digest no longer matches and content naming takes over: a new model,
and the endpoints that use it deploy it like any other model change, while the adopted model stays
as a rollback target (it carries this Model's address). An annotation naming a live model that
sagectl does not own is a conflict, like any unowned resource with a spec's name; one naming a
model adopted for another environment or spec is ignored (content naming, as usual).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from reconciler.kinds._aws import sagemaker_arn
from reconciler.kinds._live import canonical, dump, from_boto, not_found
from reconciler.kinds.model.content import SM_ONLY, model_digest
from reconciler.kinds.model.spec import ModelSpec
from reconciler.plan.context import ADDRESS_TAG, DIGEST_TAG, PlanContext
from reconciler.plan.diff import diff
from reconciler.plan.model import DiffEntry, Problem
from reconciler.spec.resources import Resource

AWS_NAME_ANNOTATION = "sagectl.io/aws-name"
"""``metadata.annotations`` key of a Model spec: the AWS name of the adopted live model."""


@dataclass(frozen=True)
class Adoption:
    """What the annotation means for this plan: the AWS name to use (None: the content name),
    or a conflict."""

    name: str | None = None
    problem: Problem | None = None


def annotated_name(resource: Resource) -> str | None:
    metadata = getattr(resource.document, "metadata", None)
    annotations: dict[str, str] = getattr(metadata, "annotations", None) or {}
    return annotations.get(AWS_NAME_ANNOTATION) or None


def adoption(ctx: PlanContext, resource: Resource, request: dict[str, Any]) -> Adoption:
    """Whether the spec is served by its adopted live model (see the module docstring)."""
    name = annotated_name(resource)
    if name is None:
        return Adoption()
    arn = sagemaker_arn(ctx, "model", name)
    owned = ctx.ownership.get(arn)
    if owned is None:
        if not _exists(ctx, name):
            return Adoption()  # gone: the content name takes over
        return Adoption(problem=Problem(
            resource.address, f"model {name} (named by {AWS_NAME_ANNOTATION}) exists and is not "
                              "managed by sagectl",
            "adopt it with `sagectl import ENDPOINT --adopt` (for the endpoint that uses it), or "
            "remove the annotation"))
    if ((owned.env or "") != (ctx.env or "") or owned.tags.get(ADDRESS_TAG) != resource.address
            or owned.tags.get(DIGEST_TAG) != request_digest(ctx, request)):
        # another environment's (or spec's) model, or the spec changed since adoption: this
        # environment gets a content-named model, as for any other Model spec
        return Adoption()
    return Adoption(name=name)


def request_digest(ctx: PlanContext, request: dict[str, Any]) -> str:
    """The ``sagectl:spec-digest`` tag of a model: its CreateModel request (without name and
    tags), as ``plan.py`` tags the models it creates (keyed when it holds environment values)."""
    return model_digest(ctx, request)[:32]


def _exists(ctx: PlanContext, name: str) -> bool:
    try:
        ctx.aws.client("sagemaker").describe_model(ModelName=name)
    except ClientError as err:
        if not_found(err):
            return False
        raise
    return True


def live_spec(described: dict[str, Any]) -> dict[str, Any]:
    """A DescribeModel response in spec form (defaults filled, AWS-only fields dropped; empty
    values such as ``VpcConfig: {}`` mean absent)."""
    return canonical(ModelSpec, _without_empty(from_boto(ModelSpec, described)), SM_ONLY)


def _without_empty(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_empty(v) for k, v in value.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [_without_empty(v) for v in value]
    return value


def desired_spec(spec: ModelSpec) -> dict[str, Any]:
    return dump(spec, SM_ONLY)


def content_diff(spec: ModelSpec, described: dict[str, Any],
                 redact: tuple[str, ...] = ()) -> list[DiffEntry]:
    """How a live model differs from what ``spec`` asks for (empty: it can be adopted)."""
    return diff(live_spec(described), desired_spec(spec), "", redact)
