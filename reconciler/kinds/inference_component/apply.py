"""The inference component kind's part in the step runner: its waits, verification and bake,
changes sent only once the component settled, and its rollback.

Verification (rule 47): the component is InService, has no FailureReason, and runs the
specification the plan deployed (compared by digest: no values in the plan). SageMaker's own
rollback (an alarm during the rolling update, the deadline) ends InService on the *old*
specification: that is a rollback, reported as ``rolled_back``, never as success. When the bake
fails (or verification on the new specification does), the planned undo runs: the component is
updated back to the specification read, waited for and verified, and the outcome is
``rolled_back``. A component SageMaker left Failed can only be deleted: ``degraded``.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from reconciler.apply.context import DEGRADED, FAILED, ROLLED_BACK, Outcome, StepFailed
from reconciler.apply.steps import StepHooks, aws_reason, call
from reconciler.kinds._guardrails import watch_alarms
from reconciler.kinds.inference_component import live
from reconciler.plan.model import Step

DEADLINE = 4 * 3600.0
"""How long a wait lasts at most (a rolling update's own deadline is at most 28800 s)."""
SETTLED = {"InService", "Failed"}


class AwsRolledBack(StepFailed):
    """SageMaker rolled the update back: the component runs its old specification."""


class Broken(StepFailed):
    """SageMaker left the component Failed."""


def _refused_busy(err: ClientError) -> bool:
    info = err.response.get("Error", {})
    return info.get("Code") == "ValidationException" and \
        "in-progress inference component" in str(info.get("Message", ""))


class ComponentSteps(StepHooks):
    """One inference component change in progress (the engine holds its lease)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.name = self.change.name
        self.address = self.change.address
        self._last_beat: float | None = None

    @property
    def sm(self) -> Any:
        return self.actx.aws.client("sagemaker")

    def heartbeat(self) -> None:
        """Renew the lease every third of it (a rolling update can outlast it)."""
        now = self.actx.clock.now()
        seconds = self.actx.options.lease_seconds
        if self._last_beat is None:
            self._last_beat = now
        elif now - self._last_beat >= seconds / 3 and self.log.lease is not None:
            self.actx.state.heartbeat(self.log.lease, self.actx.run_id, seconds)
            self._last_beat = now

    def wait(self, until: str = "InService") -> dict[str, Any] | None:
        """Poll until the component settles (or is gone, for ``until="deleted"``)."""
        start = self.actx.clock.now()
        last = None
        while True:
            described = live.describe(self.sm, self.name)
            if until == "deleted":
                if described is None:
                    return None
            elif described is None:
                raise StepFailed(f"inference component {self.name} disappeared while waiting")
            else:
                status = described["InferenceComponentStatus"]
                if status != last:
                    self.actx.events.emit("status", self.address, status=status,
                                          message=f"status {status}")
                    last = status
                if status in SETTLED:
                    return described
            if self.actx.clock.now() - start > DEADLINE:
                raise StepFailed(f"inference component {self.name} did not settle within "
                                 f"{int(DEADLINE)} s")
            self.progress(described, start)
            self.heartbeat()
            self.actx.clock.sleep(self.actx.options.poll_seconds)

    def progress(self, described: dict[str, Any] | None, start: float) -> None:
        """A ``progress`` event from the DescribeInferenceComponent the wait just made: its
        status and copy counts (``RuntimeConfig``), and how long it has waited."""
        elapsed = self.actx.clock.now() - start
        status = (described or {}).get("InferenceComponentStatus", "gone")
        runtime = (described or {}).get("RuntimeConfig") or {}
        copies = (f" ({runtime['CurrentCopyCount']} of {runtime['DesiredCopyCount']} copies)"
                  if "CurrentCopyCount" in runtime and "DesiredCopyCount" in runtime else "")
        said = f"{str(status).lower()}{copies}"
        self.actx.events.emit("progress", self.address, phase=said, seconds_left=None,
                              elapsed=int(elapsed),
                              message=f"{said} (inference component {self.name}, waiting "
                                      f"{int(elapsed)} s)")

    # -- the kind's own steps ----------------------------------------------------------------
    def local(self, step: Step) -> None:
        if step.op == "sagectl:wait":
            until = step.params.get("until", "InService")
            described = self.wait(until)
            if described is not None and described["InferenceComponentStatus"] == "Failed":
                raise Broken(f"inference component {self.name} is Failed: "
                             f"{described.get('FailureReason') or 'AWS gave no reason'}")
        elif step.op == "sagectl:verify":
            self.verify(step.params)
        elif step.op == "sagectl:bake":
            seconds = float(step.params.get("seconds") or 0)
            watch_alarms(self.actx, self.address, f"inference component {self.name}", seconds,
                         list(step.params.get("alarms") or []),
                         bool(step.params.get("allowInsufficientData")), self.heartbeat)

    def verify(self, wanted: dict[str, Any]) -> None:
        described = live.describe(self.sm, self.name)
        if described is None:
            raise StepFailed(f"inference component {self.name} does not exist")
        status = described["InferenceComponentStatus"]
        reason = described.get("FailureReason") or ""
        if status == "Failed":
            raise Broken(f"inference component {self.name} is Failed: {reason or 'no reason'}")
        if status != "InService":
            raise StepFailed(f"inference component {self.name} is {status}, not InService")
        runs = live.spec_digest(live.live_canonical(described))
        if "specification" in wanted and runs != wanted["specification"]:
            if runs == wanted.get("previous"):
                raise AwsRolledBack(f"SageMaker rolled the update back: inference component "
                                    f"{self.name} runs its previous specification"
                                    + (f" ({reason})" if reason else " (no FailureReason)"))
            raise StepFailed(f"inference component {self.name} runs neither the planned nor "
                             "the previous specification")
        if reason:
            raise StepFailed(f"inference component {self.name} reports a failure: {reason}")
        if "copies" in wanted:
            runtime = described.get("RuntimeConfig") or {}
            for key in ("DesiredCopyCount", "CurrentCopyCount"):
                if runtime.get(key) != wanted["copies"]:
                    raise StepFailed(f"inference component {self.name} has {key} "
                                     f"{runtime.get(key)}, planned {wanted['copies']}")
        self.actx.events.emit("verified", self.address,
                              message=f"verified: {self.name} InService as planned")

    # -- AWS steps -------------------------------------------------------------------------
    def send(self, step: Step) -> Any:
        """A component SageMaker is busy with (the autoscaler's copy change) is waited out."""
        start = self.actx.clock.now()
        while True:
            try:
                return call(self.actx, step)
            except ClientError as err:
                if not _refused_busy(err) or self.actx.clock.now() - start > DEADLINE:
                    raise
            self.actx.events.emit("status", self.address, message="SageMaker refuses changes "
                                  "while the component is in progress: waiting for it to settle")
            self.wait()

    # -- failure -----------------------------------------------------------------------------
    def failed(self, step: Step, error: Exception, executed: bool) -> Outcome:
        reason = f"{step.op} {step.target} failed: {aws_reason(error)}" \
            if isinstance(error, ClientError) else str(error)
        self.actx.events.emit("failed", self.address, message=f"failed: {reason}")
        if isinstance(error, AwsRolledBack):
            self.log.records.clear()  # SageMaker already put the old specification back
            return Outcome(self.address, ROLLED_BACK, reason, {"rolled_back_by": "SageMaker"})
        creating = any(u.op == "sagemaker:DeleteInferenceComponent" for u in self.log.records)
        if isinstance(error, Broken) and not creating:
            self.log.records.clear()
            return Outcome(self.address, DEGRADED, reason + " (not retried: SageMaker allows only "
                           "deleting a Failed inference component)")
        if creating:  # a new component that failed: deleted, never served
            failures = self.log.run(self.actx, self.address)
            return Outcome(self.address, FAILED, reason + ("; the component was deleted" if not
                                                           failures else "; could not undo: "
                                                           + "; ".join(failures)))
        if not executed or not self.log.records:
            return Outcome(self.address, FAILED, reason)
        try:
            self.wait()  # the undo is refused while the component is in progress
        except StepFailed as stuck:
            return Outcome(self.address, FAILED, f"{reason}; not rolled back: {stuck}")
        failures = self.log.run(self.actx, self.address)
        if failures:
            return Outcome(self.address, FAILED, f"{reason}; could not undo: "
                           + "; ".join(failures))
        try:
            described = self.wait()
        except StepFailed as stuck:
            return Outcome(self.address, FAILED, f"{reason}; rollback not verified: {stuck}")
        if (described or {}).get("InferenceComponentStatus") != "InService":
            return Outcome(self.address, DEGRADED, f"{reason}; rollback ended "
                           f"{(described or {}).get('InferenceComponentStatus')}")
        previous = next((s.params["previous"] for s in self.change.steps
                         if s.op == "sagectl:verify" and "previous" in s.params), None)
        if previous is not None and described is not None and \
                live.spec_digest(live.live_canonical(described)) != previous:
            return Outcome(self.address, FAILED, f"{reason}; after the rollback the component "
                           "does not run its previous specification")
        self.actx.events.emit("rolled_back", self.address,
                              message="rolled back to the previous specification")
        return Outcome(self.address, ROLLED_BACK, reason,
                       {"rollback": "the specification it ran before, verified InService"})
