"""SageMaker hosting in the emulator, driven through boto3 as the reconciler will drive it.

Tests are named after the rule they model (../shared/notes/sagemaker-rules.md numbering) or the
moto misbehaviour they fix (../shared/notes/emulator-facts.md).
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from sagemaker_emulator import Emulator
from tests.emulator.helpers import ROLE, config, endpoint, error_code, model, status, variant


def test_rule1_models_and_configs_are_immutable_and_duplicates_fail(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    model(sm)
    config(sm, "c1")
    endpoint(emu, sm)
    for call, kwargs, text in [
        (sm.create_model, {"ModelName": "m1", "PrimaryContainer": {"Image": "x"}},
         'Cannot create already existing model "arn:aws:sagemaker:us-east-1:123456789012:model/m1".'),
        (sm.create_endpoint_config, {"EndpointConfigName": "c1",
                                     "ProductionVariants": [variant()]},
         "Cannot create already existing endpoint configuration"),
        (sm.create_endpoint, {"EndpointName": "ep", "EndpointConfigName": "c1"},
         "Cannot create already existing endpoint"),
    ]:
        with pytest.raises(ClientError) as exc:
            call(**kwargs)
        assert error_code(exc.value) == "ValidationException"
        assert text in str(exc.value)
    assert not hasattr(sm, "update_model") and not hasattr(sm, "update_endpoint_config")


def test_current_instance_types_are_accepted(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    model(sm)
    for i, itype in enumerate(["ml.g5.2xlarge", "ml.m6i.xlarge", "ml.inf2.xlarge",
                               "ml.p4d.24xlarge", "ml.p6-b200.48xlarge"]):
        config(sm, f"c{i}", variant(instance=itype))
    with pytest.raises(ClientError) as exc:
        config(sm, "bad", variant(instance="m5.large"))
    assert error_code(exc.value) == "ValidationException"


def test_configs_keep_every_field_and_models_have_no_empty_vpc(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    model(sm)
    model(sm, "m2")
    config(sm, "c1", variant(), ShadowProductionVariants=[variant("shadow", "m2", 1)],
           ExecutionRoleArn=ROLE, EnableNetworkIsolation=True,
           VpcConfig={"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-1"]},
           DataCaptureConfig={"InitialSamplingPercentage": 10, "DestinationS3Uri": "s3://b/c",
                              "CaptureOptions": [{"CaptureMode": "Input"}]})
    desc = sm.describe_endpoint_config(EndpointConfigName="c1")
    assert desc["ShadowProductionVariants"][0]["VariantName"] == "shadow"
    assert desc["ExecutionRoleArn"] == ROLE and desc["EnableNetworkIsolation"] is True
    assert desc["VpcConfig"] == {"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-1"]}
    assert desc["ProductionVariants"][0]["InitialVariantWeight"] == 1.0
    assert "VpcConfig" not in sm.describe_model(ModelName="m1")


def test_config_validation(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    model(sm)
    cases = [
        ([variant(model_name="nope")], 'Could not find model "arn:aws:sagemaker:us-east-1:'),
        ([variant(f"v{i}") for i in range(11)], "length between 1 and 10"),
        ([variant("a"), variant("a")], "Variant names must be unique"),
        ([variant(weight=0)], "non-zero InitialVariantWeight"),
        ([{"VariantName": "s", "ModelName": "m1",
           "ServerlessConfig": {"MemorySizeInMB": 3000, "MaxConcurrency": 5}}],
         "Invalid MemorySizeInMB 3000"),
        ([{"VariantName": "s", "ModelName": "m1",
           "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5}}, variant()],
         "exactly one variant"),
    ]
    for i, (variants, text) in enumerate(cases):
        with pytest.raises(ClientError) as exc:
            sm.create_endpoint_config(EndpointConfigName=f"bad{i}", ProductionVariants=variants)
        assert error_code(exc.value) == "ValidationException"
        assert text in str(exc.value), (i, str(exc.value))


def test_rule13_names_follow_the_sagemaker_pattern(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    for name in ("bad_name", "-x", "x" * 64):
        with pytest.raises(ClientError) as exc:
            sm.create_model(ModelName=name, PrimaryContainer={"Image": "x"})
        assert error_code(exc.value) == "ValidationException"


def test_endpoint_creation_takes_time_on_the_clock(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    model(sm)
    config(sm, "c1")
    endpoint(emu, sm, in_service=False)
    emu.advance(emu.durations.create - 1)
    assert status(sm) == "Creating"
    emu.advance(1)
    desc = sm.describe_endpoint(EndpointName="ep")
    assert desc["EndpointStatus"] == "InService"
    assert desc["ProductionVariants"] == [{"VariantName": "main", "CurrentWeight": 1.0,
                                           "DesiredWeight": 1.0, "CurrentInstanceCount": 2,
                                           "DesiredInstanceCount": 2}]


def test_time_factor_scales_real_time(emu: Emulator) -> None:
    import time

    sm = emu.client("sagemaker")
    model(sm)
    config(sm, "c1")
    emu.set_time_factor(0.001)  # 360 simulated seconds -> 0.36 s
    sm.create_endpoint(EndpointName="ep", EndpointConfigName="c1")
    assert status(sm) == "Creating"
    deadline = time.monotonic() + 5
    while status(sm) != "InService":
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_deleting_takes_time_then_the_endpoint_is_gone(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    model(sm)
    config(sm, "c1")
    endpoint(emu, sm)
    sm.delete_endpoint(EndpointName="ep")
    assert status(sm) == "Deleting"
    emu.advance(emu.durations.delete)
    with pytest.raises(ClientError) as exc:
        sm.describe_endpoint(EndpointName="ep")
    assert 'Could not find endpoint "arn:aws:sagemaker:us-east-1:123456789012:endpoint/ep"' \
        in str(exc.value)


def test_rule3_a_config_in_use_can_be_deleted_as_on_aws(emu: Emulator) -> None:
    # AWS allows it; that is why sagectl must never do it (rule 3). The emulator must not be
    # kinder than AWS, or tests would not catch sagectl doing it.
    sm = emu.client("sagemaker")
    model(sm)
    config(sm, "c1")
    endpoint(emu, sm)
    sm.delete_endpoint_config(EndpointConfigName="c1")
    assert sm.describe_endpoint(EndpointName="ep")["EndpointConfigName"] == "c1"


def test_failed_create_is_injectable(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    model(sm)
    config(sm, "c1")
    emu.fail_next_create("ep", "image not found")
    endpoint(emu, sm, in_service=False)
    emu.advance(emu.durations.create)
    desc = sm.describe_endpoint(EndpointName="ep")
    assert (desc["EndpointStatus"], desc["FailureReason"]) == ("Failed", "image not found")


def test_list_endpoints_paginates_filters_and_sorts(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    model(sm)
    config(sm, "c1")
    emu.freeze()
    for i in range(25):
        sm.create_endpoint(EndpointName=f"ep-{i:02d}", EndpointConfigName="c1")
        emu.advance(1)
    names = [e["EndpointName"] for page in sm.get_paginator("list_endpoints").paginate(
        PaginationConfig={"PageSize": 7}) for e in page["Endpoints"]]
    assert names == [f"ep-{i:02d}" for i in reversed(range(25))]  # newest first, each once
    emu.advance(emu.durations.create - 25)  # only ep-00 (created first) is InService
    assert len(sm.list_endpoints(StatusEquals="InService", MaxResults=100)["Endpoints"]) == 1
    found = sm.list_endpoints(NameContains="EP-1", SortBy="Name", SortOrder="Ascending")
    assert [e["EndpointName"] for e in found["Endpoints"]] == [f"ep-1{i}" for i in range(10)]


def test_list_models_paginates_and_filters(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    for i in range(30):
        model(sm, f"model-{i:02d}")
    names = [m["ModelName"] for page in sm.get_paginator("list_models").paginate(
        PaginationConfig={"PageSize": 8}) for m in page["Models"]]
    assert sorted(names) == [f"model-{i:02d}" for i in range(30)] and len(set(names)) == 30
    assert len(sm.list_models(NameContains="model-2", MaxResults=100)["Models"]) == 10


def test_tags_overwrite_and_unknown_arns_answer_like_aws(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    arn = sm.create_model(ModelName="m1", PrimaryContainer={"Image": "x"},
                          Tags=[{"Key": "owner", "Value": "a"}])["ModelArn"]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "owner", "Value": "b"},
                                       {"Key": "team", "Value": "x"}])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "owner", "Value": "b"},
                                                     {"Key": "team", "Value": "x"}]
    sm.delete_tags(ResourceArn=arn, TagKeys=["team"])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "owner", "Value": "b"}]
    for bad in ("arn:aws:sagemaker:us-east-1:123456789012:endpoint/nope",
                "arn:aws:sagemaker:us-east-1:123456789012:pipeline/nope", "not-an-arn"):
        with pytest.raises(ClientError) as exc:
            sm.list_tags(ResourceArn=bad)
        assert error_code(exc.value) == "ValidationException", bad


def test_tags_on_registry_resources_overwrite_too(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    arn = sm.create_model_package_group(ModelPackageGroupName="g",
                                        Tags=[{"Key": "k", "Value": "1"}])["ModelPackageGroupArn"]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "k", "Value": "2"}])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "k", "Value": "2"}]


def test_duplicate_model_package_group_fails_and_groups_can_be_deleted(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName="g")
    with pytest.raises(ClientError) as exc:
        sm.create_model_package_group(ModelPackageGroupName="g")
    assert error_code(exc.value) == "ValidationException"
    sm.delete_model_package_group(ModelPackageGroupName="g")
    assert sm.list_model_package_groups()["ModelPackageGroupSummaryList"] == []
    with pytest.raises(ClientError):
        sm.delete_model_package_group(ModelPackageGroupName="g")
