"""Resource kinds. Each kind keeps all of its AWS knowledge in its own module or package; this
registry is the only place that lists them."""

from __future__ import annotations

from reconciler.kinds._base import Kind
from reconciler.kinds.alarm import AlarmKind
from reconciler.kinds.endpoint import EndpointKind
from reconciler.kinds.model import ModelKind
from reconciler.kinds.model_package_group import ModelPackageGroupKind
from reconciler.kinds.pipeline import PipelineKind
from reconciler.plan.vocabulary import declare

KINDS: dict[str, type[Kind]] = {
    k.kind: k for k in (ModelPackageGroupKind, ModelKind, AlarmKind, EndpointKind, PipelineKind)
}
declare(*KINDS.values())  # their reasons and apply data: checked in changes and saved plans


def get_kind(name: str) -> type[Kind] | None:
    return KINDS.get(name)


__all__ = ["KINDS", "Kind", "get_kind"]
