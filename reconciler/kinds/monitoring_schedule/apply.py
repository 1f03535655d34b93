"""The monitoring schedule kind's part in the step runner: ``sagectl:wait`` (while Pending) and
``sagectl:verify`` after a create, an update, a start or a stop.

DescribeMonitoringSchedule must show the planned job definition and the desired status
(Scheduled for running, Stopped for stopped). A schedule that is Pending is waited for, on the
run's clock, up to ``DEADLINE``; one that is Failed, or settles elsewhere, fails the step, and the
runner undoes what ran (newest first).
"""

from __future__ import annotations

from typing import Any

from reconciler.apply.context import StepFailed
from reconciler.apply.steps import StepHooks
from reconciler.kinds.monitoring_schedule.plan import describe
from reconciler.plan.model import Step

DEADLINE = 600.0
"""How long a schedule may stay Pending (seconds on the run's clock)."""


class ScheduleSteps(StepHooks):
    """One monitoring schedule change in progress."""

    def local(self, step: Step) -> None:
        if step.op == "sagectl:wait":
            self.settled()
        elif step.op == "sagectl:verify":
            self.verify(step.params)

    def settled(self) -> dict[str, Any]:
        """The schedule once it is no longer Pending. The deadline is judged by when each
        answer was asked for, not by when it is looked at: a thread that stalls between the two
        (a loaded machine; on the emulator a real second is many simulated ones) does not turn
        a Pending seen in time into "still Pending after 600 s"."""
        sm = self.actx.aws.client("sagemaker")
        start = self.actx.clock.now()
        name = self.change.name
        while True:
            asked = self.actx.clock.now()
            found = describe(sm, name)
            if found is None:
                raise StepFailed(f"monitoring schedule {name} does not exist")
            status = found.get("MonitoringScheduleStatus")
            if status != "Pending":
                return found
            if asked - start > DEADLINE:
                raise StepFailed(f"monitoring schedule {name} is still Pending after "
                                 f"{int(DEADLINE)} s")
            self.actx.events.emit("status", self.change.address, status=status,
                                  message="status Pending")
            self.actx.clock.sleep(self.actx.options.poll_seconds)

    def verify(self, wanted: dict[str, Any]) -> None:
        name = self.change.name
        found = self.settled()
        status = found.get("MonitoringScheduleStatus")
        if status == "Failed":
            raise StepFailed(f"monitoring schedule {name} is Failed: "
                             f"{found.get('FailureReason') or 'AWS gave no reason'}")
        runs = (found.get("MonitoringScheduleConfig") or {}).get("MonitoringJobDefinitionName")
        if runs != wanted["definition"]:
            raise StepFailed(f"monitoring schedule {name} runs job definition {runs!r}, "
                             f"planned {wanted['definition']!r}")
        if status != wanted["status"]:
            raise StepFailed(f"monitoring schedule {name} is {status}, planned "
                             f"{wanted['status']}")
        self.actx.events.emit("verified", self.change.address,
                              message=f"verified: {name} {status} on {runs}")
