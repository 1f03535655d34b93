"""The model registry and pipelines stay moto's; these are the fixes sagectl needs.

- CreateModelPackageGroup with an existing name fails (moto overwrote the group).
- DeleteModelPackageGroup exists (moto lacks it); a group that still holds model packages cannot
  be deleted.
"""

from __future__ import annotations

from typing import Any

from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import SageMakerModelBackend, sagemaker_backends

from reconciler.emulator.dispatch import CallContext, handler, validation

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
