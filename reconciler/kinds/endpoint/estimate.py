"""What a deployment means for a fleet: its strategy in plain words, how long it can take, and how
many instances run at the peak.

Timeline model (the emulator uses the same): a blue/green deployment provisions the whole new
fleet, then shifts traffic in steps with a bake (WaitIntervalInSeconds) after each, then keeps the
old fleet for TerminationWaitInSeconds; a rolling deployment provisions and bakes batch by batch.
Durations of provisioning are estimates: SageMaker does not publish them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from reconciler.kinds.endpoint import exclusions
from reconciler.kinds.endpoint.deployment import CapacitySize, DeploymentConfig
from reconciler.kinds.endpoint.exclusions import Exclusion
from reconciler.kinds.endpoint.spec import EndpointSpec

PROVISION_SECONDS = 600
"""Bringing up a new fleet (or one rolling batch): an estimate."""
ROLLBACK_SECONDS = 300
"""Shifting traffic back to the old fleet after a failed deploy: an estimate."""
WEIGHTS_SECONDS = 60


def _fmt(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds / 3600:.1f} h"


def _instances(size: CapacitySize, count: int) -> int:
    if size.type == "INSTANCE_COUNT":
        return size.value
    return max(1, math.ceil(count * size.value / 100))


@dataclass
class Rollout:
    strategy: str
    steps: list[str] = field(default_factory=list)
    shift_seconds: int = 0
    """Bakes between traffic shifts, plus the termination wait."""
    timeout: int | None = None
    peak_extra: int = 0
    """Instances running in addition to the current fleet at the peak."""
    provisions: int = 1


def rollout(spec: EndpointSpec, counts: dict[str, int],
            excluded: Exclusion | None = None) -> Rollout:
    """``counts``: the instance count each instance-based production variant will have;
    ``excluded``: AWS runs no guardrails on this endpoint, whatever the policy says."""
    cfg = spec.deployment_config or DeploymentConfig()
    total = sum(counts.values())
    smallest = min(counts.values()) if counts else 0
    if excluded is not None and spec.deployment_config is not None:
        fleet = (f"provision a new fleet of {total} instance(s) next to the current one" if total
                 else "provision the new serverless variant next to the current one")
        return Rollout(exclusions.strategy(excluded), [fleet, "all traffic on the new fleet",
                                            "terminate the old fleet (no baking period)"],
                       0, None, total)
    rolling = cfg.rolling_update_policy
    if rolling is not None:
        batch = _instances(rolling.maximum_batch_size, smallest or 1)
        batches = math.ceil((smallest or 1) / batch)
        wait = rolling.wait_interval_in_seconds
        steps = [f"rolling: {batches} batch(es) of {batch} instance(s): provision, "
                 f"bake {wait} s"]
        return Rollout("rolling", steps, batches * wait,
                       rolling.maximum_execution_timeout_in_seconds, batch, batches)
    bg = cfg.blue_green_update_policy
    kind = bg.traffic_routing_configuration.type if bg else "ALL_AT_ONCE"
    wait = bg.traffic_routing_configuration.wait_interval_in_seconds if bg else 0
    termination = bg.termination_wait_in_seconds if bg else 0
    steps = ([f"provision a new fleet of {total} instance(s) next to the current one"] if total
             else ["provision the new serverless variant next to the current one"])
    shifts: list[str]
    if kind == "CANARY" and bg and bg.traffic_routing_configuration.canary_size:
        size = bg.traffic_routing_configuration.canary_size
        canary = _instances(size, smallest or 1)
        share = f"{size.value}%" if size.type == "CAPACITY_PERCENT" else (
            f"{round(100 * canary / smallest)}% of {smallest}" if smallest else "")
        shifts = [f"canary of {canary} instance(s) per variant ({share}) takes traffic",
                  "all traffic on the new fleet"]
    elif kind == "LINEAR" and bg and bg.traffic_routing_configuration.linear_step_size:
        size = bg.traffic_routing_configuration.linear_step_size
        pct = size.value if size.type == "CAPACITY_PERCENT" else (
            100 * size.value / smallest if smallest else 10)
        n = max(1, math.ceil(100 / pct))
        shifts = [f"{min(100, round(pct * (i + 1)))}% of traffic on the new fleet"
                  for i in range(n)]
    else:
        shifts = ["all traffic on the new fleet"]
    for shift in shifts:
        bake = f" -> bake {wait} s" if wait else ""
        steps.append(f"{shift}{bake}")
    if termination:
        steps.append(f"keep the old fleet {termination} s, then terminate it")
    else:
        steps.append("terminate the old fleet")
    strategy = {"CANARY": "blue/green canary", "LINEAR": "blue/green linear"}.get(
        kind, "blue/green all at once")
    timeout = bg.maximum_execution_timeout_in_seconds if bg else None
    return Rollout(strategy, steps, len(shifts) * wait + termination, timeout, total)


@dataclass
class Estimate:
    expected_seconds: int
    worst_case_seconds: int
    peak_instances: int
    lines: list[str]


def update_estimate(spec: EndpointSpec, live_total: int, counts: dict[str, int],
                    excluded: Exclusion | None = None) -> tuple[Rollout, Estimate]:
    plan = rollout(spec, counts, excluded)
    bake = spec.bake.duration_in_seconds
    rollout_seconds = plan.provisions * PROVISION_SECONDS + plan.shift_seconds
    expected = rollout_seconds + bake
    bounded = max(rollout_seconds, plan.timeout) if plan.timeout else rollout_seconds
    worst = bounded + bake + ROLLBACK_SECONDS
    peak = live_total + plan.peak_extra
    lines = [f"strategy: {plan.strategy}: " + " -> ".join(plan.steps)]
    if bake:
        lines.append(f"then sagectl bakes {bake} s, watching the rollback alarms")
    lines.append(f"takes about {_fmt(expected)}, at worst {_fmt(worst)} (timeout, bake and a "
                 "rollback)")
    if plan.peak_extra:
        lines.append(f"peak {peak} instances during the deploy ({live_total} running + "
                     f"{plan.peak_extra} new): needs quota for them")
    return plan, Estimate(expected, worst, peak, lines)
