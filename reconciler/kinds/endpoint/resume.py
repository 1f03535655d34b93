"""Resuming what a killed run left in flight on an endpoint, from its journal.

The phase the journal names decides: ``updating``/``baking``: wait for the update, verify it,
finish the bake (or roll back if it failed); ``gc``: delete the old configs; ``rolling_back``:
the run died returning the endpoint to its snapshot, so finish that rollback and report it with
the reason the dead run had (exit 4, as if it had not died).

What the resume reports it found comes from the journal: its phase, and for ``updating`` the
call that was made (``operation``: CreateEndpoint, UpdateEndpoint or
UpdateEndpointWeightsAndCapacities; a journal written before it was recorded tells a create by
having no snapshot). A resume asked to stop (``Stopped``) keeps the journal and releases its
lease as stopped, like any run.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from reconciler.apply.clock import Stopped
from reconciler.apply.context import (
    APPLIED,
    DEGRADED,
    FAILED,
    ROLLED_BACK,
    WAITING,
    ApplyContext,
    Outcome,
    StepFailed,
)
from reconciler.apply.state import LeaseHeld
from reconciler.kinds.endpoint import guardrails, quarantine
from reconciler.kinds.endpoint.apply import beat, collect, reason_of
from reconciler.kinds.endpoint.guardrails import Degraded
from reconciler.kinds.endpoint.rollback import rollback


def recover(actx: ApplyContext, name: str) -> Outcome | None:
    """Finish or undo what a killed run left in flight on ``name`` (None: nothing to do)."""
    entry = actx.state.journal(name)
    if entry is None:
        return None
    address = entry.get("address") or f"Endpoint.{name}"
    try:
        actx.state.acquire(name, actx.run_id, actx.owner, actx.options.lease_seconds, address)
    except LeaseHeld as held:
        return Outcome(address, WAITING, f"not resumed: {held}")
    try:
        outcome = _Resume(actx, name, entry).run()
    except Stopped:
        actx.state.release(name, actx.run_id, stopped=True)
        raise
    except BaseException:
        actx.state.release(name, actx.run_id)
        raise
    actx.state.release(name, actx.run_id)
    return outcome


DOING = {"started": "preparing its change (nothing sent to SageMaker yet)",
         "baking": "baking the deployed endpoint (watching its alarms)",
         "gc": "deleting the endpoint's old configs",
         "rolling_back": "rolling the endpoint back"}
OPERATIONS = {"CreateEndpoint": "creating the endpoint (CreateEndpoint)",
              "UpdateEndpoint": "updating the endpoint (UpdateEndpoint)",
              "UpdateEndpointWeightsAndCapacities":
                  "changing the endpoint's weights and capacities "
                  "(UpdateEndpointWeightsAndCapacities)"}


def found(entry: dict[str, Any]) -> str:
    """What the journal says the stopped run was doing, in words."""
    phase = str(entry.get("phase"))
    if phase != "updating":
        return DOING.get(phase, phase)
    operation = entry.get("operation") or ("UpdateEndpoint" if entry.get("snapshot")
                                           else "CreateEndpoint")
    return OPERATIONS.get(str(operation), f"waiting for {operation}")


class _Resume:
    def __init__(self, actx: ApplyContext, name: str, entry: dict[str, Any]) -> None:
        self.actx, self.name, self.entry = actx, name, entry
        self.address = entry.get("address") or f"Endpoint.{name}"
        self.saved = entry.get("snapshot")
        self.new_config = entry.get("new_config")

    def heartbeat(self) -> None:
        beat(self)

    def history(self, outcome: str, reason: str = "") -> None:
        self.actx.state.add_history(self.name, self.actx.run_id, {
            "outcome": outcome, "reason": reason, "git_commit": self.actx.commit,
            "spec_digest": self.entry.get("spec_digest"), "resumed_run": self.entry.get("run_id"),
            "old_config": (self.saved or {}).get("config"), "new_config": self.new_config,
            "action_reason": self.entry.get("action_reason"), "owner": self.actx.owner})

    def run(self) -> Outcome:
        actx, phase = self.actx, self.entry.get("phase")
        warnings: list[str] = []
        actx.events.emit("resume", self.address, phase=phase,
                         operation=self.entry.get("operation"),
                         message=f"resuming run {self.entry.get('run_id')} (it stopped while "
                                 f"{found(self.entry)})")
        if phase == "rolling_back":
            return self.roll_back(str(self.entry.get("reason") or "a run died rolling back"),
                                  finishing=True)
        try:
            if phase in ("updating", "baking"):
                if self.finish_update() and phase == "baking" and self.entry.get("delete"):
                    # the bake's entry lists the old configs its gc step deletes (that step
                    # writes no entry of its own after one): delete them now
                    warnings = collect(actx, self.name, list(self.entry["delete"]))
            elif phase == "gc":
                warnings = collect(actx, self.name, list(self.entry.get("delete") or []))
        except (StepFailed, ClientError) as err:
            return self.fail(err)
        actx.state.clear(self.name)
        if phase in ("updating", "baking", "gc"):
            self.history(APPLIED, "; ".join(["resumed", *warnings]))
            return Outcome(self.address, APPLIED, "; ".join(["resumed the interrupted run",
                                                             *warnings]),
                           {"warnings": warnings} if warnings else {})
        return Outcome(self.address, APPLIED, "nothing was in flight")

    def finish_update(self) -> bool:
        """Wait, verify and bake; False when the killed run's update never started (the
        plan redoes it)."""
        actx = self.actx
        described = guardrails.wait(actx, self.name, 4 * 3600.0, heartbeat=self.heartbeat)
        if described is None:
            raise StepFailed(f"endpoint {self.name} is gone")
        expected = self.new_config or described.get("EndpointConfigName")
        if self.entry.get("phase") == "updating" and self.saved is not None and \
                described.get("EndpointConfigName") == self.saved.get("config") and \
                expected != self.saved.get("config") and not self._modified_since_start(described):
            return False  # the killed run never got its UpdateEndpoint through: re-planned
        guardrails.verify(described, expected if self.saved is not None else None,
                          self.entry.get("variants"))
        bake = self.entry.get("bake")
        if bake and float(bake.get("seconds") or 0) > 0:
            until = self.entry.get("bake_until") or actx.clock.now() + float(bake["seconds"])
            actx.state.record(self.name, {**self.entry, "phase": "baking", "bake_until": until})
            guardrails.bake(actx, self.name, float(bake["seconds"]),
                            list(bake.get("alarms") or []),
                            bool(bake.get("allowInsufficientData")), self.heartbeat,
                            max(float(until), actx.clock.now()))
        return True

    def _modified_since_start(self, described: dict[str, Any]) -> bool:
        modified = described.get("LastModifiedTime")
        started = float(self.entry.get("started") or 0)
        return modified is not None and modified.timestamp() >= started - 5

    def fail(self, err: Exception) -> Outcome:
        reason = reason_of(err)
        actx = self.actx
        if isinstance(err, Degraded) or self.saved is None:
            actx.state.clear(self.name)
            quarantine.record(actx, self.name, str(self.entry.get("spec_digest")), reason)
            status = DEGRADED if isinstance(err, Degraded) else FAILED
            self.history(status, reason)
            return Outcome(self.address, status, reason)
        return self.roll_back(reason)

    def roll_back(self, reason: str, finishing: bool = False) -> Outcome:
        """Return the endpoint to the journal's snapshot because of ``reason``; ``finishing``:
        the run that died had started this rollback (its reason is the journal's)."""
        actx = self.actx
        if self.saved is None:  # nothing to go back to (a create): the failure stands
            actx.state.clear(self.name)
            self.history(FAILED, reason)
            return Outcome(self.address, FAILED, reason)
        if not finishing:
            actx.state.record(self.name, {**self.entry, "phase": "rolling_back",
                                          "reason": reason})
        try:
            done = rollback(actx, self.name, self.saved, self.new_config, self.heartbeat)
        except Degraded as broken:
            actx.state.clear(self.name)
            quarantine.record(actx, self.name, str(self.entry.get("spec_digest")), reason)
            self.history(DEGRADED, f"{reason}; then {reason_of(broken)}")
            return Outcome(self.address, DEGRADED, f"{reason}; then {reason_of(broken)}")
        except (StepFailed, ClientError) as err2:
            actx.state.clear(self.name)
            self.history(FAILED, f"{reason}; rollback failed: {reason_of(err2)}")
            return Outcome(self.address, FAILED, f"{reason}; rollback failed: {reason_of(err2)}")
        actx.state.clear(self.name)
        quarantine.record(actx, self.name, str(self.entry.get("spec_digest")), reason)
        self.history(ROLLED_BACK, reason)
        said = "rolled back by this run, which finished the rollback a run that died began" \
            if finishing else "rolled back"
        actx.events.emit("rolled_back", self.address, message=f"{said}: {done}")
        return Outcome(self.address, ROLLED_BACK, f"{reason} ({said}: {done})")
