"""The ``Model`` kind: spec (``spec.py``) and planning (``plan.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from reconciler.drift.classify import DriftItem, KindDrift
from reconciler.kinds._aws import CONTENT_SUFFIX_LEN, SageMakerKind
from reconciler.kinds._model_users import models_in_use
from reconciler.kinds.model import permissions
from reconciler.kinds.model.reasons import REASONS
from reconciler.kinds.model.spec import ModelSpec
from reconciler.plan.context import ADDRESS_TAG
from reconciler.plan.model import Problem

if TYPE_CHECKING:
    from reconciler.apply.state import StateTable
    from reconciler.contract import Orphan, RegistryPin
    from reconciler.iam.tables import Permissions
    from reconciler.importer.adopt import Tagging
    from reconciler.importer.documents import Document
    from reconciler.importer.live import Tagged
    from reconciler.importer.naming import Choice, ImportContext
    from reconciler.plan.context import OwnedResource, PlanContext
    from reconciler.plan.model import KindPlan, ResourceChange
    from reconciler.spec.resources import Resource, SpecSet


class ModelKind(SageMakerKind):
    kind = "Model"
    spec_model = ModelSpec
    description = ("A SageMaker model: container image and artifacts, or a package from the "
                   "model registry. Created under a content-derived name.")
    name_max_length = 63 - CONTENT_SUFFIX_LEN
    name_length_note = "leaving room for the content suffix sagectl appends (-xxxxxxxx)"
    resource_types = ("sagemaker:model",)
    plan_order = 20
    reasons = REASONS
    pin_prefix = "registry:"
    promotable = True

    @classmethod
    def plan(cls, ctx: PlanContext, desired: list[Resource]) -> KindPlan:
        from reconciler.kinds.model import plan

        return plan.plan(ctx, desired)

    @classmethod
    def orphans(cls, ctx: PlanContext, owned: list[OwnedResource]) -> list[Orphan]:
        from reconciler.kinds.model import plan

        return plan.orphans(owned)

    @classmethod
    def delete_orphan(cls, ctx: PlanContext, orphan: Orphan) -> ResourceChange:
        from reconciler.kinds.model import plan

        return plan.delete(orphan)

    @classmethod
    def keep_orphan(cls, ctx: PlanContext, orphan: Orphan) -> Problem | None:
        """A model an inference component runs is in use: never deleted while it is."""
        users = models_in_use(ctx)
        used = {v.name: users[v.name.lower()] for v in orphan.owned if v.name.lower() in users}
        if not used:
            return None
        return Problem(orphan.address, f"{orphan.what} left the specs but is in use: " + "; ".join(
            f"{model} by inference component(s) {', '.join(sorted(by))}"
            for model, by in sorted(used.items())) + "; it is kept", severity="warning")

    @classmethod
    def check_pin(cls, ctx: PlanContext, key: str, value: str) -> str | None:
        from reconciler.kinds.model import pins

        return pins.check_pin(ctx, key, value)

    # -- drift ---------------------------------------------------------------------------------
    @classmethod
    def drift(cls, ctx: PlanContext, state: StateTable, changes: list[ResourceChange],
              seen: set[str]) -> KindDrift:
        """A Model to create while this environment owns versions of it: its spec changed and
        the new version is not created yet (pending, not missing)."""
        result = KindDrift()
        for change in changes:
            if change.actions == ["create"] and any(
                    r.tags.get(ADDRESS_TAG) == change.address and (r.env or "") == (ctx.env or "")
                    for r in ctx.ownership.by_arn.values()):
                result.classified[change.address] = DriftItem(
                    change.address, change.kind, change.name, "pending",
                    "the model's spec changed: its new version is not created yet", change.diff)
        return result

    # -- import --------------------------------------------------------------------------------
    @classmethod
    def import_read(cls, ictx: ImportContext, names: list[str]) -> dict[str, Tagged]:
        from reconciler.kinds.model import importing

        return importing.read(ictx, names)

    @classmethod
    def import_choice(cls, ictx: ImportContext, name: str, live: Tagged | None, role: str
                      ) -> Choice | None:
        from reconciler.kinds.model import importing

        assert live is not None  # an endpoint config's models exist (import_read refuses)
        return importing.choice(ictx, live)

    @classmethod
    def to_document(cls, ictx: ImportContext, live: Tagged, name: str) -> Document:
        from reconciler.kinds.model import importing

        return importing.document(ictx, live, name)

    @classmethod
    def adoption(cls, ctx: PlanContext, resources: list[Resource],
                 documents: Mapping[str, Document]) -> tuple[list[Tagging], list[Problem]]:
        from reconciler.kinds.model import importing

        return importing.adoption(ctx, resources, documents)

    # -- promote -------------------------------------------------------------------------------
    @classmethod
    def registry_pins(cls, specs: SpecSet, resource: Resource) -> list[RegistryPin]:
        from reconciler.kinds.model import promote

        return promote.registry_pins(resource)

    # -- IAM -----------------------------------------------------------------------------------
    @classmethod
    def permissions(cls) -> Permissions:
        return permissions.PERMISSIONS

    @classmethod
    def policy_resources(cls, resource: Resource) -> dict[str, list[str]]:
        return permissions.policy_resources(resource.spec)  # type: ignore[arg-type]


__all__ = ["ModelKind", "ModelSpec"]
