"""Running one AWS step of a plan, and undoing what a change did (newest first).

A step is ``service:Operation`` with its request; the request comes from the plan made in this
process (a saved plan's redacted values are never sent: apply re-plans and checks fingerprints).
Kinds tell the engine how to undo their steps (``Kind.undo_step``) and run their own
``sagectl:*`` steps; this module knows no SageMaker.

An undo only takes back what this run did to a resource it still holds the lease of: a Create
that answered "already exists" records no undo (someone else made it), and an undo log whose
lease was lost (expired, unlocked, taken by another run) is not run at all, since another run may
have acted on the resource since.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from reconciler.apply.context import ApplyContext
from reconciler.apply.state import LeaseHeld, StateError
from reconciler.plan.model import Step


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
