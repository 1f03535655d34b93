"""The default way to apply a change: its AWS steps in order, each recording its undo first.

Creating something that already exists with sagectl's content name is success (a re-run after a
crash finds what the killed run created). The first failure undoes what ran, newest first.
"""

from __future__ import annotations

from collections.abc import Callable

from botocore.exceptions import ClientError

from reconciler.apply.context import (
    APPLIED,
    FAILED,
    ROLLED_BACK,
    ApplyContext,
    Outcome,
    StepFailed,
)
from reconciler.apply.steps import Undo, UndoLog, already_exists, call
from reconciler.plan.model import ResourceChange, Step

LocalStep = Callable[[ApplyContext, ResourceChange, Step, UndoLog], None]
"""Runs one of a kind's own ``sagectl:*`` steps; raises ``StepFailed`` when it does not hold.
It may drop undo records from the log (what must survive the failure)."""


def run_steps(actx: ApplyContext, change: ResourceChange, log: UndoLog,
              undo_step: Callable[[ApplyContext, Step], Undo | None],
              local: LocalStep | None = None) -> Outcome:
    executed = False
    for step in change.steps:
        if step.op.startswith("sagectl:"):
            if local is None:
                continue
            try:
                local(actx, change, step, log)
            except StepFailed as failed:
                return _undo(actx, change, log, str(failed),
                             executed and not failed.keeps_changes)
            continue
        try:
            undo = undo_step(actx, step)
            call(actx, step)
            executed = True
            log.push(undo)
            actx.events.emit("step", change.address, op=step.op, target=step.target,
                             message=f"{step.op} {step.target}")
        except ClientError as err:
            if step.op.split(":", 1)[1].startswith("Create") and already_exists(err):
                actx.events.emit("step", change.address, op=step.op, target=step.target,
                                 message=f"{step.op} {step.target}: already exists (kept)")
                continue
            return _undo(actx, change, log, f"{step.op} {step.target} failed: "
                                            f"{_aws_reason(err)}", executed)
    return Outcome(change.address, APPLIED)


def _undo(actx: ApplyContext, change: ResourceChange, log: UndoLog, reason: str,
          executed: bool) -> Outcome:
    undone = bool(log.records)
    failures = log.run(actx, change.address)
    if failures:
        return Outcome(change.address, FAILED, reason + "; could not undo: " + "; ".join(failures))
    # nothing done (or nothing to take back): an error; something done and undone: rolled back
    return Outcome(change.address, ROLLED_BACK if executed and undone else FAILED, reason)


def _aws_reason(err: ClientError) -> str:
    info = err.response.get("Error", {})
    return f"{info.get('Code')}: {info.get('Message')}"
