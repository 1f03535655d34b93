"""The CloudWatch alarms Application Auto Scaling owns for target-tracking scaling policies.

What AWS documents, and the emulator therefore does:

- PutScalingPolicy with a ``TargetTrackingScaling`` policy creates two CloudWatch alarms that
  Application Auto Scaling manages: "Application Auto Scaling creates and manages the CloudWatch
  alarms that trigger scaling events when the metric deviates from the target", and "Do not
  create, edit, or delete the CloudWatch alarms that are used with a target tracking scaling
  policy. Application Auto Scaling creates and manages the CloudWatch alarms that are associated
  with your target tracking scaling policies and deletes them when no longer needed."
  (Application Auto Scaling User Guide, target tracking:
  https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-target-tracking.html)
- Their names are ``TargetTracking-<ResourceId>-AlarmHigh-<uuid4>`` and ``...-AlarmLow-<uuid4>``,
  and PutScalingPolicy "returns the ARNs and names of the two CloudWatch alarms created on your
  behalf" as ``Alarms: [{AlarmName, AlarmARN}]`` (User Guide, create-target-tracking-policy-cli,
  example output; PutScalingPolicy API reference: "The CloudWatch alarms created for the target
  tracking scaling policy"). DescribeScalingPolicies lists them in each policy's ``Alarms``.
- DeleteScalingPolicy "also deletes the CloudWatch alarms that Application Auto Scaling created
  on your behalf" (https://docs.aws.amazon.com/autoscaling/application/userguide/delete-target-tracking-policy.html).
  DeregisterScalableTarget "deletes the scaling policies and the scheduled actions that are
  associated with it" (API reference); that their alarms go too follows from "deletes them when
  no longer needed" (AWS does not state it for this path).
- New alarms start INSUFFICIENT_DATA (``cloudwatch.py``); "If the metric is missing data points,
  this causes the CloudWatch alarm state to change to INSUFFICIENT_DATA" (target tracking,
  Considerations).
- A step scaling policy creates no alarm (User Guide, create-step-scaling-policy-cli: the output is
  only the policy ARN, "You need it to create CloudWatch alarms"). AWS lists a user's alarms in a
  step policy's ``Alarms`` once their actions name the policy ARN; the emulator does not model
  that and answers ``Alarms: []`` for step policies.

NOT documented by AWS: how the two alarms are configured. The emulator follows REAL-WORLD
EVIDENCE, not documentation:
- AlarmHigh: the policy's metric, ``GreaterThanThreshold`` the target value, period 60 s, 3 of 3
  evaluation periods; AlarmLow: ``LessThanThreshold`` 0.9 x target, period 60 s, 15 of 15;
  both ``TreatMissingData: missing`` and no DatapointsToAlarm. Sources: a re:Post question read
  from the CloudWatch console for a SageMaker endpoint ("InvocationsPerInstance > 1500 for 3
  datapoints within 3 minutes", "< 1350 for 15 datapoints within 15 minutes",
  https://repost.aws/questions/QUf450Wsd9RROGGOIwaolN9w/sagemaker-autoscaling-delay), and
  terraformer exports of Application Auto Scaling alarms for ECS services in public repositories.
- AlarmDescription ``DO NOT EDIT OR DELETE. For TargetTrackingScaling policy <action>.`` and
  AlarmActions ``[<action>]``, where the action is the policy ARN followed by
  ``:createdBy/<uuid>``: that suffix is in every Application Auto Scaling (ECS, DynamoDB) export
  found; only EC2 Auto Scaling groups' alarms, another service, lack it.
- The statistic for ``SageMakerVariantInvocationsPerInstance``: ``Sum``. SageMaker documents the
  metric as "1/numberOfInstances is sent as the value on each request" (ScalingPolicyMetric,
  SageMaker API reference), so a minute's Sum is the invocations per instance the target is
  written in, while an Average would always be 1/numberOfInstances. A customized metric uses the
  statistic the policy gives.
- An update (PutScalingPolicy again, same name, still target tracking) keeps the same two alarms
  and puts their new settings in place (their state is kept, as PutMetricAlarm does); whether AWS
  replaces them instead is not documented. ``DisableScaleIn`` keeps the pair (not documented
  either way).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from moto.cloudwatch.models import (
    Dimension,
    Metric,
    MetricDataQuery,
    MetricStat,
    cloudwatch_backends,
)

Params = dict[str, Any]
PREFIX = "TargetTracking-"
PERIOD = 60
HIGH_PERIODS = 3
LOW_PERIODS = 15
LOW_FRACTION = Decimal("0.9")

PREDEFINED_SAGEMAKER = {
    "SageMakerVariantInvocationsPerInstance": ("AWS/SageMaker", "InvocationsPerInstance", "Sum"),
}
"""Predefined metric types the emulator knows the CloudWatch metric of (see the docstring).
Others -- SageMaker's high-resolution concurrency and serverless provisioned-concurrency types,
and every other namespace's -- get no alarms here: the emulator does not invent a metric it has
no evidence for. Their policies answer ``Alarms: []``."""


@dataclass
class ManagedAlarms:
    """The alarm pair of one target-tracking policy."""

    action: str
    """The policy ARN with its ``:createdBy/<uuid>`` suffix: the alarms' action."""
    alarms: list[Params] = field(default_factory=list)
    """``[{AlarmName, AlarmARN}]``, AlarmHigh first, as PutScalingPolicy returns them."""


def _dimensions(dims: list[Params] | None) -> list[Params]:
    return [{"Name": d["Name"], "Value": d["Value"]} for d in dims or []]


def _query(q: Params) -> MetricDataQuery:
    """A TargetTrackingMetricDataQuery as an alarm's metric query (its MetricStat gets the
    alarms' period: the policy's query has none)."""
    stat = q.get("MetricStat")
    metric_stat = None
    if stat:
        m = stat["Metric"]
        metric_stat = MetricStat(
            Metric(m["MetricName"], m["Namespace"],
                   [Dimension(d["Name"], d["Value"]) for d in m.get("Dimensions") or []]),
            str(PERIOD), stat["Stat"], stat.get("Unit"))
    return MetricDataQuery(q["Id"], q.get("Label"), None, q.get("ReturnData"),  # type: ignore[arg-type]
                           q.get("Expression"), metric_stat)


def _metric(resource_id: str, config: Params) -> Params | None:
    """The metric the alarms watch, as put_metric_alarm arguments; None when unknown."""
    custom = config.get("CustomizedMetricSpecification")
    if custom:
        if custom.get("Metrics"):
            return {"metric_data_queries": [_query(q) for q in custom["Metrics"]],
                    "namespace": None, "metric_name": None, "statistic": None, "period": None,
                    "dimensions": []}
        return {"namespace": custom["Namespace"], "metric_name": custom["MetricName"],
                "statistic": custom.get("Statistic"), "unit": custom.get("Unit"),
                "dimensions": _dimensions(custom.get("Dimensions")), "period": PERIOD}
    predefined = (config.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType")
    known = PREDEFINED_SAGEMAKER.get(predefined or "")
    parts = resource_id.split("/")
    if known is None or len(parts) != 4 or parts[0] != "endpoint" or parts[2] != "variant":
        return None
    namespace, name, statistic = known
    return {"namespace": namespace, "metric_name": name, "statistic": statistic,
            "dimensions": [{"Name": "EndpointName", "Value": parts[1]},
                           {"Name": "VariantName", "Value": parts[3]}], "period": PERIOD}


def put(account: str, region: str, resource_id: str, policy_arn: str, config: Params,
        existing: ManagedAlarms | None) -> ManagedAlarms | None:
    """Create (or update in place) the alarm pair of a target-tracking policy with ``config``
    (its TargetTrackingScalingPolicyConfiguration). None, and the old pair deleted, when the
    emulator does not know the policy's metric."""
    metric = _metric(resource_id, config)
    if metric is None:
        delete(account, region, existing)
        return None
    managed = existing or ManagedAlarms(f"{policy_arn}:createdBy/{uuid.uuid4()}")
    names = [a["AlarmName"] for a in managed.alarms] or [
        f"{PREFIX}{resource_id}-{kind}-{uuid.uuid4()}" for kind in ("AlarmHigh", "AlarmLow")]
    target = Decimal(str(config["TargetValue"]))
    backend = cloudwatch_backends[account][region]
    managed.alarms = []
    for name, operator, threshold, periods in (
            (names[0], "GreaterThanThreshold", target, HIGH_PERIODS),
            (names[1], "LessThanThreshold", target * LOW_FRACTION, LOW_PERIODS)):
        alarm = backend.put_metric_alarm(
            name, comparison_operator=operator, evaluation_periods=periods,
            threshold=float(threshold),
            description=f"DO NOT EDIT OR DELETE. For TargetTrackingScaling policy "
                        f"{managed.action}.",
            alarm_actions=[managed.action], treat_missing_data="missing",
            actions_enabled=True, **metric)
        managed.alarms.append({"AlarmName": name, "AlarmARN": alarm.alarm_arn})
    return managed


def delete(account: str, region: str, managed: ManagedAlarms | None) -> None:
    """Delete a policy's alarm pair (nothing for a policy that has none)."""
    if managed is not None and managed.alarms:
        cloudwatch_backends[account][region].delete_alarms(
            [a["AlarmName"] for a in managed.alarms])


def listed(managed: ManagedAlarms | None) -> list[Params]:
    """The ``Alarms`` member of PutScalingPolicy and of a DescribeScalingPolicies policy."""
    return [dict(a) for a in managed.alarms] if managed is not None else []
