"""The model registry stays moto's; these are the fixes sagectl needs (pipelines:
``pipelines.py``).

- CreateModelPackageGroup with an existing name fails (moto overwrote the group).
- DeleteModelPackageGroup exists (moto lacks it); a group that still holds model packages cannot
  be deleted.
- Put/Get/DeleteModelPackageGroupPolicy exist (moto lacks them). The policy must be a JSON object
  of at most 20480 characters. Errors use the wording AWS uses (and Terraform's provider matches
  on): "Cannot find Model Package Group: <arn>" and "Cannot find resource policy for: <arn>",
  both ValidationException.
- DescribeModelPackage answers the required ModelPackageName (moto left it out for versioned
  packages) and names the package, not its ARN, in ModelPackageStatusDetails (the model's
  ``EntityName``, which has no room for an ARN).
- DescribeModelPackageGroup answers the required CreatedBy (moto kept it but left it out), and
  the ``ManagedConfiguration`` the group was created with (moto dropped it; rule 55).
- DeleteModelPackage exists (moto lacks it: HTTP 500); version numbers are never reused.
- ListModelPackages, DescribeModelPackage and DescribeModelPackageGroup given an ARN of another
  account read that account's registry, as its group's resource policy allows
  (``registry_access.py``).
"""

from __future__ import annotations

from typing import Any

from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import ModelPackage, SageMakerModelBackend, sagemaker_backends
from moto.sagemaker.utils import arn_formatter

from sagemaker_emulator.dispatch import CallContext, handler, json_object, validation
from sagemaker_emulator.sagemaker.registry_access import owner_backend

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


# -- model packages ---------------------------------------------------------------------------

def package_name(package: ModelPackage) -> str:
    """The ModelPackageName DescribeModelPackage answers: for a versioned package, the name of
    its group. The model's docs disagree here (the Search shape's ModelPackage says
    '<group>/<version>'), but DescribeModelPackage's ModelPackageName is an ``EntityName``
    (``[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}``, no '/'), so the group's name is the only value both
    allow; it is what moto stores as the package's name too."""
    return str(package.model_package_group_name or package.model_package_name)


@handler("sagemaker", "DescribeModelPackage")
def describe_model_package(ctx: CallContext, params: Params) -> Params:
    backend = owner_backend(ctx, params.get("ModelPackageName"))
    package = backend.describe_model_package(params.get("ModelPackageName"))
    out = package.gen_response_object()
    name = package_name(package)
    out["ModelPackageName"] = name
    details = out.get("ModelPackageStatusDetails") or {}
    out["ModelPackageStatusDetails"] = {
        key: [{**item, "Name": name} for item in items] for key, items in details.items()}
    return out  # type: ignore[no-any-return]


MANAGED = "_sagectl_managed_configuration"
"""Group attribute: the ManagedConfiguration of CreateModelPackageGroup (None: none)."""


@handler("sagemaker", "CreateModelPackageGroup")
def create_model_package_group(ctx: CallContext, params: Params) -> Params:
    backend = sagemaker_backends[ctx.account][ctx.region]
    name = params.get("ModelPackageGroupName")
    arn = backend.create_model_package_group(
        model_package_group_name=name,
        model_package_group_description=params.get("ModelPackageGroupDescription"),
        tags=params.get("Tags"))
    setattr(backend.model_package_groups[name], MANAGED, params.get("ManagedConfiguration"))
    return {"ModelPackageGroupArn": arn}


@handler("sagemaker", "DescribeModelPackageGroup")
def describe_model_package_group(ctx: CallContext, params: Params) -> Params:
    backend = owner_backend(ctx, params.get("ModelPackageGroupName"))
    name = str(params.get("ModelPackageGroupName"))
    group = backend.describe_model_package_group(name.rsplit("/", 1)[-1] if name.startswith(
        "arn:") else name)
    out = group.gen_response_object()
    out.pop("Tags", None)  # ListTags has them; DescribeModelPackageGroup does not
    # What AWS puts in CreatedBy for a caller outside SageMaker Studio is not documented;
    # moto's own value for the group (the same as its packages' CreatedBy) is answered.
    out["CreatedBy"] = dict(group.created_by)
    managed = getattr(group, MANAGED, None)
    if managed:
        out["ManagedConfiguration"] = dict(managed)
    return out  # type: ignore[no-any-return]


def _versioned_arn(backend: SageMakerModelBackend, group: str, version: int) -> str:
    return arn_formatter("model-package", f"{group.lower()}/{version}", backend.account_id,
                         backend.region_name)


def _versions(backend: SageMakerModelBackend, group: str) -> dict[int, str]:
    return {p.model_package_version: arn for arn, p in backend.model_packages.items()
            if p.model_package_group_name == group and p.model_package_version}


_original_create_package = SageMakerModelBackend.create_model_package


def _create_model_package(self: SageMakerModelBackend, **kwargs: Any) -> str:
    """moto numbers a new version ``count + 1``: after a deletion that reuses a number (and
    overwrites the package that has it). AWS never reuses one: the new version is 1 + the
    highest the group ever had."""
    name = kwargs.get("model_package_group_name")
    group = self.model_package_groups.get(name) if name else None
    if group is None:
        return _original_create_package(self, **kwargs)  # type: ignore[no-any-return]
    versions = _versions(self, name)
    highest = max([*versions, getattr(group, "_sagectl_highest_version", 0)])
    moto_arn = _versioned_arn(self, name, len(versions) + 1)
    clash = self.model_packages.pop(moto_arn, None)
    arn = _original_create_package(self, **kwargs)
    if highest == len(versions):
        return arn  # type: ignore[no-any-return]
    package = self.model_packages.pop(arn)
    if clash is not None:
        self.model_packages[moto_arn] = clash
    package.model_package_version = highest + 1
    package.arn = _versioned_arn(self, name, highest + 1)
    for items in package.model_package_status_details.values():
        for item in items:
            item["Name"] = package.arn
    self.model_packages[package.arn] = package
    if clash is None:
        self.model_package_name_mapping.pop(arn, None)
    self.model_package_name_mapping[package.arn] = package.arn
    self.model_package_name_mapping[name] = package.arn
    return package.arn  # type: ignore[no-any-return]


SageMakerModelBackend.create_model_package = (  # type: ignore[method-assign]
    _create_model_package)


@handler("sagemaker", "DeleteModelPackage")
def delete_model_package(ctx: CallContext, params: Params) -> None:
    """Deletes a package by ARN, a version also by ``<group>/<version>``, an unversioned package
    also by name (a group's name alone is no package's name: moto's lookups take it for the
    latest version, a deletion does not). What AWS answers for a package that does not exist
    is not documented; the emulator answers what AWS is seen to answer DescribeModelPackage
    then ("ModelPackage <arn> does not exist.", ValidationException)."""
    backend = sagemaker_backends[ctx.account][ctx.region]
    wanted = str(params.get("ModelPackageName"))
    name, _, version = wanted.partition("/")
    if wanted.startswith("arn:"):
        arn = wanted
    elif version.isdigit():
        arn = _versioned_arn(backend, name, int(version))
    else:
        arn = arn_formatter("model-package", wanted.lower(), ctx.account, ctx.region)
    package = backend.model_packages.get(arn)
    if package is None:
        raise validation(f"ModelPackage {arn} does not exist.")
    del backend.model_packages[arn]
    for key in [k for k, v in backend.model_package_name_mapping.items() if v == arn]:
        del backend.model_package_name_mapping[key]
    group_name = package.model_package_group_name
    group = backend.model_package_groups.get(group_name) if group_name else None
    if group is not None:
        group._sagectl_highest_version = max(getattr(group, "_sagectl_highest_version", 0),
                                             package.model_package_version or 0)
        remaining = _versions(backend, group_name)
        if remaining:  # the group's name keeps meaning its latest version, as in moto
            backend.model_package_name_mapping[group_name] = remaining[max(remaining)]


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
