"""What can be made to go wrong, and the crash point.

- Call faults: throttle or 5xx an operation (or every operation of a service) N times or with a
  probability. Applied before the operation runs, so nothing changes in the emulated AWS.
- Latency: added to every call (for benchmarks), optionally per service.
- Endpoint faults: the next create or update of an endpoint fails, rolls back silently, ends
  UpdateRollbackFailed, or hangs.
- Pipeline faults: the next execution of a pipeline (started by anyone, a schedule included) ends
  Failed with a FailureReason.
- Insufficient capacity: instance types SageMaker cannot provision now (an ICE); a variant's
  instance pools fall back to the next type, a deployment with no type left fails.
- Hooks: something happens in AWS just before the next matching call is served (in process only:
  the hook is a Python callable), e.g. SageMaker starts maintaining the endpoint.
- Crash point: after the N-th mutating call has taken effect, its response is held until the test
  releases it, so a test can kill the client at exactly that moment.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

CallErrorKind = Literal["throttle", "5xx", "503", "denied"]
EndpointFaultKind = Literal["fail", "silent_rollback", "rollback_failed", "hang"]
READ_PREFIXES = ("Describe", "List", "Get", "BatchGet", "Search", "Query", "Scan")


def is_mutating(action: str) -> bool:
    return not action.startswith(READ_PREFIXES)


@dataclass
class CallFault:
    kind: CallErrorKind
    service: str | None = None
    action: str | None = None
    remaining: int | None = None
    probability: float | None = None

    def matches(self, service: str, action: str) -> bool:
        mine = self.service.replace("-", "").lower() if self.service else None
        return (mine in (None, service)) and (self.action in (None, action))


@dataclass
class EndpointFault:
    kind: EndpointFaultKind
    reason: str


@dataclass
class PipelineFault:
    reason: str
    after: float | None = None
    """Simulated seconds until the execution fails (None: its usual duration)."""


@dataclass
class CallHook:
    """Something that happens in AWS just before a call is served (once): e.g. SageMaker starts
    its own maintenance on the endpoint the call is about to change."""

    service: str
    action: str
    run: Callable[[], None]
    skip: int = 0
    """Matching calls to let through first."""


@dataclass
class CrashPoint:
    at: int | None = None
    reached: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    action: str = ""
    hold_timeout: float = 60.0


class Faults:
    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self.calls: list[CallFault] = []
        self.latency: dict[str | None, float] = {}
        self.endpoints: dict[tuple[str, str], EndpointFault] = {}
        self.pipelines: dict[str, PipelineFault] = {}
        self.monitoring: dict[str, list[tuple[str, str]]] = {}
        """Schedule name -> outcomes (CompletedWithViolations or Failed, reason) of its next
        monitoring executions, in order."""
        self.crash = CrashPoint()
        self.mutations = 0
        self.hooks: list[CallHook] = []
        self.unavailable_types: set[str] = set()
        """Instance types with insufficient capacity (ICE) for new endpoint instances."""

    # -- call faults ------------------------------------------------------------------------
    def add(self, fault: CallFault) -> None:
        with self._lock:
            self.calls.append(fault)

    def take(self, service: str, action: str) -> CallFault | None:
        """The fault that applies to this call, if any (consuming one of its times)."""
        with self._lock:
            for fault in self.calls:
                if not fault.matches(service, action):
                    continue
                if fault.probability is not None:
                    if self._random.random() < fault.probability:
                        return fault
                    continue
                if fault.remaining is None or fault.remaining > 0:
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    return fault
            self.calls = [f for f in self.calls if f.remaining is None or f.remaining > 0]
            return None

    def latency_for(self, service: str) -> float:
        for key, seconds in self.latency.items():
            if key is not None and key.replace("-", "").lower() == service:
                return seconds
        return self.latency.get(None, 0.0)

    # -- hooks ------------------------------------------------------------------------------
    def add_hook(self, hook: CallHook) -> None:
        with self._lock:
            self.hooks.append(hook)

    def run_hooks(self, service: str, action: str) -> None:
        if not self.hooks:
            return
        due = []
        with self._lock:
            for hook in list(self.hooks):
                if hook.service.replace("-", "").lower() != service or hook.action != action:
                    continue
                if hook.skip:
                    hook.skip -= 1
                    continue
                self.hooks.remove(hook)
                due.append(hook)
        for hook in due:
            hook.run()

    # -- endpoint faults -------------------------------------------------------------------
    def set_endpoint_fault(self, endpoint: str, operation: str, fault: EndpointFault) -> None:
        with self._lock:
            self.endpoints[(endpoint, operation)] = fault

    def take_endpoint_fault(self, endpoint: str, operation: str) -> EndpointFault | None:
        with self._lock:
            return self.endpoints.pop((endpoint, operation), None)

    # -- pipeline faults -------------------------------------------------------------------
    # Pipeline names are compared case-insensitively, like their ARNs.
    def set_pipeline_fault(self, pipeline: str, fault: PipelineFault) -> None:
        with self._lock:
            self.pipelines[pipeline.lower()] = fault

    def take_pipeline_fault(self, pipeline: str) -> PipelineFault | None:
        with self._lock:
            return self.pipelines.pop(pipeline.lower(), None)

    # -- crash point -----------------------------------------------------------------------
    def arm_crash(self, after_mutation: int, hold_timeout: float = 60.0) -> None:
        with self._lock:
            self.crash = CrashPoint(at=self.mutations + after_mutation, hold_timeout=hold_timeout)

    def count_mutation(self, action: str) -> CrashPoint | None:
        """Count a mutating call that took effect; the crash point if this is the one."""
        with self._lock:
            self.mutations += 1
            if self.crash.at == self.mutations:
                self.crash.action = action
                return self.crash
            return None

    def add_monitoring_fault(self, schedule: str, outcome: str, reason: str) -> None:
        with self._lock:
            self.monitoring.setdefault(schedule, []).append((outcome, reason))

    def take_monitoring_fault(self, schedule: str) -> tuple[str, str] | None:
        with self._lock:
            queued = self.monitoring.get(schedule)
            return queued.pop(0) if queued else None
