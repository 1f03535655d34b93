"""What IAM must allow because Application Auto Scaling acts on the caller's behalf when a kind
scales something (endpoint variants, inference component copies): target tracking policies own
CloudWatch alarms, so putting or deleting a policy needs the alarm operations too."""

from __future__ import annotations

from reconciler.iam.tables import Implied
from reconciler.kinds._aws import ALARMS

TARGET_TRACKING_ALARMS = (
    Implied("cloudwatch:DescribeAlarms", (ALARMS,),
            (("application-autoscaling", "PutScalingPolicy"),
             ("application-autoscaling", "DeleteScalingPolicy"),
             ("application-autoscaling", "DeregisterScalableTarget")),
            "target tracking policies own CloudWatch alarms (TargetTracking-*)"),
    Implied("cloudwatch:PutMetricAlarm", (ALARMS,),
            (("application-autoscaling", "PutScalingPolicy"),),
            "target tracking policies create CloudWatch alarms"),
    Implied("cloudwatch:DeleteAlarms", (ALARMS,),
            (("application-autoscaling", "DeleteScalingPolicy"),
             ("application-autoscaling", "DeregisterScalableTarget")),
            "deleting a target tracking policy deletes its alarms"),
)
