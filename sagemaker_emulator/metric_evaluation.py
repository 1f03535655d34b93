"""How CloudWatch decides a single-metric alarm's state at one evaluation instant (pure functions;
``cloudwatch.py`` decides when, and applies the results).

Sources: CloudWatch user guide, alarm-evaluation.html and alarms-and-missing-data.html; the
tables are quoted in sagectl's research notes (facts-scaling.md §4).

- **When**: "For any period of one minute or longer, an alarm is evaluated every minute"; "If the
  alarm period is 10 seconds or 30 seconds, the alarm is evaluated every 10 seconds". Instants are
  multiples of 60 s (10 s for any period under a minute: 20 s is not documented) of the simulated
  clock. A new alarm is first evaluated at the first instant after its creation.
- **Window**: a sliding window, AWS's default: at instant e, period k (k = 0 is the newest) covers
  [e - (k+1)·Period, e - k·Period), each reduced with the alarm's statistic. The newer
  ``EvaluationWindow`` option (wall-clock windows) is not modelled. Ingestion delay is not
  modelled either: a datapoint counts from the first instant after its timestamp.
- **Evaluation range**: CloudWatch looks at more periods than ``EvaluationPeriods`` (N) when data
  is missing. AWS documents one size only (N = 3 -> 5 periods); the emulator approximates the
  range as N + 2 periods for every N. Then, as documented: with at least N real datapoints in the
  range, the newest N are used and TreatMissingData plays no part; with fewer, every real one is
  used and the rest (as few as possible) are filled per TreatMissingData; with none at all,
  notBreaching -> OK, breaching -> ALARM, ignore -> the state is kept, missing (the default) ->
  INSUFFICIENT_DATA. ``DatapointsToAlarm`` (M, default N) of them breaching is ALARM.
- **Premature ALARM** ("the oldest available breaching datapoint ... is at least as old as
  Datapoints to Alarm, and all other more recent data points are breaching or missing"): read so
  that it matches both of AWS's tables, it applies when every real datapoint in the range breaches
  and the oldest is at least M periods old: missing -> ALARM, ignore -> the state is kept. Checked
  row by row against the tables in tests/emulator/test_alarms.py.
- **Reasons** follow AWS's examples (the format is not specified): "Threshold Crossed: 2 out of
  the last 2 datapoints [25.0 (02/10/19 16:59:00), 25.0 (02/10/19 16:58:00)] were greater than the
  threshold (5.0) (minimum 2 datapoints for OK -> ALARM transition).", newest first, dd/mm/yy;
  "Insufficient Data: 4 datapoints were unknown." (the range). For filled or absent datapoints
  the wording ("... missing datapoints were treated as [NonBreaching]") is the emulator's.
- Not evaluated (they keep their state): metric-math alarms, anomaly-detection operators, and
  statistics other than Sum, Average, Minimum, Maximum, SampleCount and pNN. Percentiles use the
  nearest rank of single values (StatisticValues sets cannot give one); a datapoint counts only
  with the alarm's Unit, when the alarm has one.
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto.cloudwatch.models import Alarm, MetricAggregatedDatum, MetricDatum

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "GreaterThanThreshold": lambda v, t: v > t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}
WORDS = {"GreaterThanOrEqualToThreshold": "greater than or equal to",
         "GreaterThanThreshold": "greater than", "LessThanThreshold": "less than",
         "LessThanOrEqualToThreshold": "less than or equal to"}
STATISTICS = ("Sum", "Average", "Minimum", "Maximum", "SampleCount")
PERCENTILE = re.compile(r"p\d+(\.\d+)?")
FILLS = {"breaching": "Breaching", "notBreaching": "NonBreaching"}


@dataclass(frozen=True)
class Sample:
    """One PutMetricData entry: a single value, or a StatisticValues set."""

    t: float
    total: float
    count: float
    low: float
    high: float
    value: float | None


@dataclass(frozen=True)
class Verdict:
    state: str | None
    """None: the alarm keeps its state (TreatMissingData ignore)."""
    reason: str
    data: str
    """StateReasonData (JSON)."""


def interval(period: float) -> int:
    """Seconds between two evaluations of an alarm with this period."""
    return 10 if float(period) < 60 else 60


def due(alarm: Alarm, through: float, now: float) -> bool:
    """Whether an evaluation instant of the alarm lies in (through, now]."""
    step = interval(alarm.period)
    return math.floor(through / step) < math.floor(now / step)


def evaluable(alarm: Alarm) -> bool:
    stat = alarm.extended_statistic or alarm.statistic
    return (not alarm.metric_data_queries and bool(alarm.metric_name)
            and alarm.comparison_operator in OPERATORS and bool(alarm.period)
            and (stat in STATISTICS or bool(stat and PERCENTILE.fullmatch(stat))))


def _epoch(ts: datetime) -> float:
    return (ts if ts.tzinfo else ts.replace(tzinfo=UTC)).timestamp()


def samples(data: Iterable[Any], alarm: Alarm) -> list[Sample]:
    """The alarm's metric (namespace, name, exactly its dimensions, its unit), oldest first."""
    dims = {(d.name, d.value) for d in alarm.dimensions}
    found = []
    for d in data:
        if d.namespace != alarm.namespace or d.name != alarm.metric_name \
                or {(x.name, x.value) for x in d.dimensions} != dims \
                or (alarm.unit and (d.unit or "None") != alarm.unit):
            continue
        if isinstance(d, MetricDatum):
            v = float(d.value)
            found.append(Sample(_epoch(d.timestamp), v, 1.0, v, v, v))
        elif isinstance(d, MetricAggregatedDatum):
            found.append(Sample(_epoch(d.timestamp), float(d.sum), float(d.sample_count),
                                float(d.min), float(d.max), None))
    return sorted(found, key=lambda s: s.t)


def _statistic(bucket: list[Sample], stat: str) -> float | None:
    if PERCENTILE.fullmatch(stat):
        ordered = sorted(s.value for s in bucket if s.value is not None)
        if not ordered:
            return None
        rank = math.ceil(float(stat[1:]) / 100 * len(ordered))  # nearest rank
        return ordered[max(0, min(len(ordered), rank) - 1)]
    count = sum(s.count for s in bucket)
    return {"Sum": lambda: sum(s.total for s in bucket), "SampleCount": lambda: count,
            "Average": lambda: sum(s.total for s in bucket) / count if count else None,
            "Minimum": lambda: min(s.low for s in bucket),
            "Maximum": lambda: max(s.high for s in bucket)}[stat]()


def _iso(t: float) -> str:
    at = datetime.fromtimestamp(t, UTC)
    return f"{at:%Y-%m-%dT%H:%M:%S}.{at.microsecond // 1000:03d}+0000"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


Point = tuple[int, float, float]
"""(k: periods back from the instant, value, sample count)."""


def _data(alarm: Alarm, e: float, points: list[Point], periods: Iterable[int]) -> str:
    period = int(alarm.period)
    ks = [k for k, _, _ in points] or list(periods)
    data: dict[str, Any] = {
        "version": "1.0", "queryDate": _iso(e), "startDate": _iso(e - (max(ks) + 1) * period),
        "statistic": alarm.extended_statistic or alarm.statistic, "period": period,
        "recentDatapoints": [v for _, v, _ in reversed(points)],
        "threshold": float(alarm.threshold)}
    data["evaluatedDatapoints"] = [
        {"timestamp": _iso(e - (k + 1) * period), "sampleCount": n, "value": v}
        for k, v, n in points] or [{"timestamp": _iso(e - (k + 1) * period)} for k in ks]
    return json.dumps(data, separators=(",", ":"))


def _crossed(alarm: Alarm, e: float, state: str, used: list[Point], fills: int,
             treat: str) -> str:
    n, m = int(alarm.evaluation_periods), int(alarm.datapoints_to_alarm or alarm.evaluation_periods)
    compare, threshold = OPERATORS[alarm.comparison_operator], float(alarm.threshold)
    period, word = int(alarm.period), WORDS[alarm.comparison_operator]
    shown = ", ".join(
        f"{v!r} ({datetime.fromtimestamp(e - (k + 1) * period, UTC):%d/%m/%y %H:%M:%S})"
        for k, v, _ in used)
    alarming = state == "ALARM"
    count = sum(1 for _, v, _ in used if compare(v, threshold) == alarming)
    fill = FILLS.get(treat)
    note = (f" and {_plural(fills, 'missing datapoint')} {'was' if fills == 1 else 'were'} "
            f"treated as [{fill}]") if fills and fill else ""
    minimum, transition = (m, "OK -> ALARM") if alarming else (n - m + 1, "ALARM -> OK")
    return (f"Threshold Crossed: {count} out of the last {len(used)} datapoints [{shown}] "
            f"{'was' if count == 1 else 'were'} {'' if alarming else 'not '}{word} the threshold "
            f"({threshold!r}){note} (minimum {_plural(minimum, 'datapoint')} for {transition} "
            "transition).")


def verdict(alarm: Alarm, window: list[Sample], e: float, current: str) -> Verdict:
    """The alarm's state at instant ``e`` from the samples in its evaluation range."""
    period, n = int(alarm.period), int(alarm.evaluation_periods)
    m = int(alarm.datapoints_to_alarm or n)
    span = n + 2  # the evaluation range, in periods (see the module docstring)
    treat = alarm.treat_missing_data or "missing"
    stat = alarm.extended_statistic or alarm.statistic
    compare, threshold = OPERATORS[alarm.comparison_operator], float(alarm.threshold)
    buckets: dict[int, list[Sample]] = {}
    for s in window:
        k = math.ceil((e - s.t) / period) - 1
        if 0 <= k < span:
            buckets.setdefault(k, []).append(s)
    points: list[Point] = []
    for k in sorted(buckets):
        value = _statistic(buckets[k], stat)
        if value is not None:
            points.append((k, value, sum(s.count for s in buckets[k])))
    if not points:
        if treat == "ignore":
            return Verdict(None, "", "")
        if treat == "missing":
            return Verdict("INSUFFICIENT_DATA",
                           f"Insufficient Data: {span} datapoints were unknown.",
                           _data(alarm, e, [], range(span)))
        state = "ALARM" if treat == "breaching" else "OK"
        return Verdict(state, f"Threshold Crossed: no datapoints were received for "
                              f"{_plural(n, 'period')} and {_plural(n, 'missing datapoint')} "
                              f"{'was' if n == 1 else 'were'} treated as [{FILLS[treat]}].",
                       _data(alarm, e, [], range(n)))
    used = points[:n]
    fills = n - len(used)
    breaching = sum(1 for _, v, _ in used if compare(v, threshold))
    if treat == "breaching":
        breaching += fills
    state = "ALARM" if breaching >= m else "OK"
    if state == "OK" and fills and treat in ("missing", "ignore") and used[-1][0] + 1 >= m \
            and all(compare(v, threshold) for _, v, _ in used):
        if treat == "ignore":
            return Verdict(None, "", "")
        state = "ALARM"  # premature ALARM: the newer periods have no data at all
    return Verdict(state, _crossed(alarm, e, state, used, fills, treat), _data(alarm, e, used, ()))


def held(alarm: Alarm, state: str, at: float) -> Verdict:
    """The state a hold (``Emulator.hold_alarm_state``, an injected fault) keeps the alarm in."""
    reason = {"ALARM": "Threshold Crossed: the metric keeps breaching the threshold",
              "OK": "Threshold Crossed: the metric stays within the threshold",
              "INSUFFICIENT_DATA": "Insufficient Data: the metric stopped reporting"}[state]
    return Verdict(state, f"{reason} (held by the emulator: an injected fault).",
                   json.dumps({"version": "1.0", "queryDate": _iso(at)}, separators=(",", ":")))


def catch_up(alarm: Alarm, data: list[Sample], through: float, now: float, current: str,
             hold: str | None) -> tuple[list[tuple[float, Verdict]], float]:
    """The state changes at the evaluation instants in (through, now], in order, and the last
    instant evaluated. Runs of instants whose range holds no data at all give the same verdict
    as the first of them, so they are skipped (a day without data is not 1,440 evaluations)."""
    step = interval(alarm.period)
    first, last = math.floor(through / step) + 1, math.floor(now / step)
    if first > last:
        return [], through
    if hold is not None:
        return ([] if hold == current else [(first * step, held(alarm, hold, first * step))],
                float(last * step))
    span = (int(alarm.evaluation_periods) + 2) * int(alarm.period)
    times = [s.t for s in data]
    changes: list[tuple[float, Verdict]] = []
    state, k, empty_before = current, first, False
    while k <= last:
        e = float(k * step)
        lo, hi = bisect_left(times, e - span), bisect_left(times, e)
        if lo == hi and empty_before:
            if lo == len(times):
                break
            k = max(k + 1, math.floor(times[lo] / step) + 1)  # the first instant it counts at
            continue
        found = verdict(alarm, data[lo:hi], e, state)
        empty_before = lo == hi
        if found.state is not None and found.state != state:
            changes.append((e, found))
            state = found.state
        k += 1
    return changes, float(last * step)
