"""Application Auto Scaling in the emulator (sagemaker-rules.md item 8; moto's bugs fixed)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from sagemaker_emulator import Emulator
from tests.emulator.helpers import config, endpoint, error_code, model, variant

DIM = "sagemaker:variant:DesiredInstanceCount"
PC_DIM = "sagemaker:variant:DesiredProvisionedConcurrency"


@pytest.fixture
def aas(emu: Emulator) -> Any:
    sm = emu.client("sagemaker")
    model(sm)
    config(sm, "c1", variant("v", count=2), variant("v2", count=2))
    endpoint(emu, sm)
    return emu.client("application-autoscaling")


def register(aas: Any, rid: str = "endpoint/ep/variant/v", low: int = 1, high: int = 4,
             dim: str = DIM) -> Any:
    return aas.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=rid,
                                        ScalableDimension=dim, MinCapacity=low, MaxCapacity=high)


def policy(aas: Any, name: str = "tt", rid: str = "endpoint/ep/variant/v") -> Any:
    return aas.put_scaling_policy(
        PolicyName=name, ServiceNamespace="sagemaker", ResourceId=rid, ScalableDimension=DIM,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 70.0, "ScaleInCooldown": 300, "ScaleOutCooldown": 60,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}})


def test_register_describe_and_update_in_place(aas: Any) -> None:
    arn = register(aas)["ScalableTargetARN"]
    assert arn.startswith("arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/")
    aas.register_scalable_target(ServiceNamespace="sagemaker", ResourceId="endpoint/ep/variant/v",
                                 ScalableDimension=DIM, MaxCapacity=8)  # only max changes
    (target,) = aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    assert (target["MinCapacity"], target["MaxCapacity"], target["ScalableTargetARN"]) == (1, 8, arn)


def test_min_above_max_is_rejected(aas: Any) -> None:
    with pytest.raises(ClientError) as exc:
        register(aas, low=5, high=2)
    assert error_code(exc.value) == "ValidationException"
    assert "cannot be larger than maximum capacity" in str(exc.value)


def test_new_target_needs_min_and_max(aas: Any) -> None:
    with pytest.raises(ClientError) as exc:
        aas.register_scalable_target(ServiceNamespace="sagemaker",
                                     ResourceId="endpoint/ep/variant/v", ScalableDimension=DIM)
    assert "MinCapacity and MaxCapacity are required" in str(exc.value)


@pytest.mark.parametrize("rid", ["endpoint/nope/variant/v", "endpoint/ep/variant/nope",
                                 "endpoint/ep"])
def test_rule8_target_must_be_an_existing_variant(aas: Any, rid: str) -> None:
    with pytest.raises(ClientError) as exc:
        register(aas, rid)
    assert error_code(exc.value) == "ValidationException"


def test_rule8_burstable_instances_cannot_be_autoscaled(emu: Emulator, aas: Any) -> None:
    sm = emu.client("sagemaker")
    config(sm, "burst", variant("v", instance="ml.t2.medium", count=1))
    endpoint(emu, sm, "burst", "burst")
    with pytest.raises(ClientError) as exc:
        register(aas, "endpoint/burst/variant/v")
    assert "is burstable and does not support autoscaling" in str(exc.value)


def test_rule8_serverless_provisioned_concurrency_dimension(emu: Emulator, aas: Any) -> None:
    sm = emu.client("sagemaker")
    config(sm, "sls", {"VariantName": "v", "ModelName": "m1", "ServerlessConfig": {
        "MemorySizeInMB": 2048, "MaxConcurrency": 20, "ProvisionedConcurrency": 2}})
    endpoint(emu, sm, "sls", "sls")
    register(aas, "endpoint/sls/variant/v", 1, 10, PC_DIM)  # moto rejected this dimension
    with pytest.raises(ClientError):
        register(aas, "endpoint/sls/variant/v", 1, 10, DIM)  # instances: not on serverless
    with pytest.raises(ClientError):
        register(aas, "endpoint/ep/variant/v", 1, 10, PC_DIM)  # concurrency: not on instances


def test_dimension_must_belong_to_the_namespace(aas: Any) -> None:
    with pytest.raises(ClientError) as exc:
        aas.register_scalable_target(ServiceNamespace="sagemaker", ResourceId="service/c/s",
                                     ScalableDimension="ecs:service:DesiredCount",
                                     MinCapacity=1, MaxCapacity=2)
    assert "Unsupported scalable dimension" in str(exc.value)
    aas.register_scalable_target(ServiceNamespace="ecs", ResourceId="service/c/s",
                                 ScalableDimension="ecs:service:DesiredCount",
                                 MinCapacity=1, MaxCapacity=2)  # other namespaces still work


def test_pagination_returns_every_target_once(emu: Emulator, aas: Any) -> None:
    sm = emu.client("sagemaker")
    config(sm, "two", variant("a", count=2), variant("b", count=2))
    emu.freeze()
    for i in range(60):
        sm.create_endpoint(EndpointName=f"fleet-{i}", EndpointConfigName="two")
    for i in range(60):
        for v in ("a", "b"):
            register(aas, f"endpoint/fleet-{i}/variant/{v}")
    pages = list(aas.get_paginator("describe_scalable_targets").paginate(
        ServiceNamespace="sagemaker"))
    ids = [t["ResourceId"] for p in pages for t in p["ScalableTargets"]]
    assert len(ids) == 120 == len(set(ids))
    assert len(pages) == 3  # 50 + 50 + 20
    some = aas.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[
        "endpoint/fleet-3/variant/a", "endpoint/fleet-3/variant/b"])["ScalableTargets"]
    assert {t["ResourceId"] for t in some} == {"endpoint/fleet-3/variant/a",
                                               "endpoint/fleet-3/variant/b"}
    with pytest.raises(ClientError):
        aas.describe_scalable_targets(ServiceNamespace="sagemaker",
                                      ResourceIds=[f"x{i}" for i in range(51)])


def test_policies_match_resource_id_exactly(aas: Any) -> None:
    register(aas, "endpoint/ep/variant/v")
    register(aas, "endpoint/ep/variant/v2")
    policy(aas, "for-v", "endpoint/ep/variant/v")
    policy(aas, "for-v2", "endpoint/ep/variant/v2")
    found = aas.describe_scaling_policies(ServiceNamespace="sagemaker",
                                          ResourceId="endpoint/ep/variant/v")["ScalingPolicies"]
    assert [p["PolicyName"] for p in found] == ["for-v"]  # moto also returned for-v2
    p = found[0]
    assert p["PolicyType"] == "TargetTrackingScaling"
    assert p["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 70.0
    assert ":scalingPolicy:" in p["PolicyARN"] and p["PolicyARN"].endswith(
        ":resource/sagemaker/endpoint/ep/variant/v:policyName/for-v")


def test_rule8_deregister_removes_policies_and_scheduled_actions(aas: Any) -> None:
    register(aas)
    policy(aas)
    aas.put_scheduled_action(ServiceNamespace="sagemaker", ResourceId="endpoint/ep/variant/v",
                             ScalableDimension=DIM, ScheduledActionName="morning",
                             Schedule="cron(0 7 * * ? *)",
                             ScalableTargetAction={"MinCapacity": 2})
    aas.deregister_scalable_target(ServiceNamespace="sagemaker",
                                   ResourceId="endpoint/ep/variant/v", ScalableDimension=DIM)
    assert aas.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"] == []
    assert aas.describe_scheduled_actions(ServiceNamespace="sagemaker")["ScheduledActions"] == []
    with pytest.raises(ClientError) as exc:
        aas.deregister_scalable_target(ServiceNamespace="sagemaker",
                                       ResourceId="endpoint/ep/variant/v", ScalableDimension=DIM)
    assert error_code(exc.value) == "ObjectNotFoundException"


def test_policy_needs_a_registered_target_and_delete_reports_missing(aas: Any) -> None:
    with pytest.raises(ClientError) as exc:
        policy(aas)
    assert error_code(exc.value) == "ObjectNotFoundException"
    register(aas)
    policy(aas)
    policy(aas)  # put again replaces
    assert len(aas.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]) == 1
    aas.delete_scaling_policy(PolicyName="tt", ServiceNamespace="sagemaker",
                              ResourceId="endpoint/ep/variant/v", ScalableDimension=DIM)
    with pytest.raises(ClientError) as exc:
        aas.delete_scaling_policy(PolicyName="tt", ServiceNamespace="sagemaker",
                                  ResourceId="endpoint/ep/variant/v", ScalableDimension=DIM)
    assert error_code(exc.value) == "ObjectNotFoundException"


def test_scheduled_actions(aas: Any) -> None:
    register(aas)
    kwargs = {"ServiceNamespace": "sagemaker", "ResourceId": "endpoint/ep/variant/v",
              "ScalableDimension": DIM}
    aas.put_scheduled_action(**kwargs, ScheduledActionName="morning",
                             Schedule="cron(0 7 ? * MON-FRI *)", Timezone="Europe/Berlin",
                             ScalableTargetAction={"MinCapacity": 3})
    aas.put_scheduled_action(**kwargs, ScheduledActionName="morning",
                             ScalableTargetAction={"MinCapacity": 4})  # update keeps schedule
    (action,) = aas.describe_scheduled_actions(ServiceNamespace="sagemaker")["ScheduledActions"]
    assert (action["Schedule"], action["Timezone"], action["ScalableTargetAction"]) == (
        "cron(0 7 ? * MON-FRI *)", "Europe/Berlin", {"MinCapacity": 4})
    aas.delete_scheduled_action(**kwargs, ScheduledActionName="morning")
    with pytest.raises(ClientError) as exc:
        aas.delete_scheduled_action(**kwargs, ScheduledActionName="morning")
    assert error_code(exc.value) == "ObjectNotFoundException"


def test_tags_on_scalable_targets(aas: Any) -> None:
    arn = register(aas)["ScalableTargetARN"]
    aas.tag_resource(ResourceARN=arn, Tags={"owner": "a", "team": "x"})
    aas.tag_resource(ResourceARN=arn, Tags={"owner": "b"})
    aas.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert aas.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"owner": "b"}


def test_rule8_update_cannot_change_the_instance_type_of_an_autoscaled_variant(
        emu: Emulator, aas: Any) -> None:
    sm = emu.client("sagemaker")
    model(sm, "m2")
    register(aas)
    config(sm, "bigger", variant("v", count=2, instance="ml.c5.large"), variant("v2", count=2))
    config(sm, "without-v", variant("v2", count=2))
    config(sm, "new-model", variant("v", model_name="m2", count=2), variant("v2", count=2))
    for name, text in (("bigger", "instance type of variant v cannot be changed"),
                       ("without-v", "variant v is registered with Application Auto Scaling")):
        with pytest.raises(ClientError) as exc:
            sm.update_endpoint(EndpointName="ep", EndpointConfigName=name)
        assert error_code(exc.value) == "ValidationException"
        assert text in str(exc.value)
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="new-model")  # model only: allowed
    emu.advance(emu.durations.provision)
    assert sm.describe_endpoint(EndpointName="ep")["EndpointConfigName"] == "new-model"
    aas.deregister_scalable_target(ServiceNamespace="sagemaker",
                                   ResourceId="endpoint/ep/variant/v", ScalableDimension=DIM)
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="bigger")  # documented order
