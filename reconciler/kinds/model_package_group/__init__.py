"""The ``ModelPackageGroup`` kind: a model registry group (CreateModelPackageGroup), its tags and
its resource policy (Put/DeleteModelPackageGroupPolicy).

Name and description are create-only in SageMaker: changing the description later is reported as
an error by the plan, never as a silent replacement of the registry (which would take every
registered version with it).

The package has the shape every kind has (docs/adding-a-kind.md): ``spec.py`` (the spec model),
``reasons.py`` (why a change is planned), ``plan.py`` (read and decide), ``policy.py`` (the
resource policy, diffed by statement), ``permissions.py`` (what IAM must allow), and this class,
which answers the stages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.iam.tables import Permissions
from reconciler.kinds._aws import SageMakerKind
from reconciler.kinds.model_package_group.permissions import PERMISSIONS
from reconciler.kinds.model_package_group.reasons import REASONS
from reconciler.kinds.model_package_group.spec import ModelPackageGroupSpec
from reconciler.plan.model import KindPlan, ResourceChange

if TYPE_CHECKING:
    from reconciler.contract import Orphan
    from reconciler.plan.context import PlanContext
    from reconciler.spec.resources import Resource


class ModelPackageGroupKind(SageMakerKind):
    kind = "ModelPackageGroup"
    noun = "model package group"
    spec_model = ModelPackageGroupSpec
    description = "A model registry group whose approved versions endpoints can deploy."
    resource_types = ("sagemaker:model-package-group",)
    plan_order = 10
    reasons = REASONS

    @classmethod
    def permissions(cls) -> Permissions:
        return PERMISSIONS

    @classmethod
    def plan(cls, ctx: PlanContext, desired: list[Resource]) -> KindPlan:
        from reconciler.kinds.model_package_group import plan

        return plan.plan(ctx, desired)

    @classmethod
    def delete_orphan(cls, ctx: PlanContext, orphan: Orphan) -> ResourceChange:
        from reconciler.kinds.model_package_group import plan

        return plan.delete(orphan)


__all__ = ["ModelPackageGroupKind", "ModelPackageGroupSpec"]
