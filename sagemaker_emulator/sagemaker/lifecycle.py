"""Endpoint transitions on the simulated clock: create, update (blue/green or rolling, with
auto-rollback), weights and capacities, delete.

A transition is an ``Operation``: a timeline of steps computed when it starts. Nothing runs in the
background: ``observe`` brings an endpoint up to the current simulated time whenever anyone looks
at it, and the CloudWatch patch settles every endpoint just before and just after an alarm
changes state. Alarm states are therefore constant between observations, which makes the moment
an auto-rollback starts exact: the first instant, after the alarm was last checked, at which the
rollout was watching its alarms.

Deployment timeline (simulated seconds; D = provision, W = wait interval, T = termination wait):

- blue/green: new fleet [0, D) -> ALL_AT_ONCE: 100% + bake W; CANARY c%: c% for W, then 100% for
  W; LINEAR s%: ceil(100/s) steps of W -> termination wait T -> InService on the new config.
- rolling: per batch, provision D and bake W.
- alarms are watched from the first traffic shift to the end of the termination wait; one in
  ALARM starts a rollback, which ends InService on the old config with a FailureReason.
- a deployment still running at MaximumExecutionTimeoutInSeconds rolls back the same way. AWS
  documents only "Exceeding this limit causes a timeout" (RollingUpdatePolicy): that a timeout
  rolls back, and its FailureReason, are the emulator's choice (sagemaker-rules.md rule 21).
- endpoints that cannot use guardrails run all at once without baking: ``exclusions.py``.

Sources: "each step has a baking period during which your CloudWatch alarms monitor the green
fleet; if alarms trip during any baking period, all traffic rolls back" — developer guide,
deployment-guardrails-blue-green-linear.html, -canary.html, -all-at-once.html and
deployment-guardrails-rolling.html. The guide does not say in so many words that canary bakes
again after its final (100%) shift; the emulator assumes it does, like all-at-once and linear.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sagemaker_emulator.faults import EndpointFault
from sagemaker_emulator.sagemaker import pools
from sagemaker_emulator.sagemaker.store import Endpoint, EndpointConfig, Hosting, VariantState
from sagemaker_emulator.state import STATE

Params = dict[str, Any]


@dataclass
class Step:
    start: float
    end: float
    status: str
    """The endpoint's status during the step."""
    phase: str
    """VariantStatus vocabulary: Creating, Updating, ActivatingTraffic, Baking, Deleting."""
    traffic: int = 0
    """Percent of traffic on the new fleet."""
    watch: bool = False
    """Whether the rollback alarms are watched."""
    rollback: bool = False
    """Traffic is going back to the old fleet (no PendingDeploymentSummary is shown)."""


@dataclass
class Operation:
    kind: str  # create | update | weights | delete | rollback | system
    steps: list[Step]
    checked: float
    new_config: str | None = None
    new_variants: list[VariantState] | None = None
    alarms: list[str] = field(default_factory=list)
    fault: EndpointFault | None = None
    reason: str = ""
    end_status: str = "InService"
    deadline: float | None = None
    """MaximumExecutionTimeoutInSeconds after the start: the deployment times out there."""
    fleet_delta: Any = None
    """Instances per type being brought up next to the running fleet (quotas.py)."""

    @property
    def start(self) -> float:
        return self.steps[0].start

    @property
    def end(self) -> float:
        return self.steps[-1].end

    def step_at(self, t: float) -> Step:
        for step in self.steps:
            if step.start <= t < step.end:
                return step
        return self.steps[-1]


def when(t: float) -> datetime:
    return datetime.fromtimestamp(t, tz=UTC)


# -- starting transitions ---------------------------------------------------------------------

def variants_from_config(cfg: EndpointConfig, previous: Endpoint | None = None,
                         retain: bool = False, exclude: frozenset[str] = frozenset()
                         ) -> list[VariantState]:
    """Live variant states after deploying ``cfg`` (RetainAllVariantProperties semantics)."""
    out = []
    for shadow, variants in ((False, cfg.variants), (True, cfg.shadow_variants)):
        for v in variants:
            weight = float(v.get("InitialVariantWeight", 1.0))
            count = v.get("InitialInstanceCount")
            serverless = dict(v["ServerlessConfig"]) if v.get("ServerlessConfig") else None
            prev = previous.variant(v["VariantName"]) if previous else None
            if retain and prev is not None and serverless is None and not prev.is_serverless:
                if "DesiredWeight" not in exclude:
                    weight = prev.desired_weight
                if "DesiredInstanceCount" not in exclude:
                    count = prev.desired_count
            extra = {k: v[k] for k in ("RoutingConfig",) if k in v}
            types = pools.config_types(v)
            itype = pools.provisioned_type(v) or (types[0] if types else None)
            out.append(VariantState(v["VariantName"], itype, serverless,
                                    weight, weight, count, count, shadow, v.get("ModelName"),
                                    v.get("ManagedInstanceScaling"), extra,
                                    pools.ordered(v) or None))
    return out


def start_create(ep: Endpoint, fault: EndpointFault | None) -> None:
    now = STATE.clock.now()
    d = STATE.durations.create
    ep.operation = Operation("create", [Step(now, now + d, "Creating", "Creating")], now,
                             fault=fault)


def start_delete(ep: Endpoint) -> None:
    now = STATE.clock.now()
    ep.status = "Deleting"
    ep.operation = Operation("delete", [Step(now, now + STATE.durations.delete, "Deleting",
                                             "Deleting")], now)


def start_weights(ep: Endpoint, new_variants: list[VariantState]) -> None:
    """Desired values show at once; current values follow when the transition ends."""
    now = STATE.clock.now()
    ep.variants = new_variants
    ep.status = "Updating"
    ep.operation = Operation("weights", [Step(now, now + STATE.durations.weights, "Updating",
                                              "Updating")], now, new_variants=new_variants)


def _shift_steps(bg: Params, counts: list[int]) -> list[tuple[int, float]]:
    """(traffic %, duration) of each traffic-shifting step of a blue/green policy."""
    routing = bg["TrafficRoutingConfiguration"]
    wait = float(routing.get("WaitIntervalInSeconds", 0))
    kind = routing["Type"]
    if kind == "CANARY":
        size = routing["CanarySize"]
        count = min(counts) if counts else 0
        pct = size["Value"] if size["Type"] == "CAPACITY_PERCENT" else (
            round(100 * size["Value"] / count) if count else 10)
        return [(pct, wait), (100, wait)]
    if kind == "LINEAR":
        size = routing["LinearStepSize"]
        count = min(counts) if counts else 0
        pct = size["Value"] if size["Type"] == "CAPACITY_PERCENT" else (
            100 * size["Value"] / count if count else 10)
        n = max(1, math.ceil(100 / pct))
        return [(min(100, round(pct * (i + 1))), wait) for i in range(n)]
    return [(100, wait)]


def deployment_steps(start: float, deployment: Params | None, counts: list[int]) -> list[Step]:
    d = STATE.durations.provision
    steps: list[Step] = []
    rolling = (deployment or {}).get("RollingUpdatePolicy")
    if rolling:
        count = counts[0] if counts else 1
        size = rolling["MaximumBatchSize"]
        batch = size["Value"] if size["Type"] == "INSTANCE_COUNT" else max(
            1, math.ceil(count * size["Value"] / 100))
        batches = max(1, math.ceil(count / batch))
        wait = float(rolling.get("WaitIntervalInSeconds", 0))
        t = start
        for i in range(batches):
            traffic = round(100 * min(count, batch * (i + 1)) / count)
            steps.append(Step(t, t + d, "Updating", "Creating", round(100 * batch * i / count)))
            steps.append(Step(t + d, t + d + wait, "Updating", "Baking", traffic, watch=True))
            t += d + wait
        return steps
    bg = (deployment or {}).get("BlueGreenUpdatePolicy") or {
        "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}}
    steps.append(Step(start, start + d, "Updating", "Creating"))
    t = start + d
    for traffic, wait in _shift_steps(bg, counts):
        steps.append(Step(t, t + wait, "Updating", "Baking" if wait else "ActivatingTraffic",
                          traffic, watch=True))
        t += wait
    termination = float(bg.get("TerminationWaitInSeconds", 0))
    steps.append(Step(t, t + termination, "Updating", "Baking", 100, watch=True))
    return steps


def start_update(ep: Endpoint, cfg: EndpointConfig, new_variants: list[VariantState],
                 deployment: Params | None, fault: EndpointFault | None) -> None:
    now = STATE.clock.now()
    counts = [v.desired_count for v in new_variants if v.desired_count and not v.shadow]
    alarms = [a["AlarmName"] for a in
              ((deployment or {}).get("AutoRollbackConfiguration") or {}).get("Alarms", [])]
    d = STATE.durations.provision
    if fault is None:
        steps = deployment_steps(now, deployment, counts)
    elif fault.kind == "hang":
        steps = [Step(now, math.inf, "Updating", "Creating")]
    elif fault.kind == "fail":
        steps = [Step(now, now + d, "Updating", "Creating")]
    else:  # the new fleet fails, SageMaker rolls back (and maybe fails at that too)
        steps = [Step(now, now + d, "Updating", "Creating"),
                 Step(now + d, now + d + STATE.durations.rollback, STATE.rollback_status,
                      "Deleting", rollback=True)]
    policy = (deployment or {}).get("BlueGreenUpdatePolicy") or \
        (deployment or {}).get("RollingUpdatePolicy") or {}
    timeout = policy.get("MaximumExecutionTimeoutInSeconds")
    ep.status = "Updating"
    ep.failure_reason = ""
    ep.operation = Operation("update", steps, now, new_config=cfg.name, new_variants=new_variants,
                             alarms=alarms, fault=fault,
                             deadline=now + float(timeout) if timeout else None)


# -- observing --------------------------------------------------------------------------------

def first_watched(op: Any, after: float, until: float) -> float | None:
    """When in (``after``, ``until``] the first step of ``op`` that watches alarms does so (an
    endpoint's deployment, or an inference component's rolling update: same step shape)."""
    for step in op.steps:
        if not step.watch:
            continue
        lo, hi = max(after, step.start), min(until, step.end)
        if lo < hi or (lo == hi == until and step.start <= lo < step.end):
            return lo
    return None


def alarms_firing(hosting: Hosting, names: list[str]) -> list[str]:
    from sagemaker_emulator.cloudwatch import alarm_states

    states = alarm_states(hosting.account, hosting.region, names)
    return [n for n in names if states.get(n) == "ALARM"]


def _start_rollback(ep: Endpoint, at: float, reason: str) -> None:
    """SageMaker shifts all traffic back to the old fleet and ends InService on the old config
    (documented: "100% of the traffic shifts back to the blue fleet"). Which status the endpoint
    shows meanwhile, and whether PendingDeploymentSummary stays, AWS does not document
    (RollingBack is documented only for UpdateEndpointWeightsAndCapacities): the emulator shows
    ``STATE.rollback_status`` (settable, so tests run sagectl under each candidate) and no
    PendingDeploymentSummary. The FailureReason wording is the emulator's own (sagemaker-rules.md
    rule 26)."""
    status = STATE.rollback_status
    ep.status = status
    ep.operation = Operation("rollback", [Step(at, at + STATE.durations.rollback, status,
                                               "Deleting", rollback=True)], at, reason=reason)


def _finish(hosting: Hosting, ep: Endpoint, op: Operation) -> None:
    ep.operation = None
    ep.modified = when(op.end)
    if op.kind == "delete":
        hosting.endpoints.pop(ep.name, None)
        return
    if op.kind == "rollback":
        ep.status, ep.failure_reason = "InService", op.reason
        return
    fault = op.fault
    if fault is not None:
        ep.failure_reason = fault.reason
        ep.status = {"fail": "Failed", "silent_rollback": "InService",
                     "rollback_failed": "UpdateRollbackFailed"}[fault.kind]
        return
    if op.kind == "update":
        assert op.new_config is not None and op.new_variants is not None
        ep.config_name = op.new_config
        ep.variants = op.new_variants
    elif op.kind == "weights":
        assert op.new_variants is not None
        for v in op.new_variants:
            v.current_weight, v.current_count = v.desired_weight, v.desired_count
        ep.variants = op.new_variants
    ep.status, ep.failure_reason = "InService", ""


def start_system_update(ep: Endpoint, seconds: float) -> None:
    """SageMaker's own maintenance: SystemUpdating for ``seconds``, then InService again. Any
    UpdateEndpoint meanwhile is refused (the endpoint is not InService)."""
    if ep.operation is not None or ep.status != "InService":
        raise ValueError(f"endpoint {ep.name} is {ep.status}: a system update needs InService")
    now = STATE.clock.now()
    ep.operation = Operation("system", [Step(now, now + seconds, "SystemUpdating", "Updating")],
                             now)
    ep.status = "SystemUpdating"


def observe(hosting: Hosting, ep: Endpoint) -> None:
    """Bring ``ep`` up to the current simulated time."""
    now = STATE.clock.now()
    while ep.operation is not None:
        op = ep.operation
        if op.kind == "update" and op.alarms and op.fault is None:
            until = min(now, op.end, op.deadline or math.inf)
            t = first_watched(op, op.checked, until)
            if t is not None:
                firing = alarms_firing(hosting, op.alarms)
                if ep.operation is not op:
                    # Reading the alarms evaluated metric data, the alarm changed state now, and
                    # the settle around that change already acted on this endpoint.
                    continue
                if firing:
                    _start_rollback(ep, t, "Deployment was rolled back: CloudWatch alarm(s) "
                                    f"{', '.join(firing)} went into ALARM during the deployment.")
                    continue
            op.checked = max(op.checked, until)
        if op.kind == "update" and op.fault is None and op.deadline is not None and \
                op.deadline < op.end and now >= op.deadline:
            timeout = int(op.deadline - op.start)
            _start_rollback(ep, op.deadline, "Deployment timed out: it did not complete within "
                            f"MaximumExecutionTimeoutInSeconds ({timeout} s) and was rolled "
                            "back.")
            continue
        if now >= op.end:
            _finish(hosting, ep, op)
            continue
        ep.status = op.step_at(now).status
        break


def settle(account: str, region: str) -> None:
    """Observe every endpoint of an account and region (called around alarm changes)."""
    from sagemaker_emulator.sagemaker.store import hosting as get

    store = get(account, region)
    with store.lock:
        for ep in list(store.endpoints.values()):
            observe(store, ep)
