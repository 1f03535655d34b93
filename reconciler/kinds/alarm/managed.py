"""Alarms that belong to Application Auto Scaling, never to a spec.

A target-tracking scaling policy comes with two CloudWatch alarms that Application Auto Scaling
creates, names ``TargetTracking-<ResourceId>-AlarmHigh-<uuid>`` / ``...-AlarmLow-<uuid>``, and
deletes with the policy: "Do not create, edit, or delete the CloudWatch alarms that are used with a
target tracking scaling policy. Application Auto Scaling creates and manages the CloudWatch alarms
that are associated with your target tracking scaling policies and deletes them when no longer
needed." (Application Auto Scaling User Guide, target tracking,
https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-target-tracking.html)

So the ``TargetTracking-`` name space is Application Auto Scaling's: no Alarm spec may use it, and
every place sagectl reads alarms (the Alarm kind's plan and orphans, hence drift; import) asks
``owned_by_autoscaling`` and leaves such alarms alone. An endpoint's autoscaling is what sagectl
manages; its alarms follow from it.
"""

from __future__ import annotations

AUTOSCALING_ALARM_PREFIX = "TargetTracking-"


def owned_by_autoscaling(name: str) -> bool:
    """Whether an alarm of this name is Application Auto Scaling's (a target-tracking alarm)."""
    return name.startswith(AUTOSCALING_ALARM_PREFIX)


RESERVED_MESSAGE = (f"alarm names starting with {AUTOSCALING_ALARM_PREFIX!r} belong to "
                    "Application Auto Scaling (the alarms of target-tracking scaling policies, "
                    "which it creates and deletes itself); choose another name")
