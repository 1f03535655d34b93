"""What only the approval trigger knows of its drift, from what its plan observed.

The generic rules classify a change by the digest in the rule's ownership tag: the spec is the
one last applied and the live parts differ (a hand-edited pattern or state, a removed target, a
de-authorized connection) is ``out_of_band``. Two cases need the kind: a rule deleted outside
sagectl (no tag left to read: its connection and API destination are still there) is
``missing``, and a rotated token is ``out_of_band`` with the reason said.
"""

from __future__ import annotations

from reconciler.drift.classify import WHY, DriftItem, KindDrift
from reconciler.kinds.approval_trigger import desired as d
from reconciler.kinds.approval_trigger.reasons import ApprovalTriggerReason
from reconciler.plan.context import DIGEST_TAG, PlanContext
from reconciler.plan.model import ResourceChange


def classify(ctx: PlanContext, changes: list[ResourceChange]) -> KindDrift:
    found = KindDrift()
    observed = ctx.observed.get(d.KIND, {})
    for change in changes:
        seen = observed.get(change.address, {})
        name = d.aws_name(change.name)
        if seen.get("rule_missing"):
            found.classified[change.address] = DriftItem(
                change.address, change.kind, change.name, "missing",
                f"its EventBridge rule {name} is gone (deleted outside sagectl); its connection "
                "or API destination is still there", change.diff)
            continue
        if change.action_reason != ApprovalTriggerReason.TOKEN_ROTATED:
            continue
        owned = ctx.ownership.get(ctx.arn("events", f"rule/{name}"))
        recorded = owned.tags.get(DIGEST_TAG) if owned else None
        if recorded and recorded == ctx.digests.get(change.address):
            found.classified[change.address] = DriftItem(
                change.address, change.kind, change.name, "out_of_band",
                f"{WHY['out_of_band']}: the token secret has a new current version (rotated); "
                f"connection {name} still sends the one it was authorized with", change.diff)
    return found
