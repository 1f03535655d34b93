"""MonitoringSchedule plan and apply against the emulator: create (running or stopped), a
schedule change, a definition replaced by a new content-named one (the old one deleted last),
start/stop, tags, orphans, ownership, verification and its undo; after apply the plan is empty.

The job definitions are planned by their own kinds (branch mm-defs)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reconciler.contract import Registry
from reconciler.kinds.monitoring_schedule import cadence
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply, statuses
from tests.kinds.monitoring_job.helpers import live_definitions
from tests.kinds.monitoring_schedule.helpers import (
    ADDRESS,
    create_definition,
    definition,
    estate,
    kinds,
    running_definition,
    schedule,
    sm,
)
from tests.plan.helpers import one, ops, plan, write

__all__ = ["kinds"]


def described(emu: Emulator, name: str = "fraud-dq") -> dict[str, Any]:
    return sm(emu).describe_monitoring_schedule(MonitoringScheduleName=name)  # type: ignore[no-any-return]


def applied(emu: Emulator, specs: Path, prune: bool | None = None) -> None:
    run = apply(emu, specs, prune=prune)
    assert set(statuses(run).values()) <= {"applied"}, run.result
    after = plan(emu, specs, prune=prune)
    assert not after.resource_changes and not after.problems, (after.resource_changes,
                                                                after.problems)


@pytest.fixture
def created(emu: Emulator, tmp_path: Path, kinds: Registry) -> Path:
    specs = write(tmp_path, estate())
    applied(emu, specs)
    return specs


def test_create_is_verified_scheduled_and_plans_nothing_after(emu: Emulator, created: Path
                                                              ) -> None:
    found = described(emu)
    assert found["MonitoringScheduleStatus"] == "Scheduled"
    config = found["MonitoringScheduleConfig"]
    assert config["MonitoringJobDefinitionName"] == live_definitions(emu, "DataQuality")[0]
    assert config["MonitoringJobDefinitionName"].startswith("dq-")
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
    specs = write(tmp_path, estate())
    the_plan = plan(emu, specs)
    change = one(the_plan, ADDRESS)
    aws_name = one(the_plan, "DataQualityJobDefinition.dq").steps[0].params["JobDefinitionName"]
    assert change.action_reason.value == "new"
    assert ops(change) == ["sagemaker:CreateMonitoringSchedule", "sagectl:wait", "sagectl:verify"]
    assert change.steps[0].undo[0].op == "sagemaker:DeleteMonitoringSchedule"
    assert change.consequences["summary"] == [
        f"creates monitoring schedule fraud-dq (DataQuality, job definition {aws_name})",
        "runs every hour, on the hour (UTC); next run 2026-12-01 19:00 UTC (SageMaker may "
        "start it up to 20 minutes late)"]
    assert set(change.depends_on) == {"DataQualityJobDefinition.dq", "Endpoint.fraud"}


def test_a_schedule_created_stopped(emu: Emulator, tmp_path: Path, kinds: Registry) -> None:
    specs = write(tmp_path, estate(**{"monitoring/fraud-dq.yaml": schedule(status="stopped")}))
    change = one(plan(emu, specs), ADDRESS)
    assert ops(change) == ["sagemaker:CreateMonitoringSchedule", "sagectl:wait", "sagectl:verify",
                           "sagemaker:StopMonitoringSchedule", "sagectl:wait", "sagectl:verify"]
    assert "stopped: no runs until it is started" in change.consequences["summary"]
    applied(emu, specs)
    assert described(emu)["MonitoringScheduleStatus"] == "Stopped"


def test_a_changed_expression_is_one_update(emu: Emulator, created: Path) -> None:
    specs = write(created.parent, estate(**{
        "monitoring/fraud-dq.yaml": schedule(expression="cron(0 0/6 ? * * *)")}))
    change = one(plan(emu, specs), ADDRESS)
    assert change.action_reason.value == "schedule_changed"
    assert ops(change) == ["sagemaker:UpdateMonitoringSchedule", "sagectl:wait", "sagectl:verify",
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
    old = running_definition(emu)
    specs = write(created.parent, estate(**{"monitoring/dq.yaml": definition(runtime=1700)}))
    the_plan = plan(emu, specs)
    new = one(the_plan, "DataQualityJobDefinition.dq").steps[0].params["JobDefinitionName"]
    assert new != old
    change = one(the_plan, ADDRESS)
    assert ops(change) == ["sagemaker:UpdateMonitoringSchedule", "sagectl:wait", "sagectl:verify",
                           "sagemaker:AddTags", "sagemaker:DeleteDataQualityJobDefinition"]
    assert change.steps[-1].params == {"JobDefinitionName": old}
    assert change.steps[-1].irreversible
    assert change.steps[2].params == {"definition": new, "status": "Scheduled"}
    assert "DataQualityJobDefinition.dq" in change.depends_on
    applied(emu, specs)
    assert running_definition(emu) == new
    assert live_definitions(emu, "DataQuality") == [new]


def test_a_definition_another_spec_still_wants_is_kept(emu: Emulator, created: Path) -> None:
    specs = write(created.parent, estate(**{
        "monitoring/dq2.yaml": definition(name="dq2", runtime=1700),
        "monitoring/fraud-dq.yaml": schedule(job="dq2")}))
    change = one(plan(emu, specs), ADDRESS)
    assert ops(change)[0] == "sagemaker:UpdateMonitoringSchedule"
    assert "sagemaker:DeleteDataQualityJobDefinition" not in ops(change)


def test_a_definition_sagectl_does_not_own_is_never_deleted(emu: Emulator,
                                                            created: Path) -> None:
    mine = running_definition(emu)
    create_definition(emu, "by-hand")
    sm(emu).update_monitoring_schedule(MonitoringScheduleName="fraud-dq",
                                       MonitoringScheduleConfig={
                                           "MonitoringJobDefinitionName": "by-hand",
                                           "MonitoringType": "DataQuality",
                                           "ScheduleConfig": {
                                               "ScheduleExpression": "cron(0 * ? * * *)"}})
    change = one(plan(emu, created), ADDRESS)
    assert ops(change) == ["sagemaker:UpdateMonitoringSchedule", "sagectl:wait", "sagectl:verify"]
    applied(emu, created)
    assert running_definition(emu) == mine
    assert "by-hand" in live_definitions(emu, "DataQuality")


def test_stop_and_start(emu: Emulator, created: Path) -> None:
    specs = write(created.parent, estate(**{"monitoring/fraud-dq.yaml": schedule(
        status="stopped")}))
    change = one(plan(emu, specs), ADDRESS)
    assert change.action_reason.value == "status_changed"
    assert ops(change) == ["sagemaker:StopMonitoringSchedule", "sagectl:wait", "sagectl:verify",
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
    specs = write(created.parent, estate(**{"monitoring/fraud-dq.yaml": schedule(
        extra="\n  tags: {team: risk}")}))
    change = one(plan(emu, specs), ADDRESS)
    assert change.action_reason.value == "tags_only"
    assert ops(change) == ["sagemaker:AddTags"]
    applied(emu, specs)


def test_a_failed_verification_undoes_the_update(emu: Emulator, created: Path) -> None:
    specs = write(created.parent, estate(**{
        "monitoring/fraud-dq.yaml": schedule(expression="cron(0 3 ? * * *)")}))
    # someone stops the schedule between the update and its verification
    emu.before_call("sagemaker", "UpdateMonitoringSchedule", lambda: None)
    emu.before_call("sagemaker", "DescribeMonitoringSchedule",
                    lambda: sm(emu).stop_monitoring_schedule(MonitoringScheduleName="fraud-dq"),
                    skip=1)
    run = apply(emu, specs)
    assert statuses(run)[ADDRESS] == "rolled_back", run.result
    assert described(emu)["MonitoringScheduleConfig"]["ScheduleConfig"][
        "ScheduleExpression"] == "cron(0 * ? * * *)"


def test_an_orphan_is_deleted_when_pruning(emu: Emulator, created: Path) -> None:
    files = estate()
    del files["monitoring/fraud-dq.yaml"]
    specs = write(created.parent, files, prune=True)
    change = one(plan(emu, specs), ADDRESS)
    assert change.action_reason.value == "not_in_spec"
    assert ops(change) == ["sagemaker:DeleteMonitoringSchedule"]
    assert change.steps[0].irreversible
    applied(emu, specs)
    assert sm(emu).list_monitoring_schedules()["MonitoringScheduleSummaries"] == []


def test_a_schedule_sagectl_does_not_own_is_a_problem(emu: Emulator, tmp_path: Path,
                                                      kinds: Registry) -> None:
    create_definition(emu, "by-hand")
    sm(emu).create_monitoring_schedule(MonitoringScheduleName="fraud-dq",
                                       MonitoringScheduleConfig={
                                           "MonitoringJobDefinitionName": "by-hand",
                                           "MonitoringType": "DataQuality",
                                           "ScheduleConfig": {
                                               "ScheduleExpression": "cron(0 * ? * * *)"}})
    found = plan(emu, write(tmp_path, estate()))
    assert [(p.address, p.message) for p in found.problems] == [
        (ADDRESS, "monitoring schedule fraud-dq exists and is not managed by sagectl")]


def test_an_endpoint_pruned_with_its_schedule_and_definition_goes_last(
        emu: Emulator, created: Path) -> None:
    """Deletions run in reverse planning order: the schedule (47), its definition (42), then
    the endpoint (40); every one is applied."""
    specs = write(created.parent, {"models/fraud-model.yaml": estate()["models/fraud-model.yaml"]},
                  prune=True)
    the_plan = plan(emu, specs)
    deleted = [c.address for c in the_plan.resource_changes if c.action_reason.value in (
        "not_in_spec",)]
    assert {ADDRESS, "DataQualityJobDefinition.dq", "Endpoint.fraud"} <= set(deleted), deleted
    run = apply(emu, specs, prune=True)
    assert set(statuses(run).values()) == {"applied"}, run.result
    assert sm(emu).list_monitoring_schedules()["MonitoringScheduleSummaries"] == []
    assert live_definitions(emu, "DataQuality") == []
