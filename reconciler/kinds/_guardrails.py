"""What guarded deployments share (endpoints, inference components): the rollback alarms a
deployment names, sagectl's bake (``Bake``) and the watch of those alarms after a deploy
(``watch_alarms``), and which AWS errors are transient (tried again, never taken as an answer).

Unknown is never success: an alarm that cannot be read is tried again, and one still unread at
the end of the bake fails it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Annotated, Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from pydantic import Field, StringConstraints

from reconciler.contract import CheckContext, Issue, SpecModel
from reconciler.kinds._aws import ALARM_NAME_PATTERN
from reconciler.spec.nodes import Path

if TYPE_CHECKING:  # the apply machinery (and boto3) is loaded only when an apply runs
    from reconciler.apply.context import ApplyContext

BAKE_READ_GRACE = 600.0
"""How long after its end a bake keeps trying to read alarms it could not read."""


class AlarmReference(SpecModel):
    alarm_name: Annotated[str, StringConstraints(min_length=1, max_length=255,
                                                 pattern=ALARM_NAME_PATTERN)]
    external: bool = False
    """True for an alarm that exists in CloudWatch but is not defined in these specs."""


class AutoRollbackConfiguration(SpecModel):
    alarms: Annotated[list[AlarmReference], Field(min_length=1, max_length=10)]
    """1-10 CloudWatch alarms; if any is in ALARM during the rollout, SageMaker rolls back."""


class Bake(SpecModel):
    """sagectl's own watch after a deploy has finished: the rollback alarms must stay out of
    ALARM for this long, or sagectl rolls the change back (an endpoint to its previous config,
    an inference component to its previous specification)."""

    duration_in_seconds: Annotated[int, Field(ge=0, le=28800)] = 0
    """How long to watch (0 disables the bake)."""
    allow_insufficient_data: bool = False
    """Treat alarms with INSUFFICIENT_DATA for the whole bake as a pass (default: the bake is
    inconclusive and fails)."""


MONITOR_NAMESPACE = re.compile(
    r"^/?aws/sagemaker/(Endpoints?|ModelMonitoring)/(data|model|bias|explainability)-metrics?$")
"""The namespaces Model Monitor publishes in. AWS's pages spell them differently
(``aws/sagemaker/Endpoints/data-metrics``, ``/aws/sagemaker/Endpoints/data-metric``,
``/aws/sagemaker/Endpoint/data-metrics``): all are recognised (docs/sagemaker-rules.md)."""


def monitor_alarm_warnings(ctx: CheckContext, refs: Sequence[AlarmReference],
                           at: Path) -> Iterator[Issue]:
    """A warning for each rollback alarm (``refs``, at ``at``) defined on Model Monitor metrics.
    They are published when a monitoring execution completes, at most hourly, about data
    captured before it: such an alarm cannot see what a deployment of minutes does, and while
    it is in ALARM, SageMaker rolls back every deployment, including one that fixes the drift."""
    for i, ref in enumerate(refs):
        alarm = None if ref.external else ctx.lookup("Alarm", ref.alarm_name)
        if alarm is None:
            continue
        spaces = [getattr(alarm, "namespace", None)] + [
            q.metric_stat.metric.namespace for q in getattr(alarm, "metrics", None) or []
            if q.metric_stat is not None]
        space = next((s for s in spaces if s and MONITOR_NAMESPACE.match(s)), None)
        if space is not None:
            yield Issue((*at, i, "alarmName"), (
                f"alarm {ref.alarm_name!r} watches Model Monitor metrics ({space}): they are "
                "published when a monitoring execution completes (hourly at most), about data "
                "captured before it, so the alarm cannot judge this deployment while it runs; "
                "and while it is in ALARM, SageMaker rolls back every deployment, including one "
                "that fixes the drift (rule 63)"), "warning")


TRANSIENT_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
    "TooManyRequestsException", "ServiceUnavailable", "InternalFailure", "InternalError",
    "InternalServerError", "RequestTimeout", "RequestTimeoutException"})
"""Errors that say nothing about the resource: AWS (or the way to it) is busy."""


def transient(err: Exception) -> bool:
    """A throttling, 5xx or connection error that botocore's own retries did not outlast."""
    if isinstance(err, ClientError):
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return err.response.get("Error", {}).get("Code") in TRANSIENT_CODES or \
            int(status) >= 500
    return isinstance(err, (EndpointConnectionError, ConnectionClosedError, ReadTimeoutError,
                            ConnectTimeoutError))


def brief(err: Exception) -> str:
    if isinstance(err, ClientError):
        info = err.response.get("Error", {})
        return f"{info.get('Code')}: {info.get('Message')}"
    return type(err).__name__


def unreadable(actx: ApplyContext, address: str, what: str, err: Exception) -> None:
    actx.events.emit("status", address, status="unknown",
                     message=f"could not read {what} ({brief(err)}): trying again")


def alarm_states(actx: ApplyContext, names: list[str]) -> dict[str, str]:
    cw = actx.aws.client("cloudwatch")
    states: dict[str, str] = {}
    for start in range(0, len(names), 100):
        for alarm in cw.describe_alarms(AlarmNames=names[start:start + 100])["MetricAlarms"]:
            states[alarm["AlarmName"]] = alarm["StateValue"]
    return states


def watch_alarms(actx: ApplyContext, address: str, label: str, seconds: float,
                 alarms: list[str], allow_insufficient: bool, heartbeat: Any = None,
                 until: float | None = None) -> None:
    """Watch ``alarms`` until ``until`` (or ``seconds`` from now): ALARM fails the bake; alarms
    that stay INSUFFICIENT_DATA throughout make it inconclusive, which fails unless
    ``allow_insufficient``; alarms that cannot be read are tried again, and not read by the
    end plus ``BAKE_READ_GRACE`` they fail it (unknown is not a pass). ``address`` names the
    resource in events, ``label`` in messages (``endpoint scorer``).

    The alarms are read through the run's shared poller (``reconciler/apply/alarm_poller.py``):
    at the start, then no more often than they can change (``alarm_poller.interval``), and
    once at or after the end; in between, every ``poll_seconds``, the bake looks at what the
    other bakes' reads saw (no call), so ALARM fails it as soon as any read sees it."""
    from reconciler.apply.alarm_poller import interval
    from reconciler.apply.context import StepFailed

    end = until if until is not None else actx.clock.now() + seconds
    poll = actx.options.poll_seconds
    if not alarms:
        actx.events.emit("bake", address, message=f"baking {int(seconds)} s (no guardrail "
                                                  "alarms: time only)")
    poller = actx.alarms
    poller.subscribe(alarms)
    try:
        saw_data = _watch(actx, poller, address, alarms, end, poll, heartbeat, interval,
                          StepFailed)
    finally:
        poller.unsubscribe(alarms)
    if alarms and not saw_data:
        message = (f"bake inconclusive: guardrail alarms {', '.join(alarms)} had no data "
                   f"(INSUFFICIENT_DATA) for the whole {int(seconds)} s")
        if not allow_insufficient:
            raise StepFailed(message + "; set bake.allowInsufficientData to accept that")
        actx.events.emit("bake", address, message=message + " (allowed by the spec)")


def _watch(actx: ApplyContext, poller: Any, address: str, alarms: list[str], end: float,
           poll: float, heartbeat: Any, interval: Any, failed: type[Exception]) -> bool:
    """The bake's loop (see ``watch_alarms``); True when some alarm had data (OK)."""

    def check(states: dict[str, str]) -> None:
        firing = sorted(a for a, s in states.items() if s == "ALARM")
        if firing:
            raise failed(f"guardrail alarm {', '.join(firing)} in ALARM during the bake")

    saw_data = False
    unread_since: float | None = None
    not_before = actx.clock.now()
    while True:
        try:
            readings = poller.read(alarms, not_before) if alarms else {}
            unread_since = None
        except (ClientError, BotoCoreError) as err:
            if not transient(err):
                raise
            unreadable(actx, address, "the guardrail alarms", err)
            now = actx.clock.now()
            unread_since = now if unread_since is None else unread_since
            if now >= end and now - unread_since > BAKE_READ_GRACE:
                raise failed(f"could not read the guardrail alarms to finish the bake "
                             f"({brief(err)}): unknown is not a pass") from err
            if heartbeat is not None:
                heartbeat()
            actx.clock.sleep(poll)
            continue
        states = {a: r.state for a, r in readings.items()}
        missing = sorted(set(alarms) - set(states))
        if missing:
            raise failed(f"guardrail alarm(s) {', '.join(missing)} do not exist")
        check(states)
        if any(s == "OK" for s in states.values()):
            saw_data = True
        if not_before >= end:
            return saw_data
        now = actx.clock.now()
        last = max((r.at for r in readings.values()), default=now)
        due = min(end, max(now, last + interval(readings.values(), poll)) if alarms
                  else now + poll)
        while True:
            if heartbeat is not None:
                heartbeat()
            actx.events.emit("bake", address, seconds_left=int(max(0.0, end - now)),
                             message=f"baking: {int(max(0.0, end - now))} s left, alarms "
                             + (", ".join(f"{a} {s}" for a, s in sorted(states.items()))
                                or "none"))
            if now >= due:
                break
            actx.clock.sleep(min(poll, due - now))
            now = actx.clock.now()
            seen = poller.seen(alarms)  # what the other bakes' reads saw meanwhile: no call
            states.update({a: r.state for a, r in seen.items()})
            check(states)
            if any(r.state == "OK" for r in seen.values()):
                saw_data = True
        # the last read is at the end or later; a regular one may be another bake's, if recent
        not_before = end if due >= end else due - poll
