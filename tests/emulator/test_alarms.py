"""CloudWatch alarms as guardrails: initial state, updates, set states, metric-driven states."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.emulator import Emulator
from tests.emulator.helpers import canary, config, endpoint, model, status, variant

DIMS = [{"Name": "EndpointName", "Value": "ep"}]


def put_alarm(cw: Any, **overrides: Any) -> None:
    kwargs = {"AlarmName": "5xx", "Namespace": "AWS/SageMaker",
              "MetricName": "Invocation5XXErrors", "Dimensions": DIMS, "Statistic": "Sum",
              "Period": 60, "EvaluationPeriods": 2, "DatapointsToAlarm": 2, "Threshold": 5.0,
              "ComparisonOperator": "GreaterThanThreshold", **overrides}
    cw.put_metric_alarm(**kwargs)


def state(cw: Any, name: str = "5xx") -> str:
    return cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"]


def errors(cw: Any, value: float, dims: list[dict[str, str]] = DIMS) -> None:
    cw.put_metric_data(Namespace="AWS/SageMaker", MetricData=[
        {"MetricName": "Invocation5XXErrors", "Dimensions": dims, "Value": value}])


@pytest.fixture
def cw(emu: Emulator) -> Any:
    emu.freeze()
    return emu.client("cloudwatch")


def test_a_new_alarm_starts_with_insufficient_data(cw: Any) -> None:
    put_alarm(cw)
    assert state(cw) == "INSUFFICIENT_DATA"  # moto: OK


def test_updating_an_alarm_keeps_its_state(emu: Emulator, cw: Any) -> None:
    put_alarm(cw)
    emu.set_alarm_state("5xx", "ALARM")
    put_alarm(cw, Threshold=10.0)
    alarm = cw.describe_alarms()["MetricAlarms"][0]
    assert (alarm["StateValue"], alarm["Threshold"]) == ("ALARM", 10.0)


def test_metric_data_drives_the_alarm_m_of_n(emu: Emulator, cw: Any) -> None:
    emu.use_metric_alarms()
    put_alarm(cw)
    errors(cw, 9)
    emu.advance(60)
    assert state(cw) == "OK"  # 1 of 2 breaching, the other period missing
    errors(cw, 7)
    emu.advance(60)
    alarm = cw.describe_alarms()["MetricAlarms"][0]
    assert alarm["StateValue"] == "ALARM"
    assert alarm["StateReason"].startswith("Threshold Crossed: 2 out of the last 2 datapoints")
    errors(cw, 1)
    emu.advance(60)
    assert state(cw) == "OK"


def test_no_data_is_insufficient_data_unless_treated_otherwise(emu: Emulator, cw: Any) -> None:
    emu.use_metric_alarms()
    put_alarm(cw)
    put_alarm(cw, AlarmName="nb", TreatMissingData="notBreaching")
    put_alarm(cw, AlarmName="br", TreatMissingData="breaching")
    put_alarm(cw, AlarmName="ig", TreatMissingData="ignore")
    emu.set_alarm_state("ig", "ALARM")
    emu.advance(300)
    assert [state(cw, n) for n in ("5xx", "nb", "br", "ig")] == [
        "INSUFFICIENT_DATA", "OK", "ALARM", "ALARM"]


def test_percentile_statistic(emu: Emulator, cw: Any) -> None:
    emu.use_metric_alarms()
    cw.put_metric_alarm(
        AlarmName="p99", Namespace="AWS/SageMaker", MetricName="Invocation5XXErrors",
        Dimensions=DIMS, ExtendedStatistic="p99", Period=60, EvaluationPeriods=1,
        Threshold=100.0, ComparisonOperator="GreaterThanThreshold")
    for value in [*([1.0] * 98), 500.0, 500.0]:
        errors(cw, value)
    emu.advance(60)
    assert state(cw, "p99") == "ALARM"  # p99 of 100 samples with 2 at 500 is 500


def test_other_dimensions_do_not_count(emu: Emulator, cw: Any) -> None:
    emu.use_metric_alarms()
    put_alarm(cw, EvaluationPeriods=1, DatapointsToAlarm=1)
    errors(cw, 50, [{"Name": "EndpointName", "Value": "other"}])
    emu.advance(60)
    assert state(cw) == "INSUFFICIENT_DATA"


def test_metric_evaluation_is_off_unless_asked(emu: Emulator, cw: Any) -> None:
    put_alarm(cw, EvaluationPeriods=1, DatapointsToAlarm=1)
    errors(cw, 50)
    emu.advance(60)
    assert state(cw) == "INSUFFICIENT_DATA"  # only set_alarm_state moves it


def test_metric_driven_alarm_rolls_back_a_canary(emu: Emulator, cw: Any) -> None:
    sm = emu.client("sagemaker")
    model(sm)
    config(sm, "c1", variant(count=2))
    config(sm, "c2", variant(count=2, instance="ml.c5.large"))
    endpoint(emu, sm)
    emu.use_metric_alarms()
    put_alarm(cw)
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2",
                       DeploymentConfig=canary(wait=600, alarms=["5xx"]))
    emu.advance(emu.durations.provision)  # the canary takes traffic; its errors come in
    for _ in range(2):
        errors(cw, 25)
        emu.advance(60)
    assert status(sm) == "RollingBack"
    emu.advance(emu.durations.rollback)
    desc = sm.describe_endpoint(EndpointName="ep")
    assert (desc["EndpointStatus"], desc["EndpointConfigName"]) == ("InService", "c1")
    assert "5xx went into ALARM" in desc["FailureReason"]
