"""What starts a SageMaker pipeline on a schedule: EventBridge Scheduler schedules and EventBridge
rules (both moto's), with fixes, and their firing on the simulated clock.

Fixes to moto's EventBridge Scheduler:
- CreateSchedule in a schedule group that does not exist is ResourceNotFoundException (moto
  crashed with a KeyError: HTTP 500 from the server).
- ScheduleExpression must be ``rate(N unit)`` (N >= 1; minute(s), hour(s), day(s)), a six-field
  ``cron(...)`` with ``?`` in exactly one of day-of-month and day-of-week, or ``at(...)``; State
  ENABLED or DISABLED; a FLEXIBLE time window needs MaximumWindowInMinutes (1-1440). moto accepted
  anything.
- UpdateSchedule without State leaves the schedule ENABLED (moto left it without a state).
- CreationDate and LastModificationDate are on the simulated clock.
- ListSchedules answers ScheduleSummary members only (moto answered every schedule field), and a
  duplicate CreateSchedule is ConflictException with HTTP 409, as modeled (moto: 400).
(Duplicate creates are ConflictException and missing schedules ResourceNotFoundException in moto
already; GetSchedule returns the target's SageMakerPipelineParameters as sent.)

Fixes to moto's EventBridge rules:
- ScheduleExpression is checked as EventBridge does: ``rate(1 hour)`` but ``rate(2 hours)`` (the
  unit is singular exactly when the value is 1, and the value is at least 1), and the cron form
  above; moto accepted ``rate(0 minutes)``, ``rate(5 minute)`` and ``cron(anything)``.
- PutRule on an existing rule ignores its Tags, as the PutRule reference says (moto applied them);
  tags change through TagResource / UntagResource.
- ListRules answers the members of the model's Rule (moto added DescribeRule's CreatedBy).
(PutTargets keeps RoleArn and SageMakerPipelineParameters; ListTargetsByRule returns them.)

Firing: an ENABLED schedule or rule whose expression is ``rate(N unit)`` starts an execution of
each target that is a SageMaker pipeline ARN, with the target's PipelineParameterList, every N
units of simulated time: first one period after it was created, enabled or given a new
expression, then every period. Scheduler StartDate and EndDate bound the runs. Nothing runs in
the background: the runs that fell due are started, at the moment they fell due, whenever
pipelines or executions of the same account and region are read or started
(``pipelines.BEFORE_READ``). A pipeline that did not exist at that moment gets no run (AWS would
fail the invocation). At most ``MAX_CATCH_UP`` runs per trigger are started at a time (the
latest ones).

Not emulated: ``cron(...)`` and ``at(...)`` expressions never fire (they are validated and stored
only); Scheduler's universal targets (``arn:aws:scheduler:::aws-sdk:sagemaker:...``) and
Input/retry/dead-letter settings are stored but play no part. Rules with an EventPattern match
the events AWS services emit (SageMaker's "Model Package State Change"): ``event_delivery.py``.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from typing import Any

from moto.events.exceptions import ValidationException as EventsValidation
from moto.events.models import EventsBackend, events_backends
from moto.events.responses import EventsHandler
from moto.sagemaker.models import sagemaker_backends
from moto.scheduler.exceptions import ScheduleExists
from moto.scheduler.exceptions import ValidationException as SchedulerValidation
from moto.scheduler.models import EventBridgeSchedulerBackend, Schedule, scheduler_backends

from sagemaker_emulator.sagemaker import pipelines
from sagemaker_emulator.sagemaker.pipeline_executions import start_execution
from sagemaker_emulator.state import STATE

RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
AT = re.compile(r"^at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)$")
UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
MAX_CATCH_UP = 1000
RULE_STATES = ("ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
EPSILON = 1e-6
"""Of a period: float sums of simulated seconds must not make a tick fall short."""


# -- expressions ------------------------------------------------------------------------------

def rate_seconds(expression: Any) -> float | None:
    """The period of a ``rate(...)`` expression in seconds (None: not a valid rate)."""
    match = RATE.match(expression) if isinstance(expression, str) else None
    if match is None or int(match[1]) < 1:
        return None
    return int(match[1]) * UNIT_SECONDS[match[2].rstrip("s")]


def valid_cron(expression: str) -> bool:
    if not (expression.startswith("cron(") and expression.endswith(")")):
        return False
    fields = expression[5:-1].split()
    return len(fields) == 6 and (fields[2] == "?") != (fields[4] == "?")


def valid_rule_expression(expression: str) -> bool:
    """EventBridge rules: ``rate(1 hour)``, ``rate(5 hours)`` — never ``rate(1 hours)``."""
    match = RATE.match(expression)
    if match:
        value, plural = int(match[1]), match[2].endswith("s")
        return value >= 1 and plural == (value != 1)
    return valid_cron(expression)


def valid_schedule_expression(expression: str) -> bool:
    return rate_seconds(expression) is not None or valid_cron(expression) or \
        bool(AT.match(expression))


def _epoch(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime):
        return value.timestamp()
    try:
        return float(value)
    except (TypeError, ValueError):
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def arm(trigger: Any) -> None:
    """Count periods from now (created, enabled or given a new expression)."""
    trigger._sagectl_anchor = STATE.clock.now()
    trigger._sagectl_fired = 0


# -- EventBridge Scheduler --------------------------------------------------------------------

def _check_schedule(expression: Any, state: Any, window: Any) -> None:
    if not isinstance(expression, str) or not valid_schedule_expression(expression):
        raise SchedulerValidation(f"Invalid Schedule Expression {expression}.")
    if state is not None and state not in ("ENABLED", "DISABLED"):
        raise SchedulerValidation(f"State must be ENABLED or DISABLED, not {state}.")
    mode = (window or {}).get("Mode")
    if mode not in ("OFF", "FLEXIBLE"):
        raise SchedulerValidation("FlexibleTimeWindow Mode must be OFF or FLEXIBLE.")
    maximum = (window or {}).get("MaximumWindowInMinutes")
    if mode == "FLEXIBLE" and not (isinstance(maximum, int) and 1 <= maximum <= 1440):
        raise SchedulerValidation("MaximumWindowInMinutes (1-1440) is required when the "
                                  "FlexibleTimeWindow Mode is FLEXIBLE.")


_original_create_schedule = EventBridgeSchedulerBackend.create_schedule
_original_update_schedule = EventBridgeSchedulerBackend.update_schedule


def _create_schedule(self: EventBridgeSchedulerBackend, **kwargs: Any) -> Any:
    self.get_schedule_group(kwargs.get("group_name"))  # ResourceNotFoundException if missing
    _check_schedule(kwargs.get("schedule_expression"), kwargs.get("state"),
                    kwargs.get("flexible_time_window"))
    schedule = _original_create_schedule(self, **kwargs)
    schedule.creation_date = schedule.last_modified_date = STATE.clock.now()
    arm(schedule)
    return schedule


def _update_schedule(self: EventBridgeSchedulerBackend, **kwargs: Any) -> Any:
    _check_schedule(kwargs.get("schedule_expression"), kwargs.get("state"),
                    kwargs.get("flexible_time_window"))
    kwargs["state"] = kwargs.get("state") or "ENABLED"
    schedule = self.get_schedule(kwargs.get("group_name"), kwargs["name"])
    before = (schedule.schedule_expression, schedule.state)
    schedule = _original_update_schedule(self, **kwargs)
    schedule.last_modified_date = STATE.clock.now()
    if (schedule.schedule_expression, schedule.state) != before:
        arm(schedule)
    return schedule


EventBridgeSchedulerBackend.create_schedule = _create_schedule  # type: ignore[method-assign]
EventBridgeSchedulerBackend.update_schedule = _update_schedule  # type: ignore[method-assign]

SCHEDULE_SUMMARY = ("Arn", "Name", "GroupName", "State", "CreationDate", "LastModificationDate",
                    "Target")
"""The members of Scheduler's ScheduleSummary (ListSchedules)."""
_original_schedule_dict = Schedule.to_dict


def _schedule_dict(self: Schedule, short: bool = False) -> dict[str, Any]:
    found = _original_schedule_dict(self, short)
    return {k: v for k, v in found.items() if k in SCHEDULE_SUMMARY} if short else found


Schedule.to_dict = _schedule_dict  # type: ignore[method-assign]
ScheduleExists.code = 409


# -- EventBridge rules ------------------------------------------------------------------------

_original_put_rule = EventsBackend.put_rule
_original_enable_rule = EventsBackend.enable_rule


def _existing_rule(backend: EventsBackend, name: str, event_bus_arn: str | None) -> Any:
    bus = backend.event_buses.get(backend._normalize_event_bus_arn(event_bus_arn))
    return bus.rules.get(name) if bus is not None else None


def _put_rule(self: EventsBackend, name: str, **kwargs: Any) -> Any:
    expression = kwargs.get("scheduled_expression")
    if expression and not valid_rule_expression(expression):
        raise EventsValidation("Parameter ScheduleExpression is not valid.")
    state = kwargs.get("state")
    if state is not None and state not in RULE_STATES:
        raise EventsValidation(f"Parameter State is not valid: {state}.")
    previous = _existing_rule(self, name, kwargs.get("event_bus_arn"))
    if previous is not None:
        kwargs["tags"] = None  # "any tags you specify in the PutRule operation are ignored"
    rule = _original_put_rule(self, name, **kwargs)
    if previous is not None and (previous.scheduled_expression, previous.state) == (
            rule.scheduled_expression, rule.state) and hasattr(previous, "_sagectl_anchor"):
        rule._sagectl_anchor = previous._sagectl_anchor
        rule._sagectl_fired = previous._sagectl_fired
    else:
        arm(rule)
    return rule


def _enable_rule(self: EventsBackend, name: str, event_bus_arn: str | None) -> bool:
    rule = _existing_rule(self, name, event_bus_arn)
    was_enabled = rule is not None and rule.state.startswith("ENABLED")
    done = _original_enable_rule(self, name, event_bus_arn)
    if rule is not None and not was_enabled:
        arm(rule)
    return done  # type: ignore[no-any-return]


EventsBackend.put_rule = _put_rule  # type: ignore[method-assign]
EventsBackend.enable_rule = _enable_rule  # type: ignore[method-assign]

_original_list_rules = EventsHandler.list_rules


def _list_rules(self: EventsHandler) -> tuple[str, dict[str, Any]]:
    body, headers = _original_list_rules(self)
    found = json.loads(body)
    for rule in found.get("Rules") or []:
        rule.pop("CreatedBy", None)  # DescribeRule's, not in ListRules' Rule
    return json.dumps(found), headers


EventsHandler.list_rules = _list_rules  # type: ignore[method-assign]


# -- firing -----------------------------------------------------------------------------------

def _triggers(account: str, region: str) -> list[tuple[Any, Any, bool, list[Any], Any, Any]]:
    """(trigger, expression, enabled, targets, start bound, end bound) of every schedule and
    rule of an account and region."""
    found: list[tuple[Any, Any, bool, list[Any], Any, Any]] = []
    scheduler = scheduler_backends[account][region]
    for group in list(scheduler.schedule_groups.values()):
        for s in list(group.schedules.values()):
            found.append((s, s.schedule_expression, s.state == "ENABLED", [s.target],
                          _epoch(s.start_date), _epoch(s.end_date)))
    events = events_backends[account][region]
    for bus in list(events.event_buses.values()):
        for rule in list(bus.rules.values()):
            found.append((rule, rule.scheduled_expression, rule.state.startswith("ENABLED"),
                          list(rule.targets), None, None))
    return found


def _due(trigger: Any, period: float, now: float) -> list[float]:
    """The moments this trigger fell due since it was last looked at."""
    if not hasattr(trigger, "_sagectl_anchor"):
        arm(trigger)  # made before the emulator was installed: count from now
    anchor, fired = trigger._sagectl_anchor, trigger._sagectl_fired
    latest = math.floor((now - anchor) / period + EPSILON)
    if latest <= fired:
        return []
    trigger._sagectl_fired = latest
    return [anchor + k * period for k in range(max(fired + 1, latest - MAX_CATCH_UP + 1),
                                               latest + 1)]


def fire_due(account: str, region: str) -> None:
    """Start the pipeline runs that the triggers of ``account``/``region`` owe by now."""
    now = STATE.clock.now()
    runs: list[tuple[float, str, list[Any]]] = []
    with pipelines.LOCK:
        for trigger, expression, enabled, targets, lo, hi in _triggers(account, region):
            period = rate_seconds(expression)
            if period is None or not enabled:
                continue
            for t in _due(trigger, period, now):
                if (lo is not None and t < lo) or (hi is not None and t > hi):
                    continue
                for target in targets:
                    arn = (target or {}).get("Arn")
                    if isinstance(arn, str) and pipelines.PIPELINE_ARN.match(arn):
                        listing = ((target.get("SageMakerPipelineParameters") or {})
                                   .get("PipelineParameterList") or [])
                        runs.append((t, arn, listing))
        runs.sort(key=lambda run: run[0])
        for t, arn, listing in runs:
            match = pipelines.PIPELINE_ARN.match(arn)
            assert match is not None
            backend = sagemaker_backends[match["account"]][match["region"]]
            pipeline = pipelines.find(backend, match["name"])
            if pipeline is None or pipeline.creation_time.timestamp() > t:
                continue
            start_execution(backend, pipeline, {"PipelineParameters": listing}, at=t)


pipelines.BEFORE_READ.append(fire_due)
