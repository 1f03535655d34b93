"""Running drift: plan, classify (from what the plan read); and heal.

Healing applies only the ``out_of_band`` and ``missing`` changes (with the changes they depend
on that are themselves healable), through the same guarded apply, as an *automatic* run: a
quarantined spec is never re-applied. Afterwards drift runs again, so the report says what is
left.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from reconciler.apply.context import ApplyContext
from reconciler.apply.graph import ApplyResult, execute
from reconciler.apply.stage import resume
from reconciler.apply.state import StateTable
from reconciler.aws import Aws
from reconciler.contract import Registry
from reconciler.drift.classify import HEALABLE, DriftReport, classify
from reconciler.plan.context import PlanOptions, with_key
from reconciler.plan.early import EarlyReads
from reconciler.plan.planner import plan_with_context
from reconciler.spec.resources import SpecSet


def drift(specs: SpecSet, aws: Aws, state: StateTable, repo_root: Path,
          options: PlanOptions | None = None, early: EarlyReads | None = None) -> DriftReport:
    options = options or PlanOptions(state_table=state.name)  # the digest key is read there
    plan, ctx = plan_with_context(specs, aws, repo_root, options, early)
    return classify(plan, ctx, state)


def heal(actx: ApplyContext, kinds: Registry, report: DriftReport) -> ApplyResult:
    """Apply the healable changes of ``report`` (an automatic run)."""
    healable = {i.address for i in report.items if i.drift_class in HEALABLE}
    changes = [c for c in report.plan.resource_changes if c.address in healable]
    actx.options = replace(actx.options, automatic=True, force=False)
    return execute(actx, replace(report.plan, resource_changes=changes), kinds)


def drift_and_heal(actx: ApplyContext, specs: SpecSet, repo_root: Path,
                   options: PlanOptions | None = None
                   ) -> tuple[DriftReport, ApplyResult | None, DriftReport]:
    """(drift before, the heal's result or None if nothing was healable, drift after)."""
    resume(actx, specs)
    options = with_key(actx.state, specs.env_name, options)  # heals with the environment's key
    before = drift(specs, actx.aws, actx.state, repo_root, options)
    if not any(i.drift_class in HEALABLE for i in before.items):
        return before, None, before
    result = heal(actx, specs.kinds, before)
    after = drift(specs, actx.aws, actx.state, repo_root, options)
    return before, result, after
