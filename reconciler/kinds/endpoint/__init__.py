"""The ``Endpoint`` kind: endpoint, endpoint config, variants, autoscaling, deployment policy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from reconciler.contract import NothingToPromote
from reconciler.kinds._autoscaling import start_namespace_read
from reconciler.kinds._aws import CONTENT_SUFFIX_LEN, SageMakerKind
from reconciler.kinds.endpoint.apply_data import EndpointApplyData
from reconciler.kinds.endpoint.permissions import PERMISSIONS
from reconciler.kinds.endpoint.reasons import REASONS
from reconciler.kinds.endpoint.spec import EndpointSpec

if TYPE_CHECKING:
    from reconciler.apply.context import ApplyContext, Outcome
    from reconciler.apply.state import StateTable
    from reconciler.apply.steps import StepHooks, UndoLog
    from reconciler.contract import Orphan, RegistryPin
    from reconciler.drift.classify import KindDrift
    from reconciler.iam.tables import Permissions
    from reconciler.importer.adopt import Tagging
    from reconciler.importer.documents import Document, ImportUnit
    from reconciler.importer.naming import ImportContext
    from reconciler.plan.context import OwnedResource, PlanContext
    from reconciler.plan.early import EarlyReads
    from reconciler.plan.model import KindPlan, Problem, ResourceChange
    from reconciler.spec.resources import Resource, SpecSet


class EndpointKind(SageMakerKind):
    kind = "Endpoint"
    spec_model = EndpointSpec
    description = ("A SageMaker real-time, serverless or asynchronous endpoint with its variants, "
                   "autoscaling and deployment guardrails.")
    name_max_length = 63 - CONTENT_SUFFIX_LEN
    name_length_note = ("leaving room for the content suffix of its endpoint configs "
                        "(-xxxxxxxx)")
    name_case_sensitive = False
    """"The name is case-insensitive in CreateEndpoint" (API reference, EndpointName)."""
    resource_types = ("sagemaker:endpoint", "sagemaker:endpoint-config")
    plan_order = 40
    reasons = REASONS
    apply_data = EndpointApplyData
    promotable = True
    import_root = True

    @classmethod
    def start_region_reads(cls, early: EarlyReads) -> None:
        start_namespace_read(early)

    @classmethod
    def prefetch(cls, ctx: PlanContext, desired: list[Resource]) -> None:
        from reconciler.kinds.endpoint import plan

        plan.prefetch(ctx, desired)

    @classmethod
    def plan(cls, ctx: PlanContext, desired: list[Resource]) -> KindPlan:
        from reconciler.kinds.endpoint import plan

        return plan.plan(ctx, desired)

    @classmethod
    def orphans(cls, ctx: PlanContext, owned: list[OwnedResource]) -> list[Orphan]:
        """One per endpoint (its configs go with it)."""
        return super().orphans(ctx, [o for o in owned if o.resource_type == "sagemaker:endpoint"])

    @classmethod
    def delete_orphan(cls, ctx: PlanContext, orphan: Orphan) -> ResourceChange:
        from reconciler.kinds.endpoint import plan

        return plan.delete(ctx, orphan)

    @classmethod
    def deletion_warnings(cls, ctx: PlanContext, orphan: Orphan) -> list[Problem]:
        """The monitoring schedules that keep watching the endpoint (``monitoring.py``)."""
        from reconciler.kinds.endpoint import monitoring

        return monitoring.deletion_warnings(ctx, orphan.address, orphan.name)

    # -- drift ---------------------------------------------------------------------------------
    @classmethod
    def drift(cls, ctx: PlanContext, state: StateTable, changes: list[ResourceChange],
              seen: set[str]) -> KindDrift:
        """Statuses and capacity from the plan's DescribeEndpoint, quarantine records."""

        from reconciler.kinds.endpoint import drift

        return drift.drift(ctx, state, changes, seen)

    # -- import --------------------------------------------------------------------------------
    @classmethod
    def import_files(cls, ictx: ImportContext, names: list[str]) -> list[ImportUnit]:
        from reconciler.kinds.endpoint import importing

        return importing.import_files(ictx, names)

    @classmethod
    def adoption(cls, ctx: PlanContext, resources: list[Resource],
                 documents: Mapping[str, Document]) -> tuple[list[Tagging], list[Problem]]:
        from reconciler.kinds.endpoint import importing

        return importing.adoption(ctx, resources, documents)

    # -- promote -------------------------------------------------------------------------------
    @classmethod
    def uses(cls, resource: Resource) -> list[tuple[str, str]]:
        """The Models of its production and shadow variants."""
        spec: EndpointSpec = resource.spec  # type: ignore[assignment]
        names = dict.fromkeys(ref for _, _, v in spec.all_variants() for ref in v.model_refs)
        return [("Model", n) for n in names]

    @classmethod
    def registry_pins(cls, specs: SpecSet, resource: Resource) -> list[RegistryPin]:
        """The registry versions of every Model it serves."""
        names = [name for _, name in cls.uses(resource)]
        pins: list[RegistryPin] = []
        for name in names:
            model = specs.get("Model", name)
            if model is None:
                continue
            try:
                pins += specs.kinds["Model"].registry_pins(specs, model)
            except NothingToPromote:
                continue
        if not pins:
            raise NothingToPromote(
                f"endpoint {resource.name} uses no model from the registry (its models: "
                f"{', '.join(names)}; a registry model has a container with "
                "modelPackageGroupName)")
        return pins

    # -- IAM -----------------------------------------------------------------------------------
    @classmethod
    def permissions(cls) -> Permissions:
        return PERMISSIONS

    @classmethod
    def step_hooks(cls, actx: ApplyContext, change: ResourceChange, log: UndoLog
                   ) -> StepHooks:
        from reconciler.kinds.endpoint import apply

        return apply.EndpointSteps(actx, change, log)

    @classmethod
    def blocked(cls, actx: ApplyContext, change: ResourceChange) -> Outcome | None:
        from reconciler.kinds.endpoint import quarantine

        known = quarantine.Quarantine.read(actx, change)
        return known.refusal(actx, change, EndpointApplyData.of(change).spec_digest)

    @classmethod
    def lease_key(cls, address: str, name: str) -> str:
        return name  # the lease item endpoints had before every kind was leased

    @classmethod
    def recover(cls, actx: ApplyContext, names: list[str]) -> list[Outcome]:
        from reconciler.kinds.endpoint import quarantine, resume

        outcomes = [o for o in (resume.recover(actx, n) for n in names) if o is not None]
        quarantine.after_table_loss(actx, names)
        return outcomes


__all__ = ["EndpointKind", "EndpointSpec"]
