"""Planning ``ModelPackageGroup`` resources: create with its policy, update the policy and tags,
refuse what SageMaker cannot change (the description) or sagectl does not own, delete an orphan."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from reconciler.kinds._aws import extra_live, extra_request
from reconciler.kinds._live import not_found, sagemaker_tag_steps, tag_list
from reconciler.kinds.model_package_group.grants import grant_warnings
from reconciler.kinds.model_package_group.policy import policy_diff, policy_steps, read_policy
from reconciler.kinds.model_package_group.reasons import ModelPackageGroupReason
from reconciler.kinds.model_package_group.spec import ModelPackageGroupSpec
from reconciler.plan.context import target_tags, user_tags
from reconciler.plan.diff import diff
from reconciler.plan.model import KindPlan, Problem, ResourceChange, Step, Undo, digest
from reconciler.plan.vocabulary import Action, Common

if TYPE_CHECKING:
    from reconciler.contract import Orphan
    from reconciler.plan.context import PlanContext
    from reconciler.spec.resources import Resource


def plan(ctx: PlanContext, desired: list[Resource]) -> KindPlan:
    result = KindPlan()
    for resource, live in zip(desired, ctx.aws.map(lambda r: _describe(ctx, r.name), desired),
                              strict=True):
        _plan_one(ctx, resource, live, result)
        result.problems += grant_warnings(ctx, resource, resource.spec.resource_policy)  # type: ignore[attr-defined]
    return result


def delete(orphan: Orphan) -> ResourceChange:
    name = orphan.name
    return ResourceChange(
        orphan.address, "ModelPackageGroup", name, [Action.DELETE], Common.NOT_IN_SPEC, [],
        [Step("sagemaker:DeleteModelPackageGroup", name, {"ModelPackageGroupName": name}
              ).not_undone("not reversible: a deleted group cannot be restored (SageMaker deletes "
                           "only a group that holds no model versions), and its spec left the "
                           "specs")],
        {"summary": [f"deletes model package group {name} (SageMaker refuses while it "
                     "still holds model packages)"]}, fingerprint=digest(orphan.owned[0].tags))


def _describe(ctx: PlanContext, name: str) -> tuple[dict[str, Any] | None, Any]:
    """(the group, its policy or None) (None, None): no such group."""


    try:
        group = ctx.aws.client("sagemaker").describe_model_package_group(
            ModelPackageGroupName=name)
    except ClientError as err:
        if not_found(err):
            return None, None
        raise
    return group, read_policy(ctx.aws, name)


def _plan_one(ctx: PlanContext, resource: Resource,
              live_pair: tuple[dict[str, Any] | None, Any], result: KindPlan) -> None:

    spec: ModelPackageGroupSpec = resource.spec  # type: ignore[assignment]
    live, live_policy = live_pair
    description = spec.model_package_group_description
    policy = spec.resource_policy
    content: dict[str, Any] = {"modelPackageGroupDescription": description}
    if spec.aws_extra:
        content["awsExtra"] = spec.aws_extra
    ownership = ctx.ownership_tags(resource, digest(content))
    if live is None:
        params: dict[str, Any] = {"ModelPackageGroupName": resource.name,
                                  "Tags": tag_list({**spec.tags, **ownership})}
        if description:
            params["ModelPackageGroupDescription"] = description
        params.update(extra_request(spec))
        summary = [f"creates model package group {resource.name}"]
        if policy is not None:
            summary.append("sets its resource policy")
        result.changes.append(ResourceChange(
            resource.address, "ModelPackageGroup", resource.name, [Action.CREATE], Common.NEW,
            diff(None, content) + policy_diff(None, policy) + diff(None, spec.tags, "tags"),
            [Step("sagemaker:CreateModelPackageGroup", resource.name, params, digest(params)
                  ).undone_by(Undo("sagemaker:DeleteModelPackageGroup", resource.name,
                                   {"ModelPackageGroupName": resource.name},
                                   "group created by this run")),
             *policy_steps(resource.name, policy, None)],
            {"summary": summary}, fingerprint=digest(None), spec_path=ctx.spec_path(resource)))
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
    have_extra = extra_live(ModelPackageGroupSpec, spec.aws_extra, live)
    extra_entries = diff(have_extra or None, spec.aws_extra or None, "awsExtra")
    if extra_entries:
        # No UpdateModelPackageGroup exists: the members of CreateModelPackageGroup are set
        # at creation, like the description. One Describe does not return is never a diff.
        result.problems.append(Problem(
            resource.address, "awsExtra cannot change after creation (SageMaker has no "
                              "UpdateModelPackageGroup): " + ", ".join(
                                  e.path for e in extra_entries),
            "keep the members as they are live, or create a new group"))
        return
    owned = ctx.ownership.get(arn)
    live_tags = owned.tags if owned else {}
    policy_entries = policy_diff(live_policy, policy)
    entries = diff(user_tags(live_tags), spec.tags, "tags")
    if not entries and not policy_entries:
        result.unchanged += 1
        return
    steps = policy_steps(resource.name, policy, live_policy) if policy_entries else []
    steps += sagemaker_tag_steps(arn, live_tags,
                                 target_tags(live_tags, spec.tags, ownership, False))
    summary = []
    if policy_entries:
        summary.append("removes the group's resource policy" if policy is None else
                       "sets the group's resource policy" if live_policy is None else
                       "changes the group's resource policy")
    if entries:
        summary.append(f"updates the tags of model package group {resource.name}")
    result.changes.append(ResourceChange(
        resource.address, "ModelPackageGroup", resource.name, [Action.UPDATE],
        ModelPackageGroupReason.POLICY_CHANGED if policy_entries else Common.TAGS_ONLY,
        policy_entries + entries,
        steps, {"summary": summary},
        fingerprint=digest({"tags": live_tags, "policy": live_policy}),
        spec_path=ctx.spec_path(resource)))
