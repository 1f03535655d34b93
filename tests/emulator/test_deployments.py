"""UpdateEndpoint and UpdateEndpointWeightsAndCapacities in the emulator (sagemaker-rules.md
items 2-12), on a frozen clock so every timeline is exact."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from sagemaker_emulator import Emulator
from tests.emulator.helpers import (
    alarm,
    canary,
    config,
    endpoint,
    error_code,
    model,
    status,
    variant,
)

D = 300.0  # provision duration (default)
RB = 120.0  # rollback duration (default)


@pytest.fixture
def sm(emu: Emulator) -> Any:
    client = emu.client("sagemaker")
    model(client)
    model(client, "m2")
    config(client, "c1", variant(count=4))
    config(client, "c2", variant(model_name="m2", count=4))
    endpoint(emu, client)
    return client


def describe(sm: Any) -> dict[str, Any]:
    return sm.describe_endpoint(EndpointName="ep")


def test_rule2_update_goes_updating_then_in_service_on_the_new_config(emu: Emulator,
                                                                     sm: Any) -> None:
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2")
    during = describe(sm)
    assert during["EndpointStatus"] == "Updating"
    assert during["EndpointConfigName"] == "c1"  # still the old one while updating
    pending = during["PendingDeploymentSummary"]
    assert pending["EndpointConfigName"] == "c2"
    assert pending["ProductionVariants"][0]["VariantStatus"][0]["Status"] == "Creating"
    emu.advance(D)
    after = describe(sm)
    assert (after["EndpointStatus"], after["EndpointConfigName"]) == ("InService", "c2")
    assert "PendingDeploymentSummary" not in after and "FailureReason" not in after


def test_rule4_counts_reset_without_retain(emu: Emulator, sm: Any) -> None:
    emu.scale_variant("ep", "main", 7)  # the autoscaler moved it
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2")
    emu.advance(D)
    v = describe(sm)["ProductionVariants"][0]
    assert (v["CurrentInstanceCount"], v["DesiredInstanceCount"]) == (4, 4)


def test_rule4_retain_all_variant_properties_keeps_live_counts_and_weights(emu: Emulator,
                                                                          sm: Any) -> None:
    emu.scale_variant("ep", "main", 7)
    sm.update_endpoint_weights_and_capacities(
        EndpointName="ep", DesiredWeightsAndCapacities=[{"VariantName": "main",
                                                         "DesiredWeight": 3}])
    emu.advance(emu.durations.weights)
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2", RetainAllVariantProperties=True)
    emu.advance(D)
    v = describe(sm)["ProductionVariants"][0]
    assert (v["DesiredInstanceCount"], v["DesiredWeight"]) == (7, 3.0)


def test_rule4_excluded_properties_are_not_retained(emu: Emulator, sm: Any) -> None:
    emu.scale_variant("ep", "main", 7)
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2", RetainAllVariantProperties=True,
                       ExcludeRetainedVariantProperties=[{"VariantPropertyType":
                                                          "DesiredInstanceCount"}])
    emu.advance(D)
    assert describe(sm)["ProductionVariants"][0]["DesiredInstanceCount"] == 4


def test_rule5_weights_only_update_keeps_counts(emu: Emulator, sm: Any) -> None:
    client = sm
    config(client, "two", variant("a", count=2), variant("b", count=3))
    endpoint(emu, client, "ep2", "two")
    client.update_endpoint_weights_and_capacities(
        EndpointName="ep2", DesiredWeightsAndCapacities=[{"VariantName": "a", "DesiredWeight": 9}])
    mid = client.describe_endpoint(EndpointName="ep2")
    assert mid["EndpointStatus"] == "Updating"
    a = mid["ProductionVariants"][0]
    assert (a["CurrentWeight"], a["DesiredWeight"]) == (1.0, 9.0)
    emu.advance(emu.durations.weights)
    after = {v["VariantName"]: v for v in
             client.describe_endpoint(EndpointName="ep2")["ProductionVariants"]}
    assert after["a"]["CurrentWeight"] == 9.0
    assert (after["a"]["CurrentInstanceCount"], after["b"]["CurrentInstanceCount"]) == (2, 3)
    with pytest.raises(ClientError) as exc:
        client.update_endpoint_weights_and_capacities(
            EndpointName="ep2", DesiredWeightsAndCapacities=[{"VariantName": "zz",
                                                              "DesiredWeight": 1}])
    assert "is/are not present" in str(exc.value)


def test_rule5_capacity_only_update(emu: Emulator, sm: Any) -> None:
    sm.update_endpoint_weights_and_capacities(
        EndpointName="ep", DesiredWeightsAndCapacities=[{"VariantName": "main",
                                                         "DesiredInstanceCount": 6}])
    emu.advance(emu.durations.weights)
    v = describe(sm)["ProductionVariants"][0]
    assert (v["CurrentInstanceCount"], v["CurrentWeight"]) == (6, 1.0)


def test_rule6_mutations_only_when_in_service(emu: Emulator, sm: Any) -> None:
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2")
    for call in (lambda: sm.update_endpoint(EndpointName="ep", EndpointConfigName="c1"),
                 lambda: sm.update_endpoint_weights_and_capacities(
                     EndpointName="ep", DesiredWeightsAndCapacities=[
                         {"VariantName": "main", "DesiredWeight": 2}])):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_code(exc.value) == "ValidationException"
        assert "Cannot update in-progress endpoint" in str(exc.value)


def test_rule7_silent_rollback_ends_in_service_on_the_old_config(emu: Emulator,
                                                                 sm: Any) -> None:
    emu.fail_next_update("ep", "silent_rollback", "new fleet failed health checks")
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2")
    emu.advance(D)
    assert status(sm) != "InService"  # which status AWS shows meanwhile is undocumented (rule 26)
    emu.advance(RB)
    desc = describe(sm)
    assert (desc["EndpointStatus"], desc["EndpointConfigName"]) == ("InService", "c1")
    assert desc["FailureReason"] == "new fleet failed health checks"


@pytest.mark.parametrize(("kind", "final"), [("fail", "Failed"),
                                             ("rollback_failed", "UpdateRollbackFailed")])
def test_rule6_failed_and_update_rollback_failed(emu: Emulator, sm: Any, kind: str,
                                                 final: str) -> None:
    emu.fail_next_update("ep", kind)
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2")
    emu.advance(D + RB)
    desc = describe(sm)
    assert desc["EndpointStatus"] == final and desc["FailureReason"]
    if final == "Failed":  # "DeleteEndpoint is the only operation that can be performed"
        with pytest.raises(ClientError) as exc:
            sm.update_endpoint(EndpointName="ep", EndpointConfigName="c1")
        assert "Cannot update failed endpoint" in str(exc.value)
    else:  # rolling deployment guide: another UpdateEndpoint returns it to a healthy state
        sm.update_endpoint(EndpointName="ep", EndpointConfigName="c1")
        emu.advance(D)
        assert (status(sm), describe(sm)["EndpointConfigName"]) == ("InService", "c1")


def test_update_can_hang_past_any_deadline(emu: Emulator, sm: Any) -> None:
    emu.fail_next_update("ep", "hang")
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2")
    emu.advance(10 * 86400)
    assert status(sm) == "Updating"


def test_injected_update_faults_apply_once(emu: Emulator, sm: Any) -> None:
    emu.fail_next_update("ep", "silent_rollback")
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2")
    emu.advance(D + RB)
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2")
    emu.advance(D)
    assert describe(sm)["EndpointConfigName"] == "c2"


def test_rule9_deployment_config_is_stored_and_validated(emu: Emulator, sm: Any) -> None:
    cw = emu.client("cloudwatch")
    alarm(cw)
    too_big = canary(count=3, alarms=["errors"])
    with pytest.raises(ClientError) as exc:
        sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2", DeploymentConfig=too_big)
    assert "CanarySize must be less than or equal to 50%" in str(exc.value)
    linear = {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {
        "Type": "LINEAR", "WaitIntervalInSeconds": 60,
        "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 60}}}}
    with pytest.raises(ClientError) as exc:
        sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2", DeploymentConfig=linear)
    assert "LinearStepSize must be 10-50%" in str(exc.value)
    with pytest.raises(ClientError) as exc:
        sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2",
                           DeploymentConfig=canary(alarms=["missing-alarm"]))
    assert "CloudWatch alarm missing-alarm does not exist" in str(exc.value)
    good = canary(count=2, alarms=["errors"])
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2", DeploymentConfig=good)
    assert describe(sm)["LastDeploymentConfig"] == good


def test_rule9_rolling_not_for_multi_variant(emu: Emulator, sm: Any) -> None:
    config(sm, "two", variant("a", count=4), variant("b", count=4))
    endpoint(emu, sm, "ep2", "two")
    rolling = {"RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
                                       "WaitIntervalInSeconds": 60}}
    with pytest.raises(ClientError) as exc:
        sm.update_endpoint(EndpointName="ep2", EndpointConfigName="two", DeploymentConfig=rolling)
    assert "not supported for endpoints with multiple production variants" in str(exc.value)


def test_retain_deployment_config_reuses_the_last_one(emu: Emulator, sm: Any) -> None:
    policy = canary(count=1)
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2", DeploymentConfig=policy)
    emu.advance(10_000)
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c1", RetainDeploymentConfig=True)
    assert describe(sm)["LastDeploymentConfig"] == policy
    emu.advance(10_000)
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2")
    assert "LastDeploymentConfig" not in describe(sm)


def test_rule9_canary_shifts_traffic_over_the_waits(emu: Emulator, sm: Any) -> None:
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2",
                       DeploymentConfig=canary(count=1, wait=600, termination=300))
    emu.advance(D)
    status_now = describe(sm)["PendingDeploymentSummary"]["ProductionVariants"][0][
        "VariantStatus"][0]
    assert (status_now["Status"], status_now["StatusMessage"]) == (
        "Baking", "25% of traffic on the new fleet")
    emu.advance(600)
    assert describe(sm)["PendingDeploymentSummary"]["ProductionVariants"][0]["VariantStatus"][0][
        "StatusMessage"] == "100% of traffic on the new fleet"
    emu.advance(600 + 300 - 1)
    assert status(sm) == "Updating"  # final bake and termination wait
    emu.advance(1)
    assert describe(sm)["EndpointConfigName"] == "c2"


def test_rule9_linear_steps(emu: Emulator, sm: Any) -> None:
    linear = {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {
        "Type": "LINEAR", "WaitIntervalInSeconds": 100,
        "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 25}}}}
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2", DeploymentConfig=linear)
    seen = []
    emu.advance(D)
    for _ in range(4):
        seen.append(describe(sm)["PendingDeploymentSummary"]["ProductionVariants"][0][
            "VariantStatus"][0]["StatusMessage"])
        emu.advance(100)
    assert seen == [f"{p}% of traffic on the new fleet" for p in (25, 50, 75, 100)]
    assert describe(sm)["EndpointConfigName"] == "c2"


def test_rule9_rolling_batches(emu: Emulator, sm: Any) -> None:
    rolling = {"RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 2},
                                       "WaitIntervalInSeconds": 60}}
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2", DeploymentConfig=rolling)
    emu.advance(2 * (D + 60) - 1)
    assert status(sm) == "Updating"
    emu.advance(1)
    assert describe(sm)["EndpointConfigName"] == "c2"


def test_rule10_alarm_during_canary_rolls_back(emu: Emulator, sm: Any) -> None:
    cw = emu.client("cloudwatch")
    alarm(cw)
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2",
                       DeploymentConfig=canary(count=1, wait=600, alarms=["errors"]))
    emu.advance(D + 100)  # canary has been baking for 100 s
    emu.hold_alarm_state("errors", "ALARM")  # its errors keep the alarm in ALARM
    assert status(sm) != "InService"  # rolling back; the status AWS shows is undocumented (rule 26)
    emu.advance(RB)
    desc = describe(sm)
    assert (desc["EndpointStatus"], desc["EndpointConfigName"]) == ("InService", "c1")
    assert "errors went into ALARM" in desc["FailureReason"]


def test_rule10_alarm_before_the_watch_rolls_back_when_traffic_starts(emu: Emulator,
                                                                      sm: Any) -> None:
    cw = emu.client("cloudwatch")
    alarm(cw)
    emu.hold_alarm_state("errors", "ALARM")
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2",
                       DeploymentConfig=canary(count=1, wait=600, alarms=["errors"]))
    emu.advance(D - 1)
    assert status(sm) == "Updating"  # alarms are watched from the first traffic shift
    emu.advance(RB)  # observed late: the rollback began at D, so it has finished by D + RB
    emu.advance(1)
    assert describe(sm)["EndpointConfigName"] == "c1" and status(sm) == "InService"


def test_rule10_alarm_after_the_deploy_changes_nothing(emu: Emulator, sm: Any) -> None:
    cw = emu.client("cloudwatch")
    alarm(cw)
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2",
                       DeploymentConfig=canary(count=1, wait=600, alarms=["errors"]))
    emu.advance(D + 1200)
    emu.hold_alarm_state("errors", "ALARM")  # too late for SageMaker: sagectl's bake must catch it
    desc = describe(sm)
    assert (desc["EndpointStatus"], desc["EndpointConfigName"]) == ("InService", "c2")


def test_rule10_without_alarms_nothing_rolls_back(emu: Emulator, sm: Any) -> None:
    cw = emu.client("cloudwatch")
    alarm(cw)
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2",
                       DeploymentConfig=canary(count=1, wait=600))
    emu.advance(D + 10)
    emu.hold_alarm_state("errors", "ALARM")
    emu.advance(2000)
    assert describe(sm)["EndpointConfigName"] == "c2"


def test_rule11_guardrails_need_the_same_variant_names(emu: Emulator, sm: Any) -> None:
    config(sm, "renamed", variant("other", count=4))
    with pytest.raises(ClientError) as exc:
        sm.update_endpoint(EndpointName="ep", EndpointConfigName="renamed",
                           DeploymentConfig=canary(count=1))
    assert "same variant names" in str(exc.value)
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="renamed")  # all at once is fine
    emu.advance(D)
    assert [v["VariantName"] for v in describe(sm)["ProductionVariants"]] == ["other"]


def test_rule12_instance_to_serverless_fails_serverless_to_instance_works(emu: Emulator,
                                                                        sm: Any) -> None:
    serverless = {"VariantName": "main", "ModelName": "m1",
                  "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5}}
    config(sm, "sls", serverless)
    with pytest.raises(ClientError) as exc:
        sm.update_endpoint(EndpointName="ep", EndpointConfigName="sls")
    assert "serverless configuration is not supported" in str(exc.value)
    endpoint(emu, sm, "ep-sls", "sls")
    desc = sm.describe_endpoint(EndpointName="ep-sls")["ProductionVariants"][0]
    assert desc["CurrentServerlessConfig"] == {"MemorySizeInMB": 2048, "MaxConcurrency": 5}
    sm.update_endpoint(EndpointName="ep-sls", EndpointConfigName="c1")
    emu.advance(D)
    assert sm.describe_endpoint(EndpointName="ep-sls")["EndpointConfigName"] == "c1"


def test_rule12_async_config_cannot_be_removed(emu: Emulator, sm: Any) -> None:
    config(sm, "async", variant(count=2),
           AsyncInferenceConfig={"OutputConfig": {"S3OutputPath": "s3://b/out/"}})
    endpoint(emu, sm, "ep-async", "async")
    assert sm.describe_endpoint(EndpointName="ep-async")["AsyncInferenceConfig"] == {
        "OutputConfig": {"S3OutputPath": "s3://b/out/"}}
    with pytest.raises(ClientError) as exc:
        sm.update_endpoint(EndpointName="ep-async", EndpointConfigName="c1")
    assert "AsyncInferenceConfig cannot be removed" in str(exc.value)


def test_serverless_concurrency_update(emu: Emulator, sm: Any) -> None:
    config(sm, "sls", {"VariantName": "main", "ModelName": "m1", "ServerlessConfig": {
        "MemorySizeInMB": 2048, "MaxConcurrency": 5, "ProvisionedConcurrency": 1}})
    endpoint(emu, sm, "ep-sls", "sls")
    sm.update_endpoint_weights_and_capacities(EndpointName="ep-sls", DesiredWeightsAndCapacities=[
        {"VariantName": "main", "ServerlessUpdateConfig": {"MaxConcurrency": 20,
                                                           "ProvisionedConcurrency": 4}}])
    emu.advance(emu.durations.weights)
    got = sm.describe_endpoint(EndpointName="ep-sls")["ProductionVariants"][0]
    assert got["CurrentServerlessConfig"]["MaxConcurrency"] == 20
    assert got["CurrentServerlessConfig"]["ProvisionedConcurrency"] == 4
