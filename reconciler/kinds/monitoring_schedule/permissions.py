"""What the IAM policy must allow for monitoring schedules (``sagectl iam-policy``): the schedule
operations, and the listing ``sagectl import`` finds an endpoint's schedules with. The delete of
the job definition an update moves away from (``Delete<Type>JobDefinition``), the definitions'
own operations and the monitoring role's ``iam:PassRole`` are declared by the definition kinds
(``kinds/monitoring_job/permissions.py``), which are registered with this kind."""

from __future__ import annotations

from reconciler.iam.tables import Permissions, read, write
from reconciler.kinds._aws import SHARED_SCOPES, SM_LIST, sagemaker_scope

SM_SCHEDULE = "sm-monitoring-schedule"
PERMISSIONS = Permissions(
    scopes={SM_SCHEDULE: sagemaker_scope("SageMakerMonitoringSchedules", "monitoring-schedule"),
            SM_LIST: SHARED_SCOPES[SM_LIST]},
    operations={"sagemaker": {
        # `sagectl import ENDPOINT`: the schedules that watch it
        "ListMonitoringSchedules": read(SM_LIST),
        "DescribeMonitoringSchedule": read(SM_SCHEDULE),
        "ListTags": read(SM_SCHEDULE),  # an owner the tagging API snapshot missed
        "CreateMonitoringSchedule": write(SM_SCHEDULE),
        "UpdateMonitoringSchedule": write(SM_SCHEDULE),
        "StartMonitoringSchedule": write(SM_SCHEDULE),
        "StopMonitoringSchedule": write(SM_SCHEDULE),
        "DeleteMonitoringSchedule": write(SM_SCHEDULE),
        "AddTags": write(SM_SCHEDULE),
        "DeleteTags": write(SM_SCHEDULE),
    }},
)
"""What the IAM policy must allow for monitoring schedules (``sagectl iam-policy``)."""
