"""The ``ModelPackageGroup`` spec: the group's description (create-only), its resource policy and
tags, checked before AWS sees them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any, ClassVar

from pydantic import StringConstraints

from reconciler.contract import Issue, SpecModel
from reconciler.kinds._aws import AwsExtra, Tags, check_extras, check_tags
from reconciler.spec.nodes import Path


class ModelPackageGroupSpec(SpecModel):
    """A model package group: the registry that pipelines register model versions in."""

    aws_extra_shape: ClassVar[tuple[str, str]] = ("sagemaker", "CreateModelPackageGroupInput")
    aws_extra_reserved: ClassVar[dict[str, str]] = {
        "modelPackageGroupName": "`modelPackageGroupName` is the resource's `metadata.name`"}

    model_package_group_description: Annotated[str, StringConstraints(
        max_length=1024)] | None = None
    """Set at creation; SageMaker does not allow changing it."""
    resource_policy: dict[str, Any] | None = None
    """An IAM resource policy (Version, Statement) for the group, e.g. to let another account
    read or deploy its versions."""
    tags: Tags = {}
    aws_extra: AwsExtra | None = None
    """CreateModelPackageGroup members sagectl does not model (e.g. `managedConfiguration`).
    Set at creation only: SageMaker has no UpdateModelPackageGroup, so a change to one that
    DescribeModelPackageGroup returns is refused like a description change."""

    def check(self, ctx: object, at: Path) -> Iterator[Issue]:
        yield from check_extras(self, at)
        policy = self.resource_policy
        if policy is not None:
            if not isinstance(policy.get("Statement"), list | dict) or not policy["Statement"]:
                yield Issue((*at, "resourcePolicy"), "a resource policy needs `Statement`: a "
                                                     "statement or a list of them")
            if len(json.dumps(policy, separators=(",", ":"))) > 20480:
                yield Issue((*at, "resourcePolicy"), "the policy is over 20,480 characters")
        yield from check_tags(self.tags, (*at, "tags"))
