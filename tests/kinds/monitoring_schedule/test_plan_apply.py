"""MonitoringSchedule plan and apply against the emulator: create (running or stopped), a
schedule change, a definition replaced by a new content-named one (the old one deleted last),
start/stop, tags, orphans, ownership, verification and its undo; after apply the plan is empty.

The job definitions are stand-ins (``helpers.py``) until the definition kinds are merged."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reconciler.contract import Registry
from reconciler.kinds.monitoring_schedule import cadence
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply, statuses
from tests.kinds.monitoring_schedule.helpers import (
    create_definition,
    definition,
    estate,
    kinds,
    schedule,
)
from tests.plan.helpers import aws_for, one, ops, plan, write

__all__ = ["kinds"]
ADDRESS = "MonitoringSchedule.scorer-dq"


def sm(emu: Emulator) -> Any:
    return aws_for(emu).client("sagemaker")


def described(emu: Emulator, name: str = "scorer-dq") -> dict[str, Any]:
    return sm(emu).describe_monitoring_schedule(MonitoringScheduleName=name)  # type: ignore[no-any-return]


def applied(emu: Emulator, specs: Path, prune: bool | None = None) -> None:
    run = apply(emu, specs, prune=prune)
    assert set(statuses(run).values()) <= {"applied"}, run.result
    after = plan(emu, specs, prune=prune)
    assert not after.resource_changes and not after.problems, (after.resource_changes,
                                                                after.problems)


@pytest.fixture
def created(emu: Emulator, tmp_path: Path, kinds: Registry) -> Path:
    create_definition(emu, "dq-0000aaaa")
    specs = write(tmp_path, estate())
    applied(emu, specs)
    return specs


def test_create_is_verified_scheduled_and_plans_nothing_after(emu: Emulator, created: Path
                                                              ) -> None:
    found = described(emu)
    assert found["MonitoringScheduleStatus"] == "Scheduled"
    config = found["MonitoringScheduleConfig"]
    assert config["MonitoringJobDefinitionName"] == "dq-0000aaaa"
    assert config["ScheduleConfig"]["ScheduleExpression"] == "cron(0 * ? * * *)"
    tags = {t["Key"]: t["Value"] for t in sm(emu).list_tags(
        ResourceArn=found["MonitoringScheduleArn"])["Tags"]}
    assert tags["sagectl:address"] == ADDRESS and tags["sagectl:env"] == "dev"


def test_the_create_plan_says_when_the_next_run_is(emu: Emulator, tmp_path: Path,
                                                   kinds: Registry,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cadence, "utc_now", lambda: datetime(2026, 12, 1, 18, 30, tzinfo=UTC))
    import reconciler.kinds.monitoring_schedule.plan as schedule_plan
    monkeypatch.setattr(schedule_plan, "utc_now", cadence.utc_now)
    create_definition(emu, "dq-0000aaaa")
    specs = write(tmp_path, estate())
    change = one(plan(emu, specs), ADDRESS)
    assert change.action_reason.value == "new"
    assert ops(change) == ["sagemaker:CreateMonitoringSchedule", "sagectl:verify"]
    assert change.steps[0].undo[0].op == "sagemaker:DeleteMonitoringSchedule"
    assert change.consequences["summary"] == [
        "creates monitoring schedule scorer-dq (DataQuality, job definition dq-0000aaaa)",
        "runs every hour, on the hour (UTC); next run 2026-12-01 19:00 UTC (SageMaker may "
        "start it up to 20 minutes late)"]
    assert set(change.depends_on) == {"DataQualityJobDefinition.dq", "Endpoint.scorer"}


def test_a_schedule_created_stopped(emu: Emulator, tmp_path: Path, kinds: Registry) -> None:
    create_definition(emu, "dq-0000aaaa")
    specs = write(tmp_path, estate(**{"monitoring/scorer-dq.yaml": schedule(status="stopped")}))
    change = one(plan(emu, specs), ADDRESS)
    assert ops(change) == ["sagemaker:CreateMonitoringSchedule", "sagectl:verify",
                           "sagemaker:StopMonitoringSchedule", "sagectl:verify"]
    assert "stopped: no runs until it is started" in change.consequences["summary"]
    applied(emu, specs)
    assert described(emu)["MonitoringScheduleStatus"] == "Stopped"


def test_a_changed_expression_is_one_update(emu: Emulator, created: Path) -> None:
    specs = write(created.parent, estate(**{
        "monitoring/scorer-dq.yaml": schedule(expression="cron(0 0/6 ? * * *)")}))
    change = one(plan(emu, specs), ADDRESS)
    assert change.action_reason.value == "schedule_changed"
    assert ops(change) == ["sagemaker:UpdateMonitoringSchedule", "sagectl:verify",
                           "sagemaker:AddTags"]
    undo = change.steps[0].undo[0]
    assert undo.op == "sagemaker:UpdateMonitoringSchedule"
    assert undo.params["MonitoringScheduleConfig"]["ScheduleConfig"] == {
        "ScheduleExpression": "cron(0 * ? * * *)"}
    assert [(d.path, d.before, d.after) for d in change.diff] == [
        ("scheduleConfig.scheduleExpression", "cron(0 * ? * * *)", "cron(0 0/6 ? * * *)")]
    applied(emu, specs)
    assert described(emu)["MonitoringScheduleConfig"]["ScheduleConfig"][
        "ScheduleExpression"] == "cron(0 0/6 ? * * *)"


def test_a_new_definition_version_moves_the_schedule_and_deletes_the_old_one_last(
        emu: Emulator, created: Path) -> None:
    create_definition(emu, "dq-1111bbbb")
    specs = write(created.parent, estate(**{
        "monitoring/dq.yaml": definition(aws_name="dq-1111bbbb")}))
    change = one(plan(emu, specs), ADDRESS)
    assert ops(change) == ["sagemaker:UpdateMonitoringSchedule", "sagectl:verify",
                           "sagemaker:AddTags", "sagemaker:DeleteDataQualityJobDefinition"]
    assert change.steps[-1].params == {"JobDefinitionName": "dq-0000aaaa"}
    assert change.steps[-1].irreversible
    assert change.steps[1].params == {"definition": "dq-1111bbbb", "status": "Scheduled"}
    applied(emu, specs)
    assert described(emu)["MonitoringScheduleConfig"][
        "MonitoringJobDefinitionName"] == "dq-1111bbbb"
    names = [d["MonitoringJobDefinitionName"] for d in sm(emu).list_data_quality_job_definitions(
        )["JobDefinitionSummaries"]]
    assert names == ["dq-1111bbbb"]


def test_a_definition_another_spec_still_wants_or_not_ours_is_kept(
        emu: Emulator, created: Path) -> None:
    create_definition(emu, "dq-1111bbbb", address="DataQualityJobDefinition.dq2")
    specs = write(created.parent, estate(**{
        "monitoring/dq.yaml": definition(),  # still wanted
        "monitoring/dq2.yaml": definition(name="dq2", aws_name="dq-1111bbbb"),
        "monitoring/scorer-dq.yaml": schedule(job="dq2")}))
    change = one(plan(emu, specs), ADDRESS)
    assert "sagemaker:DeleteDataQualityJobDefinition" not in ops(change)
    create_definition(emu, "dq-2222cccc", owned_by=None)
    sm(emu).delete_data_quality_job_definition(JobDefinitionName="dq-1111bbbb")
    specs = write(created.parent, estate(**{
        "monitoring/dq.yaml": definition(aws_name="dq-2222cccc")}))
    # the old one (ours) goes; an unmanaged one is never deleted
    assert ops(one(plan(emu, specs), ADDRESS))[-1] == "sagemaker:DeleteDataQualityJobDefinition"


def test_stop_and_start(emu: Emulator, created: Path) -> None:
    specs = write(created.parent, estate(**{"monitoring/scorer-dq.yaml": schedule(
        status="stopped")}))
    change = one(plan(emu, specs), ADDRESS)
    assert change.action_reason.value == "status_changed"
    assert ops(change) == ["sagemaker:StopMonitoringSchedule", "sagectl:verify",
                           "sagemaker:AddTags"]
    assert change.steps[0].undo[0].op == "sagemaker:StartMonitoringSchedule"
    applied(emu, specs)
    assert described(emu)["MonitoringScheduleStatus"] == "Stopped"
    specs = write(created.parent, estate())
    change = one(plan(emu, specs), ADDRESS)
    assert ops(change)[0] == "sagemaker:StartMonitoringSchedule"
    applied(emu, specs)
    assert described(emu)["MonitoringScheduleStatus"] == "Scheduled"


def test_tags_only(emu: Emulator, created: Path) -> None:
    specs = write(created.parent, estate(**{"monitoring/scorer-dq.yaml": schedule(
        extra="\n  tags: {team: risk}")}))
    change = one(plan(emu, specs), ADDRESS)
    assert change.action_reason.value == "tags_only"
    assert ops(change) == ["sagemaker:AddTags"]
    applied(emu, specs)


def test_a_failed_verification_undoes_the_update(emu: Emulator, created: Path) -> None:
    specs = write(created.parent, estate(**{
        "monitoring/scorer-dq.yaml": schedule(expression="cron(0 3 ? * * *)")}))
    # someone stops the schedule between the update and its verification
    emu.before_call("sagemaker", "UpdateMonitoringSchedule", lambda: None)
    emu.before_call("sagemaker", "DescribeMonitoringSchedule",
                    lambda: sm(emu).stop_monitoring_schedule(MonitoringScheduleName="scorer-dq"),
                    skip=1)
    run = apply(emu, specs)
    assert statuses(run)[ADDRESS] == "rolled_back", run.result
    assert described(emu)["MonitoringScheduleConfig"]["ScheduleConfig"][
        "ScheduleExpression"] == "cron(0 * ? * * *)"


def test_an_orphan_is_deleted_when_pruning(emu: Emulator, created: Path) -> None:
    files = estate()
    del files["monitoring/scorer-dq.yaml"]
    specs = write(created.parent, files, prune=True)
    change = one(plan(emu, specs), ADDRESS)
    assert change.action_reason.value == "not_in_spec"
    assert ops(change) == ["sagemaker:DeleteMonitoringSchedule"]
    assert change.steps[0].irreversible
    applied(emu, specs)
    assert sm(emu).list_monitoring_schedules()["MonitoringScheduleSummaries"] == []


def test_a_schedule_sagectl_does_not_own_is_a_problem(emu: Emulator, tmp_path: Path,
                                                      kinds: Registry) -> None:
    create_definition(emu, "dq-0000aaaa")
    sm(emu).create_monitoring_schedule(MonitoringScheduleName="scorer-dq",
                                       MonitoringScheduleConfig={
                                           "MonitoringJobDefinitionName": "dq-0000aaaa",
                                           "MonitoringType": "DataQuality",
                                           "ScheduleConfig": {
                                               "ScheduleExpression": "cron(0 * ? * * *)"}})
    found = plan(emu, write(tmp_path, estate()))
    assert [(p.address, p.message) for p in found.problems] == [
        (ADDRESS, "monitoring schedule scorer-dq exists and is not managed by sagectl")]
