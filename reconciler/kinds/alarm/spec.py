"""The ``Alarm`` kind: a CloudWatch metric alarm (PutMetricAlarm), typically a deployment guardrail
that endpoints name in ``deploymentConfig.autoRollbackConfiguration``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, ClassVar, Literal

from pydantic import Field, StringConstraints

from reconciler.contract import Issue, SpecModel, duplicates
from reconciler.kinds._aws import AwsExtra, Tags, check_extras, check_tags
from reconciler.spec.nodes import Path

Name255 = Annotated[str, StringConstraints(min_length=1, max_length=255)]
ActionArn = Annotated[str, StringConstraints(min_length=1, max_length=1024, pattern=r"^arn:.+$")]
Statistic = Literal["SampleCount", "Average", "Sum", "Minimum", "Maximum"]
BAND_OPERATORS = ("LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold",
                  "GreaterThanUpperThreshold")


class Dimension(SpecModel):
    name: Name255
    value: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class Metric(SpecModel):
    namespace: Name255
    metric_name: Name255
    dimensions: Annotated[list[Dimension], Field(max_length=30)] = []


class MetricStat(SpecModel):
    metric: Metric
    period: Annotated[int, Field(ge=1)]
    stat: Annotated[str, StringConstraints(min_length=1)]
    unit: str | None = None


class MetricDataQuery(SpecModel):
    id: Annotated[str, StringConstraints(min_length=1, max_length=255,
                                         pattern=r"^[a-z][a-zA-Z0-9_]*$")]
    metric_stat: MetricStat | None = None
    expression: Annotated[str, StringConstraints(min_length=1, max_length=2048)] | None = None
    label: str | None = None
    return_data: bool | None = None
    period: Annotated[int, Field(ge=1)] | None = None


class AlarmSpec(SpecModel):
    """A CloudWatch metric alarm on one metric (`metricName`...) or on metric math (`metrics`)."""

    aws_extra_shape: ClassVar[tuple[str, str]] = ("cloudwatch", "PutMetricAlarmInput")
    aws_extra_reserved: ClassVar[dict[str, str]] = {
        "alarmName": "`alarmName` is the resource's `metadata.name`",
        # PutMetricAlarm: "you must specify either MetricName, a Metrics array, or an
        # EvaluationCriteria"; EvaluationInterval "cannot be specified for alarms configured
        # with MetricName or Metrics" (rule 55). An Alarm here always has one of those two.
        "evaluationCriteria": "`evaluationCriteria` (a PromQL alarm) does not go with "
                              "`metricName` or `metrics`, and an Alarm here has one of them "
                              "(PutMetricAlarm)",
        "evaluationInterval": "`evaluationInterval` cannot be specified for alarms configured "
                              "with `metricName` or `metrics` (PutMetricAlarm); it is for "
                              "`evaluationCriteria` alarms, which sagectl does not model"}

    alarm_description: Annotated[str, StringConstraints(max_length=1024)] | None = None
    actions_enabled: bool = True
    ok_actions: Annotated[list[ActionArn], Field(max_length=5)] = []
    alarm_actions: Annotated[list[ActionArn], Field(max_length=5)] = []
    insufficient_data_actions: Annotated[list[ActionArn], Field(max_length=5)] = []
    namespace: Annotated[str, StringConstraints(min_length=1, max_length=255,
                                                pattern=r"^[^:].*$")] | None = None
    """e.g. `AWS/SageMaker`."""
    metric_name: Name255 | None = None
    """e.g. `Invocation5XXErrors`, `ModelLatency`."""
    dimensions: Annotated[list[Dimension], Field(max_length=30)] = []
    """e.g. `[{name: EndpointName, value: fraud-scorer}, {name: VariantName, value: primary}]`."""
    statistic: Statistic | None = None
    extended_statistic: Annotated[str, StringConstraints(pattern=r"^(p|tm|tc|ts|wm|PR|TM|TC|TS)"
                                                                 r"[0-9.:%()]*$")] | None = None
    """A percentile or trimmed statistic such as `p99`."""
    period: Annotated[int, Field(ge=1)] | None = None
    """Seconds per datapoint: 10, 20, 30 or a multiple of 60."""
    unit: str | None = None
    metrics: Annotated[list[MetricDataQuery], Field(min_length=1, max_length=20)] | None = None
    """Metric math instead of a single metric; exactly one query returns data."""
    evaluation_periods: Annotated[int, Field(ge=1)]
    datapoints_to_alarm: Annotated[int, Field(ge=1)] | None = None
    threshold: float | None = None
    threshold_metric_id: Annotated[str, StringConstraints(min_length=1)] | None = None
    """For anomaly detection: the id of the ANOMALY_DETECTION_BAND query."""
    comparison_operator: Literal[
        "GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold",
        "LessThanOrEqualToThreshold", "LessThanLowerOrGreaterThanUpperThreshold",
        "LessThanLowerThreshold", "GreaterThanUpperThreshold"]
    treat_missing_data: Literal["breaching", "notBreaching", "ignore", "missing"] | None = None
    evaluate_low_sample_count_percentile: Literal["evaluate", "ignore"] | None = None
    tags: Tags = {}
    aws_extra: AwsExtra | None = None
    """PutMetricAlarm members sagectl does not model (e.g. `actionConfiguration`): sent with
    every PutMetricAlarm, which replaces the whole definition, so each can change.
    `evaluationInterval` and `evaluationCriteria` (PromQL alarms) do not go with `metricName`
    or `metrics` and are refused."""

    def check(self, ctx: object, at: Path) -> Iterator[Issue]:
        yield from check_extras(self, at)
        single = {"namespace": self.namespace, "metricName": self.metric_name,
                  "statistic": self.statistic, "extendedStatistic": self.extended_statistic,
                  "period": self.period}
        if self.metrics is None:
            for field in ("namespace", "metricName", "period"):
                if single[field] is None:
                    yield Issue(at, f"missing `{field}` (or use `metrics` for metric math)")
            if (self.statistic is None) == (self.extended_statistic is None):
                yield Issue(at, "set exactly one of `statistic` and `extendedStatistic`")
        else:
            for field, value in single.items():
                if value is not None:
                    yield Issue((*at, field), f"`{field}` does not go with `metrics`; put it in "
                                              "the metric query's metricStat")
            if self.dimensions:
                yield Issue((*at, "dimensions"), "`dimensions` does not go with `metrics`")
            yield from self._check_queries(at)
        if self.period is not None and self.period not in (10, 20, 30) and self.period % 60:
            yield Issue((*at, "period"), f"period must be 10, 20, 30 or a multiple of 60, got "
                                         f"{self.period}")
        if (self.datapoints_to_alarm is not None
                and self.datapoints_to_alarm > self.evaluation_periods):
            yield Issue((*at, "datapointsToAlarm"),
                        f"datapointsToAlarm ({self.datapoints_to_alarm}) cannot exceed "
                        f"evaluationPeriods ({self.evaluation_periods})")
        band = self.comparison_operator in BAND_OPERATORS
        if band and self.threshold_metric_id is None:
            yield Issue((*at, "comparisonOperator"), f"{self.comparison_operator} compares with "
                                                     "an anomaly band: set `thresholdMetricId`")
        if not band and self.threshold is None:
            yield Issue(at, "missing `threshold`")
        if self.threshold_metric_id is not None and self.threshold is not None:
            yield Issue((*at, "threshold"), "`threshold` and `thresholdMetricId` are alternatives")
        for name, idx in duplicates([d.name for d in self.dimensions]).items():
            for i in idx:
                yield Issue((*at, "dimensions", i, "name"), f"duplicate dimension {name!r}")
        yield from check_tags(self.tags, (*at, "tags"))

    def _check_queries(self, at: Path) -> Iterator[Issue]:
        queries = self.metrics or []
        for name, idx in duplicates([q.id for q in queries]).items():
            for i in idx:
                yield Issue((*at, "metrics", i, "id"), f"duplicate metric query id {name!r}")
        for i, q in enumerate(queries):
            if (q.metric_stat is None) == (q.expression is None):
                yield Issue((*at, "metrics", i), "a metric query needs exactly one of "
                                                 "`metricStat` and `expression`")
        returning = [i for i, q in enumerate(queries) if q.return_data is not False]
        if len(returning) != 1:
            yield Issue((*at, "metrics"), "exactly one metric query must return data (set "
                                          f"returnData: false on the others); {len(returning)} do")
        ids = {q.id for q in queries}
        if self.threshold_metric_id is not None and self.threshold_metric_id not in ids:
            yield Issue((*at, "thresholdMetricId"), f"no metric query has id "
                                                    f"{self.threshold_metric_id!r}")
