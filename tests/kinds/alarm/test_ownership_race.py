"""An alarm created after a plan's tagging-API snapshot is not unmanaged: its own tags
(CloudWatch ListTagsForResource) say who owns it, as for endpoints."""

from __future__ import annotations

from pathlib import Path

from sagemaker_emulator import Emulator
from tests.apply.helpers import apply
from tests.kinds.ownership_race import CLOUDWATCH, assert_confirmed_by_own_tags
from tests.plan.helpers import aws_for, plan, write

FILES = {"alarm.yaml": """
apiVersion: sagectl/v1
kind: Alarm
metadata: {name: scorer-errors}
spec:
  namespace: AWS/SageMaker
  metricName: Invocation5XXErrors
  dimensions: [{name: EndpointName, value: scorer}, {name: VariantName, value: main}]
  statistic: Sum
  period: 60
  evaluationPeriods: 1
  threshold: 1
  comparisonOperator: GreaterThanThreshold
"""}


def test_an_alarm_the_tagging_snapshot_missed_is_confirmed_by_its_own_tags(
        emu: Emulator, tmp_path: Path) -> None:
    specs = write(tmp_path, FILES)
    apply(emu, specs)
    assert_confirmed_by_own_tags(emu, specs, lambda cw: cw.describe_alarms(
        AlarmNames=["scorer-errors"])["MetricAlarms"][0]["AlarmArn"], CLOUDWATCH)


def test_an_alarm_without_sagectl_tags_is_still_unmanaged(emu: Emulator, tmp_path: Path) -> None:
    aws = aws_for(emu)
    aws.client("cloudwatch").put_metric_alarm(
        AlarmName="scorer-errors", Namespace="AWS/SageMaker", MetricName="Invocation5XXErrors",
        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
        ComparisonOperator="GreaterThanThreshold")
    aws.close()
    found = plan(emu, write(tmp_path, FILES))
    assert any("not managed by sagectl" in e.message for e in found.errors), found.errors
