"""One change's steps and their undo: the step runner every change of a plan goes through.

``run_steps`` sends a change's AWS steps in order (``call``: ``service:Operation`` with its full
request, from the plan made in this process: a saved plan's redacted values are never sent, since
apply re-plans and checks fingerprints), hands the kind its own ``sagectl:*`` steps (waits,
verification, bake, ...), and records each executed step's planned undo (``Step.undo``, built by
the kind from what the plan read) in the change's ``UndoLog``. The first failure undoes what ran,
newest first. A kind takes part through ``StepHooks`` (``Kind.step_hooks``): its own steps, what
happens before each AWS step and how it is sent, what the log records, what a failure does (the
endpoint's journal, rollback and quarantine) and what success does. Knows no SageMaker.

What only the run can know stays here: a Create that answers "already exists" records no undo
(someone else made it, or a killed run did: a re-run keeps what it finds), and an undo log whose
lease was lost (expired, unlocked, taken by another run) is not run at all, since another run may
have acted on the resource since.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError

from reconciler.apply.clock import check
from reconciler.apply.context import (
    APPLIED,
    FAILED,
    ROLLED_BACK,
    ApplyContext,
    Outcome,
    StepFailed,
)
from reconciler.apply.state import LeaseHeld, StateError
from reconciler.plan.model import ResourceChange, Step, Undo

LOCAL = "sagectl:"
"""The prefix of a kind's own steps (``sagectl:wait``, ...): not AWS operations."""


def method_name(client: Any, operation: str) -> str:
    mapping = {v: k for k, v in client.meta.method_to_api_mapping.items()}
    return mapping[operation]


def call(actx: ApplyContext, step: Step | Undo) -> dict[str, Any]:
    """Call the AWS operation of ``step`` (or of an undo) with its full request."""
    service, _, operation = step.op.partition(":")
    client = actx.aws.client(service)
    request = step.request if step.request is not None else step.params
    return getattr(client, method_name(client, operation))(**request)  # type: ignore[no-any-return]


def already_exists(err: ClientError) -> bool:
    code = err.response.get("Error", {}).get("Code", "")
    message = err.response.get("Error", {}).get("Message", "")
    return code in ("ResourceInUse", "ResourceInUseException", "AlreadyExistsException",
                    "ResourceAlreadyExistsException") or (  # the last: EventBridge's
        code in ("ValidationException", "ConflictException")  # Scheduler: ConflictException
        and "already exist" in message.lower())


class UndoLog:
    """The undo of what one change did (the planned undo of each step that ran), executed newest
    first on failure, under the lease ``lease`` (its key) when the change was leased."""

    def __init__(self, lease: str | None = None) -> None:
        self.records: list[Undo] = []
        self.lease = lease

    def push(self, undo: Iterable[Undo]) -> None:
        """Record the undo of a step that ran (its calls run in their order)."""
        self.records.extend(reversed(list(undo)))

    def run(self, actx: ApplyContext, address: str) -> list[str]:
        """Undo everything recorded, newest first; returns the failures (empty: all undone)."""
        if self.records and self.lease is not None:
            try:  # still ours: nobody else can have acted on it since this run did
                actx.state.heartbeat(self.lease, actx.run_id, actx.options.lease_seconds)
            except (LeaseHeld, StateError) as lost:  # not ours, or cannot be known
                kept = [f"{u.op} {u.target}" for u in reversed(self.records)]
                self.records.clear()
                actx.events.emit("undo", address, message=f"not undone: {lost}")
                return [f"not undone ({', '.join(kept)}): {lost}"]
        failures = []
        while self.records:
            undo = self.records.pop()
            try:
                call(actx, undo)
                actx.events.emit("undo", address, op=undo.op, target=undo.target,
                                 message=f"undid: {undo.note}")
            except ClientError as err:
                failures.append(f"{undo.op} {undo.target}: {err}")
        return failures


class StepHooks:
    """A kind's part in running one change (``Kind.step_hooks``): ``run_steps`` runs the steps
    and calls these around them. Every hook has a default, so a kind overrides only what it
    needs (the pipeline kind: its wait for an execution; the endpoint kind: its journal, waits,
    verification, bake and rollback)."""

    def __init__(self, actx: ApplyContext, change: ResourceChange, log: UndoLog) -> None:
        self.actx, self.change, self.log = actx, change, log

    def start(self) -> Outcome | None:
        """Before the first step; an outcome ends the change there (nothing ran)."""
        return None

    def local(self, step: Step) -> None:
        """Run one of the kind's ``sagectl:*`` steps; raise ``StepFailed`` when it does not hold
        (it may drop undo records from the log: what must survive the failure). By default they
        do nothing."""

    def before(self, step: Step) -> None:
        """Just before the AWS step ``step`` is sent."""

    def send(self, step: Step) -> Any:
        """Send the AWS step ``step`` (may raise ``StepFailed``)."""
        return call(self.actx, step)

    def records(self, step: Step) -> list[Undo]:
        """What the log records once ``step`` ran: its planned undo."""
        return step.undo

    def failed(self, step: Step, error: Exception, executed: bool) -> Outcome:
        """``step`` failed (``error``: the ``ClientError`` of an AWS step, or ``StepFailed``);
        ``executed``: whether anything ran that is not meant to survive the failure. By default
        the log is undone, newest first."""
        if isinstance(error, ClientError):
            reason = f"{step.op} {step.target} failed: {aws_reason(error)}"
        else:
            reason = str(error)
        return undo(self.actx, self.change, self.log, reason, executed)

    def finished(self) -> Outcome:
        """Every step ran."""
        return Outcome(self.change.address, APPLIED)


def run_steps(actx: ApplyContext, change: ResourceChange, log: UndoLog,
              hooks: StepHooks | None = None) -> Outcome:
    """Run ``change``'s steps in order, recording each one's undo in ``log``; the first failure
    is handed to ``hooks.failed`` (by default: undo newest first)."""
    hooks = hooks or StepHooks(actx, change, log)
    check(actx.clock)
    refused = hooks.start()
    if refused is not None:
        return refused
    executed = False
    for step in change.steps:
        check(actx.clock)  # asked to stop: the next step does not start (``clock.Stopped``)
        if step.op.startswith(LOCAL):
            try:
                hooks.local(step)
            except StepFailed as failed:
                return hooks.failed(step, failed, executed and not failed.keeps_changes)
            continue
        try:
            hooks.before(step)
            hooks.send(step)
        except ClientError as err:
            if step.op.split(":", 1)[1].startswith("Create") and already_exists(err):
                actx.events.emit("step", change.address, op=step.op, target=step.target,
                                 message=f"{step.op} {step.target}: already exists (kept)")
                continue
            return hooks.failed(step, err, executed)
        except StepFailed as failed:
            return hooks.failed(step, failed, executed and not failed.keeps_changes)
        executed = True
        log.push(hooks.records(step))
        actx.events.emit("step", change.address, op=step.op, target=step.target,
                         message=f"{step.op} {step.target}")
    return hooks.finished()


def undo(actx: ApplyContext, change: ResourceChange, log: UndoLog, reason: str,
         executed: bool) -> Outcome:
    """Undo ``log`` newest first, because of ``reason``: the change's outcome."""
    undone = bool(log.records)
    failures = log.run(actx, change.address)
    if failures:
        return Outcome(change.address, FAILED, reason + "; could not undo: " + "; ".join(failures))
    # nothing done (or nothing to take back): an error; something done and undone: rolled back
    return Outcome(change.address, ROLLED_BACK if executed and undone else FAILED, reason)


def aws_reason(err: ClientError) -> str:
    info = err.response.get("Error", {})
    return f"{info.get('Code')}: {info.get('Message')}"
