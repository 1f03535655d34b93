"""The schedule expressions Model Monitor accepts (API_ScheduleConfig, rule 59) and their run
times: ``cron(0 * ? * * *)`` (hourly), ``cron(0 H ? * * *)`` (daily at hour H, 0-23),
``cron(0 H/N ? * * *)`` (every N hours from hour H, N 1-24), and ``NOW`` (once, at once).
Also the ISO 8601 offsets of DataAnalysisStartTime / DataAnalysisEndTime."""

from __future__ import annotations

import math
import re

from sagemaker_emulator.dispatch import AwsError, validation

HOURLY = re.compile(r"^cron\(0 \* \? \* \* \*\)$")
DAILY = re.compile(r"^cron\(0 (\d{1,2}) \? \* \* \*\)$")
EVERY = re.compile(r"^cron\(0 (\d{1,2})/(\d{1,2}) \? \* \* \*\)$")
OFFSET = re.compile(r"^([+-])?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
DEFAULT_DAILY_HOUR = 0
"""Without a ScheduleConfig SageMaker 'picks a time' for a daily run: the emulator picks 00:00."""


def _bad(expression: str) -> AwsError:
    return validation(f"Invalid ScheduleExpression '{expression}': Model Monitor supports "
                      "cron(0 * ? * * *), cron(0 [00-23] ? * * *), "
                      "cron(0 [00-23]/[01-24] ? * * *) and NOW.")


def hours_of(expression: str | None) -> frozenset[int] | None:
    """The UTC hours (at minute 0) a recurring expression runs at; None for ``NOW``."""
    if expression is None:
        return frozenset({DEFAULT_DAILY_HOUR})
    if expression == "NOW":
        return None
    if HOURLY.match(expression):
        return frozenset(range(24))
    daily = DAILY.match(expression)
    if daily:
        hour = int(daily[1])
        if hour > 23:
            raise _bad(expression)
        return frozenset({hour})
    every = EVERY.match(expression)
    if every:
        first, step = int(every[1]), int(every[2])
        if first > 23 or not 1 <= step <= 24:
            raise _bad(expression)
        return frozenset(range(first, 24, step))
    raise _bad(expression)


def offset_seconds(value: str, field: str) -> float:
    match = OFFSET.match(value) if isinstance(value, str) else None
    if match is None or value.rstrip("+-") in ("P", "PT") or value.endswith("T"):
        raise validation(f"Invalid {field} '{value}': expected an ISO 8601 duration such as "
                         "-PT1H.")
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups()[1:])
    total = days * 86400 + hours * 3600 + minutes * 60 + seconds
    return -total if match[1] == "-" else total


def check_schedule_config(config: dict | None) -> None:
    """ScheduleConfig as API_ScheduleConfig documents it (rule 59)."""
    if config is None:
        return
    expression = config.get("ScheduleExpression")
    if not isinstance(expression, str):
        raise validation("ScheduleConfig.ScheduleExpression is required.")
    hours_of(expression)
    start, end = config.get("DataAnalysisStartTime"), config.get("DataAnalysisEndTime")
    if expression == "NOW" and (start is None or end is None):
        raise validation("DataAnalysisStartTime and DataAnalysisEndTime are required when "
                         "ScheduleExpression is NOW.")
    if start is not None and end is not None:
        gap = offset_seconds(end, "DataAnalysisEndTime") - offset_seconds(
            start, "DataAnalysisStartTime")
        if gap > 86400:
            raise validation("DataAnalysisEndTime must not follow DataAnalysisStartTime by "
                             "more than 24 hours.")
    else:
        for value, field in ((start, "DataAnalysisStartTime"), (end, "DataAnalysisEndTime")):
            if value is not None:
                offset_seconds(value, field)


def due_times(hours: frozenset[int], after: float, until: float) -> list[float]:
    """Run times (hour boundaries in ``hours``) in ``(after, until]``."""
    first = math.floor(after / 3600) + 1
    last = math.floor(until / 3600)
    return [h * 3600.0 for h in range(first, last + 1) if h % 24 in hours]
