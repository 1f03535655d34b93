"""What IAM must allow because Application Auto Scaling acts on the caller's behalf when a kind
scales something (endpoint variants, inference component copies): its own operations and their
scopes, and, because target tracking policies own CloudWatch alarms, the alarm operations that
putting or deleting a policy needs."""

from __future__ import annotations

from reconciler.iam.tables import Implied, Scope, read, write
from reconciler.kinds._aws import ALARMS

AAS_READ, AAS_TARGETS = "aas-read", "aas-targets"
AUTOSCALING_SCOPES = {
    AAS_READ: Scope("AutoScalingRead", ("*",)),  # Describe* actions take no resource
    AAS_TARGETS: Scope("AutoScalingTargets",
                       ("arn:{p}:application-autoscaling:{r}:{a}:scalable-target/*",)),
}
AUTOSCALING_OPERATIONS = {
    "DescribeScalableTargets": read(AAS_READ),
    "DescribeScalingPolicies": read(AAS_READ),
    "DescribeScheduledActions": read(AAS_READ),
    "DeleteScalingPolicy": write(AAS_TARGETS),
    "DeleteScheduledAction": write(AAS_TARGETS),
    "DeregisterScalableTarget": write(AAS_TARGETS),
    "PutScalingPolicy": write(AAS_TARGETS),
    "PutScheduledAction": write(AAS_TARGETS),
    "RegisterScalableTarget": write(AAS_TARGETS),
}

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
