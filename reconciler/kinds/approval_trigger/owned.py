"""The approval triggers sagectl manages in an account and region, for the planner's ownership
snapshot (``Kind.list_owned``): EventBridge rules named ``sagectl-*`` whose description carries
an ``ApprovalTrigger`` marker, with their tags (ListRules, then ListTagsForResource for those
only: pipelines' rules share the prefix and are skipped by their description).

Why not the tagging API: no AWS page found says that GetResources lists EventBridge rules, and the
trigger's connection and API destination take no tags at all. The rule is the trigger's anchor:
it carries sagectl's ownership tags, and a deletion that cannot delete the API destination or the
connection puts the rule back, with its tags, so what is left is found again.
"""

from __future__ import annotations

from reconciler.kinds.approval_trigger import desired as d
from reconciler.plan.context import MANAGED_BY, OwnedResource, PlanContext

RESOURCE_TYPE = "events:rule"


def list_owned(ctx: PlanContext) -> list[OwnedResource]:
    rules = ctx.aws.paginate("events", "list_rules", "Rules", NamePrefix=d.PREFIX,
                             EventBusName=d.EVENT_BUS)
    found = []
    for rule in rules:
        marked = d.parse_description(rule.get("Description"))
        if marked is None or not marked["address"].startswith(f"{d.KIND}."):
            continue
        listed = ctx.aws.client("events").list_tags_for_resource(
            ResourceARN=rule["Arn"]).get("Tags", [])
        tags = {t["Key"]: t.get("Value", "") for t in listed}
        if tags.get(MANAGED_BY) == "sagectl":
            found.append(OwnedResource(rule["Arn"], RESOURCE_TYPE, tags))
    return found
