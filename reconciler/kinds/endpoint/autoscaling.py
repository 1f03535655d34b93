"""Application Auto Scaling for one endpoint variant: scalable target, policies, schedules.

The scalable target is ``endpoint/<endpoint>/variant/<variant>`` with the dimension
``sagemaker:variant:DesiredInstanceCount`` (instance variants) or
``sagemaker:variant:DesiredProvisionedConcurrency`` (serverless with provisioned concurrency).
The models are shared with inference components (``reconciler/kinds/_autoscaling.py``); what is
the variants' own is here: their metrics and a minimum of at least 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from pydantic import Field

from reconciler.contract import Issue
from reconciler.kinds._autoscaling import (
    AutoscalingBase,
    CustomizedMetricSpecification,
    MetricDimension,
    PredefinedMetricSpecification,
    PredefinedMetricType,
    ScalableTargetAction,
    ScalingPolicy,
    ScheduledAction,
    StepAdjustment,
    StepScalingPolicyConfiguration,
    TargetTracking,
    TargetTrackingScalingPolicyConfiguration,
)
from reconciler.spec.nodes import Path

INSTANCE_METRICS = (
    "SageMakerVariantInvocationsPerInstance",
    "SageMakerVariantConcurrentRequestsPerModelHighResolution",
)
SERVERLESS_METRICS = ("SageMakerVariantProvisionedConcurrencyUtilization",)


class Autoscaling(AutoscalingBase):
    """Autoscaling for this variant. When present, the autoscaler owns the instance count (or
    provisioned concurrency): sagectl never resets it to `initialInstanceCount`."""

    min_capacity: Annotated[int, Field(ge=1)]

    def check(self, at: Path, serverless: bool) -> Iterator[Issue]:
        what = "a serverless variant" if serverless else "an instance-based variant"
        yield from self.check_target(at, SERVERLESS_METRICS if serverless else INSTANCE_METRICS,
                                     what)


__all__ = [
    "INSTANCE_METRICS", "SERVERLESS_METRICS", "Autoscaling", "CustomizedMetricSpecification",
    "MetricDimension", "PredefinedMetricSpecification", "PredefinedMetricType",
    "ScalableTargetAction", "ScalingPolicy", "ScheduledAction", "StepAdjustment",
    "StepScalingPolicyConfiguration", "TargetTracking", "TargetTrackingScalingPolicyConfiguration",
]
