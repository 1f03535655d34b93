"""Which models live inference components run: a model one of them runs is in use, and the Model
kind does not delete it while it is (``ModelKind.keep_orphan``), whatever pruning says.

Read only when a Model left the specs (one paginated ListInferenceComponents and a
DescribeInferenceComponent per component, once per plan). A component this plan deletes itself
(owned by this environment, gone from the specs, pruning on) does not keep its model: deletions
run in reverse planning order, so the component goes before the model. A component whose spec
moves to another model still keeps the old one (its rollback may need it): the next plan deletes
it.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from reconciler.kinds._live import not_found
from reconciler.plan.context import PROTECTION_TAG, PlanContext

RESOURCE_TYPE = "sagemaker:inference-component"


def _deleted_by_this_plan(ctx: PlanContext, name: str) -> bool:
    owned = next((r for r in ctx.ownership.mine(RESOURCE_TYPE) if r.name == name.lower()), None)
    if owned is None or not ctx.prune or owned.tags.get(PROTECTION_TAG) == "true":
        return False
    return ctx.specs.get("InferenceComponent", name) is None


def models_in_use(ctx: PlanContext) -> dict[str, list[str]]:
    """Model name -> the live components that run it (and are not deleted by this plan)."""
    def read() -> dict[str, list[str]]:
        sm = ctx.aws.client("sagemaker")
        found: dict[str, list[str]] = {}
        listed = ctx.aws.paginate("sagemaker", "list_inference_components",
                                  "InferenceComponents")

        def describe(name: str) -> dict[str, Any] | None:
            try:
                return sm.describe_inference_component(  # type: ignore[no-any-return]
                    InferenceComponentName=name)
            except ClientError as err:
                if not_found(err):
                    return None
                raise

        names = [c["InferenceComponentName"] for c in listed]
        for name, described in zip(names, ctx.aws.map(describe, names), strict=True):
            model = ((described or {}).get("Specification") or {}).get("ModelName")
            if model and not _deleted_by_this_plan(ctx, name):
                found.setdefault(model.lower(), []).append(name)
        return found

    return ctx.once("models-in-use", read)
