"""Drift of monitoring schedules: stopped by hand or pointed elsewhere is ``out_of_band``; the
latest execution Failed or CompletedWithViolations is ``monitoring`` information."""

from __future__ import annotations

from pathlib import Path

from reconciler.contract import Registry
from reconciler.drift.classify import DriftReport
from reconciler.drift.render import markdown
from reconciler.drift.run import drift
from reconciler.spec.load import load_specs
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply, context, statuses
from tests.kinds.monitoring_schedule.helpers import ADDRESS, create_definition, estate, kinds, sm
from tests.plan.helpers import write

__all__ = ["kinds"]


def run_drift(emu: Emulator, specs: Path, registry: Registry) -> DriftReport:
    actx = context(emu)
    try:
        return drift(load_specs(specs, registry, "dev"), actx.aws, actx.state, specs.parent)
    finally:
        actx.aws.close()


def mine(report: DriftReport) -> list[tuple[str, str]]:
    return [(i.address, i.drift_class) for i in report.items if i.kind == "MonitoringSchedule"]


def past_next_run(emu: Emulator) -> None:
    """Just past the end of the run of the next hour (runs last 300 s in the emulator)."""
    emu.advance(3600 - emu.now() % 3600 + 301)


def setup(emu: Emulator, tmp_path: Path) -> Path:
    specs = write(tmp_path, estate())
    assert set(statuses(apply(emu, specs)).values()) == {"applied"}
    return specs


def test_stopped_by_hand_is_out_of_band(emu: Emulator, tmp_path: Path, kinds: Registry) -> None:
    specs = setup(emu, tmp_path)
    assert mine(run_drift(emu, specs, kinds)) == []
    sm(emu).stop_monitoring_schedule(MonitoringScheduleName="fraud-dq")
    assert mine(run_drift(emu, specs, kinds)) == [(ADDRESS, "out_of_band")]


def test_pointed_at_another_definition_is_out_of_band(emu: Emulator, tmp_path: Path,
                                                      kinds: Registry) -> None:
    specs = setup(emu, tmp_path)
    create_definition(emu, "dq-9999ffff")
    sm(emu).update_monitoring_schedule(
        MonitoringScheduleName="fraud-dq", MonitoringScheduleConfig={
            "MonitoringJobDefinitionName": "dq-9999ffff", "MonitoringType": "DataQuality",
            "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}})
    report = run_drift(emu, specs, kinds)
    assert mine(report) == [(ADDRESS, "out_of_band")]


def test_the_latest_execution_is_reported_as_information(emu: Emulator, tmp_path: Path,
                                                         kinds: Registry) -> None:
    specs = setup(emu, tmp_path)
    emu.freeze()
    emu.fail_next_monitoring_execution("fraud-dq", "violations")
    past_next_run(emu)
    report = run_drift(emu, specs, kinds)
    items = [i for i in report.items if i.kind == "MonitoringSchedule"]
    assert [(i.drift_class, i.actionable) for i in items] == [("monitoring", False)], items
    assert "completed with violations of the baseline constraints" in items[0].reason
    assert "under s3://bucket/reports/ (constraint_violations.json)" in items[0].reason
    assert not report.actionable  # --detailed-exitcode: 0
    shown = markdown(report)  # the PR comment / drift issue says it is information
    assert "`monitoring` | `MonitoringSchedule.fraud-dq`" in shown
    assert "`system` and `monitoring` are information" in shown
    emu.fail_next_monitoring_execution("fraud-dq", "failed", "ClientError: no access")
    past_next_run(emu)
    items = [i for i in run_drift(emu, specs, kinds).items if i.kind == "MonitoringSchedule"]
    assert len(items) == 1 and items[0].drift_class == "monitoring"
    assert "Failed: ClientError: no access" in items[0].reason
