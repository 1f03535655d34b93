"""Changes that need a new fleet: a new content-named endpoint config deployed by UpdateEndpoint
with the spec's deployment policy, or, where AWS offers no update at all (instance-based ->
serverless, removing async inference), a replacement allowed only by ``allowReplacement``.

Scalable targets are deregistered around the update only where AWS requires it: the instance type
of an autoscaled variant changes, or the variant goes away. ``RetainAllVariantProperties`` keeps
what the autoscaler owns (instance counts) while the spec's weights and data capture apply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.kinds._aws import boto_request
from reconciler.kinds.endpoint import monitoring, quota
from reconciler.kinds.endpoint.apply_data import EndpointApplyData
from reconciler.kinds.endpoint.autoscaling_steps import deregister_step
from reconciler.kinds.endpoint.estimate import update_estimate
from reconciler.kinds.endpoint.reasons import EndpointReason
from reconciler.kinds.endpoint.requests import all_variants, strip_capacity, weights_steps
from reconciler.plan.diff import diff
from reconciler.plan.model import DiffEntry, Problem, ResourceChange, Step, digest
from reconciler.plan.vocabulary import DELETE_THEN_CREATE, Action

if TYPE_CHECKING:
    from reconciler.kinds.endpoint.changes import EndpointPlanner
    from reconciler.kinds.endpoint.live import LiveEndpoint
    from reconciler.kinds.endpoint.spec import EndpointSpec


def needs_replacement(p: EndpointPlanner) -> str | None:
    return replacement_reason(p.spec, p.live)


def replacement_reason(spec: EndpointSpec, live: LiveEndpoint) -> str | None:
    """Why AWS has no update from ``live`` to ``spec`` (None: UpdateEndpoint can do it)."""
    live_instance = any(
        v.get("CurrentInstanceCount") is not None
        for v in (live.described or {}).get("ProductionVariants", []))
    if live_instance and any(v.is_serverless for v in spec.production_variants):
        return "instance-based to serverless"
    if live.config is not None and live.config.get("asyncInferenceConfig") and \
            spec.async_inference_config is None:
        return "removing asynchronous inference"
    return None

def new_config(p: EndpointPlanner, digest_changed: bool) -> ResourceChange | Problem:
    why = needs_replacement(p)
    if why is not None:
        return replace(p, why)
    steps = p.create_config_steps()
    deregistered: set[str] = set()
    auto_lines: list[str] = []
    for variant, _, target in p.scaling.targets_of(p.name):
        live_v = next((v for v in all_variants(p.spec) if v.variant_name == variant),
                      None)
        old_types = _live_instance_types(p, variant)
        if live_v is None:
            why_dereg = "AWS refuses to remove an autoscaled variant"
        elif old_types and live_v.instance_types != old_types:
            why_dereg = (f"AWS refuses to change the instance type of an autoscaled "
                         f"variant ({', '.join(old_types)} -> "
                         f"{', '.join(live_v.instance_types)})")
        else:
            continue
        steps.append(deregister_step(p.name, variant, target, why_dereg))
        deregistered.add(variant)
        auto_lines.append(f"deregisters autoscaling of {variant} before the update: "
                          f"{why_dereg}")
    retain = any(v.effective_capacity_owner in ("autoscaling", "managed") and
                 p.live.variant(v.variant_name) is not None
                 for v in all_variants(p.spec))
    params: dict[str, Any] = {"EndpointName": p.name,
                              "EndpointConfigName": p.want.config_name}
    live_names = {v["VariantName"] for v in (p.live.described or {}).get("ProductionVariants",
                                                                         [])}
    same_variants = live_names == {v.variant_name for v in p.spec.production_variants}
    if p.spec.deployment_config is not None and same_variants:
        params["DeploymentConfig"] = boto_request(p.spec.deployment_config,
                                                  frozenset({"external"}))
    if retain:
        params["RetainAllVariantProperties"] = True
        # Not DataCaptureConfig: "(Not currently supported.)" (API_VariantProperty); the new
        # config's data capture applies anyway (sagemaker-rules.md rule 4)
        params["ExcludeRetainedVariantProperties"] = [
            {"VariantPropertyType": "DesiredWeight"}]
    steps += [Step("sagemaker:UpdateEndpoint", p.name, params, digest(params)),
              Step("sagectl:wait", p.name, {"until": "InService",
                                               "through": ["Updating", "RollingBack",
                                                           "SystemUpdating"]}),
              Step("sagectl:verify", p.name, {"EndpointConfigName":
                                                 p.want.config_name,
                                                 "FailureReason": ""})]
    scale_entries, scale_steps, scale_lines = p.autoscaling_changes(deregistered)
    steps += scale_steps
    auto_lines += [line for line in scale_lines if line not in auto_lines]
    if retain:
        _, cap_desired, _ = p.capacity_diffs()
        fixes = [{k: w[k] for k in w if k in ("VariantName", "DesiredInstanceCount")}
                 for w in cap_desired if "DesiredInstanceCount" in w]
        if fixes:
            steps += weights_steps(p.name, fixes,
                                   note="counts the spec owns (retained by the update)")
    _, tag_steps = p.tag_steps(True)
    steps += tag_steps
    if p.spec.bake.duration_in_seconds:
        alarms = [a.alarm_name for a in
                  (p.spec.deployment_config.auto_rollback_configuration.alarms
                   if p.spec.deployment_config and
                   p.spec.deployment_config.auto_rollback_configuration else [])]
        steps.append(Step("sagectl:bake", p.name, {
            "seconds": p.spec.bake.duration_in_seconds, "alarms": alarms,
            "allowInsufficientData": p.spec.bake.allow_insufficient_data}))
    gc = p.gc
    steps.append(Step("sagectl:gc", p.name, {"keep": p.ctx.options.keep_configs,
                                                "delete": gc},
                      note="old configs (and models no config uses) beyond the newest kept"))
    live_total = sum(int(v.get("CurrentInstanceCount") or 0)
                     for v in (p.live.described or {}).get("ProductionVariants", []))
    counts = p.counts_after()
    rollout, estimate = update_estimate(p.spec, live_total, counts, p.exclusion())
    summary = [f"deploys a new config {p.want.config_name} with UpdateEndpoint "
               f"(replacing {p.live.config_name}): a new fleet", *estimate.lines]
    if p.spec.deployment_config is not None and not same_variants:
        summary.append("the variants change, and SageMaker's deployment guardrails need the "
                       "same variant names on both sides: this update runs all at once, "
                       "without the canary/linear policy or auto-rollback alarms (sagectl's "
                       "own verification and bake still apply)")
    if retain:
        summary.append("keeps the autoscaled instance counts (RetainAllVariantProperties, "
                       "excluding weights and data capture, which the spec owns)")
    summary += auto_lines
    if gc:
        summary.append(f"after a verified deploy, deletes old configs {', '.join(gc)}")
    entries = diff(strip_capacity(p.live.config), strip_capacity(p.want.canonical)) \
        if p.live.config is not None else [DiffEntry("endpointConfigName",
                                                        p.live.config_name,
                                                        p.want.config_name)]
    entries += scale_entries + p.settings_diff()
    needed = quota.needs(quota.running(p.live), quota.new_fleet(p.spec, counts, rollout))
    return p._change([Action.UPDATE], EndpointReason.NEW_CONFIG, entries, steps, {
        "summary": summary, "fleet_replacement": True, "strategy": rollout.strategy,
        "strategy_steps": rollout.steps, "expected_seconds": estimate.expected_seconds,
        "worst_case_seconds": estimate.worst_case_seconds,
        "peak_instances": estimate.peak_instances, "autoscaling": auto_lines,
        "new_config": p.want.config_name, "old_config": p.live.config_name,
        "deletes_after": gc, "retain_all_variant_properties": retain,
        **quota.consequence(needed)}, EndpointApplyData(
            new_config=p.want.config_name, expected_seconds=estimate.expected_seconds,
            worst_case_seconds=estimate.worst_case_seconds, instances_by_type=needed))

def _live_instance_types(p: EndpointPlanner, variant: str) -> list[str]:
    """The instance types the live config gives ``variant``: its type, or its pools' types by
    priority."""
    if p.live.config is not None:
        for v in p.live.config.get("productionVariants", []) + \
                p.live.config.get("shadowProductionVariants", []):
            if v["variantName"] == variant:
                if v.get("instancePools"):
                    return [pool["instanceType"] for pool in
                            sorted(v["instancePools"], key=lambda pool: pool["priority"])]
                return [v["instanceType"]] if v.get("instanceType") else []
    return []

def replace(p: EndpointPlanner, why: str) -> ResourceChange | Problem:
    if not p.spec.allow_replacement:
        return Problem(p.resource.address, f"{why} cannot be done by an update: the "
                                              "endpoint would have to be deleted and "
                                              "created again (downtime)",
                       "set allowReplacement: true on the endpoint to allow it")
    if p.spec.deletion_protection:
        return Problem(p.resource.address, f"{why} needs a replacement, but the endpoint "
                                              "has deletionProtection",
                       "set deletionProtection: false for this change")
    steps = [deregister_step(p.name, variant, t, "before deleting")
             for variant, _, t in p.scaling.targets_of(p.name)]
    running = monitoring.scheduled(p.schedules)
    steps += monitoring.stop_steps(p.name, running)
    steps += [Step("sagemaker:DeleteEndpoint", p.name, {"EndpointName": p.name}),
              Step("sagectl:wait", p.name, {"until": "deleted"})]
    created = p.create()
    in_service = next(i for i, s in enumerate(created.steps) if s.op == "sagectl:wait") + 1
    steps += created.steps[:in_service] + monitoring.start_steps(p.name, running) + \
        created.steps[in_service:]
    return p._change(list(DELETE_THEN_CREATE), EndpointReason.REPLACE_BECAUSE_IMMUTABLE,
                     created.diff, steps, {"summary": [f"{why}: AWS has no update for this, so "
                                                       "the endpoint is deleted and created "
                                                       "again: DOWNTIME until it is InService",
                                                       *created.consequences["summary"],
                                                       *monitoring.replacement_lines(
                                                           p.name, p.schedules)],
                                           "fleet_replacement": True, "downtime": True,
                                           "monitoring_schedules_stopped": running},
                     EndpointApplyData())

