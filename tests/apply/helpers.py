"""Applying specs against the in-process emulator through sagectl's own apply."""

from __future__ import annotations

import io
from pathlib import Path

from reconciler.apply.clock import EmulatorClock
from reconciler.apply.context import ApplyContext, ApplyOptions, Events
from reconciler.apply.stage import ApplyRun, apply_plan, prepare
from reconciler.apply.state import StateTable, new_run_id
from reconciler.cli.registry import KINDS
from reconciler.plan.context import PlanOptions
from reconciler.plan.model import Plan
from reconciler.spec.load import load_specs
from sagemaker_emulator import Emulator
from tests.plan.helpers import aws_for


def context(emu: Emulator, max_attempts: int = 2, **options: object) -> ApplyContext:
    aws = aws_for(emu, concurrency=8, max_attempts=max_attempts)
    clock = EmulatorClock(emu)
    return ApplyContext(aws=aws, state=StateTable(aws, now=clock.now), clock=clock,
                        run_id=new_run_id(), owner="test", commit="0" * 40,
                        events=Events(json_lines=True, out=io.StringIO()),
                        options=ApplyOptions(**options))  # type: ignore[arg-type]


def apply(emu: Emulator, specs: Path, saved: Plan | None = None, env: str = "dev",
          prune: bool | None = None, max_attempts: int = 2, **options: object) -> ApplyRun:
    loaded = load_specs(specs, KINDS, env)
    assert loaded.ok, [d.text() for d in loaded.report.errors]
    actx = context(emu, max_attempts, **options)
    try:
        run = prepare(actx, loaded, specs.parent, PlanOptions(prune=prune), saved)
        assert not run.plan.errors, run.plan.errors
        if run.moved:
            return run
        return apply_plan(actx, run)
    finally:
        actx.aws.close()


def statuses(run: ApplyRun) -> dict[str, str]:
    assert run.result is not None
    return {o.address: o.status for o in run.result.outcomes}


def endpoint(emu: Emulator, name: str) -> dict[str, object]:
    return emu.client("sagemaker", "eu-west-1").describe_endpoint(EndpointName=name)


def targets(emu: Emulator, account: str = "111111111111") -> dict[str, tuple[int, int]]:
    """Scalable targets of the ``sagemaker`` namespace: resource id -> (min, max)."""
    aws = aws_for(emu, account)
    try:
        found = aws.client("application-autoscaling").describe_scalable_targets(
            ServiceNamespace="sagemaker")["ScalableTargets"]
        return {t["ResourceId"]: (t["MinCapacity"], t["MaxCapacity"]) for t in found}
    finally:
        aws.close()
