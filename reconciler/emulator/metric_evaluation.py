"""Alarms that follow metric data, on the simulated clock (``Emulator.use_metric_alarms()``).

moto stores PutMetricData but never evaluates alarms. With metric alarms on, every single-metric
alarm is evaluated the way CloudWatch does it whenever alarm states are read (DescribeAlarms, or a
rollout checking its guardrails): the last ``EvaluationPeriods`` complete periods, each reduced
with the alarm's statistic, ``DatapointsToAlarm`` of them breaching (M out of N), and missing
periods treated per ``TreatMissingData``. Datapoints sent without a timestamp are stamped with the
simulated clock (moto stamps real time, which means nothing on a simulated clock).
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from moto.cloudwatch.models import Alarm, CloudWatchBackend, MetricDatum

from reconciler.emulator.state import STATE

_guard = threading.local()
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "GreaterThanThreshold": lambda v, t: v > t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}
WORDS = {"GreaterThanOrEqualToThreshold": "greater than or equal to",
         "GreaterThanThreshold": "greater than", "LessThanThreshold": "less than",
         "LessThanOrEqualToThreshold": "less than or equal to"}

_original_put_data = CloudWatchBackend.put_metric_data


def _put_metric_data(self: CloudWatchBackend, namespace: str,
                     metric_data: list[dict[str, Any]]) -> None:
    now = STATE.clock.datetime().replace(tzinfo=None)  # moto compares naive UTC datetimes
    stamped = [m if m.get("Timestamp") else {**m, "Timestamp": now} for m in metric_data]
    _original_put_data(self, namespace, stamped)


CloudWatchBackend.put_metric_data = _put_metric_data  # type: ignore[method-assign]


def _epoch(ts: datetime) -> float:
    return (ts if ts.tzinfo else ts.replace(tzinfo=UTC)).timestamp()


def _statistic(values: list[float], alarm: Alarm) -> float:
    stat = alarm.extended_statistic or alarm.statistic
    if stat == "Sum":
        return sum(values)
    if stat == "Average":
        return sum(values) / len(values)
    if stat == "Minimum":
        return min(values)
    if stat == "Maximum":
        return max(values)
    if stat == "SampleCount":
        return float(len(values))
    if stat and stat.startswith("p"):
        ordered = sorted(values)
        rank = math.ceil(float(stat[1:]) / 100 * len(ordered))  # nearest rank
        return ordered[max(0, min(len(ordered), rank) - 1)]
    raise ValueError(f"unsupported statistic {stat}")


def _same_dimensions(datum: MetricDatum, alarm: Alarm) -> bool:
    return ({(d.name, d.value) for d in datum.dimensions}
            == {(d.name, d.value) for d in alarm.dimensions})


def compute(backend: CloudWatchBackend, alarm: Alarm, now: float) -> tuple[str, str] | None:
    """(state, reason), or None when the alarm keeps its state (TreatMissingData ignore)."""
    period, n = int(alarm.period), int(alarm.evaluation_periods)
    m = int(alarm.datapoints_to_alarm or n)
    # The last n complete periods, aligned to the clock as CloudWatch aligns them.
    first = int(now // period) - n
    start = first * period
    buckets: list[list[float]] = [[] for _ in range(n)]
    for datum in backend.metric_data:
        if not isinstance(datum, MetricDatum) or datum.namespace != alarm.namespace \
                or datum.name != alarm.metric_name or not _same_dimensions(datum, alarm):
            continue
        index = int(_epoch(datum.timestamp) // period) - first
        if 0 <= index < n:
            buckets[index].append(datum.value)
    compare = OPERATORS[alarm.comparison_operator]
    threshold = float(alarm.threshold)
    points = [(i, _statistic(b, alarm)) for i, b in enumerate(buckets) if b]
    missing = n - len(points)
    treat = alarm.treat_missing_data or "missing"
    breaching = sum(1 for _, v in points if compare(v, threshold))
    if treat == "breaching":
        breaching += missing
    if not points and treat in ("missing", "ignore"):
        return None if treat == "ignore" else (
            "INSUFFICIENT_DATA", f"Insufficient Data: {n} datapoints were unknown.")
    shown = ", ".join(f"{v:g} ({datetime.fromtimestamp(start + i * period, UTC):%d/%m/%y %H:%M:%S})"
                      for i, v in points[-5:])
    word = WORDS.get(alarm.comparison_operator, alarm.comparison_operator)
    if breaching >= m:
        return "ALARM", (f"Threshold Crossed: {breaching} out of the last {n} datapoints "
                         f"[{shown}] were {word} the threshold ({threshold:g}).")
    return "OK", (f"Threshold Crossed: {breaching} out of the last {n} datapoints [{shown}] were "
                  f"{word} the threshold ({threshold:g}) (minimum {m} datapoints for "
                  "OK -> ALARM transition).")


def evaluate_alarms(backend: CloudWatchBackend, names: list[str]) -> None:
    """Re-evaluate the named single-metric alarms, changing their state where it moved."""
    if getattr(_guard, "active", False):  # a state change settles endpoints, which read alarms
        return
    _guard.active = True
    try:
        now = STATE.clock.now()
        for name in names:
            alarm = backend.alarms.get(name)
            if alarm is None or alarm.metric_data_queries or not alarm.metric_name \
                    or alarm.comparison_operator not in OPERATORS:
                continue
            result = compute(backend, alarm, now)
            if result is not None and result[0] != alarm.state_value:
                state, reason = result
                backend.set_alarm_state(name, reason, json.dumps({"version": "1.0"}), state)
    finally:
        _guard.active = False


def _evaluating(method: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(self: CloudWatchBackend, *args: Any, **kwargs: Any) -> Any:
        if STATE.metric_alarms:
            evaluate_alarms(self, list(self.alarms))
        return method(self, *args, **kwargs)

    return wrapper


for _name in ("describe_alarms", "get_alarms_by_alarm_names", "get_alarms_by_alarm_name_prefix",
              "get_alarms_by_state_value", "get_alarms_by_action_prefix"):
    setattr(CloudWatchBackend, _name, _evaluating(getattr(CloudWatchBackend, _name)))
