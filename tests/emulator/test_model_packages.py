"""Model packages and groups as described by the emulator (moto's, fixed): the members the model
requires, DeleteModelPackage (moto has none), and version numbers that are never reused."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from sagemaker_emulator import Emulator
from tests.emulator.helpers import error_code

PACKAGE_ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/"
SPEC = {"Containers": [{"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud:1"}],
        "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]}


@pytest.fixture
def sm(emu: Emulator) -> Any:
    client = emu.client("sagemaker")
    client.create_model_package_group(ModelPackageGroupName="fraud")
    return client


def register(sm: Any) -> str:
    return sm.create_model_package(ModelPackageGroupName="fraud", InferenceSpecification=SPEC,
                                   ModelApprovalStatus="Approved")["ModelPackageArn"]


def versions(sm: Any) -> list[int]:
    listed = sm.list_model_packages(ModelPackageGroupName="fraud", SortOrder="Ascending")
    return [p["ModelPackageVersion"] for p in listed["ModelPackageSummaryList"]]


def test_a_versioned_package_is_named_after_its_group(sm: Any) -> None:
    arn = register(sm)
    described = sm.describe_model_package(ModelPackageName=arn)
    assert (described["ModelPackageName"], described["ModelPackageGroupName"],
            described["ModelPackageVersion"], described["ModelPackageArn"]) == (
        "fraud", "fraud", 1, PACKAGE_ARN + "fraud/1")
    statuses = described["ModelPackageStatusDetails"]["ValidationStatuses"]
    assert statuses == [{"Name": "fraud", "Status": "Completed"}]
    unversioned = sm.create_model_package(ModelPackageName="scorer", InferenceSpecification=SPEC)
    assert sm.describe_model_package(ModelPackageName="scorer")["ModelPackageName"] == "scorer"
    assert unversioned["ModelPackageArn"] == PACKAGE_ARN + "scorer"


def test_a_group_says_who_created_it(sm: Any) -> None:
    described = sm.describe_model_package_group(ModelPackageGroupName="fraud")
    assert isinstance(described["CreatedBy"], dict)
    assert "Tags" not in described


def test_delete_model_package_never_reuses_a_version(sm: Any) -> None:
    first, second, third = register(sm), register(sm), register(sm)
    sm.delete_model_package(ModelPackageName=second)
    assert versions(sm) == [1, 3]
    with pytest.raises(ClientError) as exc:
        sm.describe_model_package(ModelPackageName=second)
    assert error_code(exc.value) == "ValidationException"
    assert register(sm) == PACKAGE_ARN + "fraud/4"  # moto would have made a second version 3
    assert sm.describe_model_package(ModelPackageName=third)["ModelPackageVersion"] == 3
    with pytest.raises(ClientError) as exc:
        sm.delete_model_package(ModelPackageName="fraud")  # a group, not a package
    assert exc.value.response["Error"]["Message"] == f"ModelPackage {PACKAGE_ARN}fraud does not exist."
    sm.delete_model_package(ModelPackageName="fraud/4")
    assert register(sm) == PACKAGE_ARN + "fraud/5"
    with pytest.raises(ClientError) as exc:
        sm.delete_model_package(ModelPackageName=second)
    assert (error_code(exc.value), exc.value.response["Error"]["Message"]) == (
        "ValidationException", f"ModelPackage {second} does not exist.")
    for arn in (first, third, PACKAGE_ARN + "fraud/5"):
        sm.delete_model_package(ModelPackageName=arn)
    assert versions(sm) == []
    sm.delete_model_package_group(ModelPackageGroupName="fraud")  # empty now


def test_an_unversioned_package_is_deleted_by_name(sm: Any) -> None:
    sm.create_model_package(ModelPackageName="scorer", InferenceSpecification=SPEC)
    sm.delete_model_package(ModelPackageName="scorer")
    with pytest.raises(ClientError) as exc:
        sm.delete_model_package(ModelPackageName="scorer")
    assert exc.value.response["Error"]["Message"] == (
        f"ModelPackage {PACKAGE_ARN}scorer does not exist.")
