"""What the IAM policy must allow for the job definitions of one monitoring type
(``sagectl iam-policy``): the definitions (their ARN resource type in the IAM service
authorization reference: ``data-quality-job-definition``, ``model-quality-job-definition``,
``model-bias-job-definition``, ``model-explainability-job-definition``), the schedule listing
that tells which definitions are in use, and the role passed to SageMaker.

``Delete*JobDefinition`` is also what the ``MonitoringSchedule`` kind's update calls to delete the
version its schedule moved away from: it is declared here, with the definitions.
"""

from __future__ import annotations

from reconciler.iam.tables import Implied, Permissions, Scope, read, write
from reconciler.kinds._aws import PASS_SAGEMAKER, SHARED_SCOPES, SM_LIST
from reconciler.kinds._monitoring import MONITORING_TYPES, arn_type
from reconciler.kinds.monitoring_job.plan import Api
from reconciler.kinds.monitoring_job.spec import JobDefinitionSpec

SM_DEFINITIONS = "sm-monitoring-job-definition"
DEFINITIONS_SCOPE = Scope("SageMakerMonitoringJobDefinitions", tuple(
    f"arn:{{p}}:sagemaker:{{r}}:{{a}}:{arn_type(t)}/*" for t in MONITORING_TYPES))
"""One statement for the four types (a shorter policy than four), in every policy: a definition
that left the specs is still deleted by the apply that prunes it."""


def permissions(api: Api) -> Permissions:
    scope = SM_DEFINITIONS
    create = f"Create{api.kind}"
    return Permissions(
        scopes={
            scope: DEFINITIONS_SCOPE,
            SM_LIST: SHARED_SCOPES[SM_LIST],
            PASS_SAGEMAKER: SHARED_SCOPES[PASS_SAGEMAKER],
        },
        operations={"sagemaker": {
            f"Describe{api.kind}": read(scope),
            # which definitions live schedules use (kinds/monitoring_job/usage.py)
            "ListMonitoringSchedules": read(SM_LIST),
            "ListTags": read(scope),
            "AddTags": write(scope),
            "DeleteTags": write(scope),
            create: write(scope),
            f"Delete{api.kind}": write(scope),
        }},
        implied=(
            Implied("iam:PassRole", (PASS_SAGEMAKER,), (("sagemaker", create),),
                    f"the role the {api.noun}'s monitoring jobs run with"),
        ),
    )


def policy_resources(spec: JobDefinitionSpec) -> dict[str, list[str]]:
    """The role the monitoring jobs run with."""
    return {PASS_SAGEMAKER: [spec.role_arn]}
