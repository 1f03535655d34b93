"""What sagectl does in AWS, as IAM sees it: the tables ``sagectl iam-policy`` is made from.

**Adding an operation** (a new command such as drift or import, or a new step of a kind): add
one row to ``OPERATIONS`` under its botocore service name, e.g.
``"ListEndpoints": read(SM_LIST)`` or ``"StopPipelineExecution": write(SM_PIPELINE)``, naming the
scopes (below) of the resources IAM authorises it against. Reads (``read``) go into the plan and
the apply policy, changes (``write``) into the apply policy only. When the IAM action is not named
like the operation, say so (``read(S3_DEFINITIONS, action="s3:GetObject")``). Permissions that AWS
checks on top of an operation (tags on create, ``iam:PassRole``, what Application Auto Scaling
verifies on your behalf) go into ``IMPLIED``, keyed by the operations that need them. A new kind
of resource gets a scope in ``SCOPES`` (its statement's Sid and ARN pattern).

The test suite records every operation sagectl makes and fails when one is missing here
(tests/iam_coverage.py), so a forgotten row shows up in CI, not in production.
"""

from __future__ import annotations

from dataclasses import dataclass

# -- scopes: one policy statement each ---------------------------------------------------------
# ARN templates take {p} partition, {r} region, {a} account, {table} state table; the scopes
# marked "per spec" take their resources from the specs (roles, buckets) or a pattern.
SM_ENDPOINT, SM_CONFIG, SM_MODEL = "sm-endpoint", "sm-endpoint-config", "sm-model"
SM_PIPELINE, SM_GROUP, SM_PACKAGE = "sm-pipeline", "sm-model-package-group", "sm-model-package"
SM_LIST = "sm-list"
AAS_READ, AAS_TARGETS, AAS_SLR = "aas-read", "aas-targets", "aas-service-linked-role"
ALARMS, TAGGING, STATE_TABLE = "cloudwatch-alarms", "tagging", "state-table"
SCHEDULES, RULES, S3_DEFINITIONS = "scheduler-schedules", "events-rules", "s3-definitions"
PASS_SAGEMAKER, PASS_SCHEDULER, PASS_EVENTS = "pass-sagemaker", "pass-scheduler", "pass-events"
QUOTAS = "service-quotas"

SLR_SERVICE = "sagemaker.application-autoscaling.amazonaws.com"
SLR_ROLE = "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
DEFINITIONS_PREFIX = "sagectl/pipelines"
"""Where sagectl uploads pipeline definitions (reconciler/kinds/pipeline/plan.py S3_PREFIX)."""
TRIGGER_PREFIX = "sagectl-"
"""Schedules and rules are named ``sagectl-<pipeline>`` (reconciler/kinds/pipeline/trigger.py)."""


@dataclass(frozen=True)
class Scope:
    sid: str
    """The statement's Sid (letters and digits)."""
    arns: tuple[str, ...]
    """ARN templates. For roles and buckets, the pattern used when no specs are given."""
    condition: tuple[str, str, str] | None = None
    """(operator, key, value) of the statement's condition."""


def _passed_to(service: str) -> tuple[str, str, str]:
    return ("StringEquals", "iam:PassedToService", service)


SCOPES: dict[str, Scope] = {
    SM_ENDPOINT: Scope("SageMakerEndpoints", ("arn:{p}:sagemaker:{r}:{a}:endpoint/*",)),
    SM_CONFIG: Scope("SageMakerEndpointConfigs", ("arn:{p}:sagemaker:{r}:{a}:endpoint-config/*",)),
    SM_MODEL: Scope("SageMakerModels", ("arn:{p}:sagemaker:{r}:{a}:model/*",)),
    SM_PIPELINE: Scope("SageMakerPipelines", ("arn:{p}:sagemaker:{r}:{a}:pipeline/*",)),
    SM_GROUP: Scope("SageMakerModelPackageGroups",
                    ("arn:{p}:sagemaker:{r}:{a}:model-package-group/*",)),
    SM_PACKAGE: Scope("SageMakerModelPackages", ("arn:{p}:sagemaker:{r}:{a}:model-package/*",)),
    SM_LIST: Scope("SageMakerList", ("*",)),  # List* actions take no resource in IAM
    AAS_READ: Scope("AutoScalingRead", ("*",)),  # Describe* actions take no resource
    AAS_TARGETS: Scope("AutoScalingTargets",
                       ("arn:{p}:application-autoscaling:{r}:{a}:scalable-target/*",)),
    AAS_SLR: Scope("AutoScalingServiceLinkedRole",
                   (f"arn:{{p}}:iam::{{a}}:role/aws-service-role/{SLR_SERVICE}/{SLR_ROLE}",),
                   ("StringEquals", "iam:AWSServiceName", SLR_SERVICE)),
    ALARMS: Scope("CloudWatchAlarms", ("arn:{p}:cloudwatch:{r}:{a}:alarm:*",)),
    TAGGING: Scope("ResourceGroupsTaggingRead", ("*",)),  # GetResources takes no resource
    STATE_TABLE: Scope("StateTable", ("arn:{p}:dynamodb:{r}:{a}:table/{table}",)),
    SCHEDULES: Scope("SchedulerSchedules",
                     (f"arn:{{p}}:scheduler:{{r}}:{{a}}:schedule/default/{TRIGGER_PREFIX}*",)),
    RULES: Scope("EventBridgeRules", (f"arn:{{p}}:events:{{r}}:{{a}}:rule/{TRIGGER_PREFIX}*",)),
    # per spec: the specs' pipelineDefinitionS3Bucket buckets, else any bucket
    S3_DEFINITIONS: Scope("PipelineDefinitionUploads",
                          (f"arn:{{p}}:s3:::*/{DEFINITIONS_PREFIX}/*",)),
    # per spec: the roles the specs name, else any role of the account
    PASS_SAGEMAKER: Scope("PassRoleToSageMaker", ("arn:{p}:iam::{a}:role/*",),
                          _passed_to("sagemaker.amazonaws.com")),
    PASS_SCHEDULER: Scope("PassRoleToScheduler", ("arn:{p}:iam::{a}:role/*",),
                          _passed_to("scheduler.amazonaws.com")),
    PASS_EVENTS: Scope("PassRoleToEventBridge", ("arn:{p}:iam::{a}:role/*",),
                       _passed_to("events.amazonaws.com")),
    # ListServiceQuotas takes no resource; optional: without it the plan only skips its quota
    # warnings (reconciler/kinds/endpoint/quota.py)
    QUOTAS: Scope("ServiceQuotasRead", ("*",)),
}


# -- operations -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Op:
    scopes: tuple[str, ...]
    write: bool
    action: str | None = None
    """The IAM action when it is not ``<prefix>:<operation>``."""


def read(*scopes: str, action: str | None = None) -> Op:
    return Op(scopes, False, action)


def write(*scopes: str, action: str | None = None) -> Op:
    return Op(scopes, True, action)


IAM_PREFIX = {"resourcegroupstaggingapi": "tag", "service-quotas": "servicequotas"}
"""botocore service name -> IAM service prefix, where they differ."""

NO_PERMISSION = {("sts", "GetCallerIdentity")}
"""Operations that every principal may call: never in a policy, never a gap."""

SM_TAGGED = (SM_ENDPOINT, SM_CONFIG, SM_MODEL, SM_PIPELINE, SM_GROUP)

OPERATIONS: dict[str, dict[str, Op]] = {
    "sagemaker": {
        "DescribeEndpoint": read(SM_ENDPOINT),
        "DescribeEndpointConfig": read(SM_CONFIG),
        "DescribeModel": read(SM_MODEL),
        "DescribeModelPackage": read(SM_PACKAGE),
        "DescribeModelPackageGroup": read(SM_GROUP),
        "DescribePipeline": read(SM_PIPELINE),
        "DescribePipelineExecution": read(SM_PIPELINE),  # pipeline/<name>/execution/<id>
        "GetModelPackageGroupPolicy": read(SM_GROUP),
        "ListEndpointConfigs": read(SM_LIST),
        "ListModelPackages": read(SM_LIST),
        # AddTags also authorises the Tags of every Create* call (tag on create)
        "AddTags": write(*SM_TAGGED),
        "DeleteTags": write(SM_ENDPOINT, SM_MODEL, SM_PIPELINE, SM_GROUP),
        "CreateEndpoint": write(SM_ENDPOINT, SM_CONFIG),
        "CreateEndpointConfig": write(SM_CONFIG),
        "CreateModel": write(SM_MODEL),
        "CreateModelPackageGroup": write(SM_GROUP),
        "CreatePipeline": write(SM_PIPELINE),
        "DeleteEndpoint": write(SM_ENDPOINT),
        "DeleteEndpointConfig": write(SM_CONFIG),
        "DeleteModel": write(SM_MODEL),
        "DeleteModelPackageGroup": write(SM_GROUP),
        "DeleteModelPackageGroupPolicy": write(SM_GROUP),
        "DeletePipeline": write(SM_PIPELINE),
        "PutModelPackageGroupPolicy": write(SM_GROUP),
        "StartPipelineExecution": write(SM_PIPELINE),
        # authorised against the endpoint and the endpoint config (sagemaker-rules.md, rule 17)
        "UpdateEndpoint": write(SM_ENDPOINT, SM_CONFIG),
        "UpdateEndpointWeightsAndCapacities": write(SM_ENDPOINT),
        "UpdatePipeline": write(SM_PIPELINE),
    },
    "application-autoscaling": {
        "DescribeScalableTargets": read(AAS_READ),
        "DescribeScalingPolicies": read(AAS_READ),
        "DescribeScheduledActions": read(AAS_READ),
        "DeleteScalingPolicy": write(AAS_TARGETS),
        "DeleteScheduledAction": write(AAS_TARGETS),
        "DeregisterScalableTarget": write(AAS_TARGETS),
        "PutScalingPolicy": write(AAS_TARGETS),
        "PutScheduledAction": write(AAS_TARGETS),
        "RegisterScalableTarget": write(AAS_TARGETS),
    },
    "cloudwatch": {
        "DescribeAlarms": read(ALARMS),
        "DeleteAlarms": write(ALARMS),
        "PutMetricAlarm": write(ALARMS),
        "TagResource": write(ALARMS),
        "UntagResource": write(ALARMS),
    },
    "resourcegroupstaggingapi": {
        "GetResources": read(TAGGING),
    },
    "dynamodb": {
        # plan and drift read the environment's digest key (GetItem); apply creates it (PutItem)
        "DescribeTable": read(STATE_TABLE),
        "GetItem": read(STATE_TABLE),
        "Query": read(STATE_TABLE),
        "CreateTable": write(STATE_TABLE),
        "DeleteItem": write(STATE_TABLE),
        "PutItem": write(STATE_TABLE),
        "UpdateItem": write(STATE_TABLE),
    },
    "scheduler": {
        "GetSchedule": read(SCHEDULES),
        "CreateSchedule": write(SCHEDULES),
        "DeleteSchedule": write(SCHEDULES),
        "UpdateSchedule": write(SCHEDULES),
    },
    "events": {
        "DescribeRule": read(RULES),
        "ListTargetsByRule": read(RULES),
        "DeleteRule": write(RULES),
        "PutRule": write(RULES),
        "PutTargets": write(RULES),
        "RemoveTargets": write(RULES),
    },
    "s3": {
        "PutObject": write(S3_DEFINITIONS),
    },
    "service-quotas": {
        "ListServiceQuotas": read(QUOTAS),
    },
}


# -- permissions AWS checks on top of an operation ----------------------------------------------
@dataclass(frozen=True)
class Implied:
    action: str
    scopes: tuple[str, ...]
    needed_by: tuple[tuple[str, str], ...]
    """(service, operation) pairs: the permission is granted in a mode that grants one of them."""
    why: str


IMPLIED: tuple[Implied, ...] = (
    Implied("iam:PassRole", (PASS_SAGEMAKER,),
            (("sagemaker", "CreateModel"), ("sagemaker", "CreatePipeline"),
             ("sagemaker", "UpdatePipeline")),
            "a model's execution role, a pipeline's role"),
    Implied("iam:PassRole", (PASS_SCHEDULER,),
            (("scheduler", "CreateSchedule"), ("scheduler", "UpdateSchedule")),
            "the role a schedule starts the pipeline with"),
    Implied("iam:PassRole", (PASS_EVENTS,), (("events", "PutTargets"),),
            "the role a rule's target starts the pipeline with"),
    Implied("iam:CreateServiceLinkedRole", (AAS_SLR,),
            (("application-autoscaling", "RegisterScalableTarget"),),
            "Application Auto Scaling creates its SageMaker role on first use"),
    Implied("sagemaker:DescribeEndpoint", (SM_ENDPOINT,),
            (("application-autoscaling", "RegisterScalableTarget"),),
            "Application Auto Scaling checks the caller may scale the variant"),
    Implied("sagemaker:DescribeEndpointConfig", (SM_CONFIG,),
            (("application-autoscaling", "RegisterScalableTarget"),),
            "Application Auto Scaling checks the caller may scale the variant"),
    Implied("sagemaker:UpdateEndpointWeightsAndCapacities", (SM_ENDPOINT,),
            (("application-autoscaling", "RegisterScalableTarget"),),
            "Application Auto Scaling checks the caller may scale the variant"),
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
    Implied("cloudwatch:TagResource", (ALARMS,), (("cloudwatch", "PutMetricAlarm"),),
            "PutMetricAlarm with Tags (tag on create)"),
    Implied("dynamodb:TagResource", (STATE_TABLE,), (("dynamodb", "CreateTable"),),
            "CreateTable with Tags (tag on create)"),
    Implied("s3:GetObject", (S3_DEFINITIONS,),
            (("sagemaker", "CreatePipeline"), ("sagemaker", "UpdatePipeline")),
            "SageMaker reads a definition uploaded to S3 on the caller's behalf"),
)


# -- names --------------------------------------------------------------------------------------
READ_VERBS = ("Describe", "List", "Get", "BatchGet", "Search", "Query", "Scan")
"""An operation named with one of these reads; it must be in the plan policy."""


def is_read(operation: str) -> bool:
    return operation.startswith(READ_VERBS)


def iam_action(service: str, operation: str) -> str | None:
    """The IAM action of a botocore operation (None: no permission needed). Works for
    operations missing from ``OPERATIONS`` too, so they can be reported."""
    if (service, operation) in NO_PERMISSION:
        return None
    op = OPERATIONS.get(service, {}).get(operation)
    if op is not None and op.action:
        return op.action
    return f"{IAM_PREFIX.get(service, service)}:{operation}"
