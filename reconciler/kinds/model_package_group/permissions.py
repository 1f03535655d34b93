"""What the IAM policy must allow for model package groups (``sagectl iam-policy``)."""

from __future__ import annotations

from reconciler.iam.tables import Permissions, read, write
from reconciler.kinds._aws import sagemaker_scope

SM_GROUP = "sm-model-package-group"

PERMISSIONS = Permissions(
    scopes={SM_GROUP: sagemaker_scope("SageMakerModelPackageGroups", "model-package-group")},
    operations={"sagemaker": {
        "DescribeModelPackageGroup": read(SM_GROUP),
        "GetModelPackageGroupPolicy": read(SM_GROUP),
        "AddTags": write(SM_GROUP),
        "DeleteTags": write(SM_GROUP),
        "CreateModelPackageGroup": write(SM_GROUP),
        "DeleteModelPackageGroup": write(SM_GROUP),
        "DeleteModelPackageGroupPolicy": write(SM_GROUP),
        "PutModelPackageGroupPolicy": write(SM_GROUP),
    }},
)
"""What the IAM policy must allow for model package groups (``sagectl iam-policy``)."""
