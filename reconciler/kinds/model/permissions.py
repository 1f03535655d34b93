"""What the IAM policy must allow for models (``sagectl iam-policy``): models, the registry's
packages they may come from (``latestApproved`` is resolved by listing), and the execution role
passed to SageMaker."""

from __future__ import annotations

from reconciler.iam.tables import Implied, Permissions, Scope, read, write
from reconciler.kinds._aws import PASS_SAGEMAKER, SHARED_SCOPES, SM_LIST, sagemaker_scope
from reconciler.kinds.model.spec import ModelSpec

SM_MODEL, SM_PACKAGE = "sm-model", "sm-model-package"
SM_COMPONENT = "sm-inference-component"
SM_REGISTRY = "sm-central-registry"
"""The versions of groups in other accounts that the specs deploy from (``modelPackageGroupArn``):
reading them takes this identity's permission as well as the group's resource policy. Named by
the specs only (no pattern without specs: sagectl does not guess other accounts)."""

PERMISSIONS = Permissions(
    scopes={
        SM_MODEL: sagemaker_scope("SageMakerModels", "model"),
        SM_PACKAGE: sagemaker_scope("SageMakerModelPackages", "model-package"),
        SM_COMPONENT: sagemaker_scope("SageMakerInferenceComponents", "inference-component"),
        SM_REGISTRY: Scope("SageMakerCentralRegistry", (), per_spec=True),
        SM_LIST: SHARED_SCOPES[SM_LIST],
        PASS_SAGEMAKER: SHARED_SCOPES[PASS_SAGEMAKER],
    },
    operations={
        "sagemaker": {
            "DescribeModel": read(SM_MODEL),
            "DescribeModelPackage": read(SM_PACKAGE, SM_REGISTRY),
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
    """The execution role the model runs with, and the versions of the groups in other accounts
    it deploys from."""
    found: dict[str, list[str]] = {}
    if spec.execution_role_arn:
        found[PASS_SAGEMAKER] = [spec.execution_role_arn]
    groups = [c.model_package_group_arn for c in spec.all_containers()
              if c.model_package_group_arn]
    if groups:
        found[SM_REGISTRY] = [g.replace(":model-package-group/", ":model-package/", 1) + "/*"
                              for g in groups]
    return found
