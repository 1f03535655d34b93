"""Each rule a MonitoringSchedule spec is checked against before AWS is asked, located at its
file:line:column (docs/rules-pending-mm-sched.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.contract import Registry
from reconciler.spec.load import load_specs
from tests.kinds.monitoring_schedule.helpers import definition, endpoint, estate, kinds, schedule
from tests.plan.helpers import write

__all__ = ["kinds"]

NOW_WINDOW = """
      dataAnalysisStartTime: "-PT2H"
      dataAnalysisEndTime: "-PT1H\""""


def problems(tmp_path: Path, registry: Registry, **files: str) -> list[str]:
    specs = write(tmp_path, estate(**files))
    loaded = load_specs(specs, registry, "dev")
    return [d.text().split("/specs/", 1)[1] for d in loaded.report.errors]


@pytest.mark.parametrize("expression", [
    "cron(0 * ? * * *)", "cron(0 12 ? * * *)", "cron(0 0 ? * * *)", "cron(0 17/12 ? * * *)",
    "cron(0 0/2 ? * * *)", "cron(0 23/24 ? * * *)"])
def test_every_documented_expression_is_accepted(tmp_path: Path, kinds: Registry,
                                                 expression: str) -> None:
    assert problems(tmp_path, kinds, **{
        "monitoring/fraud-dq.yaml": schedule(expression=expression)}) == []


def test_now_with_its_window_is_accepted(tmp_path: Path, kinds: Registry) -> None:
    assert problems(tmp_path, kinds, **{
        "monitoring/fraud-dq.yaml": schedule(expression="NOW", window=NOW_WINDOW)}) == []


@pytest.mark.parametrize(("expression", "expected"), [
    ("rate(1 hour)", "SageMaker Model Monitor accepts only cron(0 * ? * * *) (hourly)"),
    ("cron(0 24 ? * * *)", "the hour must be 0-23, got 24"),
    ("cron(0 0/25 ? * * *)", "the interval must be 1-24 hours, got 25"),
    ("cron(30 * ? * * *)", "accepts only"),
    ("cron(0 12 * * ? *)", "accepts only"),
    ("now", "accepts only"),
])
def test_undocumented_expressions_are_refused_at_their_line(
        tmp_path: Path, kinds: Registry, expression: str, expected: str) -> None:
    found = problems(tmp_path, kinds, **{
        "monitoring/fraud-dq.yaml": schedule(expression=expression)})
    assert len(found) == 1, found
    assert found[0].startswith("monitoring/fraud-dq.yaml:7:27: error: spec."
                               "monitoringScheduleConfig.scheduleConfig.scheduleExpression: "
                               f"{expression!r}: "), found
    assert expected in found[0]
    assert "(API_ScheduleConfig)" in found[0]


def test_now_needs_both_window_offsets(tmp_path: Path, kinds: Registry) -> None:
    found = problems(tmp_path, kinds, **{
        "monitoring/fraud-dq.yaml": schedule(expression="NOW")})
    assert found == [
        "monitoring/fraud-dq.yaml:7:7: error: spec.monitoringScheduleConfig.scheduleConfig: "
        f"`{f}` is required with scheduleExpression NOW (API_ScheduleConfig)"
        for f in ("dataAnalysisStartTime", "dataAnalysisEndTime")]


def test_a_window_longer_than_24_hours_is_refused(tmp_path: Path, kinds: Registry) -> None:
    window = NOW_WINDOW.replace("-PT2H", "-P2D")
    found = problems(tmp_path, kinds, **{
        "monitoring/fraud-dq.yaml": schedule(expression="NOW", window=window)})
    assert found == [
        "monitoring/fraud-dq.yaml:9:28: error: spec.monitoringScheduleConfig.scheduleConfig."
        "dataAnalysisEndTime: the end (-PT1H) follows the start (-P2D) by more than 24 hours "
        "(API_ScheduleConfig)"]


def test_an_offset_that_is_no_duration_is_refused(tmp_path: Path, kinds: Registry) -> None:
    window = NOW_WINDOW.replace("-PT2H", "-PTwoH")
    found = problems(tmp_path, kinds, **{
        "monitoring/fraud-dq.yaml": schedule(expression="NOW", window=window)})
    assert found == [
        "monitoring/fraud-dq.yaml:8:30: error: spec.monitoringScheduleConfig.scheduleConfig."
        "dataAnalysisStartTime: '-PTwoH' is not an ISO 8601 duration offset such as '-PT1H' "
        "(API_ScheduleConfig)"]


@pytest.mark.parametrize(("mtype", "runtime", "expression", "refused"), [
    ("DataQuality", 3600, "cron(0 * ? * * *)", False),
    ("DataQuality", 3601, "cron(0 * ? * * *)", True),
    ("ModelExplainability", 3600, "cron(0 * ? * * *)", False),
    ("ModelQuality", 1800, "cron(0 * ? * * *)", False),
    ("ModelQuality", 1801, "cron(0 * ? * * *)", True),
    ("ModelBias", 2000, "cron(0 * ? * * *)", True),
    ("ModelBias", 2000, "cron(0 0/2 ? * * *)", False),
    ("DataQuality", 7201, "cron(0 0/2 ? * * *)", True),
    ("DataQuality", 86400, "cron(0 3 ? * * *)", False),
])
def test_the_job_runtime_cannot_exceed_the_schedule_frequency(
        tmp_path: Path, kinds: Registry, mtype: str, runtime: int, expression: str,
        refused: bool) -> None:
    found = problems(tmp_path, kinds, **{
        "monitoring/dq.yaml": definition(mtype=mtype, runtime=runtime),
        "monitoring/fraud-dq.yaml": schedule(expression=expression, mtype=mtype)})
    if not refused:
        assert found == []
        return
    assert len(found) == 1, found
    assert found[0].startswith("monitoring/fraud-dq.yaml:7:27: error: spec."
                               "monitoringScheduleConfig.scheduleConfig.scheduleExpression: "
                               f"'dq' has stoppingCondition.maxRuntimeInSeconds {runtime}, and ")
    assert found[0].endswith("(API_MonitoringStoppingCondition)")


def test_the_definition_must_be_of_the_monitoring_types_kind(tmp_path: Path,
                                                             kinds: Registry) -> None:
    found = problems(tmp_path, kinds, **{
        "monitoring/dq.yaml": definition(mtype="ModelQuality")})
    found = [f for f in found if f.startswith("monitoring/fraud-dq.yaml")]
    assert found == [
        "monitoring/fraud-dq.yaml:8:34: error: spec.monitoringScheduleConfig."
        "monitoringJobDefinitionName: 'dq' is a ModelQualityJobDefinition, and monitoringType "
        "DataQuality needs a DataQualityJobDefinition; set monitoringType to ModelQuality or "
        "name a DataQualityJobDefinition"]


def test_an_unknown_definition_is_refused_with_a_suggestion(tmp_path: Path,
                                                            kinds: Registry) -> None:
    found = problems(tmp_path, kinds, **{"monitoring/fraud-dq.yaml": schedule(job="dqq")})
    assert found == [
        "monitoring/fraud-dq.yaml:8:34: error: spec.monitoringScheduleConfig."
        "monitoringJobDefinitionName: no DataQualityJobDefinition named 'dqq' in the specs "
        "(monitoringType DataQuality runs a DataQualityJobDefinition); did you mean 'dq'?"]


def test_an_endpoint_without_capture_is_reported_once_at_the_definition(
        tmp_path: Path, kinds: Registry) -> None:
    found = problems(tmp_path, kinds, **{"endpoints/fraud.yaml": endpoint("")})
    assert len(found) == 1, found
    assert found[0].startswith("monitoring/dq.yaml:"), found
    assert "does not capture data" in found[0]


def test_the_inline_definition_is_an_unknown_key(tmp_path: Path, kinds: Registry) -> None:
    inline = schedule().replace("    monitoringJobDefinitionName: dq\n",
                                "    monitoringJobDefinition: {roleArn: x}\n")
    found = problems(tmp_path, kinds, **{"monitoring/fraud-dq.yaml": inline})
    assert any(f.startswith("monitoring/fraud-dq.yaml:8:5: error: ") and
               "monitoringJobDefinition" in f for f in found), found


def test_names_follow_sagemakers_rules(tmp_path: Path, kinds: Registry) -> None:
    found = problems(tmp_path, kinds, **{
        "monitoring/fraud-dq.yaml": schedule(name="x" * 64)})
    assert len(found) == 1 and "metadata.name" in found[0] and "63" in found[0], found
