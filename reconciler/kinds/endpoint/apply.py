"""The endpoint kind's part in the engine's step runner (``reconciler/apply/steps.py``, which
holds the lease, runs the planned steps in order and records their undo): quarantine check,
snapshot and journal before the first step, waits, verification, bake and garbage collection
(its ``sagectl:*`` steps), then history; on any failure, rollback to the snapshot and quarantine
of the spec (``quarantine.py``).

The rollback is the endpoint's undo, run as one guarded unit (``undo.py`` says what each step's
planned undo is); the engine's undo log holds only the config the change created.

The journal (``reconciler/apply/state.py``) is written before every step that starts something
long in AWS, and before a rollback, so a run killed at any point is resumed by
``resume.recover``: it re-attaches to the update in flight instead of starting another, finishes
verification and bake, rolls back, or finishes the rollback that was under way.
"""

from __future__ import annotations

from dataclasses import replace as dataclass_replace
from typing import Any

from botocore.exceptions import ClientError

from reconciler.apply.context import (
    APPLIED,
    DEGRADED,
    FAILED,
    ROLLED_BACK,
    ApplyContext,
    Outcome,
    StepFailed,
)
from reconciler.apply.steps import StepHooks, UndoLog, call
from reconciler.kinds._live import not_found
from reconciler.kinds.endpoint import guardrails, monitoring, quarantine, undo
from reconciler.kinds.endpoint.apply_data import EndpointApplyData
from reconciler.kinds.endpoint.guardrails import Degraded, QuotaExceeded, StillBusy
from reconciler.kinds.endpoint.rollback import restore_autoscaling, rollback, snapshot
from reconciler.plan.model import ResourceChange, Step, Undo

UPDATES = ("sagemaker:UpdateEndpoint", "sagemaker:UpdateEndpointWeightsAndCapacities",
           "sagemaker:CreateEndpoint")
BUSY_REFUSED = ("sagemaker:UpdateEndpoint", "sagemaker:UpdateEndpointWeightsAndCapacities",
                "sagemaker:DeleteEndpoint")
"""What SageMaker refuses while the endpoint is in progress (rule 19): waited out, not failed."""
DEFAULT_DEADLINE = 3600.0


def _deadline(change: ResourceChange) -> float:
    worst = EndpointApplyData.of(change).worst_case_seconds
    return max(DEFAULT_DEADLINE, float(worst) * 1.5) if worst else DEFAULT_DEADLINE


def _deployment_of(change: ResourceChange) -> dict[str, Any] | None:
    """The DeploymentConfig of the change's UpdateEndpoint (its waits' lengths), if any."""
    return next((s.params.get("DeploymentConfig") for s in change.steps
                 if s.op == "sagemaker:UpdateEndpoint"), None)


def _bake_of(change: ResourceChange) -> dict[str, Any] | None:
    return next((dict(s.params) for s in change.steps if s.op == "sagectl:bake"), None)


class EndpointSteps(StepHooks):
    """One endpoint change in progress (the engine holds its lease)."""

    def __init__(self, actx: ApplyContext, change: ResourceChange, log: UndoLog) -> None:
        super().__init__(actx, change, log)
        self.name = change.name
        self.address = change.address
        self.data = EndpointApplyData.of(change)
        self.digest = self.data.spec_digest
        self.known: quarantine.Quarantine | None = None
        self.described: dict[str, Any] | None = None
        self.saved: dict[str, Any] | None = None
        self.new_config = self.data.new_config
        self.touched = False
        """True once a step changed the endpoint itself (an update or create was called)."""
        self.stopped: dict[str, Undo] = {}
        """Monitoring schedules this change stopped and has not started again, with the call
        that starts each (``monitoring.py``): run on any failure, whatever the endpoint's
        outcome, so each schedule ends as it was before the change."""
        self.warnings: list[str] = []
        self.journaled: tuple[str, Any] | None = None
        """The phase of the last journal entry written, and the old configs it lists."""
        """What did not go as planned after the deploy was verified (never a reason to roll
        back a healthy endpoint): e.g. an old config AWS refused to delete."""

    def heartbeat(self) -> None:
        beat(self)

    def _gc_list(self) -> list[str] | None:
        """The old configs this change's gc step deletes (None: it has none)."""
        step = next((s for s in self.change.steps if s.op == "sagectl:gc"), None)
        return None if step is None else list(step.params.get("delete") or [])

    def journal(self, phase: str, **extra: Any) -> None:
        self.journaled = (phase, extra.get("delete"))
        self.actx.state.record(self.name, {
            "phase": phase, "run_id": self.actx.run_id, "owner": self.actx.owner,
            "address": self.address, "spec_digest": self.digest, "snapshot": self.saved,
            "new_config": self.new_config, "bake": _bake_of(self.change),
            "started": self.actx.clock.now(), "action_reason": self.change.action_reason,
            "variants": [w for s in self.change.steps if s.op.endswith("WeightsAndCapacities")
                         for w in s.params.get("DesiredWeightsAndCapacities") or []] or None,
            **extra})

    def history(self, outcome: str, reason: str = "", clear: bool = False) -> None:
        """The history record; ``clear``: the journal is cleared in the same call."""
        record = {
            "outcome": outcome, "reason": reason, "git_commit": self.actx.commit,
            "spec_digest": self.digest, "old_config": (self.saved or {}).get("config"),
            "new_config": self.new_config, "action_reason": self.change.action_reason,
            "owner": self.actx.owner}
        if clear:
            self.actx.state.clear_with_history(self.name, self.actx.run_id, record)
        else:
            self.actx.state.add_history(self.name, self.actx.run_id, record)

    # -- hooks: before the first step --------------------------------------------------------
    def start(self) -> Outcome | None:
        """The quarantine gate, then the snapshot (the last known good state a rollback
        returns to) and the journal."""
        actx = self.actx
        self.known = quarantine.Quarantine.read(actx, self.change)
        refused = self.known.gate(actx, self.change, self.digest)
        if refused is not None:
            return refused
        self.saved = snapshot(actx, self.name)
        self.journal("started")
        return None

    # -- the endpoint's own steps ------------------------------------------------------------
    def local(self, step: Step) -> None:
        try:
            self._local(step)
        except ClientError as err:  # an AWS error while waiting, verifying or baking
            raise StepFailed(reason_of(err)) from err

    def _local(self, step: Step) -> None:
        actx = self.actx
        if step.op == "sagectl:wait":
            until = step.params.get("until", "InService")
            expected = float(self.data.expected_seconds or 0) \
                if step.params.get("through") else 0.0
            self.described = guardrails.wait(actx, self.name, _deadline(self.change), until,
                                             self.heartbeat, expected, _deployment_of(self.change))
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
            # the old configs the gc step deletes are in this entry already: a run that dies
            # after the bake deletes them on resume, and the gc step needs no write of its own
            self.journal("baking", bake_until=until, delete=self._gc_list())
            guardrails.bake(actx, self.name, seconds, list(step.params.get("alarms") or []),
                            bool(step.params.get("allowInsufficientData")), self.heartbeat,
                            until)
            return
        if step.op == "sagectl:gc":
            delete = list(step.params.get("delete") or [])
            if self.journaled != ("baking", delete):  # no bake wrote them down before
                self.journal("gc", delete=delete)
            self.warnings += collect(actx, self.name, delete)

    # -- hooks around each AWS step ----------------------------------------------------------
    def before(self, step: Step) -> None:
        if step.op in UPDATES:  # the journal names the call: a resume says what it found
            self.journal("updating", operation=step.op.split(":", 1)[1])
            self.touched = True

    def send(self, step: Step) -> Any:
        """Busy endpoints are waited out (rule 19); an instance quota refusal is not retried."""
        actx = self.actx
        try:
            if step.op in BUSY_REFUSED:
                return guardrails.when_settled(actx, self.name, lambda: call(actx, step),
                                               _deadline(self.change), self.heartbeat)
            return call(actx, step)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") == "ResourceLimitExceeded":
                raise QuotaExceeded(_quotareason_of(err, self.change)) from err
            raise

    def records(self, step: Step) -> list[Undo]:
        """The undo log keeps the config this change created; the rest of the endpoint's undo
        is its rollback (``fail``)."""
        if step.op == monitoring.STOP:
            self.stopped[step.target] = step.undo[0]
        elif step.op == monitoring.START:  # with its stop, as before the change: nothing to undo
            self.stopped.pop(step.target, None)
        return undo.logged(step)

    # -- the end -----------------------------------------------------------------------------
    def finished(self) -> Outcome:
        actx = self.actx
        assert self.known is not None
        self.known.clear(actx, self.name)  # a different spec now runs: its quarantine is over
        self.history(APPLIED, "; ".join(self.warnings), clear=True)  # one call for both
        return applied(self.address, self.warnings, {"config": self.new_config})

    def failed(self, step: Step, error: Exception, executed: bool) -> Outcome:
        return self.fail(error)

    def fail(self, err: Exception) -> Outcome:
        outcome = self._fail(err)
        failures = []
        for name, start in list(self.stopped.items()):
            try:
                call(self.actx, start)
                self.actx.events.emit("undo", self.address, op=start.op, target=name,
                                      message=f"undid: {start.note}")
            except ClientError as failed:
                failures.append(f"could not start monitoring schedule {name} again "
                                f"({reason_of(failed)}): start it by hand")
            del self.stopped[name]
        if not failures:
            return outcome
        return dataclass_replace(outcome, reason="; ".join([outcome.reason, *failures]))

    def _fail(self, err: Exception) -> Outcome:
        actx = self.actx
        reason = reason_of(err)
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
        self.journal("rolling_back", reason=reason)  # a run that dies now is finished by the next
        try:
            done = rollback(actx, self.name, self.saved, self.new_config, self.heartbeat)
        except Degraded as broken:
            return self.degraded(f"{reason}; then {reason_of(broken)}")
        except (StepFailed, ClientError) as err2:
            actx.state.clear(self.name)
            self.history(FAILED, f"{reason}; rollback failed: {reason_of(err2)}")
            return Outcome(self.address, FAILED, f"{reason}; rollback failed: {reason_of(err2)}")
        self.log.records.clear()  # the rollback deleted the new config
        actx.state.clear(self.name)
        quarantine.record(actx, self.name, self.digest, reason)
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
        quarantine.record(self.actx, self.name, self.digest, reason)
        self.history(DEGRADED, reason)
        return Outcome(self.address, DEGRADED, reason + " (not retried: fix it in AWS, e.g. "
                       "delete a Failed endpoint so sagectl can create it again)")


def beat(run: Any) -> None:
    """Renew the lease when a third of it has passed (not on every poll: each is a write),
    unless the run's lease keeper holds it (``reconciler/apply/leases.py``), which renews it
    with the others in one call."""
    leases = getattr(run.actx, "leases", None)
    if leases is not None and leases.keeps(run.name):
        return
    now = run.actx.clock.now()
    last = getattr(run, "_last_beat", None)
    seconds = run.actx.options.lease_seconds
    if last is None:
        run._last_beat = now
    elif now - last >= seconds / 3:
        run.actx.state.heartbeat(run.name, run.actx.run_id, seconds)
        run._last_beat = now


def _quotareason_of(err: ClientError, change: ResourceChange) -> str:
    """ResourceLimitExceeded with what the change needs at its peak (from the plan) and what
    to do about it."""
    message = err.response.get("Error", {}).get("Message", "")
    needs = EndpointApplyData.of(change).instances_by_type
    wanted = ", ".join(f"{n['peak']} x {t} ({n['running']} running + {n['new']} new)"
                       for t, n in needs.items())
    names = ", ".join(f"'{t} for endpoint usage'" for t in needs) or "the instance quota"
    rolling = any(n["running"] for n in needs.values()) or err.operation_name == "UpdateEndpoint"
    return (f"AWS refused {err.operation_name} for an instance quota (ResourceLimitExceeded: "
            f"{message})" + (f"; at its peak this change needs {wanted}" if wanted else "")
            + f". Request an increase of {names} in Service Quotas (service sagemaker)"
            + (", or deploy with a rollingUpdatePolicy, which needs one batch more instead of a "
               "second fleet" if rolling else ""))


def reason_of(err: Exception) -> str:
    if isinstance(err, ClientError):
        info = err.response.get("Error", {})
        return f"{err.operation_name}: {info.get('Code')}: {info.get('Message')}"
    return str(err)


def collect(actx: ApplyContext, name: str, configs: list[str]) -> list[str]:
    """Delete old configs, never the one the endpoint runs. Runs after the deploy was verified
    and baked, so a delete AWS refuses (denied, throttled past the retries) is returned as a
    warning, never raised: the endpoint is healthy on its new config, and the config left
    behind is deleted by the endpoint's next deploy (``plan.gc`` lists every owned config
    beyond the newest kept)."""
    warnings: list[str] = []
    try:
        described = guardrails.describe(actx, name)
    except ClientError as err:
        return [f"could not read endpoint {name} to delete its old configs "
                f"({', '.join(configs)}): {reason_of(err)}"]
    current = (described or {}).get("EndpointConfigName")
    sm = actx.aws.client("sagemaker")
    for config in configs:
        if config == current:
            continue
        try:
            sm.delete_endpoint_config(EndpointConfigName=config)
        except ClientError as err:
            if not not_found(err):
                warnings.append(f"could not delete the old endpoint config {config}: "
                                f"{err.response.get('Error', {}).get('Code')}")
    for warning in warnings:
        actx.events.emit("warning", f"Endpoint.{name}", message=warning + " (left in place: "
                         "the endpoint's next deploy deletes it)")
    return warnings


def applied(address: str, warnings: list[str], details: dict[str, Any] | None = None
            ) -> Outcome:
    """An applied outcome; its warnings (if any) in the reason and the details."""
    return Outcome(address, APPLIED, "; ".join(warnings),
                   {**(details or {}), **({"warnings": warnings} if warnings else {})})
