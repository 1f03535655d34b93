"""Planning ``InferenceComponent`` resources: the cheapest correct change (rule 47).

Reads, concurrently on the pool: one DescribeInferenceComponent per component; Application Auto
Scaling of the ``sagemaker`` namespace (three paginated lists, started first); the variants that
host them (the Endpoint specs, or DescribeEndpoint + DescribeEndpointConfig of an external one);
EC2 DescribeInstanceTypes once per instance type for the capacity fit (rule 49).

- a specification change -> UpdateInferenceComponent with the spec's deployment (rolling batches,
  rollback alarms), wait, verify, bake; undone by UpdateInferenceComponent back to the
  specification read;
- only the spec-owned copy count -> UpdateInferenceComponentRuntimeConfig, wait, verify;
- a copy count owned by the autoscaler is never a change, and never sent (rule 48);
- autoscaling and tags in place.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from reconciler.contract import Orphan
from reconciler.kinds._autoscaling import (
    Scaling,
    deregister_step,
    desired_autoscaling,
    live_autoscaling,
    namespace_scaling,
    target_steps,
)
from reconciler.kinds._aws import boto_request, extra_request, sagemaker_arn
from reconciler.kinds._live import confirm_owner, not_found, sagemaker_tag_steps, tag_list
from reconciler.kinds.inference_component import capacity, extras, hosts, live, undo
from reconciler.kinds.inference_component.reasons import InferenceComponentReason as R
from reconciler.kinds.inference_component.rollout import capacity_line, rolling
from reconciler.kinds.inference_component.spec import (
    ComputeResourceRequirements,
    CopyAutoscaling,
    InferenceComponentSpec,
    batch_problem,
)
from reconciler.plan.context import PlanContext, target_tags, user_tags
from reconciler.plan.diff import diff
from reconciler.plan.model import KindPlan, Problem, ResourceChange, Step, digest
from reconciler.plan.vocabulary import Action, Common, Reason
from reconciler.spec.resources import Resource

KIND = "InferenceComponent"
OBSERVED = KIND
"""``PlanContext.observed`` key: what drift classifies (DescribeInferenceComponent by name, and
the copy counts the specs own or leave to the autoscaler)."""


def model_names(ctx: PlanContext) -> dict[str, str]:
    return {key.split(":", 1)[1]: value.aws_name for key, value in ctx.shared.items()
            if key.startswith("model:")}


def content(spec: InferenceComponentSpec, names: dict[str, str]) -> dict[str, Any]:
    """Everything sagectl applies for a component (its ownership digest; adoption's too)."""
    return {"spec": spec.model_dump(mode="json", by_alias=True, exclude_none=True),
            "models": live.desired_canonical(spec, names).get("modelName")}


def prefetch(ctx: PlanContext, desired: list[Resource]) -> None:
    sm = ctx.aws.client("sagemaker")
    ctx.prefetched["ic:describe"] = {r.name: ctx.aws.submit(live.describe, sm, r.name)
                                     for r in desired}


def plan(ctx: PlanContext, desired: list[Resource]) -> KindPlan:
    if "ic:describe" not in ctx.prefetched:
        prefetch(ctx, desired)
    scaling = namespace_scaling(ctx)
    describing = ctx.prefetched.pop("ic:describe")
    described = {r.name: describing[r.name].result() for r in desired}
    ctx.observed[OBSERVED] = {n: d for n, d in described.items() if d is not None}
    placed = hosts.hosts(ctx, desired)
    result = KindPlan()
    result.problems += hosts.fit_problems(ctx, desired, placed)
    names = model_names(ctx)
    for resource in desired:
        spec: InferenceComponentSpec = resource.spec  # type: ignore[assignment]
        host = placed[(spec.endpoint_name, spec.variant_name)]
        planner = Planner(ctx, resource, described[resource.name], scaling, host, names)
        outcome = planner.plan()
        if isinstance(outcome, Problem):
            result.problems.append(outcome)
        elif outcome is None:
            result.unchanged += 1
        else:
            result.changes.append(outcome)
        result.problems += planner.problems
    return result


class Planner:
    """One component's change."""

    def __init__(self, ctx: PlanContext, resource: Resource, described: dict[str, Any] | None,
                 scaling: Scaling, host: hosts.Host, names: dict[str, str]) -> None:
        self.ctx, self.resource, self.described = ctx, resource, described
        self.spec: InferenceComponentSpec = resource.spec  # type: ignore[assignment]
        self.name = resource.name
        self.scaling, self.host, self.names = scaling, host, names
        self.rid = live.resource_id(self.name)
        self.arn = sagemaker_arn(ctx, "inference-component", self.name)
        self.problems: list[Problem] = []

    # -- shared pieces ------------------------------------------------------------------------
    def content(self) -> dict[str, Any]:
        return content(self.spec, self.names)

    def depends_on(self) -> list[str]:
        specs, spec = self.ctx.specs, self.spec
        deps = set()
        if specs.get("Endpoint", spec.endpoint_name) is not None:
            deps.add(f"Endpoint.{spec.endpoint_name}")
        model = spec.specification.model_name
        if model and not model.startswith("arn:") and specs.get("Model", model) is not None:
            deps.add(f"Model.{model}")
        base = spec.specification.base_inference_component_name
        if base and specs.get(KIND, base) is not None:
            deps.add(f"{KIND}.{base}")
        cfg = spec.deployment_config
        if cfg and cfg.auto_rollback_configuration:
            deps |= {f"Alarm.{a.alarm_name}" for a in cfg.auto_rollback_configuration.alarms
                     if not a.external}
        return sorted(deps)

    def waits(self) -> str | None:
        model = self.spec.specification.model_name
        resolved = self.ctx.shared.get(f"model:{model}") if model else None
        if resolved is not None and resolved.waits:
            return f"model {model} cannot be created yet: {resolved.waits}"
        endpoint = hosts.busy(self.ctx, self.spec.endpoint_name)
        if endpoint is not None:
            return (f"endpoint {self.spec.endpoint_name} is {endpoint}: SageMaker places no "
                    "component on it until it is InService")
        status = (self.described or {}).get("InferenceComponentStatus")
        if status is None or status == "InService":
            return None
        reason = (self.described or {}).get("FailureReason")
        if status == "Failed":
            return (f"inference component is Failed ({reason or 'no reason given'}): SageMaker "
                    "allows only deleting it; delete it so sagectl can create it again")
        return f"inference component is {status}; the change waits until it is InService"

    def fingerprint(self) -> str:
        d = self.described or {}
        owned = self.ctx.ownership.get(self.arn)
        return digest({"status": d.get("InferenceComponentStatus"),
                       "specification": live.live_canonical(d) if d else None,
                       "copies": live.copies(d), "tags": owned.tags if owned else None,
                       "autoscaling": live_autoscaling(self.scaling, self.rid, CopyAutoscaling)})

    def change(self, actions: list[Action], reason: Reason, entries: list[Any],
               steps: list[Step], summary: list[str], extra: dict[str, Any]) -> ResourceChange:
        return ResourceChange(self.resource.address, KIND, self.name, actions, reason, entries,
                              steps, {"summary": summary, **extra}, self.fingerprint(),
                              depends_on=self.depends_on(), waits=self.waits(),
                              spec_path=self.ctx.spec_path(self.resource))

    def refusal(self) -> Problem | None:
        """Why the component cannot be planned at all (its host, its model, its base)."""
        address = self.resource.address
        if self.host.problem is not None and not self.host.in_specs:
            return Problem(address, self.host.problem)
        model = self.spec.specification.model_name
        if model and model.startswith("arn:") and self.described is None:
            found = self.ctx.once(f"model-exists:{model}", lambda: self._model_exists(model))
            if not found:
                return Problem(address, f"model {model} does not exist (it is not defined in the "
                                        "specs either)")
        base = self.spec.specification.base_inference_component_name
        if base and self.ctx.specs.get(KIND, base) is None:
            found_base = live.describe(self.ctx.aws.client("sagemaker"), base)
            if found_base is None:
                return Problem(address, f"base inference component {base} is not defined in "
                                        "the specs and does not exist")
            if found_base.get("EndpointName") != self.spec.endpoint_name:
                return Problem(address, f"base inference component {base} is on endpoint "
                                        f"{found_base.get('EndpointName')}; an adapter must be "
                                        f"on the same endpoint ({self.spec.endpoint_name})")
        return None

    def _model_exists(self, arn: str) -> bool:
        try:
            self.ctx.aws.client("sagemaker").describe_model(ModelName=arn.rsplit("/", 1)[-1])
        except ClientError as err:
            if not_found(err):
                return False
            raise
        return True

    # -- the change ---------------------------------------------------------------------------
    def plan(self) -> ResourceChange | Problem | None:
        refused = self.refusal()
        if refused is not None:
            return refused
        ownership = self.ctx.ownership_tags(self.resource, digest(self.content()),
                                            extras.extra_tag(self.spec.aws_extra))
        if self.described is None:
            return self.create(ownership)
        owner = self.ctx.ownership.owner_env(self.arn)
        if owner is None:
            owner = self.confirm_owner()
        if owner != (self.ctx.env or ""):
            return Problem(self.resource.address, f"inference component {self.name} exists and "
                           "is " + ("not managed by sagectl" if owner is None else
                                    f"managed by sagectl environment {owner!r}"),
                           "adopt it with `sagectl import`, or rename the spec"
                           if owner is None else "")
        return self.update(ownership)

    def confirm_owner(self) -> str | None:
        """The owner from the component's own tags when the tagging-API snapshot missed it
        (``_live.confirm_owner``)."""
        return confirm_owner(self.ctx, self.arn, "sagemaker:inference-component")

    def create(self, ownership: dict[str, str]) -> ResourceChange:
        spec, name = self.spec, self.name
        request: dict[str, Any] = {"InferenceComponentName": name,
                                   "EndpointName": spec.endpoint_name,
                                   "VariantName": spec.variant_name,
                                   "Specification": live.desired_request(spec, self.names)}
        if spec.runtime_config is not None:
            request["RuntimeConfig"] = {"CopyCount": spec.runtime_config.copy_count}
        request.update(_extra(spec))
        request["Tags"] = tag_list({**spec.tags, **ownership})
        steps = [Step("sagemaker:CreateInferenceComponent", name, request, digest(request)),
                 Step("sagectl:wait", name, {"until": "InService"}),
                 Step("sagectl:verify", name, {"specification": live.spec_digest(
                     live.desired_canonical(spec, self.names))})]
        if spec.autoscaling is not None:
            steps += target_steps(self.rid, live.DIMENSION, spec.autoscaling, None)
        entries = diff(None, live.desired_canonical(spec, self.names), "specification")
        if spec.runtime_config is not None:
            entries += diff(None, spec.runtime_config.copy_count, "runtimeConfig.copyCount")
        entries += diff(None, desired_autoscaling(spec.autoscaling), "autoscaling")
        if spec.aws_extra:  # sent with CreateInferenceComponent: shown like a modelled field
            entries += diff(None, dict(spec.aws_extra), "awsExtra")
        entries += diff(None, dict(spec.tags), "tags")
        summary = [f"creates inference component {name} on variant {spec.variant_name} of "
                   f"endpoint {spec.endpoint_name}"]
        if spec.specification.is_adapter:
            summary.append(f"an adapter on {spec.specification.base_inference_component_name}")
        elif spec.runtime_config is not None:
            count = spec.runtime_config.copy_count
            scaling = spec.autoscaling
            summary.append(f"starts {count} cop{'y' if count == 1 else 'ies'}"
                           + (f"; then the autoscaler owns the count ({scaling.min_capacity}"
                              f"-{scaling.max_capacity})" if scaling else ""))
        line = capacity_line(spec, self.host, hosts.offer(self.ctx, self.host.instance_type)
                             if self.host.instance_type else None)
        if line:
            summary.append(line)
        return self.change([Action.CREATE], Common.NEW, entries,
                           undo.plan_undo(name, steps, None, self.scaling), summary,
                           {"copies": spec.runtime_config.copy_count if spec.runtime_config
                            else None})

    def update(self, ownership: dict[str, str]) -> ResourceChange | Problem | None:
        spec, name, described = self.spec, self.name, self.described
        assert described is not None
        owned = self.ctx.ownership.get(self.arn)
        live_tags = owned.tags if owned else {}
        extra_changes = extras.changes(spec.aws_extra, live_tags)
        if extra_changes.refused:
            return Problem(self.resource.address, "; ".join(extra_changes.refused) + ": SageMaker "
                           f"cannot change it on inference component {name} (rule 50)",
                           "put the value back, or create the component again under a new "
                           "name (a new spec name; the old component is deleted)")
        want_spec = live.desired_canonical(spec, self.names)
        have_spec = live.live_canonical(described)
        spec_entries = diff(have_spec, want_spec, "specification") + extra_changes.entries
        have_copies = live.copies(described)
        owner = spec.effective_capacity_owner
        want_copies = spec.runtime_config.copy_count \
            if spec.runtime_config is not None and owner == "spec" else None
        copy_entries = diff(have_copies, want_copies, "runtimeConfig.copyCount") \
            if want_copies is not None else []
        have_scaling = live_autoscaling(self.scaling, self.rid, CopyAutoscaling)
        want_scaling = desired_autoscaling(spec.autoscaling)
        scaling_entries = diff(have_scaling, want_scaling, "autoscaling")
        tag_entries = diff(user_tags(live_tags), dict(spec.tags), "tags")
        if not (spec_entries or copy_entries or scaling_entries or tag_entries):
            return None
        steps: list[Step] = []
        summary: list[str] = []
        extra: dict[str, Any] = {}
        reason: Reason = Common.TAGS_ONLY
        if spec_entries:
            reason = R.SPECIFICATION_CHANGED
            steps += self._update_steps(want_spec, have_spec, want_copies if copy_entries
                                        else None, have_copies, extra_changes.request)
            lines, extra["rollout"] = self._rollout(have_copies or 0, described)
            summary += [f"updates inference component {name}'s specification", *lines]
            self._check_batch(have_copies or 0)
        elif copy_entries:
            reason = R.COPY_COUNT_ONLY
            request = {"InferenceComponentName": name,
                       "DesiredRuntimeConfig": {"CopyCount": want_copies}}
            steps += [Step("sagemaker:UpdateInferenceComponentRuntimeConfig", name, request,
                           digest(request)),
                      Step("sagectl:wait", name, {"until": "InService"}),
                      Step("sagectl:verify", name, {"copies": want_copies})]
            summary.append(f"changes inference component {name}'s copies from {have_copies} to "
                           f"{want_copies} in place (no deployment)")
        if scaling_entries:
            if reason is Common.TAGS_ONLY:
                reason = R.AUTOSCALING_CHANGED
            if spec.autoscaling is None:
                target = self.scaling.targets.get(self.rid) or {}
                steps.append(deregister_step(self.rid, target.get("ScalableDimension",
                                                                  live.DIMENSION),
                                             "autoscaling left the spec"))
                summary.append("deregisters its copy autoscaling: the spec owns the count again")
            else:
                steps += target_steps(self.rid, live.DIMENSION, spec.autoscaling, have_scaling)
                summary.append("updates its copy autoscaling (the live copy count stays the "
                               "autoscaler's)")
        changed = bool(spec_entries or copy_entries or scaling_entries)
        steps += sagemaker_tag_steps(self.arn, live_tags,
                                     target_tags(live_tags, spec.tags, ownership, changed))
        if tag_entries:
            summary.append(f"updates the tags of inference component {name}")
        if owner == "autoscaling" and have_copies is not None:
            summary.append(f"copies: {have_copies} (the autoscaler's, left as they are)")
        return self.change([Action.UPDATE], reason,
                           spec_entries + copy_entries + scaling_entries + tag_entries,
                           undo.plan_undo(name, steps, described, self.scaling), summary, extra)

    def _update_steps(self, want: dict[str, Any], have: dict[str, Any],
                      copies: int | None, have_copies: int | None,
                      extra: dict[str, Any]) -> list[Step]:
        spec, name = self.spec, self.name
        request: dict[str, Any] = {"InferenceComponentName": name,
                                   "Specification": live.desired_request(spec, self.names),
                                   **extra}
        if copies is not None:  # spec-owned, changed too: one deployment
            request["RuntimeConfig"] = {"CopyCount": copies}
        if spec.deployment_config is not None:
            request["DeploymentConfig"] = boto_request(spec.deployment_config,
                                                       frozenset({"external"}))
        steps = [Step("sagemaker:UpdateInferenceComponent", name, request, digest(request),
                      note="rolled out by SageMaker in batches" if spec.deployment_config
                      else ""),
                 Step("sagectl:wait", name, {"until": "InService"}),
                 Step("sagectl:verify", name, {"specification": live.spec_digest(want),
                                               "previous": live.spec_digest(have),
                                               **({"copies": copies} if copies is not None
                                                  else {})})]
        cfg = spec.deployment_config
        if spec.bake.duration_in_seconds > 0 and cfg is not None:
            steps.append(Step("sagectl:bake", name, {
                "seconds": spec.bake.duration_in_seconds, "alarms": cfg.alarm_names(),
                "allowInsufficientData": spec.bake.allow_insufficient_data}))
        return steps

    def _rollout(self, copies: int, described: dict[str, Any]) -> tuple[list[str], Any]:
        offer = hosts.offer(self.ctx, self.host.instance_type) if self.host.instance_type \
            else None
        old = live.live_canonical(described).get("computeResourceRequirements")
        old_needs = capacity.needs_of(ComputeResourceRequirements.model_validate(
            old, strict=False) if old else None)
        others = [c for c in hosts.live_copies(self.ctx, self.host.endpoint, self.host.variant)
                  if c.name != self.name] if offer is not None and self.host.maximum else []
        lines, out = rolling(self.spec, copies, self.host, offer, old_needs, others)
        if out.get("no_room"):
            self.problems.append(Problem(
                self.resource.address, out["no_room"], "raise managedInstanceScaling."
                "maxInstanceCount, or lower deploymentConfig.rollingUpdatePolicy."
                "maximumBatchSize", severity="warning"))
        return lines, out

    def _check_batch(self, copies: int) -> None:
        cfg = self.spec.deployment_config
        if cfg is None:
            return
        wrong = batch_problem(cfg.rolling_update_policy.maximum_batch_size, copies)
        if wrong is not None:
            self.problems.append(Problem(
                self.resource.address, f"{wrong}: SageMaker would refuse the update "
                f"({copies} cop{'y' if copies == 1 else 'ies'} run now)",
                "use CAPACITY_PERCENT, or change the batch size"))


def _extra(spec: InferenceComponentSpec) -> dict[str, Any]:
    return extra_request(spec)


def delete(ctx: PlanContext, orphan: Orphan) -> ResourceChange:
    """Deregisters its copy autoscaling, deletes the component, waits until it is gone. An
    adapter goes before its base (``depends_on``: deletions run in reverse)."""
    owned = orphan.owned[0]
    name = owned.name
    described = live.describe(ctx.aws.client("sagemaker"), name)
    rid = live.resource_id(name)
    scaling = namespace_scaling(ctx)
    steps: list[Step] = []
    target = scaling.targets.get(rid)
    if target is not None:
        steps.append(deregister_step(rid, target["ScalableDimension"]))
    steps += [Step("sagemaker:DeleteInferenceComponent", name, {"InferenceComponentName": name}),
              Step("sagectl:wait", name, {"until": "deleted"})]
    base = ((described or {}).get("Specification") or {}).get("BaseInferenceComponentName")
    depends = _deletion_depends(ctx, described or {})
    return ResourceChange(orphan.address, KIND, orphan.name, [Action.DELETE], Common.NOT_IN_SPEC,
                          [], undo.plan_undo(name, steps, described, scaling),
                          {"summary": [f"deletes inference component {name}"
                                       + (f" (an adapter on {base})" if base else "")
                                       + ": its copies stop serving"]},
                          fingerprint=digest({"status": (described or {}).get(
                              "InferenceComponentStatus"), "tags": owned.tags}),
                          depends_on=depends)


def _deletion_depends(ctx: PlanContext, described: dict[str, Any]) -> list[str]:
    """What a component's deletion must come before, as ``depends_on`` (deletions run in
    reverse, and one whose dependant failed does not start): its base component, the endpoint
    that hosts it and the model it runs, when this environment owns them (they may be deleted in
    the same run; the endpoint cannot be while it still hosts the component)."""
    spec = described.get("Specification") or {}
    wanted = {"sagemaker:inference-component": spec.get("BaseInferenceComponentName"),
              "sagemaker:endpoint": described.get("EndpointName"),
              "sagemaker:model": spec.get("ModelName")}
    found = set()
    for resource_type, name in wanted.items():
        if not name:
            continue
        for owned in ctx.ownership.mine(resource_type):
            if owned.name == name.lower() and owned.address:
                found.add(owned.address)
    return sorted(found)
