"""What the IAM policy must allow for inference components (``sagectl iam-policy``): the six
component operations, the endpoints that host them (read, for an endpoint the specs do not
define), EC2's instance types (the capacity fit), Application Auto Scaling of copy counts, the
rollback alarms (read), and what AWS checks on the caller's behalf. Scopes shared with the
endpoint kind are defined alike (the tables merge them)."""

from __future__ import annotations

from reconciler.iam.tables import Implied, Permissions, Scope, read, write
from reconciler.kinds._autoscaling_permissions import (
    AUTOSCALING_OPERATIONS,
    AUTOSCALING_SCOPES,
    TARGET_TRACKING_ALARMS,
)
from reconciler.kinds._aws import ALARMS, SHARED_SCOPES, SM_LIST, sagemaker_scope

SM_COMPONENT, SM_ENDPOINT, SM_CONFIG, SM_MODEL = (
    "sm-inference-component", "sm-endpoint", "sm-endpoint-config", "sm-model")
EC2_TYPES = "ec2-instance-types"
_BY_AAS = "Application Auto Scaling checks the caller may scale the component's copies"
_REGISTER = ("application-autoscaling", "RegisterScalableTarget")

PERMISSIONS = Permissions(
    scopes={
        SM_COMPONENT: sagemaker_scope("SageMakerInferenceComponents", "inference-component"),
        SM_ENDPOINT: sagemaker_scope("SageMakerEndpoints", "endpoint"),
        SM_CONFIG: sagemaker_scope("SageMakerEndpointConfigs", "endpoint-config"),
        SM_MODEL: sagemaker_scope("SageMakerModels", "model"),
        SM_LIST: SHARED_SCOPES[SM_LIST],
        ALARMS: SHARED_SCOPES[ALARMS],
        **AUTOSCALING_SCOPES,
        EC2_TYPES: Scope("EC2InstanceTypesRead", ("*",)),  # DescribeInstanceTypes: no resource
    },
    operations={
        "sagemaker": {
            "DescribeInferenceComponent": read(SM_COMPONENT),
            "ListInferenceComponents": read(SM_LIST),
            "DescribeEndpoint": read(SM_ENDPOINT),
            "DescribeEndpointConfig": read(SM_CONFIG),
            "DescribeModel": read(SM_MODEL),
            # CreateInferenceComponent is authorised against the endpoint it goes on too
            "CreateInferenceComponent": write(SM_COMPONENT, SM_ENDPOINT),
            "UpdateInferenceComponent": write(SM_COMPONENT),
            "UpdateInferenceComponentRuntimeConfig": write(SM_COMPONENT),
            "DeleteInferenceComponent": write(SM_COMPONENT),
            "ListTags": read(SM_COMPONENT),  # an owner the tagging API snapshot missed
            "AddTags": write(SM_COMPONENT),
            "DeleteTags": write(SM_COMPONENT),
        },
        "application-autoscaling": AUTOSCALING_OPERATIONS,
        "cloudwatch": {"DescribeAlarms": read(ALARMS)},  # the bake
        "ec2": {"DescribeInstanceTypes": read(EC2_TYPES)},  # the capacity fit (rule 49)
    },
    implied=(
        Implied("sagemaker:DescribeInferenceComponent", (SM_COMPONENT,), (_REGISTER,), _BY_AAS),
        Implied("sagemaker:UpdateInferenceComponentRuntimeConfig", (SM_COMPONENT,),
                (_REGISTER,), _BY_AAS),
        *TARGET_TRACKING_ALARMS,
    ),
)
"""What the IAM policy must allow for inference components (``sagectl iam-policy``)."""
