"""Application Auto Scaling rules 23 and 24, at the boto3 level.

Rule 23: deleting an endpoint deregisters its scalable targets (with their policies, scheduled
actions and alarms). Rule 24: a target-tracking policy owns two CloudWatch alarms, made by
PutScalingPolicy and deleted with the policy or its target. What AWS documents and what rests on
real-world evidence is in ``sagemaker_emulator/target_tracking.py``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from sagemaker_emulator import Emulator
from tests.emulator.helpers import config, endpoint, model, variant

ACCOUNT, REGION = "123456789012", "us-east-1"
DIM = "sagemaker:variant:DesiredInstanceCount"
RID = "endpoint/ep/variant/v"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
INVOCATIONS = {"PredefinedMetricSpecification": {
    "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}}


@pytest.fixture
def aas(emu: Emulator) -> Any:
    sm = emu.client("sagemaker")
    model(sm)
    config(sm, "c1", variant("v", count=2), variant("v2", count=2))
    endpoint(emu, sm)
    client = emu.client("application-autoscaling")
    for rid in (RID, "endpoint/ep/variant/v2"):
        client.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=rid,
                                        ScalableDimension=DIM, MinCapacity=1, MaxCapacity=4)
    return client


def tracking(aas: Any, name: str = "tt", rid: str = RID, target: float = 70.0,
             metric: dict[str, Any] | None = None) -> Any:
    return aas.put_scaling_policy(
        PolicyName=name, ServiceNamespace="sagemaker", ResourceId=rid, ScalableDimension=DIM,
        PolicyType="TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration={
            "TargetValue": target, "ScaleInCooldown": 300, "ScaleOutCooldown": 60,
            **(metric or INVOCATIONS)})


def step(aas: Any, name: str = "steps", rid: str = RID) -> Any:
    return aas.put_scaling_policy(
        PolicyName=name, ServiceNamespace="sagemaker", ResourceId=rid, ScalableDimension=DIM,
        PolicyType="StepScaling", StepScalingPolicyConfiguration={
            "AdjustmentType": "ChangeInCapacity",
            "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}]})


def alarms(emu: Emulator, names: list[str] | None = None) -> dict[str, dict[str, Any]]:
    cw = emu.client("cloudwatch")
    found = (cw.describe_alarms(AlarmNames=names) if names is not None
             else cw.describe_alarms())["MetricAlarms"]
    return {a["AlarmName"]: a for a in found}


def names(listed: list[dict[str, str]]) -> list[str]:
    return [a["AlarmName"] for a in listed]


def policies(aas: Any, rid: str | None = None) -> list[dict[str, Any]]:
    extra = {"ResourceId": rid} if rid else {}
    return aas.describe_scaling_policies(  # type: ignore[no-any-return]
        ServiceNamespace="sagemaker", **extra)["ScalingPolicies"]


# -- rule 24 ------------------------------------------------------------------------------------

def test_rule_24_target_tracking_policy_creates_and_deletes_its_alarms(emu: Emulator,
                                                                      aas: Any) -> None:
    put = tracking(aas)
    high, low = put["Alarms"]
    assert re.fullmatch(f"TargetTracking-{RID}-AlarmHigh-{UUID}", high["AlarmName"])
    assert re.fullmatch(f"TargetTracking-{RID}-AlarmLow-{UUID}", low["AlarmName"])
    for a in (high, low):
        assert a["AlarmARN"] == f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{a['AlarmName']}"
    (described,) = policies(aas, RID)
    assert described["Alarms"] == put["Alarms"]

    live = alarms(emu, names(put["Alarms"]))
    action = live[high["AlarmName"]]["AlarmActions"][0]
    assert re.fullmatch(re.escape(put["PolicyARN"]) + f":createdBy/{UUID}", action)
    common = {"Namespace": "AWS/SageMaker", "MetricName": "InvocationsPerInstance",
              "Dimensions": [{"Name": "EndpointName", "Value": "ep"},
                             {"Name": "VariantName", "Value": "v"}],
              "Statistic": "Sum", "Period": 60, "TreatMissingData": "missing",
              "ActionsEnabled": True, "AlarmActions": [action],
              "AlarmDescription": f"DO NOT EDIT OR DELETE. For TargetTrackingScaling policy "
                                  f"{action}.",
              "StateValue": "INSUFFICIENT_DATA"}
    for name, wanted in ((high["AlarmName"], {"ComparisonOperator": "GreaterThanThreshold",
                                              "Threshold": 70.0, "EvaluationPeriods": 3}),
                         (low["AlarmName"], {"ComparisonOperator": "LessThanThreshold",
                                             "Threshold": 63.0, "EvaluationPeriods": 15})):
        assert {k: live[name].get(k) for k in {**common, **wanted}} == {**common, **wanted}
        assert "DatapointsToAlarm" not in live[name]

    aas.delete_scaling_policy(PolicyName="tt", ServiceNamespace="sagemaker", ResourceId=RID,
                              ScalableDimension=DIM)
    assert alarms(emu, names(put["Alarms"])) == {}


def test_rule_24_updating_a_policy_keeps_its_alarms_and_moves_their_thresholds(
        emu: Emulator, aas: Any) -> None:
    first = tracking(aas)
    emu.set_alarm_state(first["Alarms"][0]["AlarmName"], "ALARM")
    again = tracking(aas, target=100.0)
    assert (again["PolicyARN"], again["Alarms"]) == (first["PolicyARN"], first["Alarms"])
    live = alarms(emu, names(again["Alarms"]))
    high, low = (live[n] for n in names(again["Alarms"]))
    assert (high["Threshold"], low["Threshold"]) == (100.0, 90.0)
    assert high["StateValue"] == "ALARM"  # PutMetricAlarm on an existing alarm keeps its state
    assert len(alarms(emu)) == 2


def test_rule_24_step_scaling_policy_has_no_alarms(emu: Emulator, aas: Any) -> None:
    assert step(aas)["Alarms"] == []
    assert [p["Alarms"] for p in policies(aas)] == [[]]
    assert alarms(emu) == {}
    tracked = tracking(aas, "switch")
    assert len(alarms(emu)) == 2
    step(aas, "switch")  # the same policy, now step scaling: its alarms are no longer needed
    assert alarms(emu) == {} and all(p["Alarms"] == [] for p in policies(aas))
    assert tracked["Alarms"]


def test_rule_24_customized_metric_alarms_watch_that_metric(emu: Emulator, aas: Any) -> None:
    cpu = {"CustomizedMetricSpecification": {
        "MetricName": "CPUUtilization", "Namespace": "/aws/sagemaker/Endpoints",
        "Dimensions": [{"Name": "EndpointName", "Value": "ep"},
                       {"Name": "VariantName", "Value": "v"}],
        "Statistic": "Average", "Unit": "Percent"}}
    put = tracking(aas, target=50.0, metric=cpu)
    high = alarms(emu)[put["Alarms"][0]["AlarmName"]]
    assert {k: high[k] for k in ("Namespace", "MetricName", "Statistic", "Unit", "Threshold")} == {
        "Namespace": "/aws/sagemaker/Endpoints", "MetricName": "CPUUtilization",
        "Statistic": "Average", "Unit": "Percent", "Threshold": 50.0}
    math = {"CustomizedMetricSpecification": {"Metrics": [
        {"Id": "m1", "ReturnData": False, "MetricStat": {"Stat": "Sum", "Metric": {
            "Namespace": "AWS/SageMaker", "MetricName": "Invocations",
            "Dimensions": [{"Name": "EndpointName", "Value": "ep"}]}}},
        {"Id": "e1", "Expression": "m1 / 2", "Label": "per instance", "ReturnData": True}]}}
    put = tracking(aas, "math", target=10.0, metric=math)
    low = alarms(emu)[put["Alarms"][1]["AlarmName"]]
    assert [q["Id"] for q in low["Metrics"]] == ["m1", "e1"]
    assert low["Metrics"][0]["MetricStat"]["Period"] == 60
    assert "MetricName" not in low and low["Threshold"] == 9.0


def test_rule_24_predefined_metrics_without_evidence_get_no_alarms(emu: Emulator,
                                                                   aas: Any) -> None:
    """The emulator knows the CloudWatch metric of SageMakerVariantInvocationsPerInstance only;
    it invents no alarm for the others (AWS would make a pair)."""
    put = tracking(aas, metric={"PredefinedMetricSpecification": {
        "PredefinedMetricType": "SageMakerVariantConcurrentRequestsPerModelHighResolution"}})
    assert put["Alarms"] == [] and alarms(emu) == {}


def test_rule_24_alarms_go_with_the_deregistered_target(emu: Emulator, aas: Any) -> None:
    doomed = tracking(aas)
    kept = tracking(aas, rid="endpoint/ep/variant/v2")
    aas.deregister_scalable_target(ServiceNamespace="sagemaker", ResourceId=RID,
                                   ScalableDimension=DIM)
    assert set(alarms(emu)) == set(names(kept["Alarms"]))
    assert not set(alarms(emu)) & set(names(doomed["Alarms"]))
    assert [p["ResourceId"] for p in policies(aas)] == ["endpoint/ep/variant/v2"]


# -- rule 23 ------------------------------------------------------------------------------------

def test_rule_23_delete_endpoint_deregisters_targets(emu: Emulator, aas: Any) -> None:
    sm = emu.client("sagemaker")
    config(sm, "c2", variant("v", count=2))
    endpoint(emu, sm, "ep-2", "c2")  # a name that starts like "ep": untouched
    aas.register_scalable_target(ServiceNamespace="sagemaker", ResourceId="endpoint/ep-2/variant/v",
                                 ScalableDimension=DIM, MinCapacity=1, MaxCapacity=3)
    tracking(aas)
    step(aas, rid="endpoint/ep/variant/v2")
    other = tracking(aas, rid="endpoint/ep-2/variant/v")
    aas.put_scheduled_action(ServiceNamespace="sagemaker", ResourceId=RID, ScalableDimension=DIM,
                             ScheduledActionName="morning", Schedule="cron(0 7 * * ? *)",
                             ScalableTargetAction={"MinCapacity": 2})

    sm.delete_endpoint(EndpointName="ep")  # no error, no notice: AWS does it silently

    targets = aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    assert [t["ResourceId"] for t in targets] == ["endpoint/ep-2/variant/v"]
    assert [p["ResourceId"] for p in policies(aas)] == ["endpoint/ep-2/variant/v"]
    assert aas.describe_scheduled_actions(ServiceNamespace="sagemaker")["ScheduledActions"] == []
    assert set(alarms(emu)) == set(names(other["Alarms"]))
