"""The wait for a new schedule to leave Pending (``sagectl:wait``) judges its 600 s deadline by
when it asked, so a stall of the apply between DescribeMonitoringSchedule's answer and the next
look at the clock is not a timeout (tests/apply/test_leases.py failed that way once at load
average 10: "monitoring schedule ... is still Pending after 600 s")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.apply.context import APPLIED, ApplyContext, ApplyOptions, Events
from reconciler.apply.stage import apply_plan, prepare
from reconciler.apply.state import StateTable, new_run_id
from reconciler.cli.registry import KINDS
from reconciler.kinds.monitoring_schedule.apply import DEADLINE
from reconciler.plan.context import PlanOptions
from reconciler.spec.load import load_specs
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply, statuses
from tests.apply.test_progress import SteppingClock
from tests.kinds.monitoring_schedule.helpers import estate, schedule, sm
from tests.plan.helpers import aws_for, write

SECOND = "MonitoringSchedule.fraud-dq-2"


def test_a_stall_after_a_pending_answer_is_not_a_timeout(emu: Emulator, tmp_path: Path) -> None:
    specs = write(tmp_path, estate())
    assert set(statuses(apply(emu, specs)).values()) == {APPLIED}
    specs = write(tmp_path, estate(**{"monitoring/fraud-dq-2.yaml": schedule(name="fraud-dq-2")}))
    emu.freeze()  # simulated time moves only when the apply sleeps, or the stall below
    aws = aws_for(emu, concurrency=1)
    clock = SteppingClock(emu)
    actx = ApplyContext(aws, StateTable(aws, now=clock.now), clock, new_run_id(), "test",
                        "0" * 40, Events(), ApplyOptions(concurrency=1))
    stalls: list[float] = []

    def stall(parsed: dict[str, Any], **_: Any) -> None:
        """The apply's thread is descheduled right after the first Pending answer, for longer
        than the whole deadline."""
        if parsed.get("MonitoringScheduleStatus") == "Pending" and not stalls:
            stalls.append(emu.now())
            emu.advance(DEADLINE + 100)

    aws.client("sagemaker").meta.events.register(
        "after-call.sagemaker.DescribeMonitoringSchedule", stall)
    try:
        run = apply_plan(actx, prepare(actx, load_specs(specs, KINDS, "dev"), specs.parent,
                                       PlanOptions()))
    finally:
        aws.close()
    assert stalls, "the wait never saw the new schedule Pending"
    assert statuses(run) == {SECOND: APPLIED}, run.result
    found = sm(emu).describe_monitoring_schedule(MonitoringScheduleName="fraud-dq-2")
    assert found["MonitoringScheduleStatus"] == "Scheduled"
