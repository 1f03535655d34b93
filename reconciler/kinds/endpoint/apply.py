"""Applying one endpoint change: lease, quarantine check, snapshot, journal, the planned steps with
waits, verification and bake, then history; on any failure, rollback to the snapshot.

The journal (``reconciler/apply/state.py``) is written before every step that starts something
long in AWS, so a run killed at any point is resumed by ``recover``: it re-attaches to the update
in flight instead of starting another, finishes verification and bake, or rolls back.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

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
from reconciler.apply.state import LEASE_SECONDS, LeaseHeld
from reconciler.apply.steps import Undo, UndoLog, already_exists, call
from reconciler.kinds._live import not_found
from reconciler.kinds.endpoint import guardrails
from reconciler.kinds.endpoint.guardrails import Degraded, QuotaExceeded, StillBusy
from reconciler.kinds.endpoint.rollback import restore_autoscaling, rollback, snapshot
from reconciler.plan.model import ResourceChange, Step

UPDATES = ("sagemaker:UpdateEndpoint", "sagemaker:UpdateEndpointWeightsAndCapacities",
           "sagemaker:CreateEndpoint")
BUSY_REFUSED = ("sagemaker:UpdateEndpoint", "sagemaker:UpdateEndpointWeightsAndCapacities",
                "sagemaker:DeleteEndpoint")
"""What SageMaker refuses while the endpoint is in progress (rule 19): waited out, not failed."""
DEFAULT_DEADLINE = 3600.0


def _deadline(change: ResourceChange) -> float:
    worst = change.consequences.get("worst_case_seconds")
    return max(DEFAULT_DEADLINE, float(worst) * 1.5) if worst else DEFAULT_DEADLINE


def _bake_of(change: ResourceChange) -> dict[str, Any] | None:
    return next((dict(s.params) for s in change.steps if s.op == "sagectl:bake"), None)


class _Run:
    """One endpoint change in progress (holds the lease)."""

    def __init__(self, actx: ApplyContext, change: ResourceChange, log: UndoLog) -> None:
        self.actx, self.change, self.log = actx, change, log
        self.name = change.name
        self.address = change.address
        self.digest = str(change.consequences.get("spec_digest", ""))
        self.described: dict[str, Any] | None = None
        self.saved: dict[str, Any] | None = None
        self.new_config = change.consequences.get("new_config")
        self.touched = False
        """True once a step changed the endpoint itself (an update or create was called)."""

    def heartbeat(self) -> None:
        _beat(self)

    def journal(self, phase: str, **extra: Any) -> None:
        self.actx.state.record(self.name, {
            "phase": phase, "run_id": self.actx.run_id, "owner": self.actx.owner,
            "address": self.address, "spec_digest": self.digest, "snapshot": self.saved,
            "new_config": self.new_config, "bake": _bake_of(self.change),
            "started": self.actx.clock.now(), "action_reason": self.change.action_reason,
            "variants": [w for s in self.change.steps if s.op.endswith("WeightsAndCapacities")
                         for w in s.params.get("DesiredWeightsAndCapacities") or []] or None,
            **extra})

    def history(self, outcome: str, reason: str = "") -> None:
        self.actx.state.add_history(self.name, self.actx.run_id, {
            "outcome": outcome, "reason": reason, "git_commit": self.actx.commit,
            "spec_digest": self.digest, "old_config": (self.saved or {}).get("config"),
            "new_config": self.new_config, "action_reason": self.change.action_reason,
            "owner": self.actx.owner})

    # -- steps ---------------------------------------------------------------------------------
    def step(self, step: Step) -> None:
        actx = self.actx
        if step.op == "sagectl:wait":
            until = step.params.get("until", "InService")
            expected = float(self.change.consequences.get("expected_seconds") or 0) \
                if step.params.get("through") else 0.0
            self.described = guardrails.wait(actx, self.name, _deadline(self.change), until,
                                             self.heartbeat, expected)
            if until == "InService" and self.described is not None and \
                    self.described["EndpointStatus"] != "InService":
                guardrails.verify(self.described)
            return
        if step.op == "sagectl:verify":
            described = self.described or guardrails.describe(actx, self.name)
            if described is None:
                raise StepFailed(f"endpoint {self.name} does not exist")
            guardrails.verify(described, step.params.get("EndpointConfigName"),
                              step.params.get("variants"))
            actx.events.emit("verified", self.address, message="verified: "
                             + (f"runs {described['EndpointConfigName']}"))
            return
        if step.op == "sagectl:bake":
            seconds = float(step.params.get("seconds") or 0)
            until = actx.clock.now() + seconds
            self.journal("baking", bake_until=until)
            guardrails.bake(actx, self.name, seconds, list(step.params.get("alarms") or []),
                            bool(step.params.get("allowInsufficientData")), self.heartbeat,
                            until)
            return
        if step.op == "sagectl:gc":
            self.journal("gc", delete=list(step.params.get("delete") or []))
            collect(actx, self.name, list(step.params.get("delete") or []))
            return
        if step.op.startswith("sagectl:"):
            return
        if step.op in UPDATES:
            self.journal("updating")
            self.touched = True
        undo = None
        if step.op == "sagemaker:CreateEndpointConfig":
            undo = Undo(Step("sagemaker:DeleteEndpointConfig", step.target,
                             {"EndpointConfigName": step.target}), "config created by this run")
        try:
            if step.op in BUSY_REFUSED:
                guardrails.when_settled(actx, self.name, lambda: call(actx, step),
                                        _deadline(self.change), self.heartbeat)
            else:
                call(actx, step)
        except ClientError as err:
            if step.op.split(":", 1)[1].startswith("Create") and already_exists(err):
                return
            if err.response.get("Error", {}).get("Code") == "ResourceLimitExceeded":
                raise QuotaExceeded(_quota_reason(err, self.change)) from err
            raise
        self.log.push(undo)
        actx.events.emit("step", self.address, op=step.op, target=step.target,
                         message=f"{step.op} {step.target}")

    # -- the whole change ----------------------------------------------------------------------
    def run(self) -> Outcome:
        actx = self.actx
        quarantined = actx.state.quarantined(self.name)
        if quarantined and quarantined.get("spec_digest") == self.digest:
            if not actx.options.force or actx.options.automatic:
                return Outcome(self.address, WAITING, "quarantined: this spec was rolled back ("
                               f"{quarantined.get('reason')}); change the spec, or apply with "
                               "--force to try it again")
            actx.state.lift_quarantine(self.name)
        self.saved = snapshot(actx, self.name)
        self.journal("started")
        try:
            for step in self.change.steps:
                self.step(step)
        except (StepFailed, ClientError) as err:
            return self.fail(err)
        actx.state.clear(self.name)
        self.history(APPLIED)
        return Outcome(self.address, APPLIED, "", {"config": self.new_config})

    def fail(self, err: Exception) -> Outcome:
        actx = self.actx
        reason = _reason(err)
        actx.events.emit("failed", self.address, message=f"failed: {reason}")
        if isinstance(err, Degraded):
            return self.degraded(reason)
        if isinstance(err, QuotaExceeded):
            return self.refused(reason)
        if isinstance(err, StillBusy):
            self.history(FAILED, reason)
            return Outcome(self.address, FAILED, reason + "; SageMaker cannot be interrupted, "
                           "so the journal keeps the update: the next apply re-attaches to it, "
                           "verifies it and rolls back if it failed")
        if self.saved is None:  # a new endpoint: nothing to go back to
            undone = self.log.run(actx, self.address) if not self.touched else []
            actx.state.clear(self.name)
            self.history(FAILED, reason)
            return Outcome(self.address, FAILED, reason, {"undo_failures": undone})
        try:
            done = rollback(actx, self.name, self.saved, self.new_config, self.heartbeat)
        except Degraded as broken:
            return self.degraded(f"{reason}; then {_reason(broken)}")
        except (StepFailed, ClientError) as err2:
            actx.state.clear(self.name)
            self.history(FAILED, f"{reason}; rollback failed: {_reason(err2)}")
            return Outcome(self.address, FAILED, f"{reason}; rollback failed: {_reason(err2)}")
        self.log.records.clear()  # the rollback deleted the new config
        actx.state.clear(self.name)
        actx.state.quarantine(self.name, self.digest, reason)
        self.history(ROLLED_BACK, reason)
        actx.events.emit("rolled_back", self.address, message=f"rolled back: {done}")
        return Outcome(self.address, ROLLED_BACK, reason, {"rollback": done})

    def refused(self, reason: str) -> Outcome:
        """AWS refused the change for a quota before it started: undo what this change did
        (its new config, autoscaling it deregistered), clear the journal, no quarantine (the
        spec is not at fault), and fail with what to do."""
        actx = self.actx
        failures = self.log.run(actx, self.address)
        if self.saved is not None:
            variants = sorted({v["VariantName"] for v in self.saved["variants"]})
            restore_autoscaling(actx, self.name, self.saved["autoscaling"], variants)
        actx.state.clear(self.name)
        self.history(FAILED, reason)
        undone = ("nothing was changed" if not failures else
                  f"could not undo everything: {'; '.join(failures)}")
        return Outcome(self.address, FAILED, f"{reason}; {undone}",
                       {"undone": not failures, "undo_failures": failures})

    def degraded(self, reason: str) -> Outcome:
        self.actx.state.clear(self.name)
        self.actx.state.quarantine(self.name, self.digest, reason)
        self.history(DEGRADED, reason)
        return Outcome(self.address, DEGRADED, reason + " (not retried: fix it in AWS, e.g. "
                       "delete a Failed endpoint so sagectl can create it again)")


def _beat(run: Any) -> None:
    """Renew the lease when a third of it has passed (not on every poll: each is a write)."""
    now = run.actx.clock.now()
    last = getattr(run, "_last_beat", None)
    if last is None:
        run._last_beat = now
    elif now - last >= LEASE_SECONDS / 3:
        run.actx.state.heartbeat(run.name, run.actx.run_id)
        run._last_beat = now


def _quota_reason(err: ClientError, change: ResourceChange) -> str:
    """ResourceLimitExceeded with what the change needs at its peak (from the plan) and what
    to do about it."""
    message = err.response.get("Error", {}).get("Message", "")
    needs = change.consequences.get("instances_by_type") or {}
    wanted = ", ".join(f"{n['peak']} x {t} ({n['running']} running + {n['new']} new)"
                       for t, n in needs.items())
    names = ", ".join(f"'{t} for endpoint usage'" for t in needs) or "the instance quota"
    rolling = any(n["running"] for n in needs.values()) or err.operation_name == "UpdateEndpoint"
    return (f"AWS refused {err.operation_name} for an instance quota (ResourceLimitExceeded: "
            f"{message})" + (f"; at its peak this change needs {wanted}" if wanted else "")
            + f". Request an increase of {names} in Service Quotas (service sagemaker)"
            + (", or deploy with a rollingUpdatePolicy, which needs one batch more instead of a "
               "second fleet" if rolling else ""))


def _reason(err: Exception) -> str:
    if isinstance(err, ClientError):
        info = err.response.get("Error", {})
        return f"{err.operation_name}: {info.get('Code')}: {info.get('Message')}"
    return str(err)


def collect(actx: ApplyContext, name: str, configs: list[str]) -> None:
    """Delete old configs, never the one the endpoint runs."""
    described = guardrails.describe(actx, name)
    current = (described or {}).get("EndpointConfigName")
    sm = actx.aws.client("sagemaker")
    for config in configs:
        if config == current:
            continue
        try:
            sm.delete_endpoint_config(EndpointConfigName=config)
        except ClientError as err:
            if not not_found(err):
                raise


def apply_change(actx: ApplyContext, change: ResourceChange, log: UndoLog) -> Outcome:
    try:
        actx.state.acquire(change.name, actx.run_id, actx.owner)
    except LeaseHeld as held:
        return Outcome(change.address, WAITING, str(held))
    try:
        return _Run(actx, change, log).run()
    finally:
        actx.state.release(change.name, actx.run_id)


# -- resuming a run that died ------------------------------------------------------------------

def recover(actx: ApplyContext, name: str) -> Outcome | None:
    """Finish or undo what a killed run left in flight on ``name`` (None: nothing to do)."""
    entry = actx.state.journal(name)
    if entry is None:
        return None
    address = entry.get("address") or f"Endpoint.{name}"
    try:
        actx.state.acquire(name, actx.run_id, actx.owner)
    except LeaseHeld as held:
        return Outcome(address, WAITING, f"a run is still working on it: {held}")
    try:
        return _Resume(actx, name, entry).run()
    finally:
        actx.state.release(name, actx.run_id)


class _Resume:
    def __init__(self, actx: ApplyContext, name: str, entry: dict[str, Any]) -> None:
        self.actx, self.name, self.entry = actx, name, entry
        self.address = entry.get("address") or f"Endpoint.{name}"
        self.saved = entry.get("snapshot")
        self.new_config = entry.get("new_config")

    def heartbeat(self) -> None:
        _beat(self)

    def history(self, outcome: str, reason: str = "") -> None:
        self.actx.state.add_history(self.name, self.actx.run_id, {
            "outcome": outcome, "reason": reason, "git_commit": self.actx.commit,
            "spec_digest": self.entry.get("spec_digest"), "resumed_run": self.entry.get("run_id"),
            "old_config": (self.saved or {}).get("config"), "new_config": self.new_config,
            "action_reason": self.entry.get("action_reason"), "owner": self.actx.owner})

    def run(self) -> Outcome:
        actx, phase = self.actx, self.entry.get("phase")
        actx.events.emit("resume", self.address, phase=phase,
                         message=f"resuming run {self.entry.get('run_id')} (it stopped while "
                                 f"{phase})")
        try:
            if phase in ("updating", "baking"):
                self.finish_update()
            elif phase == "gc":
                collect(actx, self.name, list(self.entry.get("delete") or []))
        except (StepFailed, ClientError) as err:
            return self.fail(err)
        actx.state.clear(self.name)
        if phase in ("updating", "baking", "gc"):
            self.history(APPLIED, "resumed")
            return Outcome(self.address, APPLIED, "resumed the interrupted run")
        return Outcome(self.address, APPLIED, "nothing was in flight")

    def finish_update(self) -> None:
        actx = self.actx
        described = guardrails.wait(actx, self.name, 4 * 3600.0, heartbeat=self.heartbeat)
        if described is None:
            raise StepFailed(f"endpoint {self.name} is gone")
        expected = self.new_config or described.get("EndpointConfigName")
        if self.entry.get("phase") == "updating" and self.saved is not None and \
                described.get("EndpointConfigName") == self.saved.get("config") and \
                expected != self.saved.get("config") and not self._modified_since_start(described):
            return  # the killed run never got its UpdateEndpoint through: re-planning redoes it
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

    def _modified_since_start(self, described: dict[str, Any]) -> bool:
        modified = described.get("LastModifiedTime")
        started = float(self.entry.get("started") or 0)
        return modified is not None and modified.timestamp() >= started - 5

    def fail(self, err: Exception) -> Outcome:
        reason = _reason(err)
        actx = self.actx
        if isinstance(err, Degraded) or self.saved is None:
            actx.state.clear(self.name)
            actx.state.quarantine(self.name, str(self.entry.get("spec_digest")), reason)
            status = DEGRADED if isinstance(err, Degraded) else FAILED
            self.history(status, reason)
            return Outcome(self.address, status, reason)
        try:
            done = rollback(actx, self.name, self.saved, self.new_config, self.heartbeat)
        except (StepFailed, ClientError) as err2:
            actx.state.clear(self.name)
            self.history(FAILED, f"{reason}; rollback failed: {_reason(err2)}")
            return Outcome(self.address, FAILED, f"{reason}; rollback failed: {_reason(err2)}")
        actx.state.clear(self.name)
        actx.state.quarantine(self.name, str(self.entry.get("spec_digest")), reason)
        self.history(ROLLED_BACK, reason)
        return Outcome(self.address, ROLLED_BACK, f"{reason} ({done})")
