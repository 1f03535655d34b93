"""The ``ModelPackageGroup`` spec: the group's description (create-only), its resource policy and
tags, checked before AWS sees them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import StringConstraints

from reconciler.contract import Issue, SpecModel
from reconciler.kinds._aws import Tags, check_tags
from reconciler.spec.nodes import Path


class ModelPackageGroupSpec(SpecModel):
    """A model package group: the registry that pipelines register model versions in."""

    model_package_group_description: Annotated[str, StringConstraints(
        max_length=1024)] | None = None
    """Set at creation; SageMaker does not allow changing it."""
    resource_policy: dict[str, Any] | None = None
    """An IAM resource policy (Version, Statement) for the group, e.g. to let another account
    read or deploy its versions."""
    tags: Tags = {}

    def check(self, ctx: object, at: Path) -> Iterator[Issue]:
        policy = self.resource_policy
        if policy is not None:
            if not isinstance(policy.get("Statement"), list | dict) or not policy["Statement"]:
                yield Issue((*at, "resourcePolicy"), "a resource policy needs `Statement`: a "
                                                     "statement or a list of them")
            if len(json.dumps(policy, separators=(",", ":"))) > 20480:
                yield Issue((*at, "resourcePolicy"), "the policy is over 20,480 characters")
        yield from check_tags(self.tags, (*at, "tags"))
