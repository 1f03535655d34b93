"""Pipeline triggers: EventBridge Scheduler schedules and EventBridge rules that target a
pipeline, and rate(...) triggers starting executions on the simulated clock."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sagemaker_emulator import Emulator
from tests.emulator.helpers import error_code

PIPELINE = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/train"
SCHEDULER_ROLE = "arn:aws:iam::123456789012:role/scheduler"
PARAMS = [{"Name": "Threshold", "Value": "0.7"}, {"Name": "Mode", "Value": "nightly"}]


def target(params: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"Arn": PIPELINE, "RoleArn": SCHEDULER_ROLE,
            "SageMakerPipelineParameters": {"PipelineParameterList": params or PARAMS}}


def schedule(scheduler: Any, expression: str = "rate(5 minutes)", name: str = "nightly",
             **extra: Any) -> str:
    return scheduler.create_schedule(Name=name, ScheduleExpression=expression,
                                     FlexibleTimeWindow={"Mode": "OFF"},
                                     Target=extra.pop("Target", target()), **extra)["ScheduleArn"]


def pipeline(sm: Any) -> None:
    sm.create_pipeline(PipelineName="train", RoleArn="arn:aws:iam::123456789012:role/pipelines",
                       ClientRequestToken="c" * 32,
                       PipelineDefinition='{"Version": "2020-12-01", "Steps": '
                                          '[{"Name": "Train", "Type": "Training"}]}')


def executions(sm: Any) -> list[dict[str, Any]]:
    return sm.list_pipeline_executions(PipelineName="train", SortOrder="Ascending",
                                       MaxResults=100)["PipelineExecutionSummaries"]


def parameters(sm: Any, arn: str) -> list[dict[str, str]]:
    return sm.list_pipeline_parameters_for_execution(PipelineExecutionArn=arn)[
        "PipelineParameters"]


@pytest.fixture
def sm(emu: Emulator) -> Any:
    emu.freeze()
    client = emu.client("sagemaker")
    pipeline(client)
    return client


# -- EventBridge Scheduler --------------------------------------------------------------------

def test_schedule_crud_round_trips_a_pipeline_target(emu: Emulator) -> None:
    scheduler = emu.client("scheduler")
    arn = schedule(scheduler, "cron(0 2 * * ? *)", ScheduleExpressionTimezone="Europe/Paris",
                   State="ENABLED", Description="Managed by sagectl: Pipeline.train")
    assert arn == "arn:aws:scheduler:us-east-1:123456789012:schedule/default/nightly"
    got = scheduler.get_schedule(Name="nightly")
    assert got["Target"]["SageMakerPipelineParameters"] == {"PipelineParameterList": PARAMS}
    assert (got["Target"]["Arn"], got["Target"]["RoleArn"]) == (PIPELINE, SCHEDULER_ROLE)
    assert (got["ScheduleExpression"], got["ScheduleExpressionTimezone"], got["State"],
            got["Description"], got["FlexibleTimeWindow"]) == (
        "cron(0 2 * * ? *)", "Europe/Paris", "ENABLED", "Managed by sagectl: Pipeline.train",
        {"Mode": "OFF"})
    new_params = [{"Name": "Threshold", "Value": "0.8"}]
    scheduler.update_schedule(Name="nightly", ScheduleExpression="rate(1 day)",
                              FlexibleTimeWindow={"Mode": "OFF"}, Target=target(new_params),
                              State="DISABLED", Description="changed")
    got = scheduler.get_schedule(Name="nightly")
    assert (got["ScheduleExpression"], got["State"], got["Description"]) == (
        "rate(1 day)", "DISABLED", "changed")
    assert got["Target"]["SageMakerPipelineParameters"]["PipelineParameterList"] == new_params
    (listed,) = scheduler.list_schedules(NamePrefix="night")["Schedules"]
    assert (listed["Name"], listed["State"], listed["Target"]) == (
        "nightly", "DISABLED", {"Arn": PIPELINE})
    assert set(listed) == {"Arn", "Name", "GroupName", "State", "CreationDate",
                           "LastModificationDate", "Target"}  # a ScheduleSummary, no more
    scheduler.update_schedule(Name="nightly", ScheduleExpression="rate(1 day)",
                              FlexibleTimeWindow={"Mode": "OFF"}, Target=target())
    assert scheduler.get_schedule(Name="nightly")["State"] == "ENABLED"  # the default
    scheduler.delete_schedule(Name="nightly")
    with pytest.raises(scheduler.exceptions.ResourceNotFoundException):
        scheduler.get_schedule(Name="nightly")
    assert scheduler.list_schedules()["Schedules"] == []


def test_schedule_errors(emu: Emulator) -> None:
    scheduler = emu.client("scheduler")
    schedule(scheduler)
    with pytest.raises(ClientError) as exc:
        schedule(scheduler)
    assert error_code(exc.value) == "ConflictException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    with pytest.raises(ClientError) as exc:
        schedule(scheduler, name="elsewhere", GroupName="no-such-group")
    assert error_code(exc.value) == "ResourceNotFoundException"
    for bad in ("rate(0 minutes)", "rate(5 weeks)", "cron(0 2 * * *)", "cron(0 2 * * 1 *)",
                "every day"):
        with pytest.raises(ClientError) as exc:
            schedule(scheduler, bad, name="bad")
        assert error_code(exc.value) == "ValidationException", bad
    with pytest.raises(ClientError) as exc:
        scheduler.create_schedule(Name="flex", ScheduleExpression="rate(1 hour)",
                                  FlexibleTimeWindow={"Mode": "FLEXIBLE"}, Target=target())
    assert error_code(exc.value) == "ValidationException"
    for call in (lambda: scheduler.get_schedule(Name="nope"),
                 lambda: scheduler.delete_schedule(Name="nope"),
                 lambda: scheduler.update_schedule(Name="nope", ScheduleExpression="rate(1 day)",
                                                   FlexibleTimeWindow={"Mode": "OFF"},
                                                   Target=target())):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_code(exc.value) == "ResourceNotFoundException"
    assert [s["Name"] for s in scheduler.list_schedules()["Schedules"]] == ["nightly"]


# -- EventBridge rules ------------------------------------------------------------------------

def test_rule_and_targets_round_trip_with_tags(emu: Emulator) -> None:
    events = emu.client("events")
    arn = events.put_rule(Name="nightly", ScheduleExpression="rate(1 day)", State="ENABLED",
                          Description="Managed by sagectl",
                          Tags=[{"Key": "team", "Value": "risk"}])["RuleArn"]
    events.put_targets(Rule="nightly", Targets=[{
        "Id": "sagectl-pipeline", "Arn": PIPELINE, "RoleArn": SCHEDULER_ROLE,
        "SageMakerPipelineParameters": {"PipelineParameterList": PARAMS}}])
    (got,) = events.list_targets_by_rule(Rule="nightly")["Targets"]
    assert (got["Id"], got["Arn"], got["RoleArn"], got["SageMakerPipelineParameters"]) == (
        "sagectl-pipeline", PIPELINE, SCHEDULER_ROLE, {"PipelineParameterList": PARAMS})
    rule = events.describe_rule(Name="nightly")
    assert (rule["ScheduleExpression"], rule["State"], rule["Description"]) == (
        "rate(1 day)", "ENABLED", "Managed by sagectl")
    (listed,) = events.list_rules()["Rules"]
    assert "CreatedBy" not in listed  # DescribeRule's member, not ListRules'
    events.tag_resource(ResourceARN=arn, Tags=[{"Key": "env", "Value": "prod"}])
    events.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
        {"Key": "env", "Value": "prod"}]
    # PutRule on an existing rule ignores Tags and keeps the targets
    events.put_rule(Name="nightly", ScheduleExpression="rate(2 days)",
                    Tags=[{"Key": "env", "Value": "dev"}])
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
        {"Key": "env", "Value": "prod"}]
    assert len(events.list_targets_by_rule(Rule="nightly")["Targets"]) == 1
    with pytest.raises(ClientError) as exc:
        events.delete_rule(Name="nightly")  # targets first
    assert error_code(exc.value) == "ValidationException"
    events.remove_targets(Rule="nightly", Ids=["sagectl-pipeline"])
    events.delete_rule(Name="nightly")
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.describe_rule(Name="nightly")


@pytest.mark.parametrize("expression", ["rate(1 hours)", "rate(5 minute)", "rate(0 minutes)",
                                        "cron(bad)", "cron(0 2 * * ? * *)", "daily"])
def test_rule_expressions_are_checked_like_eventbridge(emu: Emulator, expression: str) -> None:
    with pytest.raises(ClientError) as exc:
        emu.client("events").put_rule(Name="r", ScheduleExpression=expression)
    assert error_code(exc.value) == "ValidationException"


# -- firing -----------------------------------------------------------------------------------

def test_a_rate_schedule_starts_executions_with_its_parameters(emu: Emulator, sm: Any) -> None:
    schedule(emu.client("scheduler"), "rate(5 minutes)")
    assert executions(sm) == []
    emu.advance(299)
    assert executions(sm) == []
    emu.advance(1)
    (first,) = executions(sm)
    assert first["PipelineExecutionStatus"] == "Executing"
    assert parameters(sm, first["PipelineExecutionArn"]) == PARAMS
    emu.advance(600 + 30)  # two more periods, looked at late
    runs = executions(sm)
    assert len(runs) == 3
    gaps = [(b["StartTime"] - a["StartTime"]).total_seconds() for a, b in pairwise(runs)]
    assert gaps == [pytest.approx(300, abs=0.01)] * 2  # started when they fell due
    assert [r["PipelineExecutionStatus"] for r in runs] == ["Succeeded", "Succeeded", "Executing"]
    assert sm.describe_pipeline(PipelineName="train")["LastRunTime"] == runs[-1]["StartTime"]


def test_a_rate_rule_starts_executions_of_its_targets(emu: Emulator, sm: Any) -> None:
    events = emu.client("events")
    events.put_rule(Name="hourly", ScheduleExpression="rate(1 hour)")
    events.put_targets(Rule="hourly", Targets=[{
        "Id": "p", "Arn": PIPELINE, "RoleArn": SCHEDULER_ROLE,
        "SageMakerPipelineParameters": {"PipelineParameterList": PARAMS[:1]}}])
    emu.advance(3600)
    (run,) = executions(sm)
    assert parameters(sm, run["PipelineExecutionArn"]) == PARAMS[:1]
    events.disable_rule(Name="hourly")
    emu.advance(7200)
    assert len(executions(sm)) == 1
    events.enable_rule(Name="hourly")  # counts again from now
    emu.advance(3599)
    assert len(executions(sm)) == 1
    emu.advance(1)
    assert len(executions(sm)) == 2


def test_disabled_cron_and_deleted_schedules_do_not_fire(emu: Emulator, sm: Any) -> None:
    scheduler = emu.client("scheduler")
    schedule(scheduler, "rate(1 minute)", name="off", State="DISABLED")
    schedule(scheduler, "cron(0/5 * * * ? *)", name="cron")  # cron is not emulated
    schedule(scheduler, "rate(1 minute)", name="gone")
    scheduler.delete_schedule(Name="gone")
    emu.client("events").put_rule(Name="cron-rule", ScheduleExpression="cron(0 * * * ? *)")
    emu.advance(86400)
    assert executions(sm) == []
    scheduler.update_schedule(Name="off", ScheduleExpression="rate(1 minute)",
                              FlexibleTimeWindow={"Mode": "OFF"}, Target=target(),
                              State="ENABLED")
    emu.advance(60)
    assert len(executions(sm)) == 1


def test_a_scheduled_run_can_be_made_to_fail(emu: Emulator, sm: Any) -> None:
    emu.fail_next_execution("train", "scheduled run failed")
    schedule(emu.client("scheduler"), "rate(10 minutes)")
    emu.advance(600 + emu.durations.pipeline_execution)
    (run,) = executions(sm)
    assert (run["PipelineExecutionStatus"], run["PipelineExecutionFailureReason"]) == (
        "Failed", "scheduled run failed")


def test_no_runs_before_the_pipeline_existed(emu: Emulator) -> None:
    emu.freeze()
    schedule(emu.client("scheduler"), "rate(1 minute)")
    emu.advance(630)  # ten ticks with no pipeline: AWS would fail those invocations
    sm = emu.client("sagemaker")
    pipeline(sm)
    emu.advance(30)
    (run,) = executions(sm)  # the eleventh tick, after the pipeline was created
    assert run["PipelineExecutionStatus"] == "Executing"
