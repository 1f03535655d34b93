"""``sagectl apply`` as one function: resume what a killed run left in flight, plan, check a saved
plan against the fresh one, execute."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from reconciler.apply.context import ApplyContext, Outcome
from reconciler.apply.executor import ApplyResult, execute
from reconciler.kinds import KINDS
from reconciler.plan.context import PlanOptions
from reconciler.plan.model import Plan
from reconciler.plan.planner import make_plan
from reconciler.plan.stale import Moved, stale
from reconciler.spec.resolve import SpecSet


@dataclass
class ApplyRun:
    plan: Plan
    resumed: list[Outcome] = field(default_factory=list)
    moved: list[Moved] = field(default_factory=list)
    result: ApplyResult | None = None


def resume(actx: ApplyContext, specs: SpecSet) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for kind in KINDS.values():
        names = [r.name for r in specs.resources if r.kind == kind.kind]
        if names:
            outcomes += kind.recover(actx, names)
    return outcomes


def prepare(actx: ApplyContext, specs: SpecSet, repo_root: Path,
            plan_options: PlanOptions | None = None, saved: Plan | None = None) -> ApplyRun:
    """Resume, then plan; with a saved plan, what moved since it was made. The fresh plan keeps
    the saved plan's pins (e.g. the registry version it resolved), so what was reviewed is what
    is deployed."""
    resumed = resume(actx, specs)
    if saved is not None:
        plan_options = replace(plan_options or PlanOptions(), pins=dict(saved.pins))
    plan = make_plan(specs, actx.aws, repo_root, plan_options)
    run = ApplyRun(plan, resumed)
    if saved is not None:
        run.moved = stale(saved, plan)
        if not run.moved:
            for old, new in zip(saved.resource_changes, plan.resource_changes, strict=True):
                if [s.request_digest for s in old.steps] != [s.request_digest for s in new.steps]:
                    run.moved.append(Moved(new.address, "its requests differ from the plan's"))
    return run


def apply_plan(actx: ApplyContext, run: ApplyRun) -> ApplyRun:
    run.result = execute(actx, run.plan)
    return run
