"""``sagectl import`` for the alarms an imported endpoint uses: its rollback alarms and the alarms
whose dimensions name it (in the alarm or in a metric-math query), except Application Auto
Scaling's (``managed.py``: AWS owns them and deletes them with their policy).

Naming:
- a rollback alarm: an Alarm spec of that name is referenced; an unmanaged alarm becomes an Alarm
  spec; a composite alarm, one of Application Auto Scaling's (a target-tracking policy's), or one
  another environment manages, is referenced as ``external: true``; one that does not exist is
  left out (SageMaker cannot use it either);
- an alarm whose dimensions name the endpoint: imported when nobody manages it, else left out.

The document is the DescribeAlarms entry in spec form and its user tags.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.aws import batches
from reconciler.importer.adopt import Tagging
from reconciler.importer.documents import Document
from reconciler.importer.live import ImportRefused, Tagged
from reconciler.importer.naming import Choice, ImportContext
from reconciler.kinds._documents import integral, prune, unmanaged, unmanaged_warning, user_tags
from reconciler.kinds._live import canonical, from_boto, tag_list
from reconciler.kinds.alarm.managed import owned_by_autoscaling
from reconciler.kinds.alarm.plan import SAGECTL_ONLY, request
from reconciler.kinds.alarm.spec import AlarmSpec
from reconciler.plan.context import PlanContext
from reconciler.plan.model import Problem, Step, digest
from reconciler.spec.resources import Resource

ROLLBACK = "rollback"
"""The role of an endpoint's rollback alarm (``import_choice``); any other: about its metrics."""
DIMENSIONS = {"Endpoint": "EndpointName"}
"""Kind -> the metric dimension that names its resources."""
READ_ONLY = frozenset({
    "AlarmName", "AlarmArn", "AlarmConfigurationUpdatedTimestamp", "StateValue", "StateReason",
    "StateReasonData", "StateUpdatedTimestamp", "StateTransitionedTimestamp", "EvaluationState",
})
"""Response fields that describe an alarm rather than configure it."""


def _every(ictx: ImportContext) -> list[dict[str, Any]]:
    """Every metric alarm (one paginated list, once per import)."""
    return ictx.once("alarm:every", lambda: ictx.aws.paginate(
        "cloudwatch", "describe_alarms", "MetricAlarms", AlarmTypes=["MetricAlarm"]))


def _dimension_values(alarm: dict[str, Any], dimension: str) -> set[str]:
    """Values of ``dimension`` in an alarm's dimensions (its own, or its metric-math
    queries')."""
    dims = list(alarm.get("Dimensions") or [])
    for query in alarm.get("Metrics") or []:
        dims += ((query.get("MetricStat") or {}).get("Metric") or {}).get("Dimensions") or []
    return {d["Value"] for d in dims if d.get("Name") == dimension}


def related(ictx: ImportContext, kind: str, names: list[str]) -> dict[str, list[str]]:
    """The alarms whose dimensions name these resources, by resource name."""
    dimension = DIMENSIONS.get(kind)
    if dimension is None:
        return {}
    found: dict[str, list[str]] = {n: [] for n in names}
    for alarm in _every(ictx):
        if owned_by_autoscaling(alarm["AlarmName"]):
            continue
        for name in _dimension_values(alarm, dimension) & set(names):
            found[name].append(alarm["AlarmName"])
    return found


def read(ictx: ImportContext, names: list[str]) -> dict[str, Tagged]:
    """The metric alarms of these names; of the others, which are composite alarms (sagectl's
    Alarm kind is metric alarms) is remembered for ``choice``."""
    by_name = {a["AlarmName"]: a for a in _every(ictx)}
    missing = [a for a in names if a not in by_name]
    composite: set[str] = ictx.once("alarm:composite", set)
    for batch in batches(missing, 100):
        composite |= {a["AlarmName"] for a in ictx.aws.client("cloudwatch").describe_alarms(
            AlarmNames=batch, AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]}
    return {a: Tagged(a, by_name[a]["AlarmArn"], by_name[a], {}) for a in names if a in by_name}


def choice(ictx: ImportContext, name: str, live: Tagged | None, role: str) -> Choice | None:
    rollback = role == ROLLBACK
    if name in ictx.tree.named("Alarm"):
        return Choice(name, new=False)
    if name in ictx.once("alarm:composite", set):
        ictx.notes.append(f"rollback alarm {name} is a composite alarm: referenced with "
                          "`external: true`")
        return Choice(name, new=False, external=True)
    if live is None:
        ictx.warnings.append(f"rollback alarm {name} does not exist; it is left out of the "
                             "deployment config")
        return None
    if owned_by_autoscaling(name):
        ictx.notes.append(f"rollback alarm {name} belongs to Application Auto Scaling (a "
                          "target-tracking policy's): referenced with `external: true`; its "
                          "name changes whenever the policy is made again")
        return Choice(name, new=False, external=True)
    if not live.managed or ictx.mine(live, f"Alarm.{name}"):
        return Choice(name, new=True)
    if rollback and live.env != ictx.tree.env:
        ictx.notes.append(f"rollback alarm {name} is managed by sagectl ({live.owner_text()}): "
                          "referenced with `external: true`")
        return Choice(name, new=False, external=True)
    if rollback:
        raise ImportRefused(f"alarm {name} is managed by sagectl ({live.owner_text()}), but no "
                            "Alarm spec here describes it")
    ictx.notes.append(f"alarm {name} is managed by sagectl ({live.owner_text()}); left out")
    return None


def document(ictx: ImportContext, live: Tagged, name: str) -> Document:
    spec = canonical(AlarmSpec, from_boto(AlarmSpec, live.described), SAGECTL_ONLY)
    spec = prune(AlarmSpec, spec)
    if spec.get("treatMissingData") == "missing":
        del spec["treatMissingData"]  # CloudWatch's default, filled by the plan
    if spec.get("datapointsToAlarm") == spec.get("evaluationPeriods"):
        spec.pop("datapointsToAlarm", None)
    tags = user_tags(live.tags)
    if tags:
        spec["tags"] = tags
    ictx.warnings += unmanaged_warning(f"alarm {live.name}",
                                       unmanaged(AlarmSpec, live.described, READ_ONLY),
                                       "an update by sagectl (PutMetricAlarm) would drop them")
    return Document("Alarm", name, integral(spec), live)


def tag_alarm(arn: str, tags: dict[str, str]) -> Step:
    return Step("cloudwatch:TagResource", arn, {"ResourceARN": arn, "Tags": tag_list(tags)})


def adoption(ctx: PlanContext, resources: list[Resource], documents: Mapping[str, Document]
             ) -> tuple[list[Tagging], list[Problem]]:
    """The tags ``plan`` gives the alarm it puts (the digest of its PutMetricAlarm request)."""
    taggings = []
    for r in resources:
        doc = documents[r.address]
        wanted = {**r.spec.tags,  # type: ignore[attr-defined]
                  **ctx.ownership_tags(r, digest(request(r)))}
        taggings.append(Tagging(r.address, f"alarm {r.name}", doc.source.arn, doc.source.tags,
                                wanted, tag_alarm))
    return taggings, []
