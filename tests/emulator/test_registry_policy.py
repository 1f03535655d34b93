"""Model package group resource policies (moto has none): put, get, delete, and AWS's errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sagemaker_emulator import Emulator
from tests.emulator.helpers import error_code

GROUP_ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package-group/fraud"
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Sid": "ShareWithProd", "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
    "Action": ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"],
    "Resource": [GROUP_ARN, "arn:aws:sagemaker:us-east-1:123456789012:model-package/fraud/*"]}]})


@pytest.fixture
def sm(emu: Emulator) -> Any:
    client = emu.client("sagemaker")
    client.create_model_package_group(ModelPackageGroupName="fraud")
    return client


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return error_code(exc.value), exc.value.response["Error"]["Message"]


def test_put_get_delete_round_trip(sm: Any) -> None:
    put = sm.put_model_package_group_policy(ModelPackageGroupName="fraud", ResourcePolicy=POLICY)
    assert put["ModelPackageGroupArn"] == GROUP_ARN
    assert sm.get_model_package_group_policy(ModelPackageGroupName="fraud")[
        "ResourcePolicy"] == POLICY
    changed = json.dumps({**json.loads(POLICY), "Statement": []})
    sm.put_model_package_group_policy(ModelPackageGroupName="fraud", ResourcePolicy=changed)
    assert sm.get_model_package_group_policy(ModelPackageGroupName="fraud")[
        "ResourcePolicy"] == changed
    sm.delete_model_package_group_policy(ModelPackageGroupName="fraud")
    with pytest.raises(ClientError) as exc:
        sm.get_model_package_group_policy(ModelPackageGroupName="fraud")
    assert error(exc) == ("ValidationException", f"Cannot find resource policy for: {GROUP_ARN}")


def test_get_or_delete_without_a_policy_is_an_error(sm: Any) -> None:
    for call in (sm.get_model_package_group_policy, sm.delete_model_package_group_policy):
        with pytest.raises(ClientError) as exc:
            call(ModelPackageGroupName="fraud")
        assert error(exc) == ("ValidationException",
                              f"Cannot find resource policy for: {GROUP_ARN}")


@pytest.mark.parametrize("policy", ['{"Version": "2012-10-17", ', "[]", "not json", '"text"'])
def test_a_policy_must_be_a_json_document(sm: Any, policy: str) -> None:
    with pytest.raises(ClientError) as exc:
        sm.put_model_package_group_policy(ModelPackageGroupName="fraud", ResourcePolicy=policy)
    code, message = error(exc)
    assert code == "ValidationException"
    assert message.startswith("Invalid ResourcePolicy")
    with pytest.raises(ClientError):  # nothing was stored
        sm.get_model_package_group_policy(ModelPackageGroupName="fraud")


def test_an_unknown_group_is_an_error(sm: Any) -> None:
    calls = (lambda: sm.put_model_package_group_policy(ModelPackageGroupName="nope",
                                                       ResourcePolicy=POLICY),
             lambda: sm.get_model_package_group_policy(ModelPackageGroupName="nope"),
             lambda: sm.delete_model_package_group_policy(ModelPackageGroupName="nope"))
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert error(exc) == ("ValidationException", "Cannot find Model Package Group: "
                              "arn:aws:sagemaker:us-east-1:123456789012:model-package-group/nope")


def test_the_policy_goes_with_its_group(sm: Any) -> None:
    sm.put_model_package_group_policy(ModelPackageGroupName="fraud", ResourcePolicy=POLICY)
    sm.delete_model_package_group(ModelPackageGroupName="fraud")
    sm.create_model_package_group(ModelPackageGroupName="fraud")
    with pytest.raises(ClientError) as exc:
        sm.get_model_package_group_policy(ModelPackageGroupName="fraud")
    assert error(exc)[1].startswith("Cannot find resource policy")
