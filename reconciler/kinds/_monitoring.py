"""What the Model Monitor kinds share: the four job definition kinds
(``reconciler/kinds/monitoring_job/``) and ``MonitoringSchedule``
(``reconciler/kinds/monitoring_schedule/``). Kinds never import each other; this module is the
seam between them.

A job definition is immutable in SageMaker, so sagectl names it by content
(``<name>-<hash8>``, like models). The definition kinds plan first (``DEFINITION_PLAN_ORDER``)
and publish, for each desired definition, a ``DefinitionRef`` in ``PlanContext.shared`` under
``definition_key(kind, name)``; the schedule kind reads it to know the AWS name its schedule must
point at, which endpoint that definition watches and whether this plan creates it.

``sagectl import ENDPOINT`` imports the schedules that watch the endpoint and the definitions
they run: the endpoint import asks the schedule kind for them (``Kind.import_related``) and,
with ``import_definitions`` / ``import_monitoring`` here, each definition's kind for the
definition a schedule runs (``schedule_definition``), by the registry, before the schedule's
document names it by the spec name the definition's kind chose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.importer.documents import Document
    from reconciler.importer.live import Tagged
    from reconciler.importer.naming import ImportContext

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


def schedule_definition(described: dict[str, Any]) -> tuple[str, str] | None:
    """(the sagectl kind, the AWS name) of the job definition a DescribeMonitoringSchedule
    response runs; None for a schedule with an inline ``MonitoringJobDefinition`` (the older
    embedded form, which no spec describes). What ``sagectl import`` of an endpoint reads to
    import the definitions of the schedules that watch it."""
    config = described.get("MonitoringScheduleConfig") or {}
    name = config.get("MonitoringJobDefinitionName")
    mtype = config.get("MonitoringType") or described.get("MonitoringType")
    if not name or mtype not in MONITORING_TYPES:
        return None
    return MONITORING_TYPES[mtype], name


def import_definitions(ictx: ImportContext, schedules: dict[str, Tagged]
                       ) -> dict[tuple[str, str], Tagged]:
    """The job definitions the schedules run, by (kind, AWS name), read by their kinds."""
    wanted: dict[str, set[str]] = {}
    for schedule in schedules.values():
        used = schedule_definition(schedule.described)
        if used is not None:
            wanted.setdefault(used[0], set()).add(used[1])
    return {(kind, name): live for kind, names in sorted(wanted.items())
            for name, live in ictx.kinds[kind].import_read(ictx, sorted(names)).items()}


def import_monitoring(ictx: ImportContext, names: list[str], schedules: dict[str, Tagged],
                      definitions: dict[tuple[str, str], Tagged], claimed: set[str]
                      ) -> list[Document]:
    """The documents of an endpoint's new schedules and of the definitions they run (those
    first: a schedule names its definition by the spec name the definition's kind gave it)."""
    docs, new = [], []
    for name in names:
        chosen = ictx.choose("MonitoringSchedule", name, schedules.get(name))
        used = schedule_definition(schedules[name].described) if chosen else None
        if chosen is None or not chosen.new or used is None:
            continue
        definition = ictx.choose(used[0], used[1], definitions.get(used))
        assert definition is not None  # the definition kinds refuse what they cannot name
        if definition.new and f"{used[0]}.{definition.name}" not in claimed:
            docs.append(ictx.document(used[0], definitions[used], definition.name))
            claimed.add(docs[-1].address)
        new.append((name, chosen.name))
    return docs + [ictx.document("MonitoringSchedule", schedules[live], spec)
                   for live, spec in new]
