"""The apply stage, ``sagectl apply`` as functions: resume what a killed run left in flight, plan,
check a saved plan against the fresh one (``prepare``), execute on the dependency graph
(``apply_plan``, ``graph.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from reconciler.apply.context import ApplyContext, Outcome
from reconciler.apply.graph import ApplyResult, execute
from reconciler.contract import Registry
from reconciler.plan.context import PlanContext, PlanOptions, with_key
from reconciler.plan.digest_key import provisional_refusal
from reconciler.plan.model import Plan
from reconciler.plan.planner import plan_with_context
from reconciler.plan.stale import PIN, Moved, stale
from reconciler.spec.resources import SpecSet


@dataclass
class ApplyRun:
    plan: Plan
    kinds: Registry
    resumed: list[Outcome] = field(default_factory=list)
    moved: list[Moved] = field(default_factory=list)
    result: ApplyResult | None = None


def resume(actx: ApplyContext, specs: SpecSet) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for kind in specs.kinds.values():
        names = [r.name for r in specs.resources if r.kind == kind.kind]
        if names:
            outcomes += kind.recover(actx, names)
    return outcomes


def prepare(actx: ApplyContext, specs: SpecSet, repo_root: Path,
            plan_options: PlanOptions | None = None, saved: Plan | None = None) -> ApplyRun:
    """Resume, then plan. With a saved plan, the fresh plan keeps its pins (e.g. the registry
    version it resolved), so what was reviewed is what is deployed, and ``run.moved`` lists every
    reason not to apply it: what moved since it was made, what differs from the fresh plan
    (an edit), and pins their kind no longer accepts. The saved plan is never executed itself:
    the fresh plan is, once nothing separates the two."""
    resumed = resume(actx, specs)
    plan_options = with_key(actx.state, specs.env_name, plan_options)  # created if missing
    if saved is not None:
        plan_options = replace(plan_options, pins=dict(saved.pins))
    plan, ctx = plan_with_context(specs, actx.aws, repo_root, plan_options)
    run = ApplyRun(plan, specs.kinds, resumed)
    if saved is not None:
        refused = provisional_refusal(saved)
        run.moved = ([Moved("(digest key)", refused)] if refused
                     else stale(saved, plan) + check_pins(specs.kinds, ctx, saved.pins))
    return run


def check_pins(kinds: Registry, ctx: PlanContext, pins: dict[str, str]) -> list[Moved]:
    """Each pin of a saved plan, asked of the kind that makes it (``Kind.check_pin``)."""
    moved = []
    for key, value in sorted(pins.items()):
        makers = [k for k in kinds.values() if k.pin_prefix and key.startswith(k.pin_prefix)]
        why = (makers[0].check_pin(ctx, key, value) if makers
               else "no resource kind makes a pin like this")
        if why:
            moved.append(Moved(f"pin {key}", why, PIN))
    return moved


def apply_plan(actx: ApplyContext, run: ApplyRun) -> ApplyRun:
    run.result = execute(actx, run.plan, run.kinds)
    return run
