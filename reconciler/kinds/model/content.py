"""What a model's content is called: the fields of its spec that are sagectl's own, its
sensitive paths, and its digests and content name (``<name>-<hash8>``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reconciler.kinds.model.spec import ModelSpec
from reconciler.plan.context import PlanContext
from reconciler.plan.model import digest

SM_ONLY = frozenset({"tags", "modelPackageGroupName", "modelPackageGroupArn",
                     "modelPackageVersion"})
"""Spec fields that are not part of the CreateModel content."""


def sensitive_paths(spec: ModelSpec) -> tuple[str, ...]:
    """Spec paths (and request paths) whose values are never shown: container environments."""
    paths = []
    if spec.primary_container is not None:
        paths += ["primaryContainer.environment", "PrimaryContainer.Environment"]
    for i in range(len(spec.containers or [])):
        paths += [f"containers[{i}].environment", f"Containers[{i}].Environment"]
    return tuple(paths)


def has_environment(request: dict[str, Any]) -> bool:
    """Whether a CreateModel request holds environment values (sensitive, so keyed digests)."""
    containers = ([request["PrimaryContainer"]] if "PrimaryContainer" in request
                  else request.get("Containers", []))
    return any(c.get("Environment") for c in containers)


def model_digest(ctx: PlanContext, request: dict[str, Any]) -> str:
    """The ``sagectl:spec-digest`` of a model (its CreateModel request without name and tags):
    keyed when the request holds environment values."""
    return ctx.digest_for(has_environment(request))(request)


def content_name(name: str, env: str | None, request: dict[str, Any],
                 of: Callable[[Any], str] = digest) -> str:
    return f"{name}-{of({'env': env, 'request': request})[:8]}"
