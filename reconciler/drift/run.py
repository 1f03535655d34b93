"""Running drift: plan, read what classification needs, classify; and heal.

Healing applies only the ``out_of_band`` and ``missing`` changes (with the changes they depend
on that are themselves healable), through the same guarded apply, as an *automatic* run: a
quarantined spec is never re-applied. Afterwards drift runs again, so the report says what is
left.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from reconciler.apply.context import ApplyContext
from reconciler.apply.graph import ApplyResult, execute
from reconciler.apply.stage import resume
from reconciler.apply.state import StateError, StateTable
from reconciler.aws import Aws
from reconciler.contract import Registry
from reconciler.drift.classify import HEALABLE, DriftReport, classify
from reconciler.kinds._live import not_found
from reconciler.plan.context import PlanOptions, with_key
from reconciler.plan.planner import plan_with_context
from reconciler.spec.resources import SpecSet


def _describe_endpoints(aws: Aws, specs: SpecSet) -> dict[str, Any]:
    names = [r.name for r in specs.resources if r.kind == "Endpoint"]

    def describe(name: str) -> dict[str, Any] | None:
        try:
            return aws.client("sagemaker").describe_endpoint(  # type: ignore[no-any-return]
                EndpointName=name)
        except ClientError as err:
            if not_found(err):
                return None
            raise

    found = aws.map(describe, names)
    return {n: d for n, d in zip(names, found, strict=True) if d is not None}


def _quarantine(state: StateTable, names: list[str]) -> dict[str, Any]:
    """Quarantine records by endpoint; none when the state table does not exist (drift is
    read-only: it never creates it)."""
    out: dict[str, Any] = {}
    try:
        for name in names:
            found = state.quarantined(name)
            if found:
                out[name] = found
    except StateError:
        return {}
    return out


def drift(specs: SpecSet, aws: Aws, state: StateTable, repo_root: Path,
          options: PlanOptions | None = None) -> DriftReport:
    options = options or PlanOptions(state_table=state.name)  # the digest key is read there
    plan, ctx = plan_with_context(specs, aws, repo_root, options)
    described = _describe_endpoints(aws, specs)
    return classify(plan, ctx, described, _quarantine(state, list(described)))


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
