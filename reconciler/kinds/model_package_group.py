"""The ``ModelPackageGroup`` kind: a model registry group (CreateModelPackageGroup), its tags and
its resource policy (Put/DeleteModelPackageGroupPolicy).

Name and description are create-only in SageMaker: changing the description later is reported as
an error by the plan, never as a silent replacement of the registry (which would take every
registered version with it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import StringConstraints

from reconciler.contract import Issue, SpecModel
from reconciler.kinds._aws import SageMakerKind, Tags, check_tags
from reconciler.kinds._live import not_found, sagemaker_tag_steps, tag_list
from reconciler.plan.context import target_tags, user_tags
from reconciler.plan.diff import diff
from reconciler.plan.model import KindPlan, Problem, ResourceChange, Step, Undo, digest
from reconciler.spec.nodes import Path

if TYPE_CHECKING:
    from reconciler.plan.context import OwnedResource, PlanContext
    from reconciler.plan.model import DiffEntry, KindPlan
    from reconciler.spec.resources import Resource


class ModelPackageGroupSpec(SpecModel):
    """A model package group: the registry that pipelines register model versions in."""

    model_package_group_description: Annotated[str, StringConstraints(
        max_length=1024)] | None = None
    """Set at creation; SageMaker does not allow changing it."""
    resource_policy: dict[str, Any] | None = None
    """An IAM resource policy (Version, Statement) for the group, e.g. to let another account
    read or deploy its versions."""
    tags: Tags = {}

    def check(self, ctx: object, at: Path) -> Iterator[Issue]:
        policy = self.resource_policy
        if policy is not None:
            if not isinstance(policy.get("Statement"), list | dict) or not policy["Statement"]:
                yield Issue((*at, "resourcePolicy"), "a resource policy needs `Statement`: a "
                                                     "statement or a list of them")
            if len(json.dumps(policy, separators=(",", ":"))) > 20480:
                yield Issue((*at, "resourcePolicy"), "the policy is over 20,480 characters")
        yield from check_tags(self.tags, (*at, "tags"))


class ModelPackageGroupKind(SageMakerKind):
    kind = "ModelPackageGroup"
    spec_model = ModelPackageGroupSpec
    description = "A model registry group whose approved versions endpoints can deploy."
    resource_types = ("sagemaker:model-package-group",)
    plan_order = 10

    @classmethod
    def plan(cls, ctx: PlanContext, desired: list[Resource]) -> KindPlan:
        result = KindPlan()
        for resource, live in zip(desired, ctx.aws.map(lambda r: _describe(ctx, r.name),
                                                       desired), strict=True):
            _plan_one(ctx, resource, live, result)
        return result

    @classmethod
    def plan_orphans(cls, ctx: PlanContext, orphans: list[OwnedResource]) -> KindPlan:
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
                      {"ModelPackageGroupName": name}).not_undone(
                    "not reversible: a deleted group cannot be restored (SageMaker deletes only "
                    "a group that holds no model versions), and its spec left the specs")],
                {"summary": [f"deletes model package group {name} (SageMaker refuses while it "
                             "still holds model packages)"]}, fingerprint=digest(group.tags)))
        return result


def _describe(ctx: PlanContext, name: str) -> tuple[dict[str, Any] | None, Any]:
    """(the group, its policy or None) (None, None): no such group."""
    from botocore.exceptions import ClientError


    try:
        group = ctx.aws.client("sagemaker").describe_model_package_group(
            ModelPackageGroupName=name)
    except ClientError as err:
        if not_found(err):
            return None, None
        raise
    return group, _policy(ctx.aws, name)


def _policy(aws: Any, name: str) -> Any:
    """The group's resource policy, parsed (None: it has none)."""
    from botocore.exceptions import ClientError


    try:
        text = aws.client("sagemaker").get_model_package_group_policy(
            ModelPackageGroupName=name)["ResourcePolicy"]
    except ClientError as err:
        if not_found(err):  # "Cannot find resource policy for: <arn>"
            return None
        raise
    try:
        return json.loads(text)
    except ValueError:
        return text


def policy_diff(have: Any, want: Any, path: str = "resourcePolicy") -> list[DiffEntry]:
    """An IAM policy compared statement by statement, so a plan says which statement and which
    field changed (``resourcePolicy.Statement[ProdReads].Principal.AWS``), not one long string.

    Statements are a set (IAM gives their order no meaning; one statement or a list of one are
    the same): those with a ``Sid`` are matched by it; the others are first matched by equal
    content (an inserted statement does not shift the rest), then in order, and are named by
    their position (in the spec; a removed one by its live position). A side that is not a
    policy document (absent, or text that is not JSON) is compared as it is."""
    have_doc = {} if have is None else have
    want_doc = {} if want is None else want
    old_statements, new_statements = _statements(have_doc), _statements(want_doc)
    if old_statements is None or new_statements is None:
        return diff(have, want, path)
    out = diff({k: v for k, v in have_doc.items() if k != "Statement"},
               {k: v for k, v in want_doc.items() if k != "Statement"}, path)
    for label, old, new in _pair_statements(old_statements, new_statements):
        here = f"{path}.Statement[{label}]"
        # a Sid in the path already is not listed as a field of its own
        out += [e for e in diff(old, new, here)
                if not (e.path == f"{here}.Sid" and label in (e.before, e.after))]
    return out


def _statements(policy: Any) -> list[Any] | None:
    """The statements of a policy document as a list (None: not a policy document)."""
    if not isinstance(policy, dict):
        return None
    found = policy.get("Statement")
    if found is None:
        return []
    if isinstance(found, dict):
        return [found]
    return found if isinstance(found, list) else None


def _sid(statement: Any, side: list[Any]) -> str | None:
    sid = statement.get("Sid") if isinstance(statement, dict) else None
    if isinstance(sid, str) and sid and sum(
            isinstance(s, dict) and s.get("Sid") == sid for s in side) == 1:
        return sid
    return None


def _pair_statements(have: list[Any], want: list[Any]) -> list[tuple[str, Any, Any]]:
    """(name, live statement or None, spec statement or None), in spec order then removals."""
    old_by_sid = {sid: s for s in have if (sid := _sid(s, have))}
    new_by_sid = {sid: s for s in want if (sid := _sid(s, want))}
    shared = old_by_sid.keys() & new_by_sid.keys()
    old_rest = [(i, s) for i, s in enumerate(have) if _sid(s, have) not in shared]
    new_rest = [(i, s) for i, s in enumerate(want) if _sid(s, want) not in shared]
    for i, s in list(new_rest):  # the same statement on both sides: unchanged
        same = next((o for o in old_rest if o[1] == s), None)
        if same is not None:
            old_rest.remove(same)
            new_rest.remove((i, s))
    pairs: list[tuple[str, Any, Any]] = []
    for i, s in enumerate(want):
        sid = _sid(s, want)
        if sid in shared:
            pairs.append((sid, old_by_sid[sid], s))
        elif (i, s) in new_rest:
            old = old_rest.pop(0)[1] if old_rest else None
            pairs.append((sid or str(i), old, s))
    pairs += [(_sid(s, have) or str(i), s, None) for i, s in old_rest]
    return pairs


def _policy_steps(name: str, want: Any, have: Any) -> list[Step]:
    """Bring the group's policy from ``have`` (as read; None: none) to ``want``; undone back to
    ``have``."""
    if want == have:
        return []
    if have is None:
        undo = Undo("sagemaker:DeleteModelPackageGroupPolicy", name,
                    {"ModelPackageGroupName": name}, "policy added by this run")
    else:
        undo = Undo("sagemaker:PutModelPackageGroupPolicy", name,
                    {"ModelPackageGroupName": name, "ResourcePolicy": json.dumps(have)},
                    "previous policy restored")
    if want is None:
        request: dict[str, Any] = {"ModelPackageGroupName": name}
        return [Step("sagemaker:DeleteModelPackageGroupPolicy", name, request, digest(request)
                     ).undone_by(undo)]
    request = {"ModelPackageGroupName": name,
               "ResourcePolicy": json.dumps(want, sort_keys=True, separators=(",", ":"))}
    return [Step("sagemaker:PutModelPackageGroupPolicy", name, request, digest(request)
                 ).undone_by(undo)]


def _plan_one(ctx: PlanContext, resource: Resource,
              live_pair: tuple[dict[str, Any] | None, Any], result: KindPlan) -> None:

    spec: ModelPackageGroupSpec = resource.spec  # type: ignore[assignment]
    live, live_policy = live_pair
    description = spec.model_package_group_description
    policy = spec.resource_policy
    content = {"modelPackageGroupDescription": description}
    ownership = ctx.ownership_tags(resource, digest(content))
    if live is None:
        params: dict[str, Any] = {"ModelPackageGroupName": resource.name,
                                  "Tags": tag_list({**spec.tags, **ownership})}
        if description:
            params["ModelPackageGroupDescription"] = description
        summary = [f"creates model package group {resource.name}"]
        if policy is not None:
            summary.append("sets its resource policy")
        result.changes.append(ResourceChange(
            resource.address, "ModelPackageGroup", resource.name, ["create"], "new",
            diff(None, content) + policy_diff(None, policy) + diff(None, spec.tags, "tags"),
            [Step("sagemaker:CreateModelPackageGroup", resource.name, params, digest(params)
                  ).undone_by(Undo("sagemaker:DeleteModelPackageGroup", resource.name,
                                   {"ModelPackageGroupName": resource.name},
                                   "group created by this run")),
             *_policy_steps(resource.name, policy, None)],
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
    owned = ctx.ownership.get(arn)
    live_tags = owned.tags if owned else {}
    policy_entries = policy_diff(live_policy, policy)
    entries = diff(user_tags(live_tags), spec.tags, "tags")
    if not entries and not policy_entries:
        result.unchanged += 1
        return
    steps = _policy_steps(resource.name, policy, live_policy) if policy_entries else []
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
        resource.address, "ModelPackageGroup", resource.name, ["update"],
        "policy_changed" if policy_entries else "tags_only", policy_entries + entries,
        steps, {"summary": summary},
        fingerprint=digest({"tags": live_tags, "policy": live_policy}),
        spec_path=ctx.spec_path(resource)))
