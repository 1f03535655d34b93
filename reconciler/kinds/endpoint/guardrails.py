"""Waiting for, verifying and baking an endpoint change: SageMaker's "InService" is not success.

- ``wait``: poll DescribeEndpoint through Updating / RollingBack / SystemUpdating until a settled
  status, with a deadline. Unknown is never success: a status that cannot be read fails the wait.
- ``verify``: the endpoint runs the config we deployed, FailureReason is empty, and the variants
  have the planned weights and spec-owned counts. SageMaker can end InService on the OLD config
  after a silent rollback; that is a failure here.
- ``bake``: watch the guardrail alarms for the bake time. ALARM fails the bake; alarms that stay
  INSUFFICIENT_DATA for the whole bake make it inconclusive, which fails unless the spec allows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
)

from reconciler.apply.context import ApplyContext, StepFailed
from reconciler.kinds._guardrails import (  # noqa: F401 (the endpoint's names for them)
    BAKE_READ_GRACE,
    TRANSIENT_CODES,
    alarm_states,
    transient,
    unreadable,
    watch_alarms,
)
from reconciler.kinds._guardrails import brief as _brief
from reconciler.kinds._live import not_found
from reconciler.kinds.endpoint import progress

T = TypeVar("T")
SETTLED = {"InService", "Failed", "UpdateRollbackFailed", "OutOfService"}
BROKEN = {"Failed", "UpdateRollbackFailed"}


class Degraded(StepFailed):
    """AWS left the endpoint Failed or UpdateRollbackFailed: never retried, a human must act."""


class QuotaExceeded(StepFailed):
    """AWS refused the call for an instance quota (ResourceLimitExceeded, rule 20): nothing
    started; retrying cannot help until the quota is raised."""


class StillBusy(StepFailed):
    """The endpoint did not settle before the deadline. SageMaker cannot be interrupted (no
    update or rollback while Updating): the journal is kept so a later run re-attaches."""


def _unreadable(actx: ApplyContext, name: str, what: str, err: Exception) -> None:
    unreadable(actx, f"Endpoint.{name}", what, err)


def describe(actx: ApplyContext, name: str) -> dict[str, Any] | None:
    try:
        return actx.aws.client("sagemaker").describe_endpoint(  # type: ignore[no-any-return]
            EndpointName=name)
    except ClientError as err:
        if not_found(err):
            return None
        raise


def wait(actx: ApplyContext, name: str, deadline_seconds: float, until: str = "InService",
         heartbeat: Any = None, expected: float = 0.0,
         deployment: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Poll until the endpoint settles (or is gone, for ``until="deleted"``). While well short
    of the ``expected`` duration the polls thin out (a third of the expected time left), then
    every ``poll_seconds``: a 20-minute canary costs a dozen DescribeEndpoint calls, not 80.
    A ``progress`` event goes out every ``poll_seconds`` all the same, from the last answer
    (``progress.py``: the phase, and the time left of a wait ``deployment`` defines)."""
    start = actx.clock.now()
    watch = progress.Watch(actx, name, deployment)
    last = None
    while True:
        try:
            described = describe(actx, name)
        except (ClientError, BotoCoreError) as err:
            if not transient(err):
                raise
            _unreadable(actx, name, "its status", err)
            elapsed = actx.clock.now() - start
            if elapsed > deadline_seconds:
                raise StillBusy(f"could not read the status of endpoint {name} before the "
                                f"deadline ({int(deadline_seconds)} s): {_brief(err)}") from err
            if heartbeat is not None:
                heartbeat()
            actx.clock.sleep(min(actx.options.poll_seconds,
                                 max(1.0, deadline_seconds - elapsed)))
            continue
        if until == "deleted":
            if described is None:
                return None
        elif described is None:
            raise StepFailed(f"endpoint {name} disappeared while waiting for it")
        else:
            status = described["EndpointStatus"]
            if status != last:
                actx.events.emit("status", f"Endpoint.{name}", status=status,
                                 message=f"status {status}")
                last = status
            if status in SETTLED:
                return described
        elapsed = actx.clock.now() - start
        if elapsed > deadline_seconds:
            state = described["EndpointStatus"] if described else "gone"
            raise StillBusy(f"endpoint {name} still {state} after {int(elapsed)} s "
                            f"(deadline {int(deadline_seconds)} s)")
        interval = max(actx.options.poll_seconds, (expected - elapsed) / 3)
        pause(actx, min(interval, max(1.0, deadline_seconds - elapsed)), heartbeat,
              lambda seen=described: watch.report(seen))


def pause(actx: ApplyContext, seconds: float, heartbeat: Any, report: Callable[[], Any]
          ) -> None:
    """Sleep ``seconds`` on the apply's clock, reporting progress (and renewing the lease)
    at least every ``poll_seconds``: a thinned-out poll is never silent. The pause ends
    ``seconds`` after it began on the clock, not after ``seconds`` of requested sleeps: a
    sleep that ends late (a loaded machine, a coarse clock) does not lengthen the pause."""
    end = actx.clock.now() + seconds
    while True:
        report()
        if heartbeat is not None:
            heartbeat()
        actx.clock.sleep(min(actx.options.poll_seconds, max(0.0, end - actx.clock.now())))
        if actx.clock.now() >= end - 1e-9:
            return


def refused_busy(err: ClientError) -> bool:
    """SageMaker refused to change the endpoint because it is not settled (rule 19): AWS
    answers ``ValidationException`` ``Cannot update in-progress endpoint "<arn>".`` for
    UpdateEndpoint, UpdateEndpointWeightsAndCapacities and DeleteEndpoint alike."""
    info = err.response.get("Error", {})
    return info.get("Code") == "ValidationException" and \
        "in-progress endpoint" in str(info.get("Message", ""))


def when_settled(actx: ApplyContext, name: str, call: Callable[[], T],
                 deadline_seconds: float, heartbeat: Any = None) -> T | None:
    """``call()``, and while SageMaker refuses it because the endpoint is busy (an update
    someone else started, SageMaker's own maintenance), wait for a settled status and call
    again, until ``deadline_seconds``. A busy endpoint never fails a change half-way; one that
    is still busy at the deadline raises ``StillBusy``. None: the endpoint went away meanwhile
    (a delete someone else finished)."""
    start = actx.clock.now()
    while True:
        try:
            return call()
        except ClientError as err:
            if not refused_busy(err):
                raise
        left = deadline_seconds - (actx.clock.now() - start)
        described = describe(actx, name)
        if described is None:
            return None
        status = described["EndpointStatus"]
        if left <= 0:
            raise StillBusy(f"endpoint {name} is still {status} after "
                            f"{int(deadline_seconds)} s: SageMaker refuses to change it until "
                            "it settles")
        actx.events.emit("status", f"Endpoint.{name}", status=status,
                         message=f"SageMaker refuses changes while the endpoint is {status}: "
                                 "waiting for it to settle")
        try:
            wait(actx, name, left, heartbeat=heartbeat)
        except StepFailed:
            if describe(actx, name) is None:
                return None
            raise


def verify(described: dict[str, Any], config: str | None = None,
           variants: list[dict[str, Any]] | None = None) -> None:
    """Raise ``StepFailed`` (or ``Degraded``) unless the endpoint is what we deployed."""
    name, status = described["EndpointName"], described["EndpointStatus"]
    reason = described.get("FailureReason") or ""
    if status in BROKEN:
        raise Degraded(f"endpoint {name} is {status}: {reason or 'AWS gave no reason'}")
    if status != "InService":
        raise StepFailed(f"endpoint {name} is {status}, not InService")
    if config is not None and described.get("EndpointConfigName") != config:
        raise StepFailed(f"SageMaker rolled the update back: endpoint {name} runs "
                         f"{described.get('EndpointConfigName')}, not {config}"
                         + (f" ({reason})" if reason else " (no FailureReason given)"))
    if reason:
        raise StepFailed(f"endpoint {name} reports a failure: {reason}")
    live = {v["VariantName"]: v for v in described.get("ProductionVariants", [])}
    for wanted in variants or []:
        have = live.get(wanted["VariantName"])
        if have is None:
            raise StepFailed(f"variant {wanted['VariantName']} is missing from {name}")
        for key in ("DesiredWeight", "DesiredInstanceCount"):
            if key in wanted and float(have.get(key) or 0) != float(wanted[key]):
                raise StepFailed(f"variant {wanted['VariantName']} of {name} has {key} "
                                 f"{have.get(key)}, planned {wanted[key]}")


def bake(actx: ApplyContext, name: str, seconds: float, alarms: list[str],
         allow_insufficient: bool, heartbeat: Any = None, until: float | None = None) -> None:
    """Watch ``alarms`` until ``until`` (or ``seconds`` from now)."""
    watch_alarms(actx, f"Endpoint.{name}", f"endpoint {name}", seconds, alarms,
                 allow_insufficient, heartbeat, until)
