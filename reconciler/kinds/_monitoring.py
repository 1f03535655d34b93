"""What the Model Monitor kinds share: the four job definition kinds
(``reconciler/kinds/monitoring_job/``) and ``MonitoringSchedule``
(``reconciler/kinds/monitoring_schedule/``). Kinds never import each other; this module is the
seam between them.

A job definition is immutable in SageMaker, so sagectl names it by content
(``<name>-<hash8>``, like models). The definition kinds plan first (``DEFINITION_PLAN_ORDER``)
and publish, for each desired definition, a ``DefinitionRef`` in ``PlanContext.shared`` under
``definition_key(kind, name)``; the schedule kind reads it to know the AWS name its schedule must
point at, which endpoint that definition watches and whether this plan creates it.
"""

from __future__ import annotations

from dataclasses import dataclass

MONITORING_TYPES: dict[str, str] = {
    "DataQuality": "DataQualityJobDefinition",
    "ModelQuality": "ModelQualityJobDefinition",
    "ModelBias": "ModelBiasJobDefinition",
    "ModelExplainability": "ModelExplainabilityJobDefinition",
}
"""SageMaker's ``MonitoringType`` -> the sagectl kind of its job definition."""

DEFINITION_KINDS: dict[str, str] = {kind: mtype for mtype, kind in MONITORING_TYPES.items()}
"""The sagectl kind of a job definition -> SageMaker's ``MonitoringType``."""

DEFINITION_PLAN_ORDER = 42
"""After endpoints (40: a definition's endpoint input names one), before schedules."""
SCHEDULE_PLAN_ORDER = 47
"""After the definitions, whose ``DefinitionRef``s schedules read."""
SCHEDULE_RESOURCE_TYPE = "sagemaker:monitoring-schedule"
"""The tagging API's resource type of a monitoring schedule (the endpoint kind reads which
schedules this environment owns when it deletes an endpoint they watch)."""


def arn_type(monitoring_type: str) -> str:
    """The ARN's (and the tagging API's) resource type of a monitoring type's job definitions:
    ``DataQuality`` -> ``data-quality-job-definition``."""
    words = "".join(f"-{c.lower()}" if c.isupper() else c for c in monitoring_type)
    return f"{words.lstrip('-')}-job-definition"


CLOSED_TO_NEW_CUSTOMERS = (
    "Model Monitor is closed to new customers (AWS: \"no longer open to new customers. Existing "
    "customers can continue to use the service as normal\"): AWS may refuse this if the account "
    "is not an existing Model Monitor customer; what it answers then is not documented")
"""Said by a plan that creates the environment's first job definition (docs/sagemaker-rules.md,
rule 62): sagectl cannot know an account's standing, so it says what AWS says, no more."""


def definition_key(kind: str, name: str) -> str:
    """The ``PlanContext.shared`` key of the ``DefinitionRef`` of definition ``kind``/``name``."""
    return f"monitoring-job-definition:{kind}:{name}"


@dataclass(frozen=True)
class DefinitionRef:
    """What the schedule kind needs to know of a desired job definition."""

    kind: str
    """``DataQualityJobDefinition`` ..."""
    spec_name: str
    aws_name: str
    """The content name (``<spec name>-<hash8>``) its schedule must point at."""
    monitoring_type: str
    """``DataQuality`` ... (``MONITORING_TYPES``)."""
    endpoint_name: str | None
    """The AWS name of the endpoint its job input watches (None: batch transform input)."""
    created_by_plan: bool
    """True when this plan creates it (the schedule's change then depends on its address)."""

    @property
    def address(self) -> str:
        return f"{self.kind}.{self.spec_name}"
