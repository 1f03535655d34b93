"""One change's steps and their undo: running a change's AWS steps in order, each recording its
undo first, and undoing what a change did (newest first).

A step is ``service:Operation`` with its request; the request comes from the plan made in this
process (a saved plan's redacted values are never sent: apply re-plans and checks fingerprints).
Kinds tell the engine how to undo their steps (``Kind.undo_step``) and run their own
``sagectl:*`` steps; this module knows no SageMaker.

Creating something that already exists with sagectl's content name is success (a re-run after a
crash finds what the killed run created). The first failure undoes what ran, newest first.

An undo only takes back what this run did to a resource it still holds the lease of: a Create
that answered "already exists" records no undo (someone else made it), and an undo log whose
lease was lost (expired, unlocked, taken by another run) is not run at all, since another run may
have acted on the resource since.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from reconciler.apply.context import (
    APPLIED,
    FAILED,
    ROLLED_BACK,
    ApplyContext,
    Outcome,
    StepFailed,
)
from reconciler.apply.state import LeaseHeld, StateError
from reconciler.plan.model import ResourceChange, Step


def method_name(client: Any, operation: str) -> str:
    mapping = {v: k for k, v in client.meta.method_to_api_mapping.items()}
    return mapping[operation]


def call(actx: ApplyContext, step: Step) -> dict[str, Any]:
    """Call the AWS operation of ``step`` with its full request."""
    service, _, operation = step.op.partition(":")
    client = actx.aws.client(service)
    request = step.request if step.request is not None else step.params
    return getattr(client, method_name(client, operation))(**request)  # type: ignore[no-any-return]


def already_exists(err: ClientError) -> bool:
    code = err.response.get("Error", {}).get("Code", "")
    message = err.response.get("Error", {}).get("Message", "")
    return code in ("ResourceInUse", "ResourceInUseException", "AlreadyExistsException") or (
        code in ("ValidationException", "ConflictException")  # Scheduler: ConflictException
        and "already exist" in message.lower())


@dataclass
class Undo:
    """How to take one executed step back."""

    step: Step
    why: str


class UndoLog:
    """Undo records of one change group, executed newest first on failure, under the lease
    ``lease`` (its key) when the change was leased."""

    def __init__(self, lease: str | None = None) -> None:
        self.records: list[Undo] = []
        self.lease = lease

    def push(self, undo: Undo | None) -> None:
        if undo is not None:
            self.records.append(undo)

    def run(self, actx: ApplyContext, address: str) -> list[str]:
        """Undo everything recorded, newest first; returns the failures (empty: all undone)."""
        if self.records and self.lease is not None:
            try:  # still ours: nobody else can have acted on it since this run did
                actx.state.heartbeat(self.lease, actx.run_id, actx.options.lease_seconds)
            except (LeaseHeld, StateError) as lost:  # not ours, or cannot be known
                kept = [f"{u.step.op} {u.step.target}" for u in reversed(self.records)]
                self.records.clear()
                actx.events.emit("undo", address, message=f"not undone: {lost}")
                return [f"not undone ({', '.join(kept)}): {lost}"]
        failures = []
        while self.records:
            undo = self.records.pop()
            try:
                call(actx, undo.step)
                actx.events.emit("undo", address, op=undo.step.op, target=undo.step.target,
                                 message=f"undid: {undo.why}")
            except ClientError as err:
                failures.append(f"{undo.step.op} {undo.step.target}: {err}")
        return failures


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
