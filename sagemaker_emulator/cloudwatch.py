"""CloudWatch alarms as SageMaker's guardrails see them: evaluated all the time, on the
simulated clock.

What the emulator changes in moto, which stores alarms and datapoints but never evaluates them:

- A new alarm starts INSUFFICIENT_DATA, "Unchecked: Initial alarm creation" (moto: OK), and is
  first evaluated at the next evaluation instant. PutMetricAlarm on an existing alarm keeps its
  state ("When you update an existing alarm, its state is left unchanged", PutMetricAlarm).
- Every single-metric alarm is evaluated the way CloudWatch does it, at every evaluation instant:
  every 60 simulated seconds, every 10 s for periods under a minute, aligned to the clock
  (``metric_evaluation.py`` says how a state is decided: window, M of N, TreatMissingData).
- SetAlarmState is temporary, as on AWS ("Metric alarms returns to their actual state quickly";
  "This temporary state change lasts only until the next alarm comparison occurs"): the state
  holds until the next evaluation instant, where the evaluated state applies if it differs.
- Not evaluated, so they keep their state (INSUFFICIENT_DATA, or what SetAlarmState gave them):
  metric-math alarms and the other alarms ``metric_evaluation.evaluable`` refuses.
- ``hold`` is a fault for tests, not an AWS behaviour (``Emulator.hold_alarm_state``).
- PutMetricAlarm's ``ActionConfiguration`` (what notifications carry; the emulator sends none),
  ``WarmUpConfiguration`` and ``EvaluationWindow`` are kept and DescribeAlarms answers them
  (moto dropped them). What a warm-up or a wall-clock window does to evaluation is not
  modelled: such an alarm is evaluated like any other. ``EvaluationInterval`` or
  ``EvaluationCriteria`` with ``MetricName`` or ``Metrics`` is refused, as PutMetricAlarm says
  ("cannot be specified for alarms configured with MetricName or Metrics"); PromQL alarms
  (``EvaluationCriteria``) are not modelled (rule 55).

Nothing runs in the background. Whenever alarm states are read (DescribeAlarms and its friends, or
a rollout checking its guardrails through ``alarm_states``), and before anything that changes what
an evaluation would see (PutMetricData, PutMetricAlarm, SetAlarmState, a hold), the alarms of the
account and region are brought up to the current simulated time: the instants since each alarm's
last one are evaluated in order, and nothing is computed again (a second read in the same minute
costs nothing). A state change at instant e is announced to ``LISTENERS`` just before and just
after it with the clock pinned at e in this thread (``Clock.pinned``): an endpoint whose rollout
watches the alarm reacts at e exactly, however late the evaluation is computed.

Locks: listeners take their own (settling endpoints takes the hosting lock), and a rollout reads
its alarms while holding that lock; so every evaluation takes the ``LOCKS`` first, then the
alarms' own lock: one lock order. Application Auto Scaling puts its target-tracking alarms while
holding its lock, which comes after the hosting lock: the backend's PutMetricAlarm therefore takes
no lock and evaluates nothing (the API call evaluates first, holding no other lock).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

from moto.cloudwatch.exceptions import InvalidParameterCombination
from moto.cloudwatch.models import Alarm, CloudWatchBackend, cloudwatch_backends
from moto.cloudwatch.responses import CloudWatchResponse

from sagemaker_emulator import metric_evaluation
from sagemaker_emulator.metric_evaluation import Verdict
from sagemaker_emulator.state import STATE

AlarmListener = Callable[[str, str], None]
"""Called with (account, region) just before and just after an alarm changes state."""
LISTENERS: list[AlarmListener] = []
LOCKS: list[Callable[[str, str], AbstractContextManager[Any]]] = []
"""For (account, region): a lock that a listener takes, taken before the alarms' own lock."""
STATES = ("OK", "ALARM", "INSUFFICIENT_DATA")

_original_put = CloudWatchBackend.put_metric_alarm
_original_put_call = CloudWatchResponse.put_metric_alarm
_original_set = CloudWatchBackend.set_alarm_state
_original_put_data = CloudWatchBackend.put_metric_data
_local = threading.local()
_making = threading.Lock()
EVALUATED = "_sagectl_evaluated"
"""Alarm attribute: the last instant evaluated (the creation time before the first one)."""
HELD = "_sagectl_held"
"""Alarm attribute: the state a hold keeps it in, or None."""


def _lock(backend: CloudWatchBackend) -> threading.RLock:
    lock = backend.__dict__.get("_sagectl_lock")
    if lock is None:
        with _making:
            lock = backend.__dict__.setdefault("_sagectl_lock", threading.RLock())
    return lock  # type: ignore[no-any-return]


@contextmanager
def _exclusive(backend: CloudWatchBackend) -> Iterator[None]:
    with ExitStack() as stack:
        for lock_for in list(LOCKS):
            stack.enter_context(lock_for(backend.account_id, backend.region_name))
        stack.enter_context(_lock(backend))
        yield


def _announce(backend: CloudWatchBackend) -> None:
    for listener in list(LISTENERS):
        listener(backend.account_id, backend.region_name)


def _naive(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC).replace(tzinfo=None)  # moto keeps naive UTC


def _change(backend: CloudWatchBackend, at: float, changes: list[tuple[Alarm, Verdict]]) -> None:
    """Apply state changes made at instant ``at``, announced around it as seen at ``at``."""
    with STATE.clock.pinned(at):
        _announce(backend)  # transitions that completed under the old state complete first
        for alarm, verdict in changes:
            assert verdict.state is not None
            alarm.update_state(verdict.reason, verdict.data, verdict.state)
            alarm.state_updated_timestamp = _naive(at)
        _announce(backend)  # then rollouts watching these alarms see the new state


def evaluate(backend: CloudWatchBackend) -> None:
    """Evaluate every alarm of the backend at each of its instants up to now, in time order."""
    if getattr(_local, "active", False):  # a state change settles endpoints, which read alarms
        return
    with _exclusive(backend):
        _local.active = True
        try:
            _catch_up(backend, STATE.clock.now())
        finally:
            _local.active = False


def _catch_up(backend: CloudWatchBackend, now: float) -> None:
    due = []
    for alarm in list(backend.alarms.values()):
        through = getattr(alarm, EVALUATED, None)
        if through is None or not metric_evaluation.evaluable(alarm):
            setattr(alarm, EVALUATED, now)  # never evaluated: it keeps its state
        elif metric_evaluation.due(alarm, through, now):
            due.append((alarm, through))
    if not due:
        return
    events: list[tuple[float, int, Alarm, Verdict]] = []
    for order, (alarm, through) in enumerate(due):
        held = getattr(alarm, HELD, None)
        samples = [] if held else metric_evaluation.samples(backend.metric_data, alarm)
        changes, last = metric_evaluation.catch_up(alarm, samples, through, now,
                                                   alarm.state_value, held)
        setattr(alarm, EVALUATED, last)
        events += [(at, order, alarm, verdict) for at, verdict in changes]
    events.sort(key=lambda event: (event[0], event[1]))
    for at, group in groupby(events, key=lambda event: event[0]):
        _change(backend, at, [(alarm, verdict) for _, _, alarm, verdict in group])


# -- moto, patched ----------------------------------------------------------------------------

def _put_metric_alarm(self: CloudWatchBackend, name: str, *args: Any, **kwargs: Any) -> Any:
    """No lock here: Application Auto Scaling puts its target-tracking alarms while holding its
    own lock, which must not come before the hosting lock (see the module docstring)."""
    previous = self.alarms.get(name)
    alarm = _original_put(self, name, *args, **kwargs)
    now = STATE.clock.now()
    alarm.configuration_updated_timestamp = _naive(now)
    if previous is not None:
        for attr in ("state_value", "state_reason", "state_reason_data",
                     "state_updated_timestamp", "history", EVALUATED, HELD):
            setattr(alarm, attr, getattr(previous, attr, None))
    else:
        alarm.state_value = "INSUFFICIENT_DATA"
        alarm.state_reason = "Unchecked: Initial alarm creation"
        alarm.state_updated_timestamp = _naive(now)
        setattr(alarm, EVALUATED, now)
    return alarm


KEPT = (("ActionConfiguration", "action_configuration"),
        ("WarmUpConfiguration", "warm_up_configuration"),
        ("EvaluationWindow", "evaluation_window"))
"""PutMetricAlarm members moto drops that the emulator keeps for DescribeAlarms (the
serializer reads the snake_case attribute)."""


def _put_metric_alarm_call(self: CloudWatchResponse) -> Any:
    """The PutMetricAlarm API: the instants already due follow the alarm's old definition."""
    metric = self._get_param("MetricName") or self._get_param("Metrics")
    for member in ("EvaluationInterval", "EvaluationCriteria"):
        if self._get_param(member) is not None and metric:
            raise InvalidParameterCombination(
                f"{member} cannot be specified for alarms configured with MetricName or "
                "Metrics.")
    evaluate(self.cloudwatch_backend)
    result = _original_put_call(self)
    alarm = self.cloudwatch_backend.alarms.get(self._get_param("AlarmName"))
    if alarm is not None:
        for member, attr in KEPT:
            setattr(alarm, attr, self._get_param(member))
    return result


def _set_alarm_state(self: CloudWatchBackend, alarm_name: str, reason: str, reason_data: str,
                     state_value: str) -> None:
    """SetAlarmState: until the alarm's next evaluation instant (see the module docstring)."""
    evaluate(self)  # the instants already due cannot override the state set now
    with _exclusive(self):
        _announce(self)
        _original_set(self, alarm_name, reason, reason_data, state_value)
        self.alarms[alarm_name].state_updated_timestamp = _naive(STATE.clock.now())
        _announce(self)


def _put_metric_data(self: CloudWatchBackend, namespace: str,
                     metric_data: list[dict[str, Any]]) -> None:
    """Datapoints without a timestamp get the simulated time (moto stamps the wall clock), and
    the instants already due are evaluated before these datapoints arrive."""
    evaluate(self)
    with _exclusive(self):
        now = _naive(STATE.clock.now())
        stamped = [m if m.get("Timestamp") else {**m, "Timestamp": now} for m in metric_data]
        _original_put_data(self, namespace, stamped)


def _evaluating(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(self: CloudWatchBackend, *args: Any, **kwargs: Any) -> Any:
        evaluate(self)
        return method(self, *args, **kwargs)

    return wrapper


CloudWatchBackend.put_metric_alarm = _put_metric_alarm  # type: ignore[method-assign]
CloudWatchResponse.put_metric_alarm = _put_metric_alarm_call  # type: ignore[method-assign]
CloudWatchBackend.set_alarm_state = _set_alarm_state  # type: ignore[method-assign]
CloudWatchBackend.put_metric_data = _put_metric_data  # type: ignore[method-assign]
for _name in ("describe_alarms", "get_alarms_by_alarm_names", "get_alarms_by_alarm_name_prefix",
              "get_alarms_by_state_value", "get_alarms_by_action_prefix"):
    setattr(CloudWatchBackend, _name, _evaluating(getattr(CloudWatchBackend, _name)))


# -- for the emulator's own use ---------------------------------------------------------------

def alarm_states(account: str, region: str, names: list[str]) -> dict[str, str]:
    """Current state of each named alarm that exists (evaluated up to now)."""
    backend = cloudwatch_backends[account][region]
    evaluate(backend)
    return {n: backend.alarms[n].state_value for n in names if n in backend.alarms}


def hold(account: str, region: str, name: str, state: str | None) -> None:
    """Keep the alarm in ``state`` at every evaluation from now on (None: evaluate it again from
    its metric at the next instant). The state applies at once, announced like any change."""
    if state is not None and state not in STATES:
        raise ValueError(f"state is one of {', '.join(STATES)}")
    backend = cloudwatch_backends[account][region]
    if name not in backend.alarms:
        raise KeyError(f"no alarm {name!r}")
    evaluate(backend)
    with _exclusive(backend):
        alarm = backend.alarms[name]
        setattr(alarm, HELD, state)
        if state is not None and alarm.state_value != state:
            now = STATE.clock.now()
            _change(backend, now, [(alarm, metric_evaluation.held(alarm, state, now))])
