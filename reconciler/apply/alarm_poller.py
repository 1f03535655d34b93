"""One DescribeAlarms for every bake of an apply: the alarm poller the run's bakes share.

Each bake (``reconciler/kinds/_guardrails.py``, ``watch_alarms``) subscribes its alarms for as
long as it watches them. Whenever a bake needs a reading newer than the poller has, the poller
reads every subscribed alarm at once (``AlarmNames`` takes up to 100 names: several calls only
beyond that), after waiting ``BATCH_WINDOW`` simulated seconds for the other bakes that need a
reading about then: 50 endpoints baking at once cost one call per poll, not 50.

A bake asks for a reading taken no earlier than a time it chooses (``read(not_before=...)``):
its regular polls accept a reading another bake caused a little earlier, its last one does not
(the bake's end). Between its polls a bake looks at the poller's last reading (``seen``, no
call), so an alarm another bake's read saw in ALARM fails its bake at once.

How often an alarm is worth reading (``interval``): CloudWatch changes an alarm's state only
when it evaluates it. AWS documents that an alarm with a 10- or 30-second period "is evaluated
every 10 seconds"; it does not document how often one with a period of a minute or more is,
but such alarms watch metrics of standard (one-minute) resolution at the finest, so reading one
more often than once a minute cannot see anything new. Alarms with periods longer than a minute
are still read every minute: with the default sliding evaluation window they may change at any
evaluation, whose frequency AWS does not document.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.apply.context import ApplyContext

NAMES_PER_CALL = 100
"""DescribeAlarms ``AlarmNames``: "Maximum number of 100 items" (botocore: max 100)."""
BATCH_WINDOW = 5.0
"""Simulated (or wall) seconds a read waits for other bakes that need one about then."""
HIGH_RESOLUTION_EVERY = 10.0
"""AWS: an alarm with a 10- or 30-second period "is evaluated every 10 seconds"."""
STANDARD_EVERY = 60.0
"""One minute: the finest resolution of a standard metric (see the module docstring)."""


@dataclass
class Reading:
    state: str
    period: float | None
    """The alarm's period (seconds); a metric-math alarm's shortest; None when unknown."""
    at: float
    """When it was read, on the apply's clock."""


def period_of(alarm: dict[str, Any]) -> float | None:
    """A DescribeAlarms ``MetricAlarm``'s period: ``Period``, or for an alarm on a metric math
    expression the shortest ``Metrics[].MetricStat.Period`` (or ``Metrics[].Period``)."""
    if alarm.get("Period"):
        return float(alarm["Period"])
    periods = [float(p) for q in alarm.get("Metrics") or []
               for p in ((q.get("MetricStat") or {}).get("Period"), q.get("Period")) if p]
    return min(periods) if periods else None


def interval(readings: Iterable[Reading], floor: float) -> float:
    """How long a bake waits between reads of its alarms: no more often than the most
    frequently evaluated one can change, and never more often than ``floor`` (the apply's
    ``poll_seconds``)."""
    every = [HIGH_RESOLUTION_EVERY if r.period is not None and r.period < 60 else STANDARD_EVERY
             for r in readings]
    return max(floor, min(every, default=floor))


class AlarmPoller:
    """The alarm readings of one apply, shared by its bakes (thread-safe)."""

    def __init__(self, actx: ApplyContext) -> None:
        self.actx = actx
        self._lock = threading.Lock()
        self._subscribed: dict[str, int] = {}
        self._readings: dict[str, Reading] = {}
        self._batch: _Batch | None = None

    def subscribe(self, names: Iterable[str]) -> None:
        with self._lock:
            for name in names:
                self._subscribed[name] = self._subscribed.get(name, 0) + 1

    def unsubscribe(self, names: Iterable[str]) -> None:
        with self._lock:
            for name in names:
                left = self._subscribed.get(name, 0) - 1
                if left > 0:
                    self._subscribed[name] = left
                else:
                    self._subscribed.pop(name, None)
                    self._readings.pop(name, None)

    def seen(self, names: Iterable[str]) -> dict[str, Reading]:
        """The last readings of ``names`` (no call)."""
        with self._lock:
            return {n: self._readings[n] for n in names if n in self._readings}

    def read(self, names: list[str], not_before: float) -> dict[str, Reading]:
        """Readings of ``names`` taken at ``not_before`` or later (the name of an alarm that
        does not exist is missing). Raises what DescribeAlarms raised (``ClientError``,
        ``BotoCoreError``) to every bake that waited for that read."""
        with self._lock:
            fresh = {n: r for n in names if (r := self._readings.get(n)) and r.at >= not_before}
            if len(fresh) == len(names) and names:
                return fresh
            batch = self._batch
            leader = batch is None or batch.sent
            if leader:
                batch = self._batch = _Batch()
            assert batch is not None
            batch.names.update(names)
        if leader:
            self._send(batch)
        else:  # Stopped at once when the run is asked to stop, as the leader's sleep is
            self.actx.clock.wait(batch.done)
        if batch.error is not None:
            raise batch.error
        with self._lock:
            return {n: self._readings[n] for n in names if n in self._readings}

    def _send(self, batch: _Batch) -> None:
        try:
            self.actx.clock.sleep(BATCH_WINDOW)  # let the others who need a read now join
            with self._lock:
                batch.sent = True
                wanted = sorted(batch.names | set(self._subscribed))
            cw = self.actx.aws.client("cloudwatch")
            for start in range(0, len(wanted), NAMES_PER_CALL):
                chunk = wanted[start:start + NAMES_PER_CALL]
                alarms = cw.describe_alarms(AlarmNames=chunk)["MetricAlarms"]
                now = self.actx.clock.now()
                with self._lock:
                    for alarm in alarms:
                        self._readings[alarm["AlarmName"]] = Reading(
                            alarm["StateValue"], period_of(alarm), now)
                    for name in set(chunk) - {a["AlarmName"] for a in alarms}:
                        self._readings.pop(name, None)  # gone: missing from the answer
        except BaseException as err:
            batch.error = err
            raise
        finally:
            with self._lock:
                batch.sent = True
                if self._batch is batch:
                    self._batch = None
            batch.done.set()


class _Batch:
    def __init__(self) -> None:
        self.names: set[str] = set()
        self.sent = False
        self.done = threading.Event()
        self.error: BaseException | None = None
