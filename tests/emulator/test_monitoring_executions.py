"""Monitoring executions on the simulated clock (rule 61), every answer checked against
botocore's model."""

from __future__ import annotations

import pytest

from sagemaker_emulator import Emulator
from tests.emulator.monitoring_helpers import conforming, definition, schedule

__all__ = ["conforming"]
pytestmark = pytest.mark.usefixtures("conforming")


def _to_next_hour(emu: Emulator) -> None:
    """Freeze the clock at 10 minutes past an hour (the schedule is Scheduled by then)."""
    emu.freeze()
    now = emu.now()
    emu.advance((600 - now % 3600) % 3600)


def _runs(sm: object, **filters: object) -> list[dict]:
    return sm.list_monitoring_executions(**filters)["MonitoringExecutionSummaries"]  # type: ignore[attr-defined]


def test_rule_61_an_hourly_schedule_runs_on_each_hour(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    _to_next_hour(emu)
    definition(sm)
    schedule(sm)
    emu.advance(49 * 60)  # the next hour is 1 minute away
    assert _runs(sm) == []
    emu.advance(60)
    (run,) = _runs(sm)
    assert run["MonitoringExecutionStatus"] == "InProgress"
    assert run["ScheduledTime"].timestamp() % 3600 == 0
    assert (run["EndpointName"], run["MonitoringJobDefinitionName"], run["MonitoringType"]) == (
        "ep", "dq", "DataQuality")
    assert ":processing-job/model-monitoring-" in run["ProcessingJobArn"]
    emu.advance(emu.durations.monitoring_execution)
    last = sm.describe_monitoring_schedule(MonitoringScheduleName="s1")[
        "LastMonitoringExecutionSummary"]
    assert last["MonitoringExecutionStatus"] == "Completed"
    emu.advance(2 * 3600 - 300)  # the third run has just started
    assert [r["MonitoringExecutionStatus"] for r in _runs(sm)] == [
        "InProgress", "Completed", "Completed"]


def test_rule_61_every_n_hours_and_daily(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    _to_next_hour(emu)
    definition(sm)
    schedule(sm, "six", expression="cron(0 0/6 ? * * *)")
    schedule(sm, "noon", expression="cron(0 12 ? * * *)")
    emu.advance(2 * 86400)
    six = _runs(sm, MonitoringScheduleName="six")
    assert len(six) == 8
    assert {int(r["ScheduledTime"].timestamp() // 3600 % 24) for r in six} == {0, 6, 12, 18}
    noon = _runs(sm, MonitoringScheduleName="noon")
    assert [r["ScheduledTime"].hour for r in noon] == [12, 12]


def test_rule_61_now_runs_once(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    emu.freeze()
    definition(sm)
    schedule(sm, expression=None, config={"ScheduleConfig": {
        "ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT1H",
        "DataAnalysisEndTime": "-PT0H"}})
    emu.advance(emu.durations.monitoring_schedule_pending)
    assert len(_runs(sm)) == 1
    emu.advance(86400)
    assert [r["MonitoringExecutionStatus"] for r in _runs(sm)] == ["Completed"]


def test_rule_61_injected_failure_and_violations(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    _to_next_hour(emu)
    definition(sm)
    schedule(sm)
    emu.fail_next_monitoring_execution("s1", "violations")
    emu.fail_next_monitoring_execution("s1", "failed", reason="ClientError: no access")
    emu.advance(3 * 3600)
    runs = _runs(sm, SortOrder="Ascending")
    assert [r["MonitoringExecutionStatus"] for r in runs] == [
        "CompletedWithViolations", "Failed", "Completed"]
    assert runs[1]["FailureReason"] == "ClientError: no access"
    assert "FailureReason" not in runs[0]
    assert [r["MonitoringScheduleName"] for r in _runs(sm, StatusEquals="Failed")] == ["s1"]


def test_rule_61_a_stopped_schedule_does_not_run_and_history_outlives_it(
        emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    _to_next_hour(emu)
    definition(sm)
    schedule(sm)
    emu.advance(3600)
    sm.stop_monitoring_schedule(MonitoringScheduleName="s1")
    emu.advance(5 * 3600)
    assert len(_runs(sm)) == 1
    sm.start_monitoring_schedule(MonitoringScheduleName="s1")
    emu.advance(3600)
    assert len(_runs(sm)) == 2
    sm.delete_monitoring_schedule(MonitoringScheduleName="s1")
    emu.advance(3600)
    assert len(_runs(sm, MonitoringScheduleName="s1")) == 2


def test_a_job_definition_in_use_can_be_deleted(emu: Emulator) -> None:
    """No page documents a refusal (see the rules doc's undocumented choices)."""
    sm = emu.client("sagemaker")
    definition(sm)
    schedule(sm)
    sm.delete_data_quality_job_definition(JobDefinitionName="dq")
    assert sm.describe_monitoring_schedule(MonitoringScheduleName="s1")[
        "MonitoringScheduleConfig"]["MonitoringJobDefinitionName"] == "dq"
