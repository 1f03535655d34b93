"""Job definitions are immutable: a content change creates a new content-named version; an
earlier version no live monitoring schedule uses is deleted, one a schedule uses stays (the
schedule kind deletes it after moving). Definitions whose spec left the specs are deleted unless
a live schedule uses them."""

from __future__ import annotations

from pathlib import Path

from sagemaker_emulator import Emulator
from tests.apply.helpers import apply, statuses
from tests.emulator.monitoring_helpers import schedule
from tests.kinds.monitoring_job.helpers import definition, estate, live_definitions, sm
from tests.plan.helpers import one, ops, plan, write

ADDRESS = "ModelQualityJobDefinition.fraud-mq"


def test_a_content_change_creates_a_new_version_and_deletes_the_unused_one(
        emu: Emulator, tmp_path: Path) -> None:
    specs = write(tmp_path, estate(d=definition("ModelQuality", runtime=1800)))
    apply(emu, specs)
    (old,) = live_definitions(emu, "ModelQuality")
    write(tmp_path, estate(d=definition("ModelQuality", runtime=1200)))
    change = one(plan(emu, specs), ADDRESS)
    new = change.consequences["aws_name"]
    assert new != old and new.startswith("fraud-mq-")
    assert change.action_reason.value == "new_version"
    assert ops(change) == ["sagemaker:CreateModelQualityJobDefinition",
                           "sagemaker:DeleteModelQualityJobDefinition"]
    assert change.steps[1].target == old and change.steps[1].irreversible
    assert [(e.path, e.before, e.after) for e in change.diff] == [
        ("stoppingCondition.maxRuntimeInSeconds", 1800, 1200)]
    assert statuses(apply(emu, specs))[ADDRESS] == "applied"
    assert live_definitions(emu, "ModelQuality") == [new]
    assert plan(emu, specs).resource_changes == []


def test_a_version_a_schedule_uses_stays(emu: Emulator, tmp_path: Path) -> None:
    specs = write(tmp_path, estate(d=definition("ModelQuality", runtime=1800)))
    apply(emu, specs)
    (old,) = live_definitions(emu, "ModelQuality")
    schedule(sm(emu), "fraud-mq-hourly", job=old, type_="ModelQuality")
    write(tmp_path, estate(d=definition("ModelQuality", runtime=1200)))
    change = one(plan(emu, specs), ADDRESS)
    assert ops(change) == ["sagemaker:CreateModelQualityJobDefinition"]
    assert any(f"{old} stays: monitoring schedule(s) fraud-mq-hourly use it" in line
               for line in change.consequences["summary"])
    apply(emu, specs)
    new = change.consequences["aws_name"]
    assert live_definitions(emu, "ModelQuality") == sorted([old, new])
    # the schedule moves (as the schedule kind does it): the old version is no longer used and
    # the next plan deletes it
    sm(emu).update_monitoring_schedule(MonitoringScheduleName="fraud-mq-hourly",
                                       MonitoringScheduleConfig={
                                           "MonitoringJobDefinitionName": new,
                                           "MonitoringType": "ModelQuality",
                                           "ScheduleConfig": {
                                               "ScheduleExpression": "cron(0 * ? * * *)"}})
    cleanup = one(plan(emu, specs), ADDRESS)
    assert cleanup.action_reason.value == "old_versions"
    assert [(s.op, s.target) for s in cleanup.steps] == [
        ("sagemaker:DeleteModelQualityJobDefinition", old)]
    apply(emu, specs)
    assert live_definitions(emu, "ModelQuality") == [new]
    assert plan(emu, specs).resource_changes == []


def test_a_definition_that_left_the_specs_is_deleted_unless_a_schedule_uses_it(
        emu: Emulator, tmp_path: Path) -> None:
    specs = write(tmp_path, estate(dq=definition("DataQuality"), mq=definition("ModelQuality")),
                  prune=True)
    apply(emu, specs)
    (dq,) = live_definitions(emu, "DataQuality")
    (mq,) = live_definitions(emu, "ModelQuality")
    schedule(sm(emu), "fraud-dq-hourly", job=dq)
    write(tmp_path, estate(), prune=True)
    the_plan = plan(emu, specs)
    change = one(the_plan, ADDRESS)
    assert change.action_reason.value == "not_in_spec"
    assert [(s.op, s.target) for s in change.steps] == [
        ("sagemaker:DeleteModelQualityJobDefinition", mq)]
    assert [c.address for c in the_plan.resource_changes] == [ADDRESS]
    kept = [p for p in the_plan.problems if p.address == "DataQualityJobDefinition.fraud-dq"]
    assert len(kept) == 1 and kept[0].severity == "warning"
    assert f"{dq} by monitoring schedule(s) fraud-dq-hourly" in kept[0].message
    apply(emu, specs)
    assert live_definitions(emu, "ModelQuality") == []
    assert live_definitions(emu, "DataQuality") == [dq]
