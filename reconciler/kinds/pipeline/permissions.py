"""What the IAM policy must allow for pipelines (``sagectl iam-policy``): the pipeline and its
executions, its schedule (an EventBridge Scheduler schedule or rule named ``sagectl-*``), the
definitions uploaded to S3, and the roles passed to SageMaker, Scheduler and EventBridge."""

from __future__ import annotations

from reconciler.iam.tables import Implied, Permissions, Scope, passed_to, read, write
from reconciler.kinds._aws import (
    EVENTS_RULES,
    PASS_EVENTS,
    PASS_SAGEMAKER,
    SHARED_SCOPES,
    sagemaker_scope,
)
from reconciler.kinds.pipeline.plan import S3_PREFIX
from reconciler.kinds.pipeline.spec import PipelineSpec
from reconciler.kinds.pipeline.trigger import PREFIX, SCHEDULER

SM_PIPELINE = "sm-pipeline"
SCHEDULES, RULES, S3_DEFINITIONS = "scheduler-schedules", EVENTS_RULES, "s3-definitions"
PASS_SCHEDULER = "pass-scheduler"

PERMISSIONS = Permissions(
    scopes={
        SM_PIPELINE: sagemaker_scope("SageMakerPipelines", "pipeline"),
        SCHEDULES: Scope("SchedulerSchedules",
                         (f"arn:{{p}}:scheduler:{{r}}:{{a}}:schedule/default/{PREFIX}*",)),
        RULES: SHARED_SCOPES[RULES],
        # per spec: the specs' pipelineDefinitionS3Bucket buckets, else any bucket
        S3_DEFINITIONS: Scope("PipelineDefinitionUploads", (f"arn:{{p}}:s3:::*/{S3_PREFIX}/*",),
                              per_spec=True),
        # per spec: the roles the specs name, else any role of the account
        PASS_SAGEMAKER: SHARED_SCOPES[PASS_SAGEMAKER],
        PASS_SCHEDULER: Scope("PassRoleToScheduler", ("arn:{p}:iam::{a}:role/*",),
                              passed_to("scheduler.amazonaws.com"), per_spec=True),
        PASS_EVENTS: SHARED_SCOPES[PASS_EVENTS],
    },
    operations={
        "sagemaker": {
            "DescribePipeline": read(SM_PIPELINE),
            "DescribePipelineExecution": read(SM_PIPELINE),  # pipeline/<name>/execution/<id>
            "AddTags": write(SM_PIPELINE),
            "DeleteTags": write(SM_PIPELINE),
            "CreatePipeline": write(SM_PIPELINE),
            "DeletePipeline": write(SM_PIPELINE),
            "StartPipelineExecution": write(SM_PIPELINE),
            "UpdatePipeline": write(SM_PIPELINE),
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
    },
    implied=(
        Implied("iam:PassRole", (PASS_SAGEMAKER,),
                (("sagemaker", "CreatePipeline"), ("sagemaker", "UpdatePipeline")),
                "a pipeline's role"),
        Implied("iam:PassRole", (PASS_SCHEDULER,),
                (("scheduler", "CreateSchedule"), ("scheduler", "UpdateSchedule")),
                "the role a schedule starts the pipeline with"),
        Implied("iam:PassRole", (PASS_EVENTS,), (("events", "PutTargets"),),
                "the role a rule's target starts the pipeline with"),
        Implied("s3:GetObject", (S3_DEFINITIONS,),
                (("sagemaker", "CreatePipeline"), ("sagemaker", "UpdatePipeline")),
                "SageMaker reads a definition uploaded to S3 on the caller's behalf"),
    ),
)


def policy_resources(spec: PipelineSpec) -> dict[str, list[str]]:
    """The role the pipeline runs with, its schedule's role, the bucket of its definition."""
    found = {PASS_SAGEMAKER: [spec.role_arn]}
    if spec.pipeline_definition_s3_bucket:
        found[S3_DEFINITIONS] = [
            f"arn:{{p}}:s3:::{spec.pipeline_definition_s3_bucket}/{S3_PREFIX}/*"]
    if spec.schedule is not None:
        scope = PASS_SCHEDULER if spec.schedule.type == SCHEDULER else PASS_EVENTS
        found[scope] = [spec.schedule.role_arn]
    return found
