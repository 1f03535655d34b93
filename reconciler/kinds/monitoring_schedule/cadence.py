"""The schedule expressions SageMaker Model Monitor accepts, what they mean, and when the next
run is.

API_ScheduleConfig (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ScheduleConfig.html)
and dg/model-monitor-schedule-expression.html list the accepted forms, and only those:

- hourly ``cron(0 * ? * * *)``;
- daily ``cron(0 [00-23] ? * * *)``;
- every N hours ``cron(0 [00-23]/[01-24] ? * * *)`` ("SageMaker AI only supports hourly integer
  rates between 1 hour and 24 hours");
- ``NOW``: "run the monitoring job immediately, one time, without recurring"; then
  ``DataAnalysisStartTime`` and ``DataAnalysisEndTime`` are required.

The window offsets are ISO 8601 durations ("-PT1H"), and "the end time that you specify must not
follow the start time that you specify by more than 24 hours". A run may start "0-20 minutes"
after the requested time.

``H/N`` is read as cron reads it (hours H, H+N, ... up to 23, each day): the pages give examples,
not this rule (``docs/rules-pending-mm-sched.md``, not documented).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

DELAY_NOTE = "SageMaker may start it up to 20 minutes late"
"""API_ScheduleConfig: "there could be a delay of 0-20 minutes from the actual requested time"."""

_HOURLY = re.compile(r"^cron\(0 \* \? \* \* \*\)$")
_DAILY = re.compile(r"^cron\(0 (\d{1,2}) \? \* \* \*\)$")
_EVERY = re.compile(r"^cron\(0 (\d{1,2})/(\d{1,2}) \? \* \* \*\)$")
_DURATION = re.compile(r"^(-)?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")

FORMS = ("cron(0 * ? * * *) (hourly), cron(0 H ? * * *) (daily at hour H, 0-23), "
         "cron(0 H/N ? * * *) (every N hours from hour H, N 1-24) or NOW (once, now)")


@dataclass(frozen=True)
class Cadence:
    """What a schedule expression means."""

    once: bool
    """``NOW``: one run, at creation."""
    start_hour: int = 0
    every_hours: int = 24
    """Hours between runs within a day (hourly: 1, daily: 24)."""

    @property
    def hours(self) -> list[int]:
        """The UTC hours of the day it runs at."""
        return list(range(self.start_hour, 24, self.every_hours))

    @property
    def frequency_seconds(self) -> int | None:
        """The time between runs (None: ``NOW``, no recurrence)."""
        return None if self.once else self.every_hours * 3600

    @property
    def hourly(self) -> bool:
        return not self.once and self.every_hours == 1

    def describe(self) -> str:
        if self.once:
            return "once, when it is created (NOW)"
        if self.hourly:
            return "every hour, on the hour (UTC)"
        if self.every_hours >= 24 or len(self.hours) == 1:
            return f"daily at {self.start_hour:02d}:00 UTC"
        return (f"every {self.every_hours} hours from {self.start_hour:02d}:00 UTC "
                f"({', '.join(f'{h:02d}:00' for h in self.hours)})")

    def next_run(self, now: datetime) -> datetime | None:
        """The first scheduled time strictly after ``now`` (UTC); None for ``NOW``."""
        if self.once:
            return None
        now = now.astimezone(UTC)
        day = now.replace(minute=0, second=0, microsecond=0, hour=0)
        for offset in (0, 1):
            for hour in self.hours:
                at = day + timedelta(days=offset, hours=hour)
                if at > now:
                    return at
        return None  # unreachable: every cadence runs at least once a day


def parse(expression: str) -> Cadence | str:
    """The cadence of an expression, or why SageMaker does not accept it."""
    text = expression.strip()
    if text != expression:
        return "no spaces around the expression"
    if expression == "NOW":
        return Cadence(once=True)
    if _HOURLY.match(expression):
        return Cadence(once=False, start_hour=0, every_hours=1)
    daily = _DAILY.match(expression)
    if daily:
        hour = int(daily.group(1))
        if hour > 23:
            return f"the hour must be 0-23, got {hour}"
        return Cadence(once=False, start_hour=hour, every_hours=24)
    every = _EVERY.match(expression)
    if every:
        hour, step = int(every.group(1)), int(every.group(2))
        if hour > 23:
            return f"the starting hour must be 0-23, got {hour}"
        if not 1 <= step <= 24:
            return f"the interval must be 1-24 hours, got {step}"
        return Cadence(once=False, start_hour=hour, every_hours=step)
    return f"SageMaker Model Monitor accepts only {FORMS}"


def parse_offset(value: str) -> timedelta | None:
    """An ISO 8601 duration such as ``-PT1H`` (None: not one)."""
    found = _DURATION.match(value)
    if not found or value in ("P", "-P") or value.endswith("T"):
        return None
    sign, days, hours, minutes, seconds = found.groups()
    delta = timedelta(days=int(days or 0), hours=int(hours or 0), minutes=int(minutes or 0),
                      seconds=int(seconds or 0))
    return -delta if sign else delta


def next_run_text(expression: str, now: datetime) -> str:
    """When the next run of ``expression`` happens, for a plan's consequences."""
    cadence = parse(expression)
    if isinstance(cadence, str):
        return f"schedule {expression!r} is not one SageMaker accepts"
    if cadence.once:
        return "runs once, when it is created (NOW)"
    at = cadence.next_run(now)
    assert at is not None
    return (f"runs {cadence.describe()}; next run {at:%Y-%m-%d %H:%M} UTC ({DELAY_NOTE})")


def utc_now() -> datetime:
    """The time a plan's consequences are computed from (a function: tests replace it)."""
    return datetime.now(UTC)
