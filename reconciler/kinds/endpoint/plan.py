"""Planning ``Endpoint`` resources: reads for the whole fleet at once, then one classification per
endpoint (``changes.py``).

Reads, concurrently on the bounded pool: one DescribeEndpoint per endpoint; a DescribeEndpointConfig
only where the live config's structure is not already known from its tags; Application Auto
Scaling state of the whole namespace in three paginated lists, started first because the scaling
policy list (10 per page) is the longest serial chain; external guardrail alarms in batches of 100.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws import batches
from reconciler.contract import Orphan
from reconciler.kinds._autoscaling import namespace_scaling
from reconciler.kinds._live import confirm_owner, not_found
from reconciler.kinds.endpoint import drift, monitoring, quota
from reconciler.kinds.endpoint.changes import EndpointPlanner, endpoint_arn
from reconciler.kinds.endpoint.exclusions import guarded_fields
from reconciler.kinds.endpoint.live import (
    LiveEndpoint,
    Scaling,
    describe_config,
    describe_endpoint,
    known_structure,
)
from reconciler.kinds.endpoint.redeploy import replacement_reason
from reconciler.kinds.endpoint.requests import DesiredEndpoint, build, structure_of
from reconciler.kinds.endpoint.spec import EndpointSpec
from reconciler.kinds.endpoint.undo import plan_undo
from reconciler.plan.context import PlanContext
from reconciler.plan.model import KindPlan, Problem, ResourceChange, Step, digest
from reconciler.plan.vocabulary import Action, Common
from reconciler.spec.resources import Resource


def _model_names(ctx: PlanContext) -> dict[str, str]:
    return {key.split(":", 1)[1]: value.aws_name for key, value in ctx.shared.items()
            if key.startswith("model:")}


def _live(ctx: PlanContext, want: DesiredEndpoint, described: dict[str, Any] | None
          ) -> LiveEndpoint:
    live = LiveEndpoint(described)
    name = live.config_name
    if name is None:
        return live
    tagged = known_structure(ctx, name)
    if tagged is not None and tagged == want.structure:
        live.structure = tagged
        return live
    live.config = describe_config(ctx, name)
    if live.config is None:
        live.config_missing = True
        live.structure = None
    else:
        live.structure = structure_of(live.config)
    return live


def _external_alarms(ctx: PlanContext, desired: list[Resource]) -> dict[str, set[str]]:
    """Endpoint -> names of the external guardrail alarms that do not exist."""
    wanted: dict[str, set[str]] = {}
    for r in desired:
        cfg = r.spec.deployment_config  # type: ignore[attr-defined]
        if cfg and cfg.auto_rollback_configuration:
            names = {a.alarm_name for a in cfg.auto_rollback_configuration.alarms if a.external}
            if names:
                wanted[r.name] = names
    everything = sorted(set().union(*wanted.values())) if wanted else []
    found: set[str] = set()
    cw = ctx.aws.client("cloudwatch")
    for batch in batches(everything, 100):
        found |= {a["AlarmName"] for a in cw.describe_alarms(AlarmNames=batch)["MetricAlarms"]}
    return {name: names - found for name, names in wanted.items() if names - found}


def _gc_candidates(ctx: PlanContext, resource: Resource, keep: set[str]) -> list[str]:
    """Configs of this endpoint beyond the newest ``keep_configs`` (the current and the new one
    are always kept)."""
    owned = ctx.ownership.mine("sagemaker:endpoint-config", resource.address)
    if len(owned) + 1 <= ctx.options.keep_configs:
        return []
    listed = ctx.aws.paginate("sagemaker", "list_endpoint_configs", "EndpointConfigs",
                              NameContains=resource.name)
    names = {r.name for r in owned}
    mine = sorted((c for c in listed if c["EndpointConfigName"].lower() in names),
                  key=lambda c: c["CreationTime"], reverse=True)
    kept = [c["EndpointConfigName"] for c in mine if c["EndpointConfigName"] in keep]
    older = [c["EndpointConfigName"] for c in mine if c["EndpointConfigName"] not in keep]
    room = max(0, ctx.options.keep_configs - len(kept) - 1)
    return older[room:]


@dataclass
class Reads:
    """Everything planning endpoints needs from AWS (``read``), so ``decide`` does no I/O."""

    wants: dict[str, DesiredEndpoint]
    lives: list[LiveEndpoint]
    scaling: Scaling
    missing_alarms: dict[str, set[str]]
    gc: dict[str, list[str]] = field(default_factory=dict)
    quotas: dict[str, float] = field(default_factory=dict)
    """The account's SageMaker quotas by name, read when a change may add instances."""
    schedules: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Endpoint -> the monitoring schedules watching it, read only for a replacement."""


def prefetch(ctx: PlanContext, desired: list[Resource]) -> None:
    """Every DescribeEndpoint, started now."""
    ctx.prefetched["endpoint:describe"] = {
        r.name: ctx.aws.submit(describe_endpoint, ctx, r.name) for r in desired}


def read(ctx: PlanContext, desired: list[Resource]) -> Reads:
    if "endpoint:describe" not in ctx.prefetched:
        prefetch(ctx, desired)
    describing = ctx.prefetched.pop("endpoint:describe")
    names = _model_names(ctx)
    wants = {r.name: build(r.name, ctx.env, r.spec, names) for r in desired}  # type: ignore[arg-type]
    described = [describing[r.name].result() if r.name in describing
                 else describe_endpoint(ctx, r.name) for r in desired]
    drift.observe(ctx, {r.name: d for r, d in zip(desired, described, strict=True)})
    # an endpoint another run created after this plan's tagging-API snapshot: its own tags
    ctx.aws.map(lambda r: confirm_owner(ctx, endpoint_arn(ctx, r.name), "sagemaker:endpoint"),
                [r for r, d in zip(desired, described, strict=True) if d is not None and
                 ctx.ownership.owner_env(endpoint_arn(ctx, r.name)) is None])
    lives = ctx.aws.map(lambda pair: _live(ctx, wants[pair[0].name], pair[1]),
                        list(zip(desired, described, strict=True)))
    reads = Reads(wants, lives, namespace_scaling(ctx),
                  _external_alarms(ctx, desired))
    redeploy = [(r, live) for r, live in zip(desired, lives, strict=True)
                if live.described is not None and live.structure != wants[r.name].structure]
    found = ctx.aws.map(lambda pair: _gc_candidates(
        ctx, pair[0], {wants[pair[0].name].config_name, pair[1].config_name or ""}), redeploy)
    for (resource, _), gc in zip(redeploy, found, strict=True):
        reads.gc[resource.name] = gc
    replaced = [r.name for r, live in redeploy
                if r.spec.allow_replacement and not r.spec.deletion_protection and  # type: ignore[attr-defined]
                replacement_reason(r.spec, live) is not None]  # type: ignore[arg-type]
    for name, schedules in zip(replaced, ctx.aws.map(
            lambda n: monitoring.watching(ctx, n), replaced), strict=True):
        reads.schedules[name] = schedules
    if redeploy or any(live.described is None or _adds_capacity(r.spec, live)  # type: ignore[arg-type]
                       for r, live in zip(desired, lives, strict=True)):
        reads.quotas = quota.read_quotas(ctx)
    return reads


def _adds_capacity(spec: EndpointSpec, live: LiveEndpoint) -> bool:
    """A spec-owned instance count above the live one (quotas may refuse it)."""
    for v in spec.production_variants:
        have = live.variant(v.variant_name)
        if have and v.effective_capacity_owner == "spec" and v.initial_instance_count and \
                v.initial_instance_count > int(have.get("DesiredInstanceCount") or 0):
            return True
    return False


def decide(ctx: PlanContext, desired: list[Resource], reads: Reads) -> KindPlan:
    """The changes, from what was read (no AWS calls)."""
    result = KindPlan()
    for resource, live in zip(desired, reads.lives, strict=True):
        want = reads.wants[resource.name]
        if reads.missing_alarms.get(resource.name):
            result.problems.append(Problem(
                resource.address, "guardrail alarm(s) marked external do not exist: "
                f"{', '.join(sorted(reads.missing_alarms[resource.name]))}",
                "create them, or define them as Alarm specs"))
        planner = EndpointPlanner(ctx, resource, want, live, reads.scaling,
                                  reads.gc.get(resource.name, []),
                                  reads.schedules.get(resource.name, []))
        if live.described is None:
            result.changes.append(planner.create())
            result.problems += quota.warnings(result.changes[-1], reads.quotas, ctx.aws.region)
            continue
        owner = ctx.ownership.owner_env(endpoint_arn(ctx, resource.name))
        if owner is None:
            result.problems.append(Problem(
                resource.address, f"endpoint {resource.name} exists and is not managed by sagectl",
                f"adopt it with `sagectl import {resource.name}`, or rename the spec"))
            continue
        if owner != (ctx.env or ""):
            result.problems.append(Problem(
                resource.address, f"endpoint {resource.name} is managed by sagectl environment "
                                  f"{owner!r}, not {ctx.env!r}"))
            continue
        outcome = planner.update()
        if outcome is None:
            result.unchanged += 1
            result.problems += _broken(resource.address, live)
        elif isinstance(outcome, Problem):
            result.problems.append(outcome)
        else:
            result.changes.append(outcome)
            result.problems += _live_checks(planner)
            result.problems += quota.warnings(outcome, reads.quotas, ctx.aws.region)
    return result


def plan(ctx: PlanContext, desired: list[Resource]) -> KindPlan:
    return decide(ctx, desired, read(ctx, desired))


def _broken(address: str, live: LiveEndpoint) -> list[Problem]:
    """A converged endpoint that AWS left Failed or UpdateRollbackFailed: the plan has nothing
    to change, and says so only beside what a person must do (rule 4: only DeleteEndpoint is
    possible on a Failed endpoint), never as a bare "No changes."."""
    reason = (live.described or {}).get("FailureReason") or "no reason given"
    if live.status == "Failed":
        return [Problem(address, f"endpoint is Failed ({reason}); SageMaker allows only deleting "
                        "it, so this plan changes nothing for it and `sagectl drift` reports it "
                        "as failed_deployment",
                        "fix the cause, delete the endpoint, and the next plan creates it again",
                        severity="warning")]
    if live.status == "UpdateRollbackFailed":
        return [Problem(address, f"endpoint is UpdateRollbackFailed ({reason}): it serves with a "
                        "mix of configurations; this plan changes nothing for it",
                        "AWS documents that another UpdateEndpoint returns it to a healthy state; "
                        "sagectl makes none on its own: settle it in AWS (`sagectl drift` reports "
                        "it as failed_deployment)", severity="warning")]
    return []


def _live_checks(planner: EndpointPlanner) -> list[Problem]:
    """Deployment sizes against the live instance counts (rule 9) and guardrails AWS will not
    run (rule 18: known only now for Marketplace containers), for new-fleet deploys."""
    spec: EndpointSpec = planner.spec
    cfg = spec.deployment_config
    if cfg is None or planner.live.structure == planner.want.structure:
        return []
    counts = planner.counts_after()
    problems = []
    excluded = planner.exclusion()
    asked = guarded_fields(cfg) if excluded is not None else []
    if excluded is not None and asked:
        problems.append(Problem(
            planner.resource.address,
            f"deploymentConfig asks for {', '.join(what for _, what in asked)}, but "
            f"{excluded.why}: AWS runs no deployment guardrails on such an endpoint and would "
            "deploy all at once with no baking period",
            f"set deploymentConfig.blueGreenUpdatePolicy to type ALL_AT_ONCE with no waits "
            f"({excluded.page}); sagectl's bake still watches the alarms after the deploy"))
    bg = cfg.blue_green_update_policy
    routing = bg.traffic_routing_configuration if bg else None
    checks = []
    if routing and routing.type == "CANARY" and routing.canary_size:
        checks.append(("canarySize", routing.canary_size, 0, 50))
    if routing and routing.type == "LINEAR" and routing.linear_step_size:
        checks.append(("linearStepSize", routing.linear_step_size, 10, 50))
    if cfg.rolling_update_policy:
        checks.append(("maximumBatchSize", cfg.rolling_update_policy.maximum_batch_size, 5, 50))
    for what, size, low, high in checks:
        if size.type != "INSTANCE_COUNT":
            continue
        for variant, count in counts.items():
            pct = 100 * size.value / count if count else 100
            if not low <= pct <= high:
                problems.append(Problem(
                    planner.resource.address,
                    f"{what} of {size.value} instance(s) is {pct:.0f}% of variant {variant}'s "
                    f"current {count} instance(s); SageMaker requires {low}-{high}%",
                    "use CAPACITY_PERCENT, or change the size"))
    return problems


def delete(ctx: PlanContext, orphan: Orphan) -> ResourceChange:
    """Deregisters its scalable targets, deletes the endpoint, waits, deletes its configs."""
    endpoint, address = orphan.owned[0], orphan.address
    name = endpoint.name
    scaling = namespace_scaling(ctx)
    steps = [Step("application-autoscaling:DeregisterScalableTarget", rid,
                  {"ServiceNamespace": "sagemaker", "ResourceId": rid,
                   "ScalableDimension": target["ScalableDimension"]})
             for _, rid, target in scaling.targets_of(name)]
    steps += [Step("sagemaker:DeleteEndpoint", name, {"EndpointName": name}),
              Step("sagectl:wait", name, {"until": "deleted"})]
    configs = sorted(r.name for r in ctx.ownership.mine("sagemaker:endpoint-config", address))
    steps += [Step("sagemaker:DeleteEndpointConfig", c, {"EndpointConfigName": c})
              for c in configs]
    try:
        status = ctx.aws.client("sagemaker").describe_endpoint(EndpointName=name)[
            "EndpointStatus"]
    except ClientError as err:
        if not not_found(err):
            raise
        status = "absent"
    return ResourceChange(address, "Endpoint", name, [Action.DELETE], Common.NOT_IN_SPEC, [],
                          plan_undo(name, steps, None, scaling),
                          {"summary": [f"deletes endpoint {name} and its configs "
                                       f"({', '.join(configs) or 'none'}): it serves no traffic "
                                       "afterwards"], "fleet_replacement": False},
                          fingerprint=digest({"status": status, "tags": endpoint.tags}))
