"""CloudWatch alarms as SageMaker's guardrails see them.

Fixes to moto: a new alarm starts in INSUFFICIENT_DATA (moto: OK), and PutMetricAlarm on an
existing alarm keeps its state ("When you update an existing alarm, its state is left unchanged",
PutMetricAlarm, CloudWatch API reference). Every state change is announced to listeners, so an
endpoint whose rollout watches the alarm reacts at that moment. With metric alarms enabled
(``Emulator.use_metric_alarms``), alarms are also evaluated from PutMetricData datapoints
(``metric_evaluation.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.cloudwatch.models import CloudWatchBackend, cloudwatch_backends

from reconciler.emulator.state import STATE

AlarmListener = Callable[[str, str], None]
"""Called with (account, region) just before and just after an alarm changes state."""
LISTENERS: list[AlarmListener] = []

_original_put = CloudWatchBackend.put_metric_alarm
_original_set = CloudWatchBackend.set_alarm_state


def _announce(backend: CloudWatchBackend) -> None:
    for listener in list(LISTENERS):
        listener(backend.account_id, backend.region_name)


def _put_metric_alarm(self: CloudWatchBackend, name: str, *args: Any, **kwargs: Any) -> Any:
    previous = self.alarms.get(name)
    alarm = _original_put(self, name, *args, **kwargs)
    if previous is not None:
        for attr in ("state_value", "state_reason", "state_reason_data",
                     "state_updated_timestamp", "history"):
            setattr(alarm, attr, getattr(previous, attr))
    else:
        alarm.state_value = "INSUFFICIENT_DATA"
        alarm.state_reason = "Unchecked: Initial alarm creation"
    return alarm


def _set_alarm_state(self: CloudWatchBackend, alarm_name: str, reason: str, reason_data: str,
                     state_value: str) -> None:
    _announce(self)  # transitions that completed under the old state complete first
    _original_set(self, alarm_name, reason, reason_data, state_value)
    _announce(self)  # then rollouts watching this alarm see the new state


CloudWatchBackend.put_metric_alarm = _put_metric_alarm  # type: ignore[method-assign]
CloudWatchBackend.set_alarm_state = _set_alarm_state  # type: ignore[method-assign]


def alarm_states(account: str, region: str, names: list[str]) -> dict[str, str]:
    """Current state of each named alarm that exists (evaluated from metrics when enabled)."""
    backend = cloudwatch_backends[account][region]
    if STATE.metric_alarms:
        from reconciler.emulator.metric_evaluation import evaluate_alarms

        evaluate_alarms(backend, names)
    return {n: backend.alarms[n].state_value for n in names if n in backend.alarms}
