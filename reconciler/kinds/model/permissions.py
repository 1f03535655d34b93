"""What the IAM policy must allow for models (``sagectl iam-policy``): models, the registry's
packages they may come from (``latestApproved`` is resolved by listing), and the execution role
passed to SageMaker."""

from __future__ import annotations

from reconciler.iam.tables import Implied, Permissions, read, write
from reconciler.kinds._aws import PASS_SAGEMAKER, SHARED_SCOPES, SM_LIST, sagemaker_scope
from reconciler.kinds.model.spec import ModelSpec

SM_MODEL, SM_PACKAGE = "sm-model", "sm-model-package"
SM_COMPONENT = "sm-inference-component"

PERMISSIONS = Permissions(
    scopes={
        SM_MODEL: sagemaker_scope("SageMakerModels", "model"),
        SM_PACKAGE: sagemaker_scope("SageMakerModelPackages", "model-package"),
        SM_COMPONENT: sagemaker_scope("SageMakerInferenceComponents", "inference-component"),
        SM_LIST: SHARED_SCOPES[SM_LIST],
        PASS_SAGEMAKER: SHARED_SCOPES[PASS_SAGEMAKER],
    },
    operations={
        "sagemaker": {
            "DescribeModel": read(SM_MODEL),
            "DescribeModelPackage": read(SM_PACKAGE),
            "ListModelPackages": read(SM_LIST),
            # a model an inference component runs is not deleted (kinds/_model_users.py)
            "ListInferenceComponents": read(SM_LIST),
            "DescribeInferenceComponent": read(SM_COMPONENT),
            "AddTags": write(SM_MODEL),
            "DeleteTags": write(SM_MODEL),
            "CreateModel": write(SM_MODEL),
            "DeleteModel": write(SM_MODEL),
        },
    },
    implied=(
        Implied("iam:PassRole", (PASS_SAGEMAKER,), (("sagemaker", "CreateModel"),),
                "a model's execution role"),
    ),
)


def policy_resources(spec: ModelSpec) -> dict[str, list[str]]:
    """The execution role the model runs with."""
    return {PASS_SAGEMAKER: [spec.execution_role_arn]} if spec.execution_role_arn else {}
