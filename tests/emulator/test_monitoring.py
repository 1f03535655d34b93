"""Model Monitor schedules and job definitions in the emulator (rules 58-60), every answer
checked against botocore's model."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from sagemaker_emulator import Emulator
from tests.emulator.helpers import error_code
from tests.emulator.monitoring_helpers import conforming, definition, schedule, status

__all__ = ["conforming"]
pytestmark = pytest.mark.usefixtures("conforming")
ACCOUNT = "arn:aws:sagemaker:us-east-1:123456789012:"
TYPES = ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability")
KINDS = ("data-quality", "model-quality", "model-bias", "model-explainability")


def test_rule_58_job_definitions_of_the_four_types(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    emu.freeze()
    for type_, kind in zip(TYPES, KINDS, strict=True):
        arn = definition(sm, f"{kind}-v1", type_, Tags=[{"Key": "owner", "Value": "sagectl"}])
        assert arn == f"{ACCOUNT}{kind}-job-definition/{kind}-v1"
        snake = kind.replace("-", "_")
        got = getattr(sm, f"describe_{snake}_job_definition")(JobDefinitionName=f"{kind}-v1")
        assert got["JobDefinitionArn"] == arn and got["RoleArn"].endswith("role/monitor")
        assert got[f"{type_}JobInput"]["EndpointInput"]["EndpointName"] == "ep"
        with pytest.raises(ClientError) as dup:
            definition(sm, f"{kind}-v1", type_)
        assert error_code(dup.value) == "ResourceInUse"
        assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "owner", "Value": "sagectl"}]
        emu.advance(1)
        definition(sm, f"{kind}-v2", type_, endpoint="other")
        listed = getattr(sm, f"list_{snake}_job_definitions")
        assert [d["MonitoringJobDefinitionName"] for d in listed()["JobDefinitionSummaries"]] \
            == [f"{kind}-v2", f"{kind}-v1"]
        assert [d["MonitoringJobDefinitionName"] for d in listed(EndpointName="other")[
            "JobDefinitionSummaries"]] == [f"{kind}-v2"]
        first = listed(MaxResults=1, SortBy="Name", SortOrder="Ascending")
        assert first["JobDefinitionSummaries"][0]["MonitoringJobDefinitionName"] == f"{kind}-v1"
        assert listed(NextToken=first["NextToken"], MaxResults=1)["JobDefinitionSummaries"]
        getattr(sm, f"delete_{snake}_job_definition")(JobDefinitionName=f"{kind}-v2")
        with pytest.raises(ClientError) as gone:
            getattr(sm, f"delete_{snake}_job_definition")(JobDefinitionName=f"{kind}-v2")
        assert error_code(gone.value) == "ResourceNotFound"
    tagging = emu.client("resourcegroupstaggingapi")
    found = tagging.get_resources(TagFilters=[{"Key": "owner", "Values": ["sagectl"]}],
                                  ResourceTypeFilters=["sagemaker:model-bias-job-definition"])
    assert [r["ResourceARN"] for r in found["ResourceTagMappingList"]] == [
        f"{ACCOUNT}model-bias-job-definition/model-bias-v1"]


@pytest.mark.parametrize("expression", ["cron(0 * ? * * *)", "cron(0 12 ? * * *)",
                                        "cron(0 00 ? * * *)", "cron(0 17/12 ? * * *)",
                                        "cron(0 0/2 ? * * *)"])
def test_rule_59_the_documented_cron_forms_are_accepted(emu: Emulator, expression: str) -> None:
    sm = emu.client("sagemaker")
    definition(sm)
    schedule(sm, expression=expression)
    got = sm.describe_monitoring_schedule(MonitoringScheduleName="s1")
    assert got["MonitoringScheduleConfig"]["ScheduleConfig"]["ScheduleExpression"] == expression


@pytest.mark.parametrize("expression", ["cron(0/30 * ? * * *)", "cron(30 * ? * * *)",
                                        "cron(0 24 ? * * *)", "cron(0 0/25 ? * * *)",
                                        "cron(0 0 * * ? *)", "rate(1 hour)", "now"])
def test_rule_59_other_expressions_are_refused(emu: Emulator, expression: str) -> None:
    sm = emu.client("sagemaker")
    definition(sm)
    with pytest.raises(ClientError) as err:
        schedule(sm, expression=expression)
    assert error_code(err.value) == "ValidationException"
    assert "Invalid ScheduleExpression" in str(err.value)


def test_rule_59_now_needs_an_analysis_window_of_at_most_24_hours(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    definition(sm)
    with pytest.raises(ClientError) as missing:
        schedule(sm, expression="NOW")
    assert "DataAnalysisStartTime and DataAnalysisEndTime are required" in str(missing.value)
    with pytest.raises(ClientError) as wide:
        schedule(sm, expression=None, config={"ScheduleConfig": {
            "ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT25H",
            "DataAnalysisEndTime": "PT0H"}})
    assert "more than 24 hours" in str(wide.value)
    schedule(sm, expression=None, config={"ScheduleConfig": {
        "ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT24H",
        "DataAnalysisEndTime": "-PT0H"}})


def test_rule_60_a_schedule_is_pending_then_scheduled_and_starts_and_stops(
        emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    emu.freeze()
    definition(sm)
    arn = schedule(sm, Tags=[{"Key": "owner", "Value": "sagectl"}])
    assert arn == f"{ACCOUNT}monitoring-schedule/s1"
    assert status(sm) == "Pending"
    emu.advance(emu.durations.monitoring_schedule_pending)
    got = sm.describe_monitoring_schedule(MonitoringScheduleName="s1")
    assert (got["MonitoringScheduleStatus"], got["EndpointName"], got["MonitoringType"]) == (
        "Scheduled", "ep", "DataQuality")
    assert "LastMonitoringExecutionSummary" not in got
    sm.stop_monitoring_schedule(MonitoringScheduleName="s1")
    assert status(sm) == "Stopped"
    sm.start_monitoring_schedule(MonitoringScheduleName="s1")
    assert status(sm) == "Scheduled"
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "owner", "Value": "sagectl"}]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "env", "Value": "prod"}])
    sm.delete_tags(ResourceArn=arn, TagKeys=["owner"])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "prod"}]
    types = emu.client("resourcegroupstaggingapi").get_resources(
        ResourceTypeFilters=["sagemaker:monitoring-schedule"])["ResourceTagMappingList"]
    assert [r["ResourceARN"] for r in types] == [arn]


def test_rule_60_update_points_the_schedule_at_another_definition(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    emu.freeze()
    definition(sm, "dq-aaaa")
    definition(sm, "dq-bbbb")
    schedule(sm, job="dq-aaaa")
    emu.advance(60)
    before = sm.describe_monitoring_schedule(MonitoringScheduleName="s1")
    emu.advance(10)
    sm.update_monitoring_schedule(MonitoringScheduleName="s1", MonitoringScheduleConfig={
        "MonitoringJobDefinitionName": "dq-bbbb", "MonitoringType": "DataQuality",
        "ScheduleConfig": {"ScheduleExpression": "cron(0 0/6 ? * * *)"}})
    after = sm.describe_monitoring_schedule(MonitoringScheduleName="s1")
    assert after["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"] == "dq-bbbb"
    assert after["MonitoringScheduleStatus"] == "Scheduled"
    assert after["LastModifiedTime"] > before["LastModifiedTime"]
    assert [s["MonitoringScheduleName"] for s in sm.list_monitoring_schedules(
        MonitoringJobDefinitionName="dq-bbbb")["MonitoringScheduleSummaries"]] == ["s1"]
    assert sm.list_monitoring_schedules(MonitoringJobDefinitionName="dq-aaaa")[
        "MonitoringScheduleSummaries"] == []


def test_rule_60_refusals_of_create_and_missing_schedules(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    definition(sm)
    schedule(sm)
    with pytest.raises(ClientError) as dup:
        schedule(sm)
    assert error_code(dup.value) == "ResourceInUse"
    with pytest.raises(ClientError) as wrong_type:
        schedule(sm, name="s2", type_="ModelQuality")
    assert error_code(wrong_type.value) == "ValidationException"
    assert "Could not find ModelQuality job definition 'dq'" in str(wrong_type.value)
    for call in (sm.describe_monitoring_schedule, sm.start_monitoring_schedule,
                 sm.stop_monitoring_schedule, sm.delete_monitoring_schedule):
        with pytest.raises(ClientError) as missing:
            call(MonitoringScheduleName="nope")
        assert error_code(missing.value) == "ResourceNotFound"
    sm.delete_monitoring_schedule(MonitoringScheduleName="s1")
    assert sm.list_monitoring_schedules()["MonitoringScheduleSummaries"] == []


def test_rule_60_list_filters_sorts_and_pages(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    emu.freeze()
    definition(sm, "dq-a", endpoint="ep-a")
    definition(sm, "mq-b", "ModelQuality", endpoint="ep-b")
    schedule(sm, "s-a", "dq-a")
    emu.advance(1)
    schedule(sm, "s-b", "mq-b", "ModelQuality")
    sm.stop_monitoring_schedule(MonitoringScheduleName="s-b")

    def names(**filters: object) -> list[str]:
        return [s["MonitoringScheduleName"] for s in sm.list_monitoring_schedules(
            **filters)["MonitoringScheduleSummaries"]]

    assert names() == ["s-b", "s-a"]
    assert names(EndpointName="ep-a") == ["s-a"]
    assert names(MonitoringTypeEquals="ModelQuality") == ["s-b"]
    assert names(StatusEquals="Stopped") == ["s-b"]
    assert names(NameContains="-A") == ["s-a"]
    assert names(SortBy="Name", SortOrder="Ascending") == ["s-a", "s-b"]
    first = sm.list_monitoring_schedules(MaxResults=1)
    assert [s["MonitoringScheduleName"] for s in first["MonitoringScheduleSummaries"]] == ["s-b"]
    assert names(MaxResults=1, NextToken=first["NextToken"]) == ["s-a"]
