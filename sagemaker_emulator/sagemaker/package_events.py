"""The "SageMaker Model Package State Change" event, sent to EventBridge (``event_delivery.emit``).

dg/automating-sagemaker-with-eventbridge, "Model package state change": "Indicates a change in
the status of a SageMaker model package", with an example event (``source`` ``aws.sagemaker``,
``resources`` the package ARN, ``detail`` the package's ``ModelPackageGroupName``,
``ModelPackageVersion``, ``ModelPackageArn``, ``CreationTime``, ``InferenceSpecification``,
``ModelPackageStatus``, ``ModelPackageStatusDetails``, ``CertifyForMarketplace``,
``ModelApprovalStatus``, ``MetadataProperties``, ``ModelMetrics``, ``LastModifiedTime``, times as
``2021-02-24T17:00:14Z``); dg/model-registry-approve: a change of a version's approval status "can
initiate CI/CD deployment"; and "SageMaker AI may send multiple events to EventBridge for each
state change" (the emulator sends one).

The emulator sends one event when a versioned package is created (it is ``Completed`` at once
here) and one when UpdateModelPackage changes its ``ModelApprovalStatus``; the detail carries the
example's members the package has, and ``ModelPackageDescription`` when it has one (the event's
schema, as the CDK's generated ``SageMakerModelPackageStateChange`` pattern lists it). Not
documented, so not sent: events for unversioned packages, for an UpdateModelPackage that leaves
the approval status as it was, for deletions.

Fixes to moto's UpdateModelPackage, which replaced what it was not given: an omitted
``ModelApprovalStatus`` or ``ApprovalDescription`` keeps the package's, and
``CustomerMetadataProperties`` are added to the package's (``CustomerMetadataPropertiesToRemove``
removes keys), not put in their place.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from moto.sagemaker.models import ModelPackage, SageMakerModelBackend

from sagemaker_emulator import event_delivery
from sagemaker_emulator.sagemaker import registry

DETAIL_TYPE = "SageMaker Model Package State Change"
DETAIL_MEMBERS = ("ModelPackageGroupName", "ModelPackageVersion", "ModelPackageArn",
                  "ModelPackageDescription", "CreationTime", "InferenceSpecification",
                  "ModelPackageStatus", "ModelPackageStatusDetails", "CertifyForMarketplace",
                  "ModelApprovalStatus", "MetadataProperties", "ModelMetrics",
                  "LastModifiedTime")


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def detail(package: ModelPackage) -> dict[str, Any]:
    found = package.gen_response_object()
    found.setdefault("LastModifiedTime", found.get("CreationTime"))
    name = registry.package_name(package)
    found["ModelPackageStatusDetails"] = {
        key: [{**item, "Name": name} for item in items]
        for key, items in (found.get("ModelPackageStatusDetails") or {}).items()}
    return {k: _iso(found[k]) for k in DETAIL_MEMBERS if found.get(k) is not None}


def announce(backend: SageMakerModelBackend, package: ModelPackage) -> None:
    if not package.model_package_version:
        return
    event_delivery.emit(backend.account_id, backend.region_name, "aws.sagemaker", DETAIL_TYPE,
                        [package.arn], detail(package))


_prior_create = SageMakerModelBackend.create_model_package
_prior_update = SageMakerModelBackend.update_model_package


def _create_model_package(self: SageMakerModelBackend, **kwargs: Any) -> str:
    arn = _prior_create(self, **kwargs)
    package = self.model_packages.get(arn)
    if package is not None:
        announce(self, package)
    return arn  # type: ignore[no-any-return]


def _update_model_package(self: SageMakerModelBackend, **kwargs: Any) -> str:
    wanted = kwargs.get("model_package_arn")
    package = self.model_packages.get(self.model_package_name_mapping.get(wanted, wanted))
    before = package.model_approval_status if package is not None else None
    if package is not None:
        for key, attr in (("model_approval_status", "model_approval_status"),
                          ("approval_description", "approval_description")):
            if kwargs.get(key) is None:
                kwargs[key] = getattr(package, attr)
        if kwargs.get("customer_metadata_properties") is not None:
            kwargs["customer_metadata_properties"] = {
                **(package.customer_metadata_properties or {}),
                **kwargs["customer_metadata_properties"]}
        else:
            kwargs["customer_metadata_properties"] = package.customer_metadata_properties
    arn = _prior_update(self, **kwargs)
    if package is not None and package.model_approval_status != before:
        announce(self, package)
    return arn  # type: ignore[no-any-return]


SageMakerModelBackend.create_model_package = (  # type: ignore[method-assign]
    _create_model_package)
SageMakerModelBackend.update_model_package = (  # type: ignore[method-assign]
    _update_model_package)
