"""Rule 53: request members the emulator keeps and answers, and the combinations it refuses, so
`awsExtra` members are read back as AWS reads them: CloudWatch's ActionConfiguration,
ModelPackageGroup's ManagedConfiguration, and pipeline version aliases (which belong to
versions)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sagemaker_emulator import Emulator

ROLE = "arn:aws:iam::123456789012:role/pipelines"
ALARM: dict[str, Any] = {"AlarmName": "a", "Namespace": "AWS/SageMaker", "MetricName": "x",
                         "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 1,
                         "Threshold": 1.0, "ComparisonOperator": "GreaterThanOrEqualToThreshold"}


def _definition(message: str) -> str:
    return json.dumps({"Version": "2020-12-01", "Parameters": [], "Steps": [
        {"Name": "Noop", "Type": "Fail", "Arguments": {"ErrorMessage": message}}]})


def _alarm(cw: Any) -> dict[str, Any]:
    return cw.describe_alarms(AlarmNames=["a"])["MetricAlarms"][0]  # type: ignore[no-any-return]


@pytest.mark.parametrize(("member", "kept"), [
    ("ActionConfiguration", {"AlarmTagsPropagation": {"Enabled": True,
                                                      "IncludedTagKeys": ["team"]}}),
    ("WarmUpConfiguration", {"WarmUpPeriodDurationInMinutes": 15,
                             "OnlyStartEvaluatingAfterWarmUpPeriodEnds": True}),
    ("EvaluationWindow", {"WallClockWindow": {"Timezone": "Europe/Paris"}}),
])
def test_rule_55_describe_alarms_answers_action_configuration(
        emu: Emulator, member: str, kept: dict[str, Any]) -> None:
    cw = emu.client("cloudwatch")
    cw.put_metric_alarm(**ALARM, **{member: kept})
    assert _alarm(cw)[member] == kept
    cw.put_metric_alarm(**ALARM)  # PutMetricAlarm overwrites the whole definition
    assert member not in _alarm(cw)


@pytest.mark.parametrize("member", [{"EvaluationInterval": 60}, {
    "EvaluationCriteria": {"PromQLCriteria": {"Query": "up > 0"}}, "EvaluationInterval": 60}])
def test_rule_55_promql_members_do_not_go_with_a_metric(emu: Emulator,
                                                        member: dict[str, Any]) -> None:
    cw = emu.client("cloudwatch")
    with pytest.raises(ClientError) as err:
        cw.put_metric_alarm(**ALARM, **member)
    assert err.value.response["Error"]["Code"] == "InvalidParameterCombination"
    assert "cannot be specified for alarms configured with MetricName or Metrics" in str(
        err.value)
    assert cw.describe_alarms()["MetricAlarms"] == []


def test_rule_55_describe_model_package_group_answers_managed_configuration(
        emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName="g", ModelPackageGroupDescription="d",
                                  ManagedConfiguration={"ManagedStorageType": "Restricted"},
                                  Tags=[{"Key": "team", "Value": "fraud"}])
    sm.create_model_package_group(ModelPackageGroupName="plain")
    described = sm.describe_model_package_group(ModelPackageGroupName="g")
    assert described["ManagedConfiguration"] == {"ManagedStorageType": "Restricted"}
    assert described["ModelPackageGroupDescription"] == "d"
    assert sm.list_tags(ResourceArn=described["ModelPackageGroupArn"])["Tags"] == [
        {"Key": "team", "Value": "fraud"}]
    assert "ManagedConfiguration" not in sm.describe_model_package_group(
        ModelPackageGroupName="plain")


def test_rule_55_pipeline_version_aliases_belong_to_versions(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    sm.create_pipeline(PipelineName="p", RoleArn=ROLE, PipelineDefinition=_definition("one"),
                       PipelineVersionAliases=["stable"], ClientRequestToken="t" * 32)
    assert sm.describe_pipeline(PipelineName="p")["PipelineVersionAliases"] == ["stable"]
    refusals = [
        ({"PipelineDefinition": _definition("one"), "PipelineVersionAliases": ["prod"]},
         "only when the update changes the pipeline definition"),
        ({"PipelineVersionAliases": ["prod"]},
         "only when the update changes the pipeline definition"),
        ({"PipelineDefinition": _definition("two"), "PipelineVersionAliases": ["stable"]},
         "already assigned to pipeline version 1"),
        ({"PipelineDefinition": _definition("two"), "PipelineVersionAliases": ["42"]},
         "can't consist of numbers only"),
    ]
    for request, words in refusals:
        with pytest.raises(ClientError) as err:
            sm.update_pipeline(PipelineName="p", **request)
        assert err.value.response["Error"]["Code"] == "ValidationException"
        assert words in str(err.value), (request, str(err.value))
    assert len(sm.list_pipeline_versions(PipelineName="p")["PipelineVersionSummaries"]) == 1
    sm.update_pipeline(PipelineName="p", PipelineDefinition=_definition("two"),
                       PipelineVersionAliases=["prod"])
    assert sm.describe_pipeline(PipelineName="p")["PipelineVersionAliases"] == ["prod"]
    first = sm.describe_pipeline(PipelineName="p", PipelineVersionAlias="stable")
    assert json.loads(first["PipelineDefinition"])["Steps"][0]["Arguments"] == {
        "ErrorMessage": "one"}
    assert [v.get("PipelineVersionAliases") for v in sm.list_pipeline_versions(
        PipelineName="p")["PipelineVersionSummaries"]] == [["prod"], ["stable"]]
    sm.update_pipeline(PipelineName="p", PipelineDefinition=_definition("three"))
    assert "PipelineVersionAliases" not in sm.describe_pipeline(PipelineName="p")
    with pytest.raises(ClientError) as err:
        sm.describe_pipeline(PipelineName="p", PipelineVersionAlias="nope")
    assert err.value.response["Error"]["Code"] == "ResourceNotFound"
