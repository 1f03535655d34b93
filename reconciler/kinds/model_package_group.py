"""The ``ModelPackageGroup`` kind: a model registry group (CreateModelPackageGroup).

Name and description are create-only in SageMaker: changing the description later is reported as
an error by the plan, never as a silent replacement of the registry.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import StringConstraints

from reconciler.kinds._base import Issue, Kind, SpecModel, Tags, check_tags
from reconciler.spec.nodes import Path

if TYPE_CHECKING:
    from reconciler.plan.context import OwnedResource, PlanContext
    from reconciler.plan.model import KindPlan
    from reconciler.spec.resolve import Resource


class ModelPackageGroupSpec(SpecModel):
    """A model package group: the registry that pipelines register model versions in."""

    model_package_group_description: Annotated[str, StringConstraints(
        max_length=1024)] | None = None
    """Set at creation; SageMaker does not allow changing it."""
    tags: Tags = {}

    def check(self, ctx: object, at: Path) -> Iterator[Issue]:
        yield from check_tags(self.tags, (*at, "tags"))


class ModelPackageGroupKind(Kind):
    kind = "ModelPackageGroup"
    spec_model = ModelPackageGroupSpec
    description = "A model registry group whose approved versions endpoints can deploy."
    resource_types = ("sagemaker:model-package-group",)
    plan_order = 10

    @classmethod
    def plan(cls, ctx: PlanContext, desired: list[Resource]) -> KindPlan:
        from reconciler.plan.model import KindPlan

        result = KindPlan()
        for resource, live in zip(desired, ctx.aws.map(lambda r: _describe(ctx, r.name),
                                                       desired), strict=True):
            _plan_one(ctx, resource, live, result)
        return result

    @classmethod
    def plan_orphans(cls, ctx: PlanContext, orphans: list[OwnedResource]) -> KindPlan:
        from reconciler.plan.model import KindPlan, Problem, ResourceChange, Step, digest

        result = KindPlan()
        for group in sorted(orphans, key=lambda r: r.name):
            address = group.address or f"ModelPackageGroup.{group.name}"
            if not ctx.prune:
                result.problems.append(Problem(address, f"model package group {group.name} is "
                                                        "no longer in the specs; pruning is off, "
                                                        "so it is left alone",
                                               severity="warning"))
                continue
            name = address.split(".", 1)[1]
            result.changes.append(ResourceChange(
                address, cls.kind, name, ["delete"], "not_in_spec", [],
                [Step("sagemaker:DeleteModelPackageGroup", name,
                      {"ModelPackageGroupName": name})],
                {"summary": [f"deletes model package group {name} (SageMaker refuses while it "
                             "still holds model packages)"]}, fingerprint=digest(group.tags)))
        return result


def _describe(ctx: PlanContext, name: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    from reconciler.kinds._live import not_found

    try:
        return ctx.aws.client("sagemaker").describe_model_package_group(  # type: ignore[no-any-return]
            ModelPackageGroupName=name)
    except ClientError as err:
        if not_found(err):
            return None
        raise


def _plan_one(ctx: PlanContext, resource: Resource, live: dict[str, Any] | None,
              result: KindPlan) -> None:
    from reconciler.kinds._live import sagemaker_tag_steps, tag_list
    from reconciler.plan.context import target_tags, user_tags
    from reconciler.plan.diff import diff
    from reconciler.plan.model import Problem, ResourceChange, Step, digest

    spec: ModelPackageGroupSpec = resource.spec  # type: ignore[assignment]
    description = spec.model_package_group_description
    content = {"modelPackageGroupDescription": description}
    ownership = ctx.ownership_tags(resource, digest(content))
    if live is None:
        params: dict[str, Any] = {"ModelPackageGroupName": resource.name,
                                  "Tags": tag_list({**spec.tags, **ownership})}
        if description:
            params["ModelPackageGroupDescription"] = description
        result.changes.append(ResourceChange(
            resource.address, "ModelPackageGroup", resource.name, ["create"], "new",
            diff(None, {**content, "tags": spec.tags}),
            [Step("sagemaker:CreateModelPackageGroup", resource.name, params, digest(params))],
            {"summary": [f"creates model package group {resource.name}"]},
            fingerprint=digest(None), spec_path=ctx.spec_path(resource)))
        return
    arn = live["ModelPackageGroupArn"]
    owner = ctx.ownership.owner_env(arn)
    if owner != (ctx.env or ""):
        result.problems.append(Problem(
            resource.address, f"model package group {resource.name} exists and is " +
            ("not managed by sagectl" if owner is None else f"managed by environment {owner!r}"),
            "adopt it with `sagectl import`" if owner is None else ""))
        return
    if (live.get("ModelPackageGroupDescription") or None) != description:
        result.problems.append(Problem(
            resource.address, "modelPackageGroupDescription cannot change after creation "
                              f"(live: {live.get('ModelPackageGroupDescription')!r})",
            "keep the description as it is; SageMaker has no update for it"))
        return
    owned = ctx.ownership.get(arn)
    live_tags = owned.tags if owned else {}
    entries = diff(user_tags(live_tags), spec.tags, "tags")
    if not entries:
        result.unchanged += 1
        return
    steps = sagemaker_tag_steps(arn, live_tags,
                                target_tags(live_tags, spec.tags, ownership, False))
    result.changes.append(ResourceChange(
        resource.address, "ModelPackageGroup", resource.name, ["update"], "tags_only", entries,
        steps, {"summary": [f"updates the tags of model package group {resource.name}"]},
        fingerprint=digest(live_tags), spec_path=ctx.spec_path(resource)))
