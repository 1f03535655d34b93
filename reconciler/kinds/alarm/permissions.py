"""What the IAM policy must allow for alarms (``sagectl iam-policy``)."""

from __future__ import annotations

from reconciler.iam.tables import Implied, Permissions, read, write
from reconciler.kinds._aws import ALARMS, SHARED_SCOPES

PERMISSIONS = Permissions(
    scopes={ALARMS: SHARED_SCOPES[ALARMS]},
    operations={
        "cloudwatch": {
            "DescribeAlarms": read(ALARMS),
            "ListTagsForResource": read(ALARMS),
            "DeleteAlarms": write(ALARMS),
            "PutMetricAlarm": write(ALARMS),
            "TagResource": write(ALARMS),
            "UntagResource": write(ALARMS),
        },
    },
    implied=(
        Implied("cloudwatch:TagResource", (ALARMS,), (("cloudwatch", "PutMetricAlarm"),),
                "PutMetricAlarm with Tags (tag on create)"),
    ),
)
