"""The model registry stays moto's; these are the fixes sagectl needs (pipelines:
``pipelines.py``).

- CreateModelPackageGroup with an existing name fails (moto overwrote the group).
- DeleteModelPackageGroup exists (moto lacks it); a group that still holds model packages cannot
  be deleted.
- Put/Get/DeleteModelPackageGroupPolicy exist (moto lacks them). The policy must be a JSON object
  of at most 20480 characters. Errors use the wording AWS uses (and Terraform's provider matches
  on): "Cannot find Model Package Group: <arn>" and "Cannot find resource policy for: <arn>",
  both ValidationException.
"""

from __future__ import annotations

from typing import Any

from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import SageMakerModelBackend, sagemaker_backends

from reconciler.emulator.dispatch import CallContext, handler, json_object, validation

Params = dict[str, Any]
_original_create_group = SageMakerModelBackend.create_model_package_group


def _create_model_package_group(self: SageMakerModelBackend, model_package_group_name: str,
                                *args: Any, **kwargs: Any) -> str:
    if model_package_group_name in self.model_package_groups:
        arn = self.model_package_groups[model_package_group_name].arn
        raise ValidationError(f"Model Package Group already exists: {arn}")
    return _original_create_group(self, model_package_group_name, *args, **kwargs)


SageMakerModelBackend.create_model_package_group = (  # type: ignore[method-assign]
    _create_model_package_group)


@handler("sagemaker", "DeleteModelPackageGroup")
def delete_model_package_group(ctx: CallContext, params: Params) -> None:
    backend = sagemaker_backends[ctx.account][ctx.region]
    name = params.get("ModelPackageGroupName")
    group = backend.model_package_groups.get(name)
    if group is None:
        raise validation(f"ModelPackageGroup {name} does not exist.")
    packages = [p for p in backend.model_packages.values()
                if getattr(p, "model_package_group_name", None) == name]
    if packages:
        raise validation(f"Model Package Group {name} contains {len(packages)} model "
                         "package(s); delete them before deleting the group.")
    del backend.model_package_groups[name]


# -- resource policies ------------------------------------------------------------------------

POLICY_MAX = 20480


def _group(ctx: CallContext, params: Params) -> Any:
    backend = sagemaker_backends[ctx.account][ctx.region]
    name = params.get("ModelPackageGroupName")
    group = backend.model_package_groups.get(name)
    if group is None:
        arn = f"arn:aws:sagemaker:{ctx.region}:{ctx.account}:model-package-group/{name}"
        raise validation(f"Cannot find Model Package Group: {arn}")
    return group


def _no_policy(group: Any) -> Exception:
    return validation(f"Cannot find resource policy for: {group.arn}")


@handler("sagemaker", "PutModelPackageGroupPolicy")
def put_model_package_group_policy(ctx: CallContext, params: Params) -> Params:
    group = _group(ctx, params)
    policy = params.get("ResourcePolicy")
    if not isinstance(policy, str) or len(policy) > POLICY_MAX:
        raise validation(f"ResourcePolicy must be a string of at most {POLICY_MAX} characters.")
    json_object(policy, "ResourcePolicy", "a policy document is a JSON object")
    group._sagectl_policy = policy
    return {"ModelPackageGroupArn": group.arn}


@handler("sagemaker", "GetModelPackageGroupPolicy")
def get_model_package_group_policy(ctx: CallContext, params: Params) -> Params:
    group = _group(ctx, params)
    policy = getattr(group, "_sagectl_policy", None)
    if policy is None:
        raise _no_policy(group)
    return {"ResourcePolicy": policy}


@handler("sagemaker", "DeleteModelPackageGroupPolicy")
def delete_model_package_group_policy(ctx: CallContext, params: Params) -> None:
    group = _group(ctx, params)
    if getattr(group, "_sagectl_policy", None) is None:
        raise _no_policy(group)
    group._sagectl_policy = None
