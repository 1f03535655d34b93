"""The ``ApprovalTrigger`` kind: approval becomes a pull request. One spec, in the registry
account's environment, turns on what sends GitHub a ``repository_dispatch`` when a model package
version of the environment's groups is approved: an EventBridge connection (API key auth, the
token read from Secrets Manager at apply time only), an API destination (POST to GitHub's
dispatches endpoint), a rule on the default event bus matching only ``Approved`` state changes
of those groups, and the rule's target with an input transformer. ``promote.yml`` hears it.

The package has the shape every kind has (docs/adding-a-kind.md): ``spec.py`` (the spec model
and its checks), ``desired.py`` (what the spec asks for, offline), ``reasons.py``, ``live.py``
(reading the parts), ``plan.py`` (decide), ``steps.py`` (each call with its undo), ``apply.py``
(the token and the ARNs filled in at apply time), ``owned.py`` (the ownership read),
``permissions.py`` and ``roles.py`` (the policies of the role EventBridge invokes the target as).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from reconciler.contract import CheckContext, Issue, Kind, SpecModel
from reconciler.kinds.approval_trigger import desired
from reconciler.kinds.approval_trigger.permissions import (
    PERMISSIONS,
    policy_resources,
    service_role,
)
from reconciler.kinds.approval_trigger.reasons import REASONS
from reconciler.kinds.approval_trigger.spec import GROUP_KIND, PIPELINE_KIND, ApprovalTriggerSpec

if TYPE_CHECKING:
    from reconciler.apply.context import ApplyContext
    from reconciler.apply.state import StateTable
    from reconciler.apply.steps import StepHooks, UndoLog
    from reconciler.contract import Orphan
    from reconciler.drift.classify import KindDrift
    from reconciler.iam.tables import Permissions, ServiceRole
    from reconciler.plan.context import OwnedResource, PlanContext
    from reconciler.plan.model import KindPlan, ResourceChange
    from reconciler.spec.resources import Resource


class ApprovalTriggerKind(Kind):
    kind = "ApprovalTrigger"
    noun = "approval trigger"
    spec_model = ApprovalTriggerSpec
    description = ("Approval becomes a pull request: an EventBridge rule on model package "
                   "approvals of the environment's groups, sending GitHub a repository_dispatch "
                   "through an API destination whose token comes from Secrets Manager.")
    name_pattern = r"^[.\-_A-Za-z0-9]+$"
    name_max_length = desired.NAME_MAX - len(desired.PREFIX)
    name_help = "letters, digits and . _ -"
    name_length_note = ("its EventBridge rule, connection and API destination are named "
                        "sagectl-<name>, at most 64 characters")
    resource_types = ("events:rule",)
    lists_owned = True
    plan_order = 60
    reasons = REASONS

    @classmethod
    def check(cls, name: str, spec: SpecModel, ctx: CheckContext) -> Iterator[Issue]:
        if ctx.defines(PIPELINE_KIND, name):
            yield Issue(("metadata", "name"),
                        f"a Pipeline is named {name!r} too: a pipeline's schedule may be the "
                        f"EventBridge rule {desired.aws_name(name)}, this trigger's rule name; "
                        "rename one of them")
        if not ctx.names(GROUP_KIND):
            where = f"environment {ctx.env!r}" if ctx.env else "the specs"
            yield Issue(("spec",), f"{where} declares no ModelPackageGroup: an ApprovalTrigger "
                                   "sends the approvals of the registry groups of its "
                                   "environment (the registry account's). Declare the groups "
                                   "there, and leave the trigger out of the other environments "
                                   "(in their overrides: `- {kind: ApprovalTrigger, name: "
                                   f"{name}, omit: true}}`)")
        yield from super().check(name, spec, ctx)

    @classmethod
    def list_owned(cls, ctx: PlanContext) -> list[OwnedResource]:
        from reconciler.kinds.approval_trigger import owned

        return owned.list_owned(ctx)

    @classmethod
    def plan(cls, ctx: PlanContext, desired: list[Resource]) -> KindPlan:
        from reconciler.kinds.approval_trigger import plan

        return plan.plan(ctx, desired)

    @classmethod
    def delete_orphan(cls, ctx: PlanContext, orphan: Orphan) -> ResourceChange:
        from reconciler.kinds.approval_trigger import plan

        return plan.delete(ctx, orphan)

    @classmethod
    def drift(cls, ctx: PlanContext, state: StateTable, changes: list[ResourceChange],
              seen: set[str]) -> KindDrift | None:
        from reconciler.kinds.approval_trigger import drift

        return drift.classify(ctx, changes)

    @classmethod
    def permissions(cls) -> Permissions:
        return PERMISSIONS

    @classmethod
    def policy_resources(cls, resource: Resource) -> dict[str, list[str]]:
        return policy_resources(resource.spec)  # type: ignore[arg-type]

    @classmethod
    def service_roles(cls, resource: Resource) -> list[ServiceRole]:
        return [service_role(resource.address, resource.name, resource.spec)]  # type: ignore[arg-type]

    @classmethod
    def step_hooks(cls, actx: ApplyContext, change: ResourceChange, log: UndoLog
                   ) -> StepHooks:
        from reconciler.kinds.approval_trigger import apply

        return apply.TriggerSteps(actx, change, log)


__all__ = ["ApprovalTriggerKind", "ApprovalTriggerSpec"]
