"""The four Model Monitor job definition kinds: ``DataQualityJobDefinition``,
``ModelQualityJobDefinition``, ``ModelBiasJobDefinition`` and ``ModelExplainabilityJobDefinition``.

One base class, parameterised by SageMaker's monitoring type, answers the stages for all four:
their APIs differ only in names and in a few members (``spec.py``). Definitions are immutable
and content-named (``plan.py``); the ``MonitoringSchedule`` kind points at them through the
``DefinitionRef`` each one publishes (``kinds/_monitoring.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from reconciler.kinds._aws import CONTENT_SUFFIX_LEN, SageMakerKind
from reconciler.kinds._monitoring import DEFINITION_PLAN_ORDER, MONITORING_TYPES
from reconciler.kinds.monitoring_job import permissions
from reconciler.kinds.monitoring_job.plan import Api
from reconciler.kinds.monitoring_job.reasons import REASONS
from reconciler.kinds.monitoring_job.spec import (
    SPECS,
    DataQualityJobDefinitionSpec,
    JobDefinitionSpec,
    ModelBiasJobDefinitionSpec,
    ModelExplainabilityJobDefinitionSpec,
    ModelQualityJobDefinitionSpec,
)

if TYPE_CHECKING:
    from reconciler.contract import Orphan
    from reconciler.iam.tables import Permissions
    from reconciler.plan.context import OwnedResource, PlanContext
    from reconciler.plan.model import KindPlan, Problem, ResourceChange
    from reconciler.spec.resources import Resource


class JobDefinitionKind(SageMakerKind):
    """A Model Monitor job definition of one monitoring type (a subclass per type)."""

    monitoring_type: ClassVar[str]
    api: ClassVar[Api]
    name_max_length = 63 - CONTENT_SUFFIX_LEN
    name_length_note = "leaving room for the content suffix sagectl appends (-xxxxxxxx)"
    plan_order = DEFINITION_PLAN_ORDER
    reasons = REASONS

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls.api = Api(cls.monitoring_type)
        cls.kind = MONITORING_TYPES[cls.monitoring_type]
        cls.spec_model = SPECS[cls.monitoring_type]
        cls.noun = cls.api.noun
        cls.resource_types = (cls.api.resource_type,)

    @classmethod
    def plan(cls, ctx: PlanContext, desired: list[Resource]) -> KindPlan:
        from reconciler.kinds.monitoring_job import plan

        return plan.plan(ctx, cls.api, desired)

    @classmethod
    def uses(cls, resource: Resource) -> list[tuple[str, str]]:
        """The Endpoint its job input watches (planned first)."""
        name = resource.spec.endpoint_name  # type: ignore[attr-defined]
        return [("Endpoint", name)] if name else []

    @classmethod
    def orphans(cls, ctx: PlanContext, owned: list[OwnedResource]) -> list[Orphan]:
        from reconciler.kinds.monitoring_job import plan

        return plan.orphans(cls.api, owned)

    @classmethod
    def keep_orphan(cls, ctx: PlanContext, orphan: Orphan) -> Problem | None:
        from reconciler.kinds.monitoring_job import plan

        return plan.keep_orphan(ctx, cls.api, orphan)

    @classmethod
    def delete_orphan(cls, ctx: PlanContext, orphan: Orphan) -> ResourceChange:
        from reconciler.kinds.monitoring_job import plan

        return plan.delete(ctx, cls.api, orphan)

    # -- IAM -----------------------------------------------------------------------------------
    @classmethod
    def permissions(cls) -> Permissions:
        return permissions.permissions(cls.api)

    @classmethod
    def policy_resources(cls, resource: Resource) -> dict[str, list[str]]:
        return permissions.policy_resources(resource.spec)  # type: ignore[arg-type]


class DataQualityJobDefinitionKind(JobDefinitionKind):
    monitoring_type = "DataQuality"
    description = ("A Model Monitor data quality job definition: the analysis a monitoring "
                   "schedule runs on an endpoint's captured data. Created under a "
                   "content-derived name.")


class ModelQualityJobDefinitionKind(JobDefinitionKind):
    monitoring_type = "ModelQuality"
    description = ("A Model Monitor model quality job definition: predictions compared with "
                   "ground truth labels. Created under a content-derived name.")


class ModelBiasJobDefinitionKind(JobDefinitionKind):
    monitoring_type = "ModelBias"
    description = ("A Model Monitor bias drift job definition (SageMaker Clarify). Created "
                   "under a content-derived name.")


class ModelExplainabilityJobDefinitionKind(JobDefinitionKind):
    monitoring_type = "ModelExplainability"
    description = ("A Model Monitor feature attribution drift job definition (SageMaker "
                   "Clarify). Created under a content-derived name.")


KINDS = (DataQualityJobDefinitionKind, ModelQualityJobDefinitionKind,
         ModelBiasJobDefinitionKind, ModelExplainabilityJobDefinitionKind)

__all__ = ["KINDS", "DataQualityJobDefinitionKind", "DataQualityJobDefinitionSpec",
           "JobDefinitionKind", "JobDefinitionSpec", "ModelBiasJobDefinitionKind",
           "ModelBiasJobDefinitionSpec", "ModelExplainabilityJobDefinitionKind",
           "ModelExplainabilityJobDefinitionSpec", "ModelQualityJobDefinitionKind",
           "ModelQualityJobDefinitionSpec"]
