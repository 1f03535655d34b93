"""Inference component transitions on the simulated clock: create, copy count change, rolling
update (with alarm and timeout rollback), delete. Like ``lifecycle.py`` for endpoints, nothing
runs in the background: ``observe`` brings a component up to the current simulated time whenever
anyone looks at it (and the CloudWatch patch settles every component around alarm changes).

Timeline of UpdateInferenceComponent (simulated seconds; D = ``durations.component_batch``,
W = WaitIntervalInSeconds):

- copies C (the desired copy count), batch B (``MaximumBatchSize``: COPY_COUNT, or
  CAPACITY_PERCENT of C, at least 1): ceil(C / B) batches, each D to bring up B copies of the new
  specification and retire as many old ones, then W of baking "during which SageMaker AI monitors
  alarms for each batch on the new fleet" (InferenceComponentRollingUpdatePolicy).
- without a DeploymentConfig the emulator replaces every copy in one batch without baking (AWS
  does not document the default: sagemaker-rules.md, "Not documented").
- an alarm in ALARM while baking, or ``MaximumExecutionTimeoutInSeconds`` passing ("Exceeding
  this limit causes a timeout"), starts a rollback: the new copies made so far go back to the old
  specification in batches of ``RollbackMaximumBatchSize`` (absent or 100%: all at once, "a
  blue/green rollback strategy", InferenceComponentCapacitySize), D each; then the component is
  InService on the old specification with a FailureReason. The status meanwhile is ``Updating``
  (InferenceComponentStatus has no rollback value); the FailureReason wording is the emulator's.
- room (sagemaker-rules.md rule 53): "For each step, SageMaker AI provisions capacity on the new
  endpoint fleet, routes traffic to that fleet, and terminates capacity on the old endpoint
  fleet", so while a batch starts, the copies not yet replaced run next to the new ones made so
  far plus the batch (``holding``); a rollback step likewise brings its batch of old copies up
  next to the new ones it will retire ("provisions the entire capacity of the old fleet at once"
  by default). Each step's copies, with every other component's on the variant, must be placed
  (``capacity.py``; managed instance scaling adds instances up to ``MaxInstanceCount``) when the
  step starts. A batch that finds no room rolls the update back; a rollback step that finds none
  leaves the component Failed (AWS documents neither: the conservative choices).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sagemaker_emulator.faults import EndpointFault
from sagemaker_emulator.sagemaker.lifecycle import alarms_firing, first_watched
from sagemaker_emulator.state import STATE

Params = dict[str, Any]


@dataclass
class Step:
    start: float
    end: float
    watch: bool = False
    """Whether the rollback alarms are watched during the step."""
    done: int = 0
    """Copies on the new specification once the step is over (a rollback: copies returned)."""
    batch: int = 0
    """Copies this step starts next to the running ones (0: a baking or single-state step)."""


@dataclass
class Operation:
    kind: str  # create | copies | update | rollback | delete
    status: str
    steps: list[Step]
    checked: float
    specification: Params | None = None
    """The specification being deployed (update) or returned to (rollback)."""
    copies: int | None = None
    """The desired copy count the operation ends with."""
    alarms: list[str] = field(default_factory=list)
    deadline: float | None = None
    fault: EndpointFault | None = None
    reason: str = ""
    rollback_batch: Params | None = None
    """RollbackMaximumBatchSize of the update (None: all copies at once)."""
    leaving: Params | None = None
    """A rollback's specification being retired (the update's)."""
    roomed: int = 0
    """Steps whose room was checked when they started (``next_batch``)."""

    @property
    def start(self) -> float:
        return self.steps[0].start

    @property
    def end(self) -> float:
        return self.steps[-1].end

    def done_at(self, t: float) -> int:
        """New-specification copies up by ``t``: a batch counts once it bakes (or is over)."""
        finished = [s.done for s in self.steps
                    if s.end <= t or (s.watch and s.start <= t)]
        return finished[-1] if finished else 0


def when(t: float) -> datetime:
    return datetime.fromtimestamp(t, tz=UTC)


def batch_size(size: Params | None, copies: int) -> int:
    """Copies per batch for an InferenceComponentCapacitySize (None: all of them)."""
    if not size:
        return max(1, copies)
    if size["Type"] == "COPY_COUNT":
        return max(1, int(size["Value"]))
    return max(1, math.ceil(copies * size["Value"] / 100))


# -- starting transitions ---------------------------------------------------------------------

def single(kind: str, status: str, seconds: float, **extra: Any) -> Operation:
    now = STATE.clock.now()
    return Operation(kind, status, [Step(now, now + seconds)], now, **extra)


def start_create(ic: Any) -> None:
    ic.status = "Creating"
    ic.operation = single("create", "Creating", STATE.durations.component_create,
                          copies=ic.desired_copies)


def start_copies(ic: Any, copies: int) -> None:
    ic.status = "Updating"
    ic.failure_reason = ""
    ic.desired_copies = copies
    ic.operation = single("copies", "Updating", STATE.durations.component_copies, copies=copies)


def start_delete(ic: Any) -> None:
    ic.status = "Deleting"
    ic.operation = single("delete", "Deleting", STATE.durations.component_delete)


def update_steps(start: float, copies: int, deployment: Params | None) -> list[Step]:
    d = STATE.durations.component_batch
    rolling = (deployment or {}).get("RollingUpdatePolicy")
    if not rolling or copies <= 0:
        return [Step(start, start + d, done=copies, batch=copies)]
    batch = batch_size(rolling["MaximumBatchSize"], copies)
    wait = float(rolling.get("WaitIntervalInSeconds", 0))
    steps, t, done = [], start, 0
    while done < copies:
        step = min(batch, copies - done)
        done += step
        steps.append(Step(t, t + d, batch=step))
        steps.append(Step(t + d, t + d + wait, watch=True, done=done))
        t += d + wait
    return steps


def start_update(ic: Any, specification: Params, copies: int, deployment: Params | None,
                 fault: EndpointFault | None) -> None:
    now = STATE.clock.now()
    rolling = (deployment or {}).get("RollingUpdatePolicy") or {}
    alarms = [a["AlarmName"] for a in
              ((deployment or {}).get("AutoRollbackConfiguration") or {}).get("Alarms") or []]
    timeout = rolling.get("MaximumExecutionTimeoutInSeconds")
    ic.status = "Updating"
    ic.failure_reason = ""
    ic.operation = Operation("update", "Updating", update_steps(now, copies, deployment), now,
                             copy.deepcopy(specification), copies, alarms,
                             now + float(timeout) if timeout else None, fault,
                             rollback_batch=rolling.get("RollbackMaximumBatchSize"))


def _start_rollback(ic: Any, op: Operation, at: float, reason: str,
                    made: int | None = None) -> None:
    """Back to the old specification in ``RollbackMaximumBatchSize`` batches, each bringing up
    old copies next to the new ones it retires. ``made``: the new copies to return (default: those
    up by ``at``, at least the batch in flight)."""
    made = max(1, op.done_at(at)) if made is None else made
    batch = batch_size(op.rollback_batch, made)
    d = STATE.durations.component_batch
    steps, returned, t = [], 0, at
    while returned < made:
        step = min(batch, made - returned)
        returned += step
        steps.append(Step(t, t + d, done=returned, batch=step))
        t += d
    ic.operation = Operation("rollback", "Updating", steps or [Step(at, at)], at,
                             specification=ic.specification, copies=op.copies, reason=reason,
                             leaving=op.specification)


def holding(op: Operation, t: float) -> tuple[int, int]:
    """(old, new) specification copies of a rolling update or rollback at ``t``, a batch being
    started included."""
    total = op.copies or 0
    current = next((s for s in op.steps if s.start <= t < s.end), None)
    starting = current.batch if current is not None else 0
    if op.kind == "rollback":
        made = sum(s.batch for s in op.steps)
        returned = op.done_at(t) if t < op.end else made
        return total - made + returned + starting, made - returned
    done = op.done_at(t) if t < op.end else total
    return max(0, total - done), done + starting


def next_batch(op: Operation, now: float) -> tuple[int, Step] | None:
    """The first step not checked for room that starts a batch by ``now``."""
    for i in range(op.roomed, len(op.steps)):
        step = op.steps[i]
        if step.batch and step.start <= now:
            return i, step
        if step.batch or step.start > now:
            return None
    return None


# -- observing --------------------------------------------------------------------------------

def observe(store: Any, ic: Any, place: Any, room: Any) -> None:
    """Bring ``ic`` up to the current simulated time. ``place(ic, spec, copies)`` returns the
    copies that fit (capacity.py) and the FailureReason when some do not; ``room(ic, op, t)`` why
    the copies ``op`` holds at ``t`` do not all fit next to the other components' ("" if they
    do)."""
    now = STATE.clock.now()
    while ic.operation is not None:
        op = ic.operation
        rolling = op.kind in ("update", "rollback") and op.fault is None
        pending = next_batch(op, now) if rolling else None
        if pending is not None and op.deadline is not None and pending[1].start >= op.deadline:
            pending = None
        if op.kind == "update" and op.alarms and op.fault is None:
            until = min(now, op.end, op.deadline or math.inf,
                        pending[1].start if pending else math.inf)
            t = first_watched(op, op.checked, until)
            if t is not None:
                firing = alarms_firing(store, op.alarms)
                if ic.operation is not op:
                    continue  # the alarm's state change already settled this component
                if firing:
                    _start_rollback(ic, op, t, "Inference component update was rolled back: "
                                    f"CloudWatch alarm(s) {', '.join(firing)} went into ALARM "
                                    "during the deployment.")
                    continue
            op.checked = max(op.checked, until)
        if pending is not None:
            index, step = pending
            op.roomed = index + 1
            short = room(ic, op, step.start)
            if short and op.kind == "update":
                _start_rollback(ic, op, step.start, "Inference component update was rolled "
                                f"back: a batch of {step.batch} new cop"
                                f"{'y' if step.batch == 1 else 'ies'} found no room next to the "
                                f"running copies. {short}", made=op.done_at(step.start))
                continue
            if short:
                ic.operation, ic.modified = None, when(step.start)
                ic.status, ic.failure_reason = "Failed", (
                    f"{op.reason} The rollback then found no room to bring {step.batch} old "
                    f"cop{'y' if step.batch == 1 else 'ies'} back next to the new ones. {short}")
                return
            continue
        if op.kind == "update" and op.fault is None and op.deadline is not None and \
                op.deadline < op.end and now >= op.deadline:
            _start_rollback(ic, op, op.deadline, "Inference component update timed out: it did "
                            "not complete within MaximumExecutionTimeoutInSeconds "
                            f"({int(op.deadline - op.start)} s) and was rolled back.")
            continue
        if now < op.end:
            ic.status = op.status
            return
        _finish(store, ic, op, place)


def _finish(store: Any, ic: Any, op: Operation, place: Any) -> None:
    ic.operation = None
    ic.modified = when(op.end)
    if op.kind == "delete":
        store.components.pop(ic.name, None)
        return
    if op.kind == "rollback":
        ic.status, ic.failure_reason = "InService", op.reason
        return
    if op.fault is not None:
        if op.fault.kind == "fail":
            ic.status, ic.failure_reason = "Failed", op.fault.reason
        else:  # rolled back at the end: InService on the old specification
            ic.status, ic.failure_reason = "InService", op.fault.reason
        return
    spec = op.specification if op.kind == "update" else ic.specification
    copies = op.copies if op.copies is not None else ic.desired_copies
    fitted, reason = place(ic, spec, copies)
    if reason and op.kind == "create":
        ic.status, ic.failure_reason, ic.current_copies = "Failed", reason, 0
        return
    if reason and op.kind == "update":
        ic.status, ic.failure_reason = "InService", (
            f"Inference component update was rolled back: {reason}")
        return
    if op.kind == "update":
        assert spec is not None
        ic.specification = spec
    ic.desired_copies = copies
    ic.current_copies = fitted
    ic.status, ic.failure_reason = "InService", reason
