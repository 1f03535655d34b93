"""What a specification change means for reviewers: the rolling batches step by step, the peak
of extra copies (and instances) during the rollout, its duration, copies against capacity.

AWS: "For each step, SageMaker AI provisions capacity on the new endpoint fleet, routes traffic
to that fleet, and terminates capacity on the old endpoint fleet" (InferenceComponentRolling-
UpdatePolicy), so one batch of new copies runs next to the old ones at each step: the peak is
one batch more, next to the other components' copies on the variant. A peak that needs more
instances than the variant can have is a warning: the batch finds no room, and AWS documents
only that capacity shortfalls cause "update failures and rollbacks" (sagemaker-rules.md rule
53; the emulator rolls back). How long a batch takes to start is not known in advance;
the plan gives the baking it will take at least and the deadline
(``maximumExecutionTimeoutInSeconds``) it cannot exceed without rolling back.
"""

from __future__ import annotations

import math
from typing import Any

from reconciler.kinds.inference_component import capacity
from reconciler.kinds.inference_component.hosts import Host
from reconciler.kinds.inference_component.spec import (
    DeploymentConfig,
    InferenceComponentSpec,
    batch_copies,
)


def rolling(spec: InferenceComponentSpec, copies: int, host: Host | None,
            offer: capacity.Offer | None, old_needs: dict[str, float],
            others: list[capacity.Copies] | None = None) -> tuple[list[str], dict[str, Any]]:
    """(summary lines, machine-readable consequences) of rolling ``copies`` copies to the
    spec's specification, next to ``others`` (the other components' live copies on the
    variant). ``no_room`` in the consequences: the warning when the peak cannot fit."""
    cfg: DeploymentConfig | None = spec.deployment_config
    if copies <= 0:
        return ["no copies run: the new specification applies to the copies started later"], \
            {"copies": 0}
    if cfg is None:
        return [f"replaces its {copies} cop{'y' if copies == 1 else 'ies'} with SageMaker's "
                "default deployment (no deploymentConfig: not documented by AWS)"], \
            {"copies": copies}
    policy = cfg.rolling_update_policy
    batch = min(copies, batch_copies(policy.maximum_batch_size, copies))
    batches = math.ceil(copies / batch)
    lines = [f"rolling update of {copies} copies in {batches} batch"
             f"{'' if batches == 1 else 'es'} of up to {batch}, each baked "
             f"{policy.wait_interval_in_seconds} s while SageMaker watches "
             + (", ".join(cfg.alarm_names()) or "no alarm")]
    done = 0
    for i in range(batches):
        step = min(batch, copies - done)
        done += step
        lines.append(f"  batch {i + 1}: {step} new cop{'y' if step == 1 else 'ies'} start next "
                     f"to the old ones, then {step} old stop ({done}/{copies} replaced)")
    baking = batches * policy.wait_interval_in_seconds
    timeout = policy.maximum_execution_timeout_in_seconds
    lines.append(f"takes at least {baking} s of baking plus the time each batch takes to start; "
                 + (f"at most {timeout} s (maximumExecutionTimeoutInSeconds: then SageMaker "
                    "rolls back)" if timeout else "no deadline is set "
                    "(maximumExecutionTimeoutInSeconds)"))
    out: dict[str, Any] = {"copies": copies, "batch_copies": batch, "batches": batches,
                           "peak_extra_copies": batch, "baking_seconds": baking,
                           "timeout_seconds": timeout}
    new_needs = capacity.needs_of(spec.specification.compute_resource_requirements)
    if host is not None and offer is not None and host.maximum:
        beside = list(others or [])
        now = capacity.lower_bound(offer, [capacity.Copies("old", copies, old_needs), *beside])
        peak = capacity.lower_bound(offer, [capacity.Copies("old", copies, old_needs),
                                            capacity.Copies("new", batch, new_needs), *beside])
        out.update(instances_now=now, instances_at_peak=peak, instance_maximum=host.maximum)
        t = offer.instance_type
        held = sum(c.count for c in beside)
        also = f" (with {held} cop{'y' if held == 1 else 'ies'} of other components)" \
            if held else ""
        if peak <= now:
            lines.append(f"peak: {copies + batch} copies{also}, no extra instance needed (at "
                         f"least {now} x {t} hold them)")
        else:
            lines.append(f"peak: {copies + batch} copies{also} need at least {peak} x {t} "
                         f"during the rollout ({peak - now} more than now); {host.limit}")
        if peak > host.maximum:
            out["no_room"] = (
                f"the rolling update cannot find room: {copies} old + {batch} new copies"
                f"{also} need at least {peak} x {t} at each batch, {peak - host.maximum} more "
                f"than the variant can have ({host.limit}); the first batch cannot be placed. "
                "AWS does not document what follows; it describes capacity shortfalls as "
                "\"causing update failures and rollbacks\": expect the update to fail and the "
                "component to stay on its current specification")
            lines.append(f"the update is expected to fail: {out['no_room']}")
    return lines, out


def capacity_line(spec: InferenceComponentSpec, host: Host | None,
                  offer: capacity.Offer | None) -> str | None:
    """What the component's copies take of its variant, at their most (the autoscaler's
    maximum, else the spec's count), for reviewers; None when the fit cannot be stated (an
    adapter, an unknown instance type, a copy no instance holds: ``hosts.fit_problems`` says
    why)."""
    if spec.specification.is_adapter or host is None or offer is None:
        return None
    needs = capacity.needs_of(spec.specification.compute_resource_requirements)
    per = capacity.per_instance(offer, needs)
    most = spec.max_copies()
    if per == 0 or not most:
        return None
    t = offer.instance_type
    return (f"capacity: at most {most} cop{'y' if most == 1 else 'ies'}, {per} per {t}, need "
            f"{math.ceil(most / per)} x {t} for this component"
            + (f"; {host.limit}" if host.limit else ""))
