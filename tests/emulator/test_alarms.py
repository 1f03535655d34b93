"""CloudWatch alarms as guardrails (sagemaker-rules.md rule 25): every single-metric alarm is
evaluated every minute from its metric data, missing data per TreatMissingData, SetAlarmState
lasts until the next evaluation; plus the hold fault. Every test drives a frozen clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from sagemaker_emulator import Emulator
from tests.emulator.helpers import canary, config, endpoint, model, status, variant

DIMS = [{"Name": "EndpointName", "Value": "ep"}]


def put_alarm(cw: Any, **overrides: Any) -> None:
    kwargs = {"AlarmName": "5xx", "Namespace": "AWS/SageMaker",
              "MetricName": "Invocation5XXErrors", "Dimensions": DIMS, "Statistic": "Sum",
              "Period": 60, "EvaluationPeriods": 2, "DatapointsToAlarm": 2, "Threshold": 5.0,
              "ComparisonOperator": "GreaterThanThreshold", **overrides}
    cw.put_metric_alarm(**kwargs)


def described(cw: Any, name: str = "5xx") -> dict[str, Any]:
    return cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]  # type: ignore[no-any-return]


def state(cw: Any, name: str = "5xx") -> str:
    return described(cw, name)["StateValue"]  # type: ignore[no-any-return]


def errors(cw: Any, value: float, dims: list[dict[str, str]] = DIMS, at: float | None = None
           ) -> None:
    datum: dict[str, Any] = {"MetricName": "Invocation5XXErrors", "Dimensions": dims,
                             "Value": value}
    if at is not None:
        datum["Timestamp"] = datetime.fromtimestamp(at, UTC)
    cw.put_metric_data(Namespace="AWS/SageMaker", MetricData=[datum])


def next_minute(emu: Emulator, offset: float = 0.0) -> float:
    """Advance to ``offset`` seconds past the next whole minute: an evaluation instant + offset."""
    now = emu.now()
    emu.advance(60 - now % 60 + offset)
    return emu.now() - offset


@pytest.fixture
def cw(emu: Emulator) -> Any:
    emu.freeze()
    next_minute(emu, 1)  # the tests start one second after an evaluation instant
    return emu.client("cloudwatch")


# -- TreatMissingData, with no data at all -----------------------------------------------------

def test_rule_25_missing_data_not_breaching_goes_ok(emu: Emulator, cw: Any) -> None:
    put_alarm(cw, TreatMissingData="notBreaching")
    emu.advance(60)
    alarm = described(cw)
    assert alarm["StateValue"] == "OK"
    assert alarm["StateReason"] == ("Threshold Crossed: no datapoints were received for 2 "
                                    "periods and 2 missing datapoints were treated as "
                                    "[NonBreaching].")


def test_rule_25_missing_data_breaching_goes_alarm(emu: Emulator, cw: Any) -> None:
    put_alarm(cw, TreatMissingData="breaching")
    emu.advance(60)
    assert state(cw) == "ALARM"


def test_rule_25_missing_data_ignore_keeps_state(emu: Emulator, cw: Any) -> None:
    put_alarm(cw, TreatMissingData="ignore")
    emu.advance(600)
    assert state(cw) == "INSUFFICIENT_DATA"  # its state since creation
    errors(cw, 1)
    emu.advance(60)
    assert state(cw) == "OK"
    emu.advance(600)  # the metric stops: the alarm keeps OK
    assert state(cw) == "OK"


def test_rule_25_missing_data_missing_goes_insufficient_data(emu: Emulator, cw: Any) -> None:
    put_alarm(cw)  # TreatMissingData missing is the default
    errors(cw, 1)
    emu.advance(60)
    assert state(cw) == "OK"
    emu.advance(240)  # the datapoint has left the evaluation range (2 + 2 periods)
    alarm = described(cw)
    assert alarm["StateValue"] == "INSUFFICIENT_DATA"
    assert alarm["StateReason"] == "Insufficient Data: 4 datapoints were unknown."


# The tables of alarms-and-missing-data.html: Datapoints to Alarm M, Evaluation Periods 3, an
# evaluation range of 5, the newest datapoint on the right (0 within the threshold, X breaching,
# - missing); the states under MISSING, IGNORE, BREACHING, NOT BREACHING ("keep": retain current).
TABLES = [
    (3, "0 - X - X", ("OK", "OK", "OK", "OK")),
    (3, "0 - - - -", ("OK", "OK", "OK", "OK")),
    (3, "- - - - -", ("INSUFFICIENT_DATA", "keep", "ALARM", "OK")),
    (3, "0 X X - X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    (3, "- - X - -", ("ALARM", "keep", "ALARM", "OK")),
    (2, "0 - X - X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    (2, "0 0 X 0 X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    (2, "0 - X - -", ("OK", "OK", "ALARM", "OK")),
    (2, "- - - - 0", ("OK", "OK", "ALARM", "OK")),
    (2, "- - - X -", ("ALARM", "keep", "ALARM", "OK")),
]


@pytest.mark.parametrize(("m", "points", "expected"), TABLES)
def test_rule_25_missing_data_tables(emu: Emulator, cw: Any, m: int, points: str,
                                     expected: tuple[str, ...]) -> None:
    e = emu.now() - 1 + 60  # the first evaluation instant after the alarms are created
    for treat in ("missing", "ignore", "breaching", "notBreaching"):
        put_alarm(cw, AlarmName=treat, EvaluationPeriods=3, DatapointsToAlarm=m,
                  TreatMissingData=treat)
    for k, point in enumerate(reversed(points.split())):  # k periods back from the instant
        if point != "-":
            errors(cw, 9 if point == "X" else 0, at=e - (k + 1) * 60 + 30)
    emu.advance(59)
    got = tuple(state(cw, treat) for treat in ("missing", "ignore", "breaching", "notBreaching"))
    # "keep": the alarm keeps the state it was created with
    assert got == tuple("INSUFFICIENT_DATA" if s == "keep" else s for s in expected)


# -- when alarms are evaluated ----------------------------------------------------------------

def test_rule_25_new_alarm_starts_insufficient_data_until_evaluated(emu: Emulator,
                                                                    cw: Any) -> None:
    put_alarm(cw, TreatMissingData="notBreaching")
    alarm = described(cw)
    assert (alarm["StateValue"], alarm["StateReason"]) == (
        "INSUFFICIENT_DATA", "Unchecked: Initial alarm creation")  # moto: OK
    emu.advance(58)
    assert state(cw) == "INSUFFICIENT_DATA"  # the next evaluation instant is 59 s away
    emu.advance(1)
    assert state(cw) == "OK"


def test_rule_25_alarms_are_evaluated_every_minute(emu: Emulator, cw: Any) -> None:
    put_alarm(cw, EvaluationPeriods=1, DatapointsToAlarm=1, TreatMissingData="notBreaching")
    emu.advance(59)
    assert state(cw) == "OK"
    errors(cw, 50)  # at instant + 0: it counts at the next instant, not before
    emu.advance(59)
    assert state(cw) == "OK"
    emu.advance(1)
    alarm = described(cw)
    assert alarm["StateValue"] == "ALARM"
    at = datetime.fromtimestamp(emu.now() - 60, UTC)
    assert alarm["StateReason"] == (
        f"Threshold Crossed: 1 out of the last 1 datapoints [50.0 ({at:%d/%m/%y %H:%M:%S})] "
        "was greater than the threshold (5.0) (minimum 1 datapoint for OK -> ALARM "
        "transition).")
    data = json.loads(alarm["StateReasonData"])
    assert (data["recentDatapoints"], data["period"], data["threshold"]) == ([50.0], 60, 5.0)
    assert alarm["StateUpdatedTimestamp"].timestamp() == emu.now()  # the simulated instant
    emu.advance(120)
    assert state(cw) == "ALARM"  # no errors since, but the range (1 + 2 periods) still holds 50
    emu.advance(60)
    assert state(cw) == "OK"  # notBreaching once the range holds no datapoint


def test_rule_25_periods_under_a_minute_are_evaluated_every_10_seconds(emu: Emulator,
                                                                      cw: Any) -> None:
    put_alarm(cw, Period=10, EvaluationPeriods=1, DatapointsToAlarm=1,
              TreatMissingData="notBreaching")
    emu.advance(9)
    assert state(cw) == "OK"
    errors(cw, 50)
    emu.advance(10)
    assert state(cw) == "ALARM"
    emu.advance(20)
    assert state(cw) == "ALARM"
    emu.advance(10)
    assert state(cw) == "OK"  # the range (3 periods of 10 s) holds no datapoint any more


def test_rule_25_repeated_reads_within_a_minute_evaluate_once(emu: Emulator, cw: Any) -> None:
    put_alarm(cw, EvaluationPeriods=1, DatapointsToAlarm=1, TreatMissingData="notBreaching")
    errors(cw, 50)
    emu.advance(59)
    assert state(cw) == "ALARM"
    errors(cw, 50, at=emu.now() - 30)  # late data for a minute already evaluated
    cw.set_alarm_state(AlarmName="5xx", StateValue="OK", StateReason="test")
    for _ in range(3):
        emu.advance(10)
        assert state(cw) == "OK"  # no evaluation instant yet: nothing recomputed
    emu.advance(30)
    assert state(cw) == "ALARM"


def test_rule_25_set_alarm_state_lasts_until_the_next_evaluation(emu: Emulator,
                                                                  cw: Any) -> None:
    put_alarm(cw, TreatMissingData="notBreaching")
    emu.advance(59)
    assert state(cw) == "OK"
    emu.advance(30)
    cw.set_alarm_state(AlarmName="5xx", StateValue="ALARM", StateReason="testing the pager")
    alarm = described(cw)
    assert (alarm["StateValue"], alarm["StateReason"]) == ("ALARM", "testing the pager")
    emu.advance(29)
    assert state(cw) == "ALARM"
    emu.advance(1)  # the next evaluation instant: the alarm's actual state again
    assert state(cw) == "OK"
    emu.set_alarm_state("5xx", "ALARM")  # the control does exactly what the API does
    assert state(cw) == "ALARM"
    emu.advance(60)
    assert state(cw) == "OK"


def test_rule_25_m_of_n(emu: Emulator, cw: Any) -> None:
    put_alarm(cw, EvaluationPeriods=3, DatapointsToAlarm=2)
    errors(cw, 9)
    emu.advance(60)
    assert state(cw) == "OK"  # 1 of 3 breaching (the others missing, and not old enough)
    errors(cw, 1)
    emu.advance(60)
    assert state(cw) == "OK"  # 1 of 3
    errors(cw, 7)
    emu.advance(60)
    alarm = described(cw)
    assert alarm["StateValue"] == "ALARM"  # 2 of 3
    assert alarm["StateReason"].startswith("Threshold Crossed: 2 out of the last 3 datapoints "
                                           "[7.0 (")
    assert alarm["StateReason"].endswith("were greater than the threshold (5.0) (minimum 2 "
                                         "datapoints for OK -> ALARM transition).")
    errors(cw, 1)
    emu.advance(60)
    assert state(cw) == "OK"  # 1 of 3: [1, 7, 1]
    assert "(minimum 2 datapoints for ALARM -> OK transition)" in described(cw)["StateReason"]


def test_rule_25_updating_an_alarm_keeps_its_state(emu: Emulator, cw: Any) -> None:
    put_alarm(cw)
    emu.set_alarm_state("5xx", "ALARM")
    put_alarm(cw, Threshold=10.0)
    alarm = described(cw)
    assert (alarm["StateValue"], alarm["Threshold"]) == ("ALARM", 10.0)


def test_rule_25_percentile_statistic(emu: Emulator, cw: Any) -> None:
    cw.put_metric_alarm(
        AlarmName="p99", Namespace="AWS/SageMaker", MetricName="Invocation5XXErrors",
        Dimensions=DIMS, ExtendedStatistic="p99", Period=60, EvaluationPeriods=1,
        Threshold=100.0, ComparisonOperator="GreaterThanThreshold")
    for value in [*([1.0] * 98), 500.0, 500.0]:
        errors(cw, value)
    emu.advance(60)
    assert state(cw, "p99") == "ALARM"  # p99 of 100 samples with 2 at 500 is 500


def test_rule_25_other_dimensions_do_not_count(emu: Emulator, cw: Any) -> None:
    put_alarm(cw, EvaluationPeriods=1, DatapointsToAlarm=1)
    errors(cw, 50, [{"Name": "EndpointName", "Value": "other"}])
    emu.advance(60)
    assert state(cw) == "INSUFFICIENT_DATA"


def test_rule_25_metric_math_alarms_are_not_evaluated(emu: Emulator, cw: Any) -> None:
    cw.put_metric_alarm(
        AlarmName="math", EvaluationPeriods=1, Threshold=5.0,
        ComparisonOperator="GreaterThanThreshold", TreatMissingData="notBreaching",
        Metrics=[{"Id": "e", "Expression": "m * 2", "ReturnData": True},
                 {"Id": "m", "ReturnData": False, "MetricStat": {
                     "Metric": {"Namespace": "AWS/SageMaker",
                                "MetricName": "Invocation5XXErrors", "Dimensions": DIMS},
                     "Period": 60, "Stat": "Sum"}}])
    emu.advance(600)
    assert state(cw, "math") == "INSUFFICIENT_DATA"  # a known gap: only SetAlarmState moves it


# -- the hold fault -----------------------------------------------------------------------------

def test_fault_hold_alarm_state_until_released(emu: Emulator, cw: Any) -> None:
    put_alarm(cw, TreatMissingData="notBreaching")
    emu.advance(59)
    assert state(cw) == "OK"
    emu.hold_alarm_state("5xx", "ALARM")
    alarm = described(cw)
    assert alarm["StateValue"] == "ALARM" and "injected fault" in alarm["StateReason"]
    emu.advance(600)
    cw.set_alarm_state(AlarmName="5xx", StateValue="OK", StateReason="someone tests the pager")
    emu.advance(60)
    assert state(cw) == "ALARM"  # the metric keeps breaching
    emu.hold_alarm_state("5xx", "INSUFFICIENT_DATA")  # the metric stops reporting
    assert state(cw) == "INSUFFICIENT_DATA"
    emu.release_alarm_state("5xx")
    assert state(cw) == "INSUFFICIENT_DATA"  # until the next evaluation
    emu.advance(60)
    assert state(cw) == "OK"
    with pytest.raises(KeyError):
        emu.hold_alarm_state("nope", "ALARM")
    with pytest.raises(ValueError, match="state is one of"):
        emu.hold_alarm_state("5xx", "FIRING")


# -- what a rollout sees ------------------------------------------------------------------------

@pytest.fixture
def sm(emu: Emulator) -> Any:
    client = emu.client("sagemaker")
    model(client)
    config(client, "c1", variant(count=2))
    config(client, "c2", variant(count=2, instance="ml.c5.large"))
    endpoint(emu, client)
    return client


def test_rule_25_metric_data_rolls_back_a_canary_at_the_evaluation_instant(
        emu: Emulator, cw: Any, sm: Any) -> None:
    put_alarm(cw, TreatMissingData="notBreaching")
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2",
                       DeploymentConfig=canary(wait=600, alarms=["5xx"]))
    start = emu.now()
    emu.advance(emu.durations.provision)  # the canary takes traffic; its errors come in
    for minute in range(60):  # a breaching datapoint every minute for the next hour, at once
        errors(cw, 25, at=emu.now() + 60 * minute)
    emu.advance(1000)  # observed late: the rollback started when the alarm went to ALARM
    first = start + emu.durations.provision  # the first datapoint
    next_instant = (first // 60 + 2) * 60  # two breaching minutes later: 2 out of 2
    assert described(cw)["StateUpdatedTimestamp"].timestamp() == next_instant
    desc = sm.describe_endpoint(EndpointName="ep")
    assert (desc["EndpointStatus"], desc["EndpointConfigName"]) == ("InService", "c1")
    assert "5xx went into ALARM" in desc["FailureReason"]
    assert desc["LastModifiedTime"].timestamp() == next_instant + emu.durations.rollback


def test_fault_hold_rolls_back_a_canary_at_once(emu: Emulator, cw: Any, sm: Any) -> None:
    put_alarm(cw, TreatMissingData="notBreaching")
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2",
                       DeploymentConfig=canary(wait=600, alarms=["5xx"]))
    emu.advance(emu.durations.provision + 100)
    assert status(sm) == "Updating"
    emu.hold_alarm_state("5xx", "ALARM")  # the rollback starts at this instant
    emu.advance(emu.durations.rollback - 1)
    assert status(sm) != "InService"
    emu.advance(1)
    desc = sm.describe_endpoint(EndpointName="ep")
    assert (desc["EndpointStatus"], desc["EndpointConfigName"]) == ("InService", "c1")
