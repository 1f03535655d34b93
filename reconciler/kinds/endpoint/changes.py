"""One endpoint's change, classified to the cheapest correct action.

- nothing differs -> no change (autoscaled counts inside [min, max] are the autoscaler's);
- only weights / spec-owned counts / serverless concurrency -> UpdateEndpointWeightsAndCapacities
  (no new fleet);
- only autoscaling, tags or sagectl's own settings -> those APIs, the endpoint untouched;
- anything else -> a new content-named config and UpdateEndpoint with the spec's deployment policy
  and Retain* settings that keep what autoscaling owns; scalable targets are deregistered first
  only where AWS requires it (an autoscaled variant's instance type changes, or it goes away);
- instance-based -> serverless, or dropping async inference: AWS offers no update; a replacement
  (delete, then create: names are unique) only with ``allowReplacement: true``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

from reconciler.kinds._aws import boto_request, sagemaker_arn
from reconciler.kinds._live import sagemaker_tag_steps, tag_list
from reconciler.kinds.endpoint import quota, redeploy
from reconciler.kinds.endpoint.apply_data import EndpointApplyData
from reconciler.kinds.endpoint.autoscaling_steps import deregister_step, register_steps
from reconciler.kinds.endpoint.estimate import WEIGHTS_SECONDS
from reconciler.kinds.endpoint.exclusions import Exclusion, exclusion
from reconciler.kinds.endpoint.live import LiveEndpoint, Scaling, config_arn, live_autoscaling
from reconciler.kinds.endpoint.quarantine import QUARANTINE_TAG
from reconciler.kinds.endpoint.reasons import EndpointReason
from reconciler.kinds.endpoint.requests import (
    DesiredEndpoint,
    all_variants,
    desired_autoscaling,
    resource_id,
    weights_steps,
)
from reconciler.kinds.endpoint.spec import EndpointSpec
from reconciler.kinds.endpoint.undo import plan_undo
from reconciler.kinds.endpoint.variants import ProductionVariant
from reconciler.plan.context import (
    DIGEST_TAG,
    PROTECTION_TAG,
    STRUCTURE_TAG,
    PlanContext,
    user_tags,
)
from reconciler.plan.diff import diff
from reconciler.plan.model import DiffEntry, Problem, ResourceChange, Step, digest
from reconciler.plan.vocabulary import Action, Common, Reason
from reconciler.spec.resources import Resource


def endpoint_arn(ctx: PlanContext, name: str) -> str:
    return sagemaker_arn(ctx, "endpoint", name)


# -- the classification -----------------------------------------------------------------------

class EndpointPlanner:
    """Plans one endpoint from its desired build and what was read."""

    def __init__(self, ctx: PlanContext, resource: Resource, want: DesiredEndpoint,
                 live: LiveEndpoint, scaling: Scaling, gc: list[str] | None = None,
                 schedules: list[dict[str, Any]] | None = None) -> None:
        self.ctx = ctx
        self.resource = resource
        self.name = resource.name
        self.spec: EndpointSpec = resource.spec  # type: ignore[assignment]
        self.want = want
        self.live = live
        self.scaling = scaling
        self.arn = endpoint_arn(ctx, self.name)
        self.gc = gc or []
        """Old configs to delete after a verified deploy (read by the kind, beyond the kept)."""
        self.schedules = schedules or []
        """The monitoring schedules watching the endpoint (read only when it is replaced)."""

    # tags ----------------------------------------------------------------------------------
    def wanted_tags(self) -> dict[str, str]:
        extra = {PROTECTION_TAG: "true"} if self.spec.deletion_protection else {}
        return {**self.spec.tags, **self.ctx.ownership_tags(self.resource, self.want.digest,
                                                            extra)}

    def config_tags(self) -> dict[str, str]:
        return {**self.spec.tags, **self.ctx.ownership_tags(
            self.resource, self.want.digest, {STRUCTURE_TAG: self.want.structure})}

    def create_config_steps(self) -> list[Step]:
        if self.ctx.ownership.is_mine(config_arn(self.ctx, self.want.config_name)):
            return []  # made by an earlier, interrupted apply: content-named, so reuse it
        params = {"EndpointConfigName": self.want.config_name, **self.want.request,
                  "Tags": tag_list(self.config_tags())}
        return [Step("sagemaker:CreateEndpointConfig", self.want.config_name, params,
                     digest(params))]

    # shared pieces -------------------------------------------------------------------------
    def autoscaling_for(self, v: ProductionVariant) -> dict[str, Any] | None:
        return live_autoscaling(self.scaling, resource_id(self.name, v.variant_name))

    def created_diff(self) -> list[DiffEntry]:
        """Everything a new endpoint gets, field by field (paths as in update diffs)."""
        entries = diff(None, self.want.canonical)
        for v in all_variants(self.spec):
            entries += diff(None, desired_autoscaling(v), f"autoscaling[{v.variant_name}]")
        return entries + diff(None, dict(self.spec.tags), "tags")

    def exclusion(self) -> Exclusion | None:
        """Why AWS runs no deployment guardrails on this endpoint (None: it does)."""
        marketplace = {}
        for v in all_variants(self.spec):
            for ref in v.model_refs:
                resolved = self.ctx.shared.get(f"model:{ref}")
                product = getattr(resolved, "marketplace", None)
                if product:
                    marketplace[ref] = product
        return exclusion(all_variants(self.spec), marketplace)

    def counts_after(self) -> dict[str, int]:
        """Instance counts of production variants once deployed."""
        counts = {}
        for v in self.spec.production_variants:
            if v.is_serverless:
                continue
            live = self.live.variant(v.variant_name)
            if v.effective_capacity_owner in ("autoscaling", "managed") and live and \
                    live.get("DesiredInstanceCount") is not None:
                counts[v.variant_name] = int(live["DesiredInstanceCount"])
            else:
                counts[v.variant_name] = int(v.initial_instance_count or 0)
        return counts

    # create --------------------------------------------------------------------------------
    def create(self) -> ResourceChange:
        steps = self.create_config_steps()
        params = {"EndpointName": self.name, "EndpointConfigName": self.want.config_name,
                  "Tags": tag_list(self.wanted_tags())}
        steps += [Step("sagemaker:CreateEndpoint", self.name, params, digest(params)),
                  Step("sagectl:wait", self.name, {"until": "InService"},
                       note="Creating -> InService")]
        for v in all_variants(self.spec):
            if v.autoscaling:
                steps += register_steps(self.name, v, None)
        fleet = ", ".join(
            f"{v.variant_name} {v.serverless_config.memory_size_in_mb} MB serverless"
            if v.serverless_config else
            f"{v.variant_name} {v.initial_instance_count} x {v.instance_label}"
            for v in all_variants(self.spec))
        summary = [f"creates endpoint {self.name} ({fleet}) on config {self.want.config_name}"]
        autoscaled = [v.variant_name for v in all_variants(self.spec) if v.autoscaling]
        if autoscaled:
            summary.append(f"then registers autoscaling for {', '.join(autoscaled)}")
        counts = {v.variant_name: int(v.initial_instance_count or 0)
                  for v in self.spec.production_variants}
        needed = quota.needs(Counter(), quota.new_fleet(self.spec, counts))
        return self._change([Action.CREATE], Common.NEW, self.created_diff(), steps,
                            {"summary": summary, "fleet_replacement": False,
                             "new_config": self.want.config_name,
                             **quota.consequence(needed)},
                            EndpointApplyData(new_config=self.want.config_name,
                                              instances_by_type=needed))

    # update --------------------------------------------------------------------------------
    def capacity_diffs(self) -> tuple[list[DiffEntry], list[dict[str, Any]], list[str]]:
        """Spec-owned weights and counts vs live: diff entries, UpdateEndpointWeights entries,
        and information about what the autoscaler owns."""
        entries, desired, notes = [], [], []
        for v in all_variants(self.spec):
            live = self.live.variant(v.variant_name)
            if live is None:
                continue
            want: dict[str, Any] = {"VariantName": v.variant_name}
            base = f"productionVariants[{v.variant_name}]"
            if live.get("DesiredWeight") is not None and \
                    float(live["DesiredWeight"]) != v.initial_variant_weight:
                entries.append(DiffEntry(f"{base}.initialVariantWeight",
                                         live["DesiredWeight"], v.initial_variant_weight))
                want["DesiredWeight"] = v.initial_variant_weight
            if v.serverless_config is not None:
                have = live.get("DesiredServerlessConfig") or live.get(
                    "CurrentServerlessConfig") or {}
                update = {}
                sc = v.serverless_config
                if have.get("MaxConcurrency") != sc.max_concurrency:
                    update["MaxConcurrency"] = sc.max_concurrency
                if v.effective_capacity_owner == "spec" and \
                        have.get("ProvisionedConcurrency") != sc.provisioned_concurrency and \
                        sc.provisioned_concurrency is not None:
                    update["ProvisionedConcurrency"] = sc.provisioned_concurrency
                for key, value in update.items():
                    field = "maxConcurrency" if key == "MaxConcurrency" else \
                        "provisionedConcurrency"
                    entries.append(DiffEntry(f"{base}.serverlessConfig.{field}", have.get(key),
                                             value))
                if update:
                    want["ServerlessUpdateConfig"] = update
            elif v.effective_capacity_owner == "spec":
                have_count = live.get("DesiredInstanceCount")
                if have_count is not None and have_count != v.initial_instance_count:
                    entries.append(DiffEntry(f"{base}.initialInstanceCount", have_count,
                                             v.initial_instance_count))
                    want["DesiredInstanceCount"] = v.initial_instance_count
            elif v.managed:
                have_count = live.get("DesiredInstanceCount")
                mis = v.managed_instance_scaling
                if have_count is not None and mis is not None:
                    notes.append(f"{v.variant_name}: {have_count} instance(s), owned by "
                                 "SageMaker's managed instance scaling "
                                 f"[{mis.min_instance_count}, {mis.max_instance_count}]")
            else:
                have_count = live.get("DesiredInstanceCount")
                scaling = v.autoscaling
                if have_count is not None and scaling is not None:
                    inside = scaling.min_capacity <= have_count <= scaling.max_capacity
                    notes.append(f"{v.variant_name}: {have_count} instance(s), owned by the "
                                 "autoscaler" + ("" if inside else
                                                 f" (outside [{scaling.min_capacity}, "
                                                 f"{scaling.max_capacity}]: the autoscaler "
                                                 "brings it into range)"))
            if len(want) > 1:
                desired.append(want)
        return entries, desired, notes

    def capacity_increase(self, desired: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
        """Instances per type a capacity change adds (rule 20: quotas count them)."""
        running: Counter[str] = Counter()
        added: Counter[str] = Counter()
        types = {v.variant_name: v.first_instance_type for v in all_variants(self.spec)}
        for want in desired:
            itype = types.get(want["VariantName"])
            live = self.live.variant(want["VariantName"]) or {}
            have = int(live.get("CurrentInstanceCount") or 0)
            if itype and int(want.get("DesiredInstanceCount") or 0) > have:
                running[itype] += have
                added[itype] += int(want["DesiredInstanceCount"]) - have
        return quota.needs(running, added)

    def autoscaling_changes(self, deregistered: set[str]) -> tuple[list[DiffEntry], list[Step],
                                                                   list[str]]:
        entries: list[DiffEntry] = []
        steps: list[Step] = []
        lines: list[str] = []
        wanted_names = {v.variant_name for v in all_variants(self.spec)}
        for v in all_variants(self.spec):
            rid = resource_id(self.name, v.variant_name)
            have = self.autoscaling_for(v)
            want = desired_autoscaling(v)
            entries += diff(have, want, f"autoscaling[{v.variant_name}]")
            if want is None and have is not None and v.variant_name not in deregistered:
                steps.append(deregister_step(self.name, v.variant_name, self.scaling.targets[rid],
                                             "not in the spec (capacityOwner: spec)"))
                lines.append(f"deregisters autoscaling of {v.variant_name}: the spec owns its "
                             "capacity")
            elif want is not None:
                more = register_steps(self.name, v, have, force=v.variant_name in deregistered)
                if more:
                    verb = "registers again" if v.variant_name in deregistered else "updates"
                    lines.append(f"{verb} autoscaling of {v.variant_name}")
                steps += more
        for variant, _, target in self.scaling.targets_of(self.name):
            if variant not in wanted_names and variant not in deregistered:
                steps.append(deregister_step(self.name, variant, target, "variant removed"))
        return entries, steps, lines

    def tag_steps(self, digest_changed: bool) -> tuple[list[DiffEntry], list[Step]]:
        owned = self.ctx.ownership.get(self.arn)
        live_tags = owned.tags if owned else {}
        wanted = self.wanted_tags()
        if not digest_changed:
            wanted[DIGEST_TAG] = live_tags.get(DIGEST_TAG, wanted[DIGEST_TAG])
        # git commit and path tags follow real changes only, not every new commit
        for key in ("sagectl:git-commit", "sagectl:spec-path"):
            if not digest_changed and key in live_tags:
                wanted[key] = live_tags[key]
        if QUARANTINE_TAG in live_tags:  # apply's to set and clear (quarantine.py)
            wanted[QUARANTINE_TAG] = live_tags[QUARANTINE_TAG]
        return (diff(user_tags(live_tags), self.spec.tags, "tags"),
                sagemaker_tag_steps(self.arn, live_tags, wanted))

    def update(self) -> ResourceChange | Problem | None:
        live = self.live
        digest_changed = (self.ctx.ownership.get(self.arn) or _NO_TAGS).tags.get(
            DIGEST_TAG) != self.want.digest[:32]
        structure_same = live.structure == self.want.structure
        if not structure_same:
            return redeploy.new_config(self, digest_changed)
        cap_entries, cap_desired, notes = self.capacity_diffs()
        scale_entries, scale_steps, scale_lines = self.autoscaling_changes(set())
        tag_entries, tag_steps = self.tag_steps(digest_changed)
        steps: list[Step] = []
        summary: list[str] = []
        reason: Reason = EndpointReason.SETTINGS_ONLY
        if cap_desired:
            steps += weights_steps(self.name, cap_desired)
            steps.append(Step("sagectl:verify", self.name, {"variants": cap_desired}))
            kinds = {k for w in cap_desired for k in w if k != "VariantName"}
            reason = (EndpointReason.SERVERLESS_CONCURRENCY
                      if kinds == {"ServerlessUpdateConfig"} else
                      EndpointReason.WEIGHTS_ONLY if kinds == {"DesiredWeight"} else
                      EndpointReason.CAPACITY_ONLY if kinds == {"DesiredInstanceCount"} else
                      EndpointReason.WEIGHTS_AND_CAPACITY)
            summary.append(f"changes weights/capacity in place with "
                           f"UpdateEndpointWeightsAndCapacities: no new fleet, about "
                           f"{WEIGHTS_SECONDS} s")
        if scale_steps:
            steps += scale_steps
            summary += scale_lines
            reason = reason if cap_desired else EndpointReason.AUTOSCALING_ONLY
        if tag_steps:
            steps += tag_steps
            if reason == EndpointReason.SETTINGS_ONLY and tag_entries:
                reason = Common.TAGS_ONLY
        if not steps:
            return None
        if reason == EndpointReason.SETTINGS_ONLY:
            summary.append("only sagectl settings changed (deployment policy, bake, protection):"
                           " nothing changes in AWS; the endpoint's spec digest tag is updated")
        summary += notes
        entries = cap_entries + scale_entries + tag_entries + self.settings_diff()
        needed = self.capacity_increase(cap_desired)
        return self._change([Action.UPDATE], reason, entries, steps,
                            {"summary": summary, "fleet_replacement": False,
                             **quota.consequence(needed)},
                            EndpointApplyData(instances_by_type=needed))

    def settings_diff(self) -> list[DiffEntry]:
        """The deployment policy against the one SageMaker used last (informational)."""
        last = (self.live.described or {}).get("LastDeploymentConfig")
        mine = boto_request(self.spec.deployment_config, frozenset({"external"})) \
            if self.spec.deployment_config else None
        if last is None or mine is None:
            return []
        return diff(last, mine, "deploymentConfig")

    def _change(self, actions: list[Action], reason: Reason, entries: list[DiffEntry],
                steps: list[Step], consequences: dict[str, Any],
                apply: EndpointApplyData) -> ResourceChange:
        waits = self.waits()
        # apply does not deploy a quarantined digest again unless forced
        quarantined = (self.ctx.ownership.get(self.arn) or _NO_TAGS).tags.get(QUARANTINE_TAG)
        apply = replace(apply, spec_digest=self.want.digest[:32],
                        quarantined_digest=quarantined or None)
        return ResourceChange(self.resource.address, "Endpoint", self.name, actions, reason,
                              entries, plan_undo(self.name, steps, self.live, self.scaling),
                              consequences, self.fingerprint(),
                              depends_on=self.depends_on(), waits=waits,
                              spec_path=self.ctx.spec_path(self.resource), apply_data=apply)

    def waits(self) -> str | None:
        for v in all_variants(self.spec):
            for ref in v.model_refs:
                resolved = self.ctx.shared.get(f"model:{ref}")
                if resolved is not None and resolved.waits:
                    return f"model {ref} cannot be created yet: {resolved.waits}"
        status = self.live.status
        if status in ("absent", "InService"):
            return None
        reason = (self.live.described or {}).get("FailureReason")
        if status == "Failed":
            return (f"endpoint is Failed ({reason or 'no reason given'}): SageMaker allows only "
                    "deleting it; fix the cause, then delete it so sagectl can create it again")
        return f"endpoint is {status}" + (f" ({reason})" if reason else "") + \
            "; the change waits until it is InService"

    def depends_on(self) -> list[str]:
        deps = {f"Model.{ref}" for v in all_variants(self.spec) for ref in v.model_refs
                if not ref.startswith("arn:") and self.ctx.specs.get("Model", ref) is not None}
        cfg = self.spec.deployment_config
        if cfg and cfg.auto_rollback_configuration:
            deps |= {f"Alarm.{a.alarm_name}" for a in cfg.auto_rollback_configuration.alarms
                     if not a.external}
        return sorted(deps)

    def fingerprint(self) -> str:
        d = self.live.described or {}
        variants = [{k: v.get(k) for k in ("VariantName", "DesiredWeight",
                                           "DesiredInstanceCount", "DesiredServerlessConfig")}
                    for v in d.get("ProductionVariants", []) + d.get("ShadowProductionVariants",
                                                                       [])]
        owned = self.ctx.ownership.get(self.arn)
        return digest({"status": d.get("EndpointStatus"), "config": d.get("EndpointConfigName"),
                       "variants": variants, "tags": owned.tags if owned else None,
                       "autoscaling": {v.variant_name: self.autoscaling_for(v)
                                       for v in all_variants(self.spec)}})


class _NoTags:
    tags: dict[str, str] = {}


_NO_TAGS = _NoTags()
