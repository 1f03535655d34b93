"""The ``InferenceComponent`` kind: a model (or container) with its copies on an endpoint
variant that hosts components, its copy autoscaling and its guarded rolling updates.

The package has the shape every kind has (docs/adding-a-kind.md): ``spec.py`` (the spec model
and its checks), ``reasons.py``, ``plan.py`` (read and decide), ``hosts.py`` and ``capacity.py``
(the variant and whether the copies fit on it), ``rollout.py`` (what a rolling update means for
reviewers), ``undo.py`` (each step's planned undo), ``apply.py`` (waits, verification, bake,
rollback), ``drift.py``, ``permissions.py``, and this class.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.kinds._autoscaling import start_namespace_read
from reconciler.kinds._aws import SageMakerKind
from reconciler.kinds.inference_component.permissions import PERMISSIONS
from reconciler.kinds.inference_component.reasons import REASONS
from reconciler.kinds.inference_component.spec import InferenceComponentSpec

if TYPE_CHECKING:
    from collections.abc import Mapping

    from reconciler.apply.context import ApplyContext
    from reconciler.apply.state import StateTable
    from reconciler.apply.steps import StepHooks, UndoLog
    from reconciler.contract import Orphan
    from reconciler.drift.classify import KindDrift
    from reconciler.iam.tables import Permissions
    from reconciler.importer.adopt import Tagging
    from reconciler.importer.documents import Document
    from reconciler.importer.live import Tagged
    from reconciler.importer.naming import Choice, ImportContext
    from reconciler.plan.context import PlanContext
    from reconciler.plan.early import EarlyReads
    from reconciler.plan.model import KindPlan, Problem, ResourceChange
    from reconciler.spec.resources import Resource


class InferenceComponentKind(SageMakerKind):
    kind = "InferenceComponent"
    noun = "inference component"
    spec_model = InferenceComponentSpec
    description = ("A SageMaker inference component: a model (or container) with its copies on "
                   "an endpoint variant that hosts components, its copy autoscaling and its "
                   "rolling updates.")
    resource_types = ("sagemaker:inference-component",)
    plan_order = 45
    """After endpoints (40): created after the endpoint that hosts them, deleted before it
    (deletions run in reverse)."""
    reasons = REASONS

    @classmethod
    def start_region_reads(cls, early: EarlyReads) -> None:
        start_namespace_read(early)

    @classmethod
    def prefetch(cls, ctx: PlanContext, desired: list[Resource]) -> None:
        from reconciler.kinds.inference_component import plan

        plan.prefetch(ctx, desired)

    @classmethod
    def plan(cls, ctx: PlanContext, desired: list[Resource]) -> KindPlan:
        from reconciler.kinds.inference_component import plan

        return plan.plan(ctx, desired)

    @classmethod
    def delete_orphan(cls, ctx: PlanContext, orphan: Orphan) -> ResourceChange:
        from reconciler.kinds.inference_component import plan

        return plan.delete(ctx, orphan)

    @classmethod
    def uses(cls, resource: Resource) -> list[tuple[str, str]]:
        model = resource.spec.specification.model_name  # type: ignore[attr-defined]
        return [("Model", model)] if model and not model.startswith("arn:") else []

    @classmethod
    def drift(cls, ctx: PlanContext, state: StateTable, changes: list[ResourceChange],
              seen: set[str]) -> KindDrift:
        from reconciler.kinds.inference_component import drift

        return drift.drift(ctx, changes, seen)

    # -- import (an imported endpoint's components) ----------------------------------------
    @classmethod
    def import_related(cls, ictx: ImportContext, kind: str, names: list[str]
                       ) -> dict[str, list[str]]:
        from reconciler.kinds.inference_component import importing

        return importing.related(ictx, kind, names)

    @classmethod
    def import_read(cls, ictx: ImportContext, names: list[str]) -> dict[str, Tagged]:
        from reconciler.kinds.inference_component import importing

        return importing.read(ictx, names)

    @classmethod
    def import_choice(cls, ictx: ImportContext, name: str, live: Tagged | None, role: str
                      ) -> Choice | None:
        from reconciler.kinds.inference_component import importing

        return importing.choice(ictx, name, live)

    @classmethod
    def to_document(cls, ictx: ImportContext, live: Tagged, name: str) -> Document:
        from reconciler.kinds.inference_component import importing

        return importing.document(ictx, live, name)

    @classmethod
    def adoption(cls, ctx: PlanContext, resources: list[Resource],
                 documents: Mapping[str, Document]) -> tuple[list[Tagging], list[Problem]]:
        from reconciler.kinds.inference_component import importing

        return importing.adoption(ctx, resources, documents)

    @classmethod
    def permissions(cls) -> Permissions:
        return PERMISSIONS

    @classmethod
    def step_hooks(cls, actx: ApplyContext, change: ResourceChange, log: UndoLog
                   ) -> StepHooks:
        from reconciler.kinds.inference_component import apply

        return apply.ComponentSteps(actx, change, log)


__all__ = ["InferenceComponentKind", "InferenceComponentSpec"]
