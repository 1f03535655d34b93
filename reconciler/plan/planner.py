"""Making a plan: desired state (a validated SpecSet) + live AWS -> Plan.

The engine knows no SageMaker: it reads ownership for every kind's resource types (the tagging
API, one paginated chain per type, concurrently; a kind whose resources the tagging API cannot
list reads its own, ``Kind.list_owned``), asks each kind to plan its desired resources
and its orphans (owned by this environment, gone from the specs), and orders the result.
"""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path
from typing import Any

from reconciler.aws import Aws, AwsConfigError
from reconciler.contract import Kind
from reconciler.gcpause import without_gc
from reconciler.plan.context import (
    MANAGED_BY,
    PROTECTION_TAG,
    OwnedResource,
    Ownership,
    PlanContext,
    PlanOptions,
    _resource_type,
    git_commit,
)
from reconciler.plan.early import EarlyReads
from reconciler.plan.model import KindPlan, Plan, Problem, digest
from reconciler.plan.order import apply_order
from reconciler.plan.vocabulary import check_declarations, check_reason
from reconciler.spec.resources import SpecSet


def start_ownership(ctx: PlanContext, resource_types: list[str]) -> list[Future[Any]]:
    """One paginated GetResources chain per resource type, started on the pool."""
    def read(resource_type: str) -> list[OwnedResource]:
        items = ctx.aws.paginate(
            "resourcegroupstaggingapi", "get_resources", "ResourceTagMappingList",
            TagFilters=[{"Key": MANAGED_BY, "Values": ["sagectl"]}],
            ResourceTypeFilters=[resource_type], ResourcesPerPage=100)
        return [OwnedResource(i["ResourceARN"], _resource_type(i["ResourceARN"]),
                              {t["Key"]: t["Value"] for t in i.get("Tags", [])}) for i in items]

    return [ctx.aws.submit(read, t) for t in resource_types]


def finish_ownership(ctx: PlanContext, started: list[Future[Any]]) -> None:
    ctx.ownership = Ownership([r for f in started for r in f.result()], ctx.env)


def load_ownership(ctx: PlanContext, resource_types: list[str]) -> None:
    finish_ownership(ctx, start_ownership(ctx, resource_types))


def plan_orphans(ctx: PlanContext, kind: type[Kind], owned: list[OwnedResource]) -> KindPlan:
    """What becomes of ``owned``, resources of ``kind`` this environment owns whose address left
    the specs. Decided here for every kind: what the kind never deletes (``keep_orphan``) stays;
    with pruning off, each is left alone (a warning); one with deletion protection is refused
    (an error, with how to lift it); the rest are deleted, as the kind says
    (``delete_orphan``)."""
    result = KindPlan()
    for orphan in kind.orphans(ctx, owned):
        kept = kind.keep_orphan(ctx, orphan)
        if kept is not None:
            result.problems.append(kept)
        elif not ctx.prune:
            result.problems.append(Problem(orphan.address, f"{orphan.what} is no longer in the "
                                                           "specs; pruning is off, so "
                                                           f"{orphan.left_alone}",
                                           severity="warning"))
        elif any(r.tags.get(PROTECTION_TAG) == "true" for r in orphan.owned):
            result.problems.append(Problem(
                orphan.address, f"{orphan.what} left the specs but has deletionProtection",
                "put it back in the specs with deletionProtection: false and apply, then remove "
                "it"))
        else:
            result.changes.append(kind.delete_orphan(ctx, orphan))
            result.problems += kind.deletion_warnings(ctx, orphan)
    return result


def spec_digest(specs: SpecSet) -> str:
    return digest(sorted((r.address, r.document.model_dump(mode="json"))
                         for r in specs.resources))


def make_plan(specs: SpecSet, aws: Aws, repo_root: Path,
              options: PlanOptions | None = None, early: EarlyReads | None = None) -> Plan:
    return plan_with_context(specs, aws, repo_root, options, early)[0]


@without_gc
def plan_with_context(specs: SpecSet, aws: Aws, repo_root: Path,
                      options: PlanOptions | None = None, early: EarlyReads | None = None
                      ) -> tuple[Plan, PlanContext]:
    """The plan, and the context it was made in (ownership as read, digests, pins): drift
    classifies the plan's changes with it. ``early``: the reads started on ``aws`` while the
    specs loaded (``reconciler/plan/early.py``); made here when not given."""
    env = specs.environment
    kinds = specs.kinds.ordered()  # the kinds the specs were validated against
    wanted = {k.kind: [r for r in specs.resources if r.kind == k.kind] for k in kinds}
    present = [k for k in kinds if wanted[k.kind]]
    # Everything that can start now does, so waits overlap. The pool runs in submission order:
    # the long serial chains and the caller's identity first (they bound the wall time), then
    # the ownership chains every kind needs, then the bulk of independent reads.
    early = early or EarlyReads(aws, specs.kinds)
    for kind in present:
        kind.start_region_reads(early)
    account = early.account().result()
    if env and env.spec.account_id and account and account != env.spec.account_id:
        raise AwsConfigError(f"the AWS credentials are for account {account}, but environment "
                             f"{env.name!r} is account {env.spec.account_id} ({env.file}); "
                             "refusing to plan against the wrong account")
    ctx = PlanContext(aws, specs, git_commit(repo_root), repo_root, options,
                      account or (env.spec.account_id if env else None), early)
    for kind in kinds:
        check_declarations(kind)
    ownership = start_ownership(ctx, [t for k in kinds if not k.lists_owned
                                      for t in k.resource_types])
    ownership += [ctx.aws.submit(k.list_owned, ctx) for k in kinds if k.lists_owned]
    for kind in present:
        kind.prefetch(ctx, wanted[kind.kind])
    finish_ownership(ctx, ownership)
    result = KindPlan()
    deletions = KindPlan()
    for kind in kinds:
        desired = wanted[kind.kind]
        if desired:
            result.extend(kind.plan(ctx, desired))
        addresses = {r.address for r in desired}
        orphans = [o for t in kind.resource_types for o in ctx.ownership.mine(t)
                   if (o.address or "") not in addresses and
                   (o.address or "").startswith(f"{kind.kind}.")]
        if orphans:
            deletions.extend(plan_orphans(ctx, kind, orphans))
    for change in result.changes + deletions.changes:  # a closed vocabulary: a bug otherwise
        check_reason(specs.kinds[change.kind], change.action_reason)
    names = [k.kind for k in kinds]
    changes = (apply_order(result.changes, names)
               + list(reversed(apply_order(deletions.changes, names))))
    plan = Plan(env=specs.env_name, spec_digest=ctx.seal(spec_digest(specs)),
                git_commit=ctx.commit, region=aws.region, account=ctx.account,
                resource_changes=changes, problems=result.problems + deletions.problems,
                unchanged=result.unchanged, reads=dict(aws.calls),
                pins=dict(sorted(ctx.pins.items())), digest_key=ctx.digest_key)
    return plan, ctx
