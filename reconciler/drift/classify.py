"""Drift: every difference between live AWS and the specs, with a class that says what to do.

The plan already knows *what* differs; drift says *why*, from what the plan read:

- ``out_of_band``: an owned resource differs although its spec did not change since sagectl last
  applied it (the digest in its ownership tag is the one the specs give now): someone changed it
  by hand. Healed by ``--heal``.
- ``missing``: in the specs, absent in AWS (and never created in another version). Healed.
- ``pending``: the specs changed and no apply has made the change yet (the tag holds an older
  digest, a new model version is not created, an owned resource left the specs): the merge's
  apply did not run or did not finish. Actionable, never healed (that is apply's job).
- ``failed_deployment``: the last deployment did not succeed (an endpoint Failed, or quarantined
  after a rollback of the spec it should run). Actionable, never healed (a human must look).
- ``unmanaged``: a resource with a spec's name that sagectl does not own. Actionable (import it
  or rename the spec), never healed.
- ``autoscaler``: the autoscaler moved a variant's capacity within its bounds. Information.
- ``system``: SageMaker's own activity (SystemUpdating, an update in flight): wait. Information.
- ``monitoring``: what a monitoring schedule's latest execution found (Failed, or completed with
  violations of its baseline). Information: the schedule is as specified; the data or the model
  may need a look.

The generic rules (ownership digests) are here; what only a kind knows (an endpoint's status and
quarantine, capacity its autoscaler moved, a model version not created yet) the kind says
(``Kind.drift``, a ``KindDrift``), from what its plan read. Reads nothing itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reconciler.plan.context import ADDRESS_TAG, DIGEST_TAG, PlanContext
from reconciler.plan.model import DiffEntry, Plan, ResourceChange

if TYPE_CHECKING:
    from reconciler.apply.state import StateTable

ACTIONABLE = ("out_of_band", "missing", "pending", "failed_deployment", "unmanaged")
INFORMATIONAL = ("autoscaler", "system", "monitoring")
HEALABLE = ("out_of_band", "missing")

WHY = {
    "out_of_band": "changed outside sagectl: its spec is the one last applied, the live state "
                   "is not",
    "missing": "in the specs, not in AWS",
    "pending": "the specs changed and no apply has made the change yet",
    "failed_deployment": "the last deployment did not succeed",
    "unmanaged": "exists with this name but is not managed by sagectl",
    "autoscaler": "the autoscaler moved capacity within the scaling bounds (left alone)",
    "system": "SageMaker is working on it; wait",
    "monitoring": "the latest monitoring execution failed or found violations (information)",
}


@dataclass
class DriftItem:
    address: str
    kind: str
    name: str
    drift_class: str
    reason: str
    diff: list[DiffEntry] = field(default_factory=list)

    @property
    def actionable(self) -> bool:
        return self.drift_class in ACTIONABLE

    def as_dict(self) -> dict[str, Any]:
        return {"address": self.address, "kind": self.kind, "name": self.name,
                "class": self.drift_class, "actionable": self.actionable, "reason": self.reason,
                "diff": [{"path": d.path, "live": d.before, "spec": d.after}
                         for d in self.diff]}


@dataclass
class KindDrift:
    """A kind's part of a drift check (``Kind.drift``)."""

    classified: dict[str, DriftItem] = field(default_factory=dict)
    """Items for some of the kind's changes, by address: the kind knows their class better than
    the generic rules (a failed deployment, SageMaker at work, a new version not created yet)."""
    items: list[DriftItem] = field(default_factory=list)
    """Drift that no change shows (capacity the autoscaler moved, an endpoint that is broken
    with nothing to change)."""


@dataclass
class DriftReport:
    plan: Plan
    items: list[DriftItem] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Plan problems that are not drift (e.g. a create-only field changed): shown, not classed."""

    @property
    def actionable(self) -> bool:
        return any(i.actionable for i in self.items)

    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(ACTIONABLE + INFORMATIONAL, 0)
        for item in self.items:
            counts[item.drift_class] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        p = self.plan
        return {"format_version": 1, "env": p.env, "account": p.account, "region": p.region,
                "git_commit": p.git_commit, "actionable": self.actionable,
                "summary": self.summary(), "drift": [i.as_dict() for i in self.items],
                "problems": self.problems}


def _live_tags(ctx: PlanContext) -> dict[str, dict[str, str]]:
    """Ownership tags by address, from the resource that carries the address first: of the
    resource types of a kind, the first (an endpoint and its configs share one address: the
    endpoint wins)."""
    rank = {t: i for kind in ctx.specs.kinds.values() for i, t in enumerate(kind.resource_types)}
    out: dict[str, dict[str, str]] = {}
    for owned in sorted(ctx.ownership.by_arn.values(),
                        key=lambda r: (rank.get(r.resource_type, len(rank)), r.arn)):
        address = owned.tags.get(ADDRESS_TAG)
        if address and (owned.env or "") == (ctx.env or "") and address not in out:
            out[address] = owned.tags
    return out


def _classify_change(change: ResourceChange, ctx: PlanContext, tags: dict[str, dict[str, str]],
                     classified: dict[str, DriftItem]) -> DriftItem:
    def item(drift_class: str, reason: str | None = None) -> DriftItem:
        return DriftItem(change.address, change.kind, change.name, drift_class,
                         reason or WHY[drift_class], change.diff)

    if change.actions == ["delete"]:
        return item("pending", "owned, no longer in the specs, not deleted yet")
    if change.address in classified:
        return classified[change.address]
    if change.actions == ["create"]:
        return item("missing")
    recorded = tags.get(change.address, {}).get(DIGEST_TAG)
    wanted = ctx.digests.get(change.address)
    if recorded and wanted and recorded == wanted:
        return item("out_of_band")
    return item("pending")


def classify(plan: Plan, ctx: PlanContext, state: StateTable) -> DriftReport:
    """``ctx``: the context ``plan`` was made in (what its kinds observed); ``state``: the state
    table, which the kinds may read (never write)."""
    report = DriftReport(plan)
    tags = _live_tags(ctx)
    unmanaged = [p for p in plan.problems if "not managed by sagectl" in p.message]
    seen = {c.address for c in plan.resource_changes} | {p.address for p in unmanaged}
    classified: dict[str, DriftItem] = {}
    more: list[DriftItem] = []
    for kind in ctx.specs.kinds.values():
        found = kind.drift(ctx, state, [c for c in plan.resource_changes if c.kind == kind.kind
                                        and c.actions != ["delete"]], seen)
        if found is not None:
            classified.update(found.classified)
            more += found.items
    for change in plan.resource_changes:
        report.items.append(_classify_change(change, ctx, tags, classified))
    for problem in plan.problems:
        if problem in unmanaged:
            kind, _, name = problem.address.partition(".")
            report.items.append(DriftItem(problem.address, kind, name, "unmanaged",
                                          problem.message + (f" ({problem.hint})"
                                                             if problem.hint else "")))
        elif problem.severity == "error":
            report.problems.append(f"{problem.address}: {problem.message}")
    report.items += more
    order = {c: i for i, c in enumerate(ACTIONABLE + INFORMATIONAL)}
    report.items.sort(key=lambda i: (order[i.drift_class], i.address))
    return report
