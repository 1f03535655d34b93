"""The emulator's process-wide settings: clock, durations, faults, call counts, event logs.

Emulated AWS *resources* are not kept here: they hang off moto's backend objects (one per account
and region), so moto's own reset — a new ``mock_aws``, or ``POST /moto-api/reset`` on the server —
clears them too. ``reset()`` clears what lives here.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass

from sagemaker_emulator.clock import Clock
from sagemaker_emulator.event_log import EventLog
from sagemaker_emulator.faults import Faults

ROLLBACK_STATUSES = ("RollingBack", "Updating")
"""What DescribeEndpoint might show while a guardrail rollback runs: AWS documents neither."""
ROLLBACK_STATUS = "RollingBack"


@dataclass
class Durations:
    """Simulated seconds each transition takes (scaled to real time by the clock)."""

    create: float = 360.0
    """Creating -> InService."""
    provision: float = 300.0
    """An update's new fleet comes up (blue/green) or one batch is replaced (rolling)."""
    weights: float = 30.0
    """UpdateEndpointWeightsAndCapacities: Updating -> InService."""
    rollback: float = 120.0
    """RollingBack -> InService on the old config."""
    delete: float = 60.0
    """Deleting -> gone."""
    component_create: float = 240.0
    """CreateInferenceComponent: Creating -> InService (its copies placed)."""
    component_batch: float = 180.0
    """UpdateInferenceComponent: one batch of new copies comes up (or, rolling back, one batch of
    old copies comes back)."""
    component_copies: float = 60.0
    """UpdateInferenceComponentRuntimeConfig: Updating -> InService with the new copy count."""
    component_delete: float = 30.0
    """DeleteInferenceComponent: Deleting -> gone."""
    pipeline_execution: float = 300.0
    """A pipeline execution: Executing -> Succeeded (or Failed, when a failure is injected)."""
    pipeline_stop: float = 30.0
    """StopPipelineExecution: Stopping -> Stopped."""
    monitoring_schedule_pending: float = 60.0
    """CreateMonitoringSchedule: Pending -> Scheduled (how long is undocumented)."""
    monitoring_execution: float = 300.0
    """A monitoring execution: InProgress -> Completed (or CompletedWithViolations / Failed,
    when injected)."""


class EmulatorState:
    def __init__(self, time_factor: float = 1.0) -> None:
        self.clock = Clock(time_factor)
        self.durations = Durations()
        self.faults = Faults()
        self.calls: Counter[tuple[str, str]] = Counter()
        self.rollback_status = ROLLBACK_STATUS
        """The status a guardrail rollback shows (undocumented by AWS: see lifecycle.py)."""
        self.events = EventLog()
        """Events services emitted, API destination invocations, hosts routed elsewhere."""
        self._lock = threading.Lock()

    def count(self, service: str, action: str) -> None:
        with self._lock:
            self.calls[(service, action)] += 1

    def reset(self) -> None:
        """Forget faults, counts and settings (the clock's speed is kept)."""
        self.durations = Durations()
        self.faults = Faults()
        self.calls = Counter()
        self.rollback_status = ROLLBACK_STATUS
        self.events = EventLog()


STATE = EmulatorState()
