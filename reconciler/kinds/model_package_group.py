"""The ``ModelPackageGroup`` kind: a model registry group (CreateModelPackageGroup).

Name and description are create-only in SageMaker: changing the description later is reported as
an error by the plan, never as a silent replacement of the registry.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from pydantic import StringConstraints

from reconciler.kinds._base import Issue, Kind, SpecModel, Tags, check_tags
from reconciler.spec.nodes import Path


class ModelPackageGroupSpec(SpecModel):
    """A model package group: the registry that pipelines register model versions in."""

    model_package_group_description: Annotated[str, StringConstraints(
        max_length=1024)] | None = None
    """Set at creation; SageMaker does not allow changing it."""
    tags: Tags = {}

    def check(self, ctx: object, at: Path) -> Iterator[Issue]:
        yield from check_tags(self.tags, (*at, "tags"))


class ModelPackageGroupKind(Kind):
    kind = "ModelPackageGroup"
    spec_model = ModelPackageGroupSpec
    description = "A model registry group whose approved versions endpoints can deploy."
