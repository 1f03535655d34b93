"""What the IAM policy must allow for endpoints (``sagectl iam-policy``): reading and changing
endpoints and their configs, Application Auto Scaling of their variants, the guardrail alarms
(read), the instance quotas, and what AWS checks on the caller's behalf."""

from __future__ import annotations

from reconciler.iam.tables import Implied, Permissions, Scope, read, write
from reconciler.kinds._autoscaling_permissions import (
    AUTOSCALING_OPERATIONS,
    AUTOSCALING_SCOPES,
    TARGET_TRACKING_ALARMS,
)
from reconciler.kinds._aws import ALARMS, SHARED_SCOPES, SM_LIST, sagemaker_scope

SM_ENDPOINT, SM_CONFIG = "sm-endpoint", "sm-endpoint-config"
SM_SCHEDULE = "sm-monitoring-schedule"  # the MonitoringSchedule kind's scope, defined alike
AAS_SLR = "aas-service-linked-role"
QUOTAS = "service-quotas"

SLR_SERVICE = "sagemaker.application-autoscaling.amazonaws.com"
SLR_ROLE = "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
_BY_AAS = "Application Auto Scaling checks the caller may scale the variant"
_REGISTER = ("application-autoscaling", "RegisterScalableTarget")

PERMISSIONS = Permissions(
    scopes={
        SM_ENDPOINT: sagemaker_scope("SageMakerEndpoints", "endpoint"),
        SM_CONFIG: sagemaker_scope("SageMakerEndpointConfigs", "endpoint-config"),
        SM_LIST: SHARED_SCOPES[SM_LIST],
        SM_SCHEDULE: sagemaker_scope("SageMakerMonitoringSchedules", "monitoring-schedule"),
        ALARMS: SHARED_SCOPES[ALARMS],
        **AUTOSCALING_SCOPES,
        AAS_SLR: Scope("AutoScalingServiceLinkedRole",
                       (f"arn:{{p}}:iam::{{a}}:role/aws-service-role/{SLR_SERVICE}/{SLR_ROLE}",),
                       ("StringEquals", "iam:AWSServiceName", SLR_SERVICE)),
        # ListServiceQuotas takes no resource; optional: without it the plan only skips its
        # quota warnings (quota.py)
        QUOTAS: Scope("ServiceQuotasRead", ("*",)),
    },
    operations={
        "sagemaker": {
            "DescribeEndpoint": read(SM_ENDPOINT),
            "ListTags": read(SM_ENDPOINT),  # an owner the tagging API snapshot missed
            "DescribeEndpointConfig": read(SM_CONFIG),
            "ListEndpointConfigs": read(SM_LIST),
            # AddTags also authorises the Tags of every Create* call (tag on create)
            "AddTags": write(SM_ENDPOINT, SM_CONFIG),
            "DeleteTags": write(SM_ENDPOINT),
            "CreateEndpoint": write(SM_ENDPOINT, SM_CONFIG),
            "CreateEndpointConfig": write(SM_CONFIG),
            "DeleteEndpoint": write(SM_ENDPOINT),
            "DeleteEndpointConfig": write(SM_CONFIG),
            # authorised against the endpoint and the endpoint config (sagemaker-rules.md,
            # rule 17)
            "UpdateEndpoint": write(SM_ENDPOINT, SM_CONFIG),
            "UpdateEndpointWeightsAndCapacities": write(SM_ENDPOINT),
            # the schedules watching an endpoint that is replaced (stopped, then started
            # again) or deleted (warned about): kinds/endpoint/monitoring.py
            "ListMonitoringSchedules": read(SM_LIST),
            "StopMonitoringSchedule": write(SM_SCHEDULE),
            "StartMonitoringSchedule": write(SM_SCHEDULE),
        },
        "application-autoscaling": AUTOSCALING_OPERATIONS,
        "cloudwatch": {
            "DescribeAlarms": read(ALARMS),  # guardrail alarms: external ones, the bake
        },
        "service-quotas": {
            "ListServiceQuotas": read(QUOTAS),
        },
    },
    implied=(
        Implied("iam:CreateServiceLinkedRole", (AAS_SLR,), (_REGISTER,),
                "Application Auto Scaling creates its SageMaker role on first use"),
        Implied("sagemaker:DescribeEndpoint", (SM_ENDPOINT,), (_REGISTER,), _BY_AAS),
        Implied("sagemaker:DescribeEndpointConfig", (SM_CONFIG,), (_REGISTER,), _BY_AAS),
        Implied("sagemaker:UpdateEndpointWeightsAndCapacities", (SM_ENDPOINT,), (_REGISTER,),
                _BY_AAS),
        *TARGET_TRACKING_ALARMS,
    ),
)
