"""How an endpoint update is rolled out: SageMaker's DeploymentConfig plus sagectl's bake.

``deploymentConfig`` mirrors the boto3 ``DeploymentConfig`` field for field, so it is passed to
UpdateEndpoint as is. botocore only checks minimums; the limits below come from the SageMaker API
reference (BlueGreenUpdatePolicy, TrafficRoutingConfig, RollingUpdatePolicy, AutoRollbackConfig)
and are enforced here so that a bad policy fails in review, not hours into a deploy.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import Field

from reconciler.contract import CheckContext, Issue, SpecModel
from reconciler.kinds._guardrails import (  # noqa: F401 (the endpoint's names for them)
    AlarmReference,
    AutoRollbackConfiguration,
    Bake,
    monitor_alarm_warnings,
)
from reconciler.kinds.endpoint.variants import ProductionVariant
from reconciler.spec.nodes import Path

Wait = Annotated[int, Field(ge=0, le=3600)]
Timeout = Annotated[int, Field(ge=600, le=28800)]


class CapacitySize(SpecModel):
    type: Literal["INSTANCE_COUNT", "CAPACITY_PERCENT"]
    value: Annotated[int, Field(ge=1)]


class TrafficRoutingConfiguration(SpecModel):
    type: Literal["ALL_AT_ONCE", "CANARY", "LINEAR"]
    """`ALL_AT_ONCE`: one shift; `CANARY`: a small share first, then the rest; `LINEAR`: equal
    steps."""
    wait_interval_in_seconds: Wait
    """Baking time between traffic shifts, while the rollback alarms are watched (0-3600)."""
    canary_size: CapacitySize | None = None
    """For CANARY: at most 50% of the variant's instance count."""
    linear_step_size: CapacitySize | None = None
    """For LINEAR: 10-50% of the variant's instance count."""


class BlueGreenUpdatePolicy(SpecModel):
    traffic_routing_configuration: TrafficRoutingConfiguration
    termination_wait_in_seconds: Wait = 0
    """Keep the old fleet this long after the shift completes (0-3600), for a fast rollback."""
    maximum_execution_timeout_in_seconds: Timeout | None = None
    """Deadline for the whole deployment (600-28800), greater than the waits it contains."""


class RollingUpdatePolicy(SpecModel):
    maximum_batch_size: CapacitySize
    """5-50% of the variant's instance count per batch."""
    wait_interval_in_seconds: Wait
    maximum_execution_timeout_in_seconds: Timeout | None = None
    rollback_maximum_batch_size: CapacitySize | None = None


class DeploymentConfig(SpecModel):
    """Passed to UpdateEndpoint. Without a policy SageMaker uses blue/green, all at once."""

    blue_green_update_policy: BlueGreenUpdatePolicy | None = None
    rolling_update_policy: RollingUpdatePolicy | None = None
    auto_rollback_configuration: AutoRollbackConfiguration | None = None

    def alarm_names(self) -> list[str]:
        cfg = self.auto_rollback_configuration
        return [a.alarm_name for a in cfg.alarms] if cfg else []


def _n(count: int) -> str:
    return f"{count} instance{'' if count == 1 else 's'}"


def _percent_of(size: CapacitySize, count: int) -> float:
    return 100.0 * size.value / count if size.type == "INSTANCE_COUNT" else float(size.value)


def _check_size(size: CapacitySize, at: Path, what: str, low: int, high: int,
                variants: list[ProductionVariant]) -> Iterator[Issue]:
    """``size`` must be within [low, high] percent of every instance variant's count."""
    if size.type == "CAPACITY_PERCENT":
        if not low <= size.value <= high:
            yield Issue((*at, "value"), f"{what} must be {low}-{high}% of the variant's "
                                        f"instances, got {size.value}%")
        return
    instance_variants = [v for v in variants if not v.is_serverless and v.initial_instance_count]
    if not instance_variants and variants:
        yield Issue((*at, "type"), f"{what} of type INSTANCE_COUNT needs instance-based variants; "
                                   "use CAPACITY_PERCENT")
    for v in instance_variants:
        count = v.initial_instance_count
        assert count is not None
        pct = 100.0 * size.value / count
        if not low <= pct <= high:
            lo_n, hi_n = math.ceil(count * low / 100), math.floor(count * high / 100)
            allowed = (f"{lo_n}-{hi_n} instances" if lo_n < hi_n else _n(lo_n) if lo_n == hi_n
                       else f"not possible with {_n(count)}")
            yield Issue((*at, "value"), f"{what} of {_n(size.value)} is {pct:.0f}% of variant "
                                        f"{v.variant_name!r} ({_n(count)}); it must be "
                                        f"{low}-{high}% ({allowed})")


def shift_steps(routing: TrafficRoutingConfiguration, variants: list[ProductionVariant]) -> int:
    """Number of traffic shifts of a blue/green deployment."""
    if routing.type == "ALL_AT_ONCE":
        return 1
    if routing.type == "CANARY":
        return 2
    step = routing.linear_step_size
    if step is None:
        return 1
    counts = [v.initial_instance_count for v in variants
              if not v.is_serverless and v.initial_instance_count]
    pct = min((_percent_of(step, c) for c in counts), default=float(step.value))
    return max(1, math.ceil(100.0 / max(pct, 1e-9)))


def check_deployment(cfg: DeploymentConfig, bake: Bake, at: Path, bake_at: Path,
                     variants: list[ProductionVariant], ctx: CheckContext,
                     excluded: bool = False) -> Iterator[Issue]:
    """The policy's own limits. ``excluded``: AWS runs no guardrails on this endpoint (the
    errors for that come from ``exclusions.check``)."""
    bg, rolling = cfg.blue_green_update_policy, cfg.rolling_update_policy
    if bg is not None and rolling is not None:
        yield Issue((*at, "rollingUpdatePolicy"), "set either blueGreenUpdatePolicy or "
                                                  "rollingUpdatePolicy, not both")
    if bg is not None:
        yield from _check_blue_green(bg, (*at, "blueGreenUpdatePolicy"), variants)
    if rolling is not None:
        yield from _check_rolling(rolling, (*at, "rollingUpdatePolicy"), variants)

    alarms = cfg.auto_rollback_configuration
    if alarms is not None:
        for i, ref in enumerate(alarms.alarms):
            if not ref.external and not ctx.defines("Alarm", ref.alarm_name):
                yield Issue((*at, "autoRollbackConfiguration", "alarms", i, "alarmName"),
                            f"alarm {ref.alarm_name!r} is not defined in the specs; define an "
                            "Alarm with that name or mark the reference `external: true`")
        yield from monitor_alarm_warnings(ctx, alarms.alarms,
                                          (*at, "autoRollbackConfiguration", "alarms"))
        names = [a.alarm_name for a in alarms.alarms]
        for i, name in enumerate(names):
            if name in names[:i]:
                yield Issue((*at, "autoRollbackConfiguration", "alarms", i, "alarmName"),
                            f"alarm {name!r} is listed twice")
    guarded = rolling is not None or (
        bg is not None and bg.traffic_routing_configuration.type != "ALL_AT_ONCE")
    if guarded and alarms is None and not excluded:
        yield Issue(at, "a canary, linear or rolling deployment without "
                        "autoRollbackConfiguration alarms cannot roll back automatically: "
                        "SageMaker only rolls back when an alarm fires", "warning")
    if bake.duration_in_seconds > 0 and alarms is None:
        yield Issue((*bake_at, "durationInSeconds"),
                    "a bake watches the rollback alarms: add "
                    "deploymentConfig.autoRollbackConfiguration.alarms, or set the bake to 0")


def _check_blue_green(bg: BlueGreenUpdatePolicy, at: Path,
                      variants: list[ProductionVariant]) -> Iterator[Issue]:
    routing = bg.traffic_routing_configuration
    r_at = (*at, "trafficRoutingConfiguration")
    needs = {"CANARY": "canarySize", "LINEAR": "linearStepSize"}.get(routing.type)
    for field, value in (("canarySize", routing.canary_size),
                         ("linearStepSize", routing.linear_step_size)):
        if field == needs and value is None:
            yield Issue(r_at, f"type {routing.type} needs `{field}`")
        elif field != needs and value is not None:
            yield Issue((*r_at, field), f"`{field}` does not apply to type {routing.type}")
    if routing.type == "CANARY" and routing.canary_size is not None:
        yield from _check_size(routing.canary_size, (*r_at, "canarySize"), "canarySize", 1, 50,
                               variants)
    if routing.type == "LINEAR" and routing.linear_step_size is not None:
        yield from _check_size(routing.linear_step_size, (*r_at, "linearStepSize"),
                               "linearStepSize", 10, 50, variants)
    timeout = bg.maximum_execution_timeout_in_seconds
    if timeout is not None:
        # The documented rule: larger than the waits configured. Between n shifts there are at
        # least n-1 waits (and one bake after an all-at-once shift), plus the termination wait.
        waits = max(1, shift_steps(routing, variants) - 1) * routing.wait_interval_in_seconds
        total = waits + bg.termination_wait_in_seconds
        if timeout <= total:
            yield Issue((*at, "maximumExecutionTimeoutInSeconds"),
                        f"maximumExecutionTimeoutInSeconds ({timeout}) must be greater than the "
                        f"waits it contains ({total} s: traffic-shift waits {waits} s + "
                        f"terminationWaitInSeconds {bg.termination_wait_in_seconds} s)")


def _check_rolling(rolling: RollingUpdatePolicy, at: Path,
                   variants: list[ProductionVariant]) -> Iterator[Issue]:
    if any(v.is_serverless for v in variants):
        yield Issue(at, "rolling updates are not supported for serverless endpoints; use "
                        "blueGreenUpdatePolicy")
    if len(variants) > 1:
        yield Issue(at, f"rolling updates are not supported for endpoints with several "
                        f"production variants ({len(variants)}); use blueGreenUpdatePolicy")
    yield from _check_size(rolling.maximum_batch_size, (*at, "maximumBatchSize"),
                           "maximumBatchSize", 5, 50, variants)
    rb = rolling.rollback_maximum_batch_size
    if rb is not None and rb.type == "CAPACITY_PERCENT" and rb.value > 100:
        yield Issue((*at, "rollbackMaximumBatchSize", "value"),
                    f"rollbackMaximumBatchSize cannot exceed 100%, got {rb.value}%")
