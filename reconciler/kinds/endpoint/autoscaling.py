"""Application Auto Scaling for one endpoint variant: scalable target, policies, schedules.

The scalable target is ``endpoint/<endpoint>/variant/<variant>`` with the dimension
``sagemaker:variant:DesiredInstanceCount`` (instance variants) or
``sagemaker:variant:DesiredProvisionedConcurrency`` (serverless with provisioned concurrency).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from reconciler.contract import Issue, SpecModel, duplicates
from reconciler.spec.nodes import Path

INSTANCE_METRICS = (
    "SageMakerVariantInvocationsPerInstance",
    "SageMakerVariantConcurrentRequestsPerModelHighResolution",
)
SERVERLESS_METRICS = ("SageMakerVariantProvisionedConcurrencyUtilization",)

PredefinedMetricType = Literal[
    "SageMakerVariantInvocationsPerInstance",
    "SageMakerVariantConcurrentRequestsPerModelHighResolution",
    "SageMakerVariantProvisionedConcurrencyUtilization",
]
Statistic = Literal["Average", "Minimum", "Maximum", "SampleCount", "Sum"]
Cooldown = Annotated[int, Field(ge=0, le=86400)]
PrintableName = Annotated[str, StringConstraints(min_length=1, max_length=256,
                                                 pattern=r"^[^\x00-\x1f\x7f:/|]+$")]

_SCHEDULE = re.compile(
    r"^(at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)"
    r"|rate\([1-9]\d* (minute|minutes|hour|hours|day|days)\)"
    r"|cron\((\S+ ){5}\S+\))$")


class PredefinedMetricSpecification(SpecModel):
    predefined_metric_type: PredefinedMetricType
    """`SageMakerVariantInvocationsPerInstance` (requests per instance per minute),
    `SageMakerVariantConcurrentRequestsPerModelHighResolution`, or, for serverless provisioned
    concurrency, `SageMakerVariantProvisionedConcurrencyUtilization`."""
    resource_label: Annotated[str, StringConstraints(min_length=1, max_length=1023)] | None = None


class MetricDimension(SpecModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    value: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class CustomizedMetricSpecification(SpecModel):
    metric_name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    namespace: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    dimensions: list[MetricDimension] = []
    statistic: Statistic
    unit: str | None = None


class TargetTrackingScalingPolicyConfiguration(SpecModel):
    """Keep a metric near a target value (the usual choice for endpoints)."""

    target_value: Annotated[float, Field(gt=0)]
    """The value to hold the metric at, e.g. 70 invocations per instance per minute."""
    predefined_metric_specification: PredefinedMetricSpecification | None = None
    customized_metric_specification: CustomizedMetricSpecification | None = None
    scale_out_cooldown: Cooldown | None = None
    """Seconds after a scale-out before another scale-out."""
    scale_in_cooldown: Cooldown | None = None
    """Seconds after a scale-in before another scale-in."""
    disable_scale_in: bool = False


TargetTracking = TargetTrackingScalingPolicyConfiguration


class StepAdjustment(SpecModel):
    metric_interval_lower_bound: float | None = None
    metric_interval_upper_bound: float | None = None
    scaling_adjustment: int


class StepScalingPolicyConfiguration(SpecModel):
    """Scale by steps when a CloudWatch alarm (that names this policy) fires."""

    adjustment_type: Literal["ChangeInCapacity", "PercentChangeInCapacity", "ExactCapacity"]
    step_adjustments: Annotated[list[StepAdjustment], Field(min_length=1, max_length=20)]
    min_adjustment_magnitude: Annotated[int, Field(ge=1)] | None = None
    cooldown: Cooldown | None = None
    metric_aggregation_type: Literal["Average", "Minimum", "Maximum"] | None = None


class ScalingPolicy(SpecModel):
    policy_name: PrintableName
    policy_type: Literal["TargetTrackingScaling", "StepScaling"] | None = None
    """Optional: implied by which configuration is given."""
    target_tracking_scaling_policy_configuration: TargetTracking | None = None
    step_scaling_policy_configuration: StepScalingPolicyConfiguration | None = None

    @property
    def effective_type(self) -> str:
        if self.policy_type:
            return self.policy_type
        if self.step_scaling_policy_configuration is not None:
            return "StepScaling"
        return "TargetTrackingScaling"

    def check(self, at: Path, serverless: bool) -> Iterator[Issue]:
        tt = self.target_tracking_scaling_policy_configuration
        step = self.step_scaling_policy_configuration
        if (tt is None) == (step is None):
            yield Issue(at, "a scaling policy needs exactly one of "
                            "`targetTrackingScalingPolicyConfiguration` and "
                            "`stepScalingPolicyConfiguration`")
        elif self.policy_type is not None:
            given = "TargetTrackingScaling" if tt is not None else "StepScaling"
            if self.policy_type != given:
                yield Issue((*at, "policyType"), f"policyType {self.policy_type} does not match "
                                                 f"the configuration given ({given})")
        if tt is not None:
            cfg_at = (*at, "targetTrackingScalingPolicyConfiguration")
            pre, custom = tt.predefined_metric_specification, tt.customized_metric_specification
            if (pre is None) == (custom is None):
                yield Issue(cfg_at, "target tracking needs exactly one of "
                                    "`predefinedMetricSpecification` and "
                                    "`customizedMetricSpecification`")
            if pre is not None:
                metric = pre.predefined_metric_type
                allowed = SERVERLESS_METRICS if serverless else INSTANCE_METRICS
                if metric not in allowed:
                    what = "a serverless variant" if serverless else "an instance-based variant"
                    yield Issue((*cfg_at, "predefinedMetricSpecification", "predefinedMetricType"),
                                f"{metric} does not apply to {what}; use "
                                f"{' or '.join(allowed)}")
        if step is not None:
            adj = step.step_adjustments
            open_low = [i for i, a in enumerate(adj) if a.metric_interval_lower_bound is None]
            open_high = [i for i, a in enumerate(adj) if a.metric_interval_upper_bound is None]
            for name, idx in (("lower", open_low), ("upper", open_high)):
                if len(idx) > 1:
                    yield Issue((*at, "stepScalingPolicyConfiguration", "stepAdjustments", idx[1]),
                                f"only one step adjustment may have no {name} bound")
            for i, a in enumerate(adj):
                lo, hi = a.metric_interval_lower_bound, a.metric_interval_upper_bound
                if lo is not None and hi is not None and lo >= hi:
                    yield Issue((*at, "stepScalingPolicyConfiguration", "stepAdjustments", i),
                                f"metricIntervalLowerBound ({lo}) must be below "
                                f"metricIntervalUpperBound ({hi})")


class ScalableTargetAction(SpecModel):
    min_capacity: Annotated[int, Field(ge=0)] | None = None
    max_capacity: Annotated[int, Field(ge=0)] | None = None


class ScheduledAction(SpecModel):
    scheduled_action_name: PrintableName
    schedule: Annotated[str, StringConstraints(min_length=1, max_length=1600)]
    """`at(yyyy-mm-ddThh:mm:ss)`, `rate(N minutes|hours|days)` or `cron(m h dom mon dow yr)`."""
    timezone: str | None = None
    """IANA time zone for `cron`/`at`, e.g. `Europe/Berlin` (default UTC)."""
    start_time: str | None = None
    end_time: str | None = None
    scalable_target_action: ScalableTargetAction


class Autoscaling(SpecModel):
    """Autoscaling for this variant. When present, the autoscaler owns the instance count (or
    provisioned concurrency): sagectl never resets it to `initialInstanceCount`."""

    min_capacity: Annotated[int, Field(ge=1)]
    max_capacity: Annotated[int, Field(ge=1)]
    scaling_policies: Annotated[list[ScalingPolicy], Field(max_length=50)] = []
    scheduled_actions: Annotated[list[ScheduledAction], Field(max_length=200)] = []

    def check(self, at: Path, serverless: bool) -> Iterator[Issue]:
        if self.min_capacity > self.max_capacity:
            yield Issue((*at, "minCapacity"), f"minCapacity ({self.min_capacity}) is greater "
                                              f"than maxCapacity ({self.max_capacity})")
        names = [p.policy_name for p in self.scaling_policies]
        for name, idx in duplicates(names).items():
            for i in idx:
                yield Issue((*at, "scalingPolicies", i, "policyName"),
                            f"duplicate scaling policy name {name!r}")
        for i, policy in enumerate(self.scaling_policies):
            yield from policy.check((*at, "scalingPolicies", i), serverless)
        names = [a.scheduled_action_name for a in self.scheduled_actions]
        for name, idx in duplicates(names).items():
            for i in idx:
                yield Issue((*at, "scheduledActions", i, "scheduledActionName"),
                            f"duplicate scheduled action name {name!r}")
        for i, action in enumerate(self.scheduled_actions):
            a_at = (*at, "scheduledActions", i)
            if not _SCHEDULE.match(action.schedule):
                yield Issue((*a_at, "schedule"), "expected at(yyyy-mm-ddThh:mm:ss), rate(N "
                                                 "minutes|hours|days) or cron(6 fields), got "
                                                 f"{action.schedule!r}")
            t = action.scalable_target_action
            if t.min_capacity is None and t.max_capacity is None:
                yield Issue((*a_at, "scalableTargetAction"),
                            "set minCapacity and/or maxCapacity")
            if (t.min_capacity is not None and t.max_capacity is not None
                    and t.min_capacity > t.max_capacity):
                yield Issue((*a_at, "scalableTargetAction", "minCapacity"),
                            f"minCapacity ({t.min_capacity}) is greater than maxCapacity "
                            f"({t.max_capacity})")
