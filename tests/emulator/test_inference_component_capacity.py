"""Where inference component copies go, copy count changes, Application Auto Scaling of copy
counts and tags (sagemaker-rules.md rules 34, 35, 38 and 39)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from sagemaker_emulator import Emulator
from tests.emulator.components_helpers import (
    component,
    copies,
    ic_endpoint,
    ic_status,
    in_service,
    spec,
)
from tests.emulator.helpers import error_code

COPY = "sagemaker:inference-component:DesiredCopyCount"


def instances(sm: object) -> int:
    variant = sm.describe_endpoint(EndpointName="llm")["ProductionVariants"][0]  # type: ignore[attr-defined]
    assert variant["CurrentInstanceCount"] == variant["DesiredInstanceCount"]
    return int(variant["CurrentInstanceCount"])


# -- rule 34: placement ---------------------------------------------------------------------------

def test_rule_34_ec2_describes_the_instance_types(emu: Emulator) -> None:
    ec2 = emu.client("ec2")
    found = ec2.describe_instance_types(InstanceTypes=["g5.12xlarge"])["InstanceTypes"][0]
    assert found["GpuInfo"]["Gpus"][0]["Count"] == 4
    assert found["VCpuInfo"]["DefaultVCpus"] == 48


def test_rule_34_managed_instance_scaling_adds_instances_for_copies(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    ic_endpoint(emu, sm, low=1, high=2)  # ml.g5.12xlarge: 4 GPUs each
    assert instances(sm) == 1
    in_service(emu, sm, copies=4)  # 4 copies x 2 GPUs: 2 instances
    assert copies(sm) == (4, 4)
    assert instances(sm) == 2


def test_rule_34_copies_that_do_not_fit_fail_the_create(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    ic_endpoint(emu, sm, low=1, high=2)
    in_service(emu, sm, copies=2)  # one instance's 4 GPUs
    component(sm, "big", copies=3)  # 3 x 2 GPUs more: 2 fit on the second instance
    emu.advance(emu.durations.component_create)
    described = sm.describe_inference_component(InferenceComponentName="big")
    assert described["InferenceComponentStatus"] == "Failed"
    assert described["RuntimeConfig"] == {"DesiredCopyCount": 3, "CurrentCopyCount": 0}
    assert described["FailureReason"] == (
        "Insufficient capacity: 3 copies of inference component big (2 accelerator devices, "
        "1024 MB of memory each, 2 per ml.g5.12xlarge) need 2 x ml.g5.12xlarge on their own; "
        "the variant can have at most 2 instance(s), which with the other components' copies "
        "hold 2 of them.")
    assert instances(sm) == 1  # the failed component holds nothing


def test_rule_34_without_managed_scaling_the_instance_count_is_the_limit(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    ic_endpoint(emu, sm, count=1, high=None)
    component(sm, copies=3)
    emu.advance(emu.durations.component_create)
    assert ic_status(sm) == "Failed"
    assert "at most 1 instance(s)" in sm.describe_inference_component(
        InferenceComponentName="base")["FailureReason"]


def test_rule_34_a_copy_larger_than_an_instance(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    ic_endpoint(emu, sm)
    component(sm, specification=spec(gpus=8))
    emu.advance(emu.durations.component_create)
    assert sm.describe_inference_component(InferenceComponentName="base")["FailureReason"] == (
        "One copy of inference component base needs 8 accelerator devices, 1024 MB of memory; "
        "one ml.g5.12xlarge offers 4 accelerator devices, 48 CPU cores, 196608 MB of memory.")


# -- rule 35: copy counts ---------------------------------------------------------------------------

def test_rule_35_runtime_config_changes_copies_on_the_clock(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    ic_endpoint(emu, sm, low=0, high=2)
    in_service(emu, sm, copies=1)
    sm.update_inference_component_runtime_config(InferenceComponentName="base",
                                                 DesiredRuntimeConfig={"CopyCount": 3})
    assert ic_status(sm) == "Updating"
    assert copies(sm) == (3, 1)
    emu.advance(emu.durations.component_copies)
    assert ic_status(sm) == "InService"
    assert copies(sm) == (3, 3)
    assert instances(sm) == 2


def test_rule_35_scale_to_zero_releases_the_instances(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    ic_endpoint(emu, sm, low=0, high=2)
    in_service(emu, sm, copies=1)
    assert instances(sm) == 1
    sm.update_inference_component_runtime_config(InferenceComponentName="base",
                                                 DesiredRuntimeConfig={"CopyCount": 0})
    emu.advance(emu.durations.component_copies)
    assert copies(sm) == (0, 0)
    assert instances(sm) == 0


def test_rule_35_copies_beyond_capacity_stay_pending(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    ic_endpoint(emu, sm, low=1, high=2)
    in_service(emu, sm, copies=1)
    sm.update_inference_component_runtime_config(InferenceComponentName="base",
                                                 DesiredRuntimeConfig={"CopyCount": 5})
    emu.advance(emu.durations.component_copies)
    described = sm.describe_inference_component(InferenceComponentName="base")
    assert described["InferenceComponentStatus"] == "InService"
    assert described["RuntimeConfig"] == {"DesiredCopyCount": 5, "CurrentCopyCount": 4}
    assert "hold 4 of them" in described["FailureReason"]


# -- rule 38: Application Auto Scaling of copy counts ------------------------------------------------

def test_rule_38_copy_counts_are_a_scalable_dimension(emu: Emulator) -> None:
    sm, aas = emu.client("sagemaker"), emu.client("application-autoscaling")
    ic_endpoint(emu, sm, low=0, high=2)
    in_service(emu, sm, copies=1)
    aas.register_scalable_target(ServiceNamespace="sagemaker", ResourceId="inference-component/base",
                                 ScalableDimension=COPY, MinCapacity=0, MaxCapacity=4)
    policy = aas.put_scaling_policy(
        PolicyName="per-copy", ServiceNamespace="sagemaker",
        ResourceId="inference-component/base", ScalableDimension=COPY,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 5.0, "PredefinedMetricSpecification": {
                "PredefinedMetricType":
                    "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution"}})
    assert policy["PolicyARN"]
    emu.scale_component("base", 3)
    assert copies(sm) == (3, 3)
    assert ic_status(sm) == "InService"
    targets = aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    assert [(t["ResourceId"], t["MinCapacity"]) for t in targets] == [
        ("inference-component/base", 0)]


def test_rule_38_registering_brings_the_copy_count_into_range(emu: Emulator) -> None:
    sm, aas = emu.client("sagemaker"), emu.client("application-autoscaling")
    ic_endpoint(emu, sm)
    in_service(emu, sm, copies=1)
    aas.register_scalable_target(ServiceNamespace="sagemaker", ResourceId="inference-component/base",
                                 ScalableDimension=COPY, MinCapacity=2, MaxCapacity=4)
    assert copies(sm) == (2, 2)


def test_rule_38_refusals(emu: Emulator) -> None:
    sm, aas = emu.client("sagemaker"), emu.client("application-autoscaling")
    ic_endpoint(emu, sm)
    for resource, dimension in (("inference-component/ghost", COPY),
                                ("endpoint/llm/variant/main", COPY),
                                ("inference-component/base",
                                 "sagemaker:variant:DesiredInstanceCount")):
        with pytest.raises(ClientError) as info:
            aas.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=resource,
                                         ScalableDimension=dimension, MinCapacity=0,
                                         MaxCapacity=2)
        assert error_code(info.value) == "ValidationException"


def test_rule_38_deleting_a_component_keeps_its_target(emu: Emulator) -> None:
    sm, aas = emu.client("sagemaker"), emu.client("application-autoscaling")
    ic_endpoint(emu, sm)
    in_service(emu, sm)
    aas.register_scalable_target(ServiceNamespace="sagemaker", ResourceId="inference-component/base",
                                 ScalableDimension=COPY, MinCapacity=1, MaxCapacity=2)
    sm.delete_inference_component(InferenceComponentName="base")
    emu.advance(emu.durations.component_delete)
    assert len(aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]) == 1


# -- rule 39: tags -------------------------------------------------------------------------------

def test_rule_39_components_are_tagged_like_the_other_kinds(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    ic_endpoint(emu, sm)
    component(sm, Tags=[{"Key": "owner", "Value": "team-a"}])
    arn = sm.describe_inference_component(InferenceComponentName="base")["InferenceComponentArn"]
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "owner", "Value": "team-a"}]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "owner", "Value": "team-b"},
                                       {"Key": "env", "Value": "prod"}])
    sm.delete_tags(ResourceArn=arn, TagKeys=["env"])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "owner", "Value": "team-b"}]
    found = emu.client("resourcegroupstaggingapi").get_resources(
        ResourceTypeFilters=["sagemaker:inference-component"])["ResourceTagMappingList"]
    assert [(r["ResourceARN"], r["Tags"]) for r in found] == [
        (arn, [{"Key": "owner", "Value": "team-b"}])]
