"""Application Auto Scaling, shared by the kinds whose capacity it scales: the spec models
(target tracking, step scaling, scheduled actions), the live state of the ``sagemaker`` namespace
read in three paginated lists, and the steps that bring a scalable target to its spec.

Each kind parameterises what differs: the resource id and dimension of its target
(``endpoint/<e>/variant/<v>`` + ``sagemaker:variant:DesiredInstanceCount`` for endpoint variants,
``inference-component/<name>`` + ``sagemaker:inference-component:DesiredCopyCount`` for inference
components), the predefined metrics that apply, and whether a minimum of 0 is allowed (its own
``Autoscaling`` model derives from ``AutoscalingBase``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from reconciler.contract import Issue, SpecModel, duplicates
from reconciler.kinds._aws import boto_request
from reconciler.kinds._live import canonical, dump, from_boto
from reconciler.plan.model import Step
from reconciler.spec.nodes import Path

AAS = "application-autoscaling"

PredefinedMetricType = Literal[
    "SageMakerVariantInvocationsPerInstance",
    "SageMakerVariantConcurrentRequestsPerModelHighResolution",
    "SageMakerVariantProvisionedConcurrencyUtilization",
    "SageMakerInferenceComponentInvocationsPerCopy",
    "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution",
]
"""The SageMaker values of botocore's Application Auto Scaling ``MetricType``; which apply
depends on the scalable target (each kind says)."""

Statistic = Literal["Average", "Minimum", "Maximum", "SampleCount", "Sum"]
Cooldown = Annotated[int, Field(ge=0, le=86400)]
PrintableName = Annotated[str, StringConstraints(min_length=1, max_length=256,
                                                 pattern=r"^[^\x00-\x1f\x7f:/|]+$")]

_SCHEDULE = re.compile(
    r"^(at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)"
    r"|rate\([1-9]\d* (minute|minutes|hour|hours|day|days)\)"
    r"|cron\((\S+ ){5}\S+\))$")


class PredefinedMetricSpecification(SpecModel):
    predefined_metric_type: PredefinedMetricType
    """Endpoint variants: `SageMakerVariantInvocationsPerInstance` (requests per instance per
    minute), `SageMakerVariantConcurrentRequestsPerModelHighResolution`, or, for serverless
    provisioned concurrency, `SageMakerVariantProvisionedConcurrencyUtilization`. Inference
    components: `SageMakerInferenceComponentInvocationsPerCopy` or
    `SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution`."""
    resource_label: Annotated[str, StringConstraints(min_length=1, max_length=1023)] | None = None


class MetricDimension(SpecModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    value: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class CustomizedMetricSpecification(SpecModel):
    metric_name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    namespace: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    dimensions: list[MetricDimension] = []
    statistic: Statistic
    unit: str | None = None


class TargetTrackingScalingPolicyConfiguration(SpecModel):
    """Keep a metric near a target value (the usual choice for endpoints)."""

    target_value: Annotated[float, Field(gt=0)]
    """The value to hold the metric at, e.g. 70 invocations per instance per minute."""
    predefined_metric_specification: PredefinedMetricSpecification | None = None
    customized_metric_specification: CustomizedMetricSpecification | None = None
    scale_out_cooldown: Cooldown | None = None
    """Seconds after a scale-out before another scale-out."""
    scale_in_cooldown: Cooldown | None = None
    """Seconds after a scale-in before another scale-in."""
    disable_scale_in: bool = False


TargetTracking = TargetTrackingScalingPolicyConfiguration


class StepAdjustment(SpecModel):
    metric_interval_lower_bound: float | None = None
    metric_interval_upper_bound: float | None = None
    scaling_adjustment: int


class StepScalingPolicyConfiguration(SpecModel):
    """Scale by steps when a CloudWatch alarm (that names this policy) fires."""

    adjustment_type: Literal["ChangeInCapacity", "PercentChangeInCapacity", "ExactCapacity"]
    step_adjustments: Annotated[list[StepAdjustment], Field(min_length=1, max_length=20)]
    min_adjustment_magnitude: Annotated[int, Field(ge=1)] | None = None
    cooldown: Cooldown | None = None
    metric_aggregation_type: Literal["Average", "Minimum", "Maximum"] | None = None


class ScalingPolicy(SpecModel):
    policy_name: PrintableName
    policy_type: Literal["TargetTrackingScaling", "StepScaling"] | None = None
    """Optional: implied by which configuration is given."""
    target_tracking_scaling_policy_configuration: TargetTracking | None = None
    step_scaling_policy_configuration: StepScalingPolicyConfiguration | None = None

    @property
    def effective_type(self) -> str:
        if self.policy_type:
            return self.policy_type
        if self.step_scaling_policy_configuration is not None:
            return "StepScaling"
        return "TargetTrackingScaling"

    def check(self, at: Path, allowed: tuple[str, ...], what: str) -> Iterator[Issue]:
        """``allowed``: the predefined metrics that apply to ``what`` (``an instance-based
        variant``)."""
        tt = self.target_tracking_scaling_policy_configuration
        step = self.step_scaling_policy_configuration
        if (tt is None) == (step is None):
            yield Issue(at, "a scaling policy needs exactly one of "
                            "`targetTrackingScalingPolicyConfiguration` and "
                            "`stepScalingPolicyConfiguration`")
        elif self.policy_type is not None:
            given = "TargetTrackingScaling" if tt is not None else "StepScaling"
            if self.policy_type != given:
                yield Issue((*at, "policyType"), f"policyType {self.policy_type} does not match "
                                                 f"the configuration given ({given})")
        if tt is not None:
            cfg_at = (*at, "targetTrackingScalingPolicyConfiguration")
            pre, custom = tt.predefined_metric_specification, tt.customized_metric_specification
            if (pre is None) == (custom is None):
                yield Issue(cfg_at, "target tracking needs exactly one of "
                                    "`predefinedMetricSpecification` and "
                                    "`customizedMetricSpecification`")
            if pre is not None:
                metric = pre.predefined_metric_type
                if metric not in allowed:
                    yield Issue((*cfg_at, "predefinedMetricSpecification", "predefinedMetricType"),
                                f"{metric} does not apply to {what}; use "
                                f"{' or '.join(allowed)}")
        if step is not None:
            adj = step.step_adjustments
            open_low = [i for i, a in enumerate(adj) if a.metric_interval_lower_bound is None]
            open_high = [i for i, a in enumerate(adj) if a.metric_interval_upper_bound is None]
            for name, idx in (("lower", open_low), ("upper", open_high)):
                if len(idx) > 1:
                    yield Issue((*at, "stepScalingPolicyConfiguration", "stepAdjustments", idx[1]),
                                f"only one step adjustment may have no {name} bound")
            for i, a in enumerate(adj):
                lo, hi = a.metric_interval_lower_bound, a.metric_interval_upper_bound
                if lo is not None and hi is not None and lo >= hi:
                    yield Issue((*at, "stepScalingPolicyConfiguration", "stepAdjustments", i),
                                f"metricIntervalLowerBound ({lo}) must be below "
                                f"metricIntervalUpperBound ({hi})")


class ScalableTargetAction(SpecModel):
    min_capacity: Annotated[int, Field(ge=0)] | None = None
    max_capacity: Annotated[int, Field(ge=0)] | None = None


class ScheduledAction(SpecModel):
    scheduled_action_name: PrintableName
    schedule: Annotated[str, StringConstraints(min_length=1, max_length=1600)]
    """`at(yyyy-mm-ddThh:mm:ss)`, `rate(N minutes|hours|days)` or `cron(m h dom mon dow yr)`."""
    timezone: str | None = None
    """IANA time zone for `cron`/`at`, e.g. `Europe/Berlin` (default UTC)."""
    start_time: str | None = None
    end_time: str | None = None
    scalable_target_action: ScalableTargetAction


class AutoscalingBase(SpecModel):
    """A scalable target's bounds, policies and schedules; each kind derives its own model (its
    docstring, whether ``minCapacity`` may be 0)."""

    min_capacity: Annotated[int, Field(ge=0)]
    max_capacity: Annotated[int, Field(ge=1)]
    scaling_policies: Annotated[list[ScalingPolicy], Field(max_length=50)] = []
    scheduled_actions: Annotated[list[ScheduledAction], Field(max_length=200)] = []

    def check_target(self, at: Path, allowed: tuple[str, ...], what: str) -> Iterator[Issue]:
        """The rules of a scalable target whose predefined metrics are ``allowed``."""
        if self.min_capacity > self.max_capacity:
            yield Issue((*at, "minCapacity"), f"minCapacity ({self.min_capacity}) is greater "
                                              f"than maxCapacity ({self.max_capacity})")
        names = [p.policy_name for p in self.scaling_policies]
        for name, idx in duplicates(names).items():
            for i in idx:
                yield Issue((*at, "scalingPolicies", i, "policyName"),
                            f"duplicate scaling policy name {name!r}")
        for i, policy in enumerate(self.scaling_policies):
            yield from policy.check((*at, "scalingPolicies", i), allowed, what)
        names = [a.scheduled_action_name for a in self.scheduled_actions]
        for name, idx in duplicates(names).items():
            for i in idx:
                yield Issue((*at, "scheduledActions", i, "scheduledActionName"),
                            f"duplicate scheduled action name {name!r}")
        for i, action in enumerate(self.scheduled_actions):
            a_at = (*at, "scheduledActions", i)
            if not _SCHEDULE.match(action.schedule):
                yield Issue((*a_at, "schedule"), "expected at(yyyy-mm-ddThh:mm:ss), rate(N "
                                                 "minutes|hours|days) or cron(6 fields), got "
                                                 f"{action.schedule!r}")
            t = action.scalable_target_action
            if t.min_capacity is None and t.max_capacity is None:
                yield Issue((*a_at, "scalableTargetAction"),
                            "set minCapacity and/or maxCapacity")
            if (t.min_capacity is not None and t.max_capacity is not None
                    and t.min_capacity > t.max_capacity):
                yield Issue((*a_at, "scalableTargetAction", "minCapacity"),
                            f"minCapacity ({t.min_capacity}) is greater than maxCapacity "
                            f"({t.max_capacity})")


# -- live state --------------------------------------------------------------------------------

@dataclass
class Scaling:
    """Live Application Auto Scaling state of the ``sagemaker`` namespace, by resource id."""

    targets: dict[str, dict[str, Any]] = field(default_factory=dict)
    policies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    actions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _by_endpoint: dict[str, list[tuple[str, str]]] | None = field(default=None, repr=False)

    def targets_of(self, endpoint: str) -> list[tuple[str, str, dict[str, Any]]]:
        """``(variant, resource id, target)`` of one endpoint's scalable variants, by variant."""
        if self._by_endpoint is None:
            index: dict[str, list[tuple[str, str]]] = defaultdict(list)
            for rid in sorted(self.targets):
                parts = rid.split("/")
                if len(parts) == 4 and parts[0] == "endpoint" and parts[2] == "variant":
                    index[parts[1]].append((parts[3], rid))
            self._by_endpoint = dict(index)
        return [(variant, rid, self.targets[rid])
                for variant, rid in self._by_endpoint.get(endpoint, [])]

    def policy(self, rid: str, name: str) -> dict[str, Any] | None:
        return next((p for p in self.policies.get(rid, []) if p["PolicyName"] == name), None)

    def action(self, rid: str, name: str) -> dict[str, Any] | None:
        return next((a for a in self.actions.get(rid, []) if a["ScheduledActionName"] == name),
                    None)


NAMESPACE_READ = "application-autoscaling:sagemaker"
"""``EarlyReads`` key of the ``sagemaker`` namespace's scalable targets, policies and scheduled
actions: endpoints' variants and inference components share it, so it is read once a plan."""


def start_scaling_read(aws: Any) -> Any:
    """Start the three paginated reads of the ``sagemaker`` namespace on ``aws``'s pool
    (``finish_scaling_read`` later). Through ``start_namespace_read``: once a plan."""
    def read(operation: str, key: str) -> list[dict[str, Any]]:
        return aws.paginate(AAS, operation, key,  # type: ignore[no-any-return]
                            ServiceNamespace="sagemaker")

    aws.client(AAS)  # on the caller's thread (``EarlyReads.start``)
    # policies first: 10 a page, the longest chain of a plan
    return [aws.submit(read, "describe_scaling_policies", "ScalingPolicies"),
            aws.submit(read, "describe_scalable_targets", "ScalableTargets"),
            aws.submit(read, "describe_scheduled_actions", "ScheduledActions")]


def start_namespace_read(early: Any) -> None:
    """``Kind.start_region_reads`` of the kinds with scalable resources in the namespace."""
    early.start(NAMESPACE_READ, start_scaling_read)


def namespace_scaling(ctx: Any) -> Scaling:
    """The namespace's scaling as this plan read it (started early, or now), once a plan."""
    return ctx.once(NAMESPACE_READ, lambda: finish_scaling_read(  # type: ignore[no-any-return]
        ctx.early.start(NAMESPACE_READ, start_scaling_read)))


def finish_scaling_read(futures: Any) -> Scaling:
    policies, targets, actions = (f.result() for f in futures)
    scaling = Scaling()
    for t in targets:
        scaling.targets[t["ResourceId"]] = t
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in policies:
        grouped[p["ResourceId"]].append(p)
    scaling.policies = dict(grouped)
    grouped = defaultdict(list)
    for a in actions:
        grouped[a["ResourceId"]].append(a)
    scaling.actions = dict(grouped)
    return scaling


def read_scaling(aws: Any, rids: list[str]) -> Scaling:
    """Scalable targets of these resource ids (50 a call) and the policies and scheduled actions
    of those that have one (an import's read: a few resources, not the whole namespace)."""
    scaling = Scaling()
    for start in range(0, len(rids), 50):
        for target in aws.paginate(AAS, "describe_scalable_targets", "ScalableTargets",
                                   ServiceNamespace="sagemaker",
                                   ResourceIds=rids[start:start + 50]):
            if target["ResourceId"] in rids:
                scaling.targets[target["ResourceId"]] = target
    for rid, target in scaling.targets.items():
        where = {"ServiceNamespace": "sagemaker", "ResourceId": rid,
                 "ScalableDimension": target["ScalableDimension"]}
        scaling.policies[rid] = [p for p in aws.paginate(
            AAS, "describe_scaling_policies", "ScalingPolicies", **where)
            if p["ResourceId"] == rid]
        scaling.actions[rid] = [a for a in aws.paginate(
            AAS, "describe_scheduled_actions", "ScheduledActions", **where)
            if a["ResourceId"] == rid]
    return scaling


def live_autoscaling(scaling: Scaling, rid: str, model: type[AutoscalingBase]
                     ) -> dict[str, Any] | None:
    """Spec-shaped autoscaling of one scalable target, as AWS has it (what the spec does not
    own, such as a policy's ``Alarms``, Application Auto Scaling's, is dropped by
    ``from_boto``)."""
    target = scaling.targets.get(rid)
    if target is None:
        return None
    policies = [from_boto(ScalingPolicy, p)
                for p in sorted(scaling.policies.get(rid, []), key=lambda p: p["PolicyName"])]
    actions = [from_boto(ScheduledAction, a)
               for a in sorted(scaling.actions.get(rid, []),
                               key=lambda a: a["ScheduledActionName"])]
    for a in actions:
        for when in ("startTime", "endTime"):
            if when in a and not isinstance(a[when], str):
                a[when] = a[when].isoformat()
    data = {"minCapacity": target["MinCapacity"], "maxCapacity": target["MaxCapacity"],
            "scalingPolicies": policies, "scheduledActions": actions}
    return canonical(model, data)


def desired_autoscaling(autoscaling: AutoscalingBase | None) -> dict[str, Any] | None:
    """Spec-shaped autoscaling with every policy's type made explicit."""
    if autoscaling is None:
        return None
    out = dump(autoscaling)
    for spec_policy, policy in zip(autoscaling.scaling_policies,
                                   out.get("scalingPolicies", []), strict=True):
        policy["policyType"] = spec_policy.effective_type
    return out


# -- steps -------------------------------------------------------------------------------------

POLICY_FIELDS = ("PolicyName", "PolicyType", "TargetTrackingScalingPolicyConfiguration",
                 "StepScalingPolicyConfiguration")
"""What PutScalingPolicy takes back of a described policy; not ``Alarms``: a target-tracking
policy's are Application Auto Scaling's, made again by the put (kinds/alarm/managed.py)."""
ACTION_FIELDS = ("ScheduledActionName", "Schedule", "Timezone", "StartTime", "EndTime",
                 "ScalableTargetAction")
"""What PutScheduledAction takes back of a described scheduled action."""


def policy_request(described: dict[str, Any]) -> dict[str, Any]:
    return {k: described[k] for k in described if k in POLICY_FIELDS}


def action_request(described: dict[str, Any]) -> dict[str, Any]:
    return {k: described[k] for k in described if k in ACTION_FIELDS}


def target_params(rid: str, dimension: str) -> dict[str, Any]:
    return {"ServiceNamespace": "sagemaker", "ResourceId": rid, "ScalableDimension": dimension}


def target_steps(rid: str, dimension: str, autoscaling: AutoscalingBase,
                 live: dict[str, Any] | None) -> list[Step]:
    """Bring the scalable target ``rid`` from ``live`` (spec-shaped, from ``live_autoscaling``;
    None: not registered, so everything is put) to ``autoscaling``."""
    wanted = desired_autoscaling(autoscaling)
    assert wanted is not None
    base = target_params(rid, dimension)
    steps = []
    if live is None or (live["minCapacity"], live["maxCapacity"]) != (
            wanted["minCapacity"], wanted["maxCapacity"]):
        steps.append(Step(f"{AAS}:RegisterScalableTarget", rid,
                          {**base, "MinCapacity": wanted["minCapacity"],
                           "MaxCapacity": wanted["maxCapacity"]}))
    have_policies = {p["policyName"]: p for p in (live or {}).get("scalingPolicies", [])}
    for spec_policy, policy in zip(autoscaling.scaling_policies, wanted["scalingPolicies"],
                                   strict=True):
        if have_policies.get(policy["policyName"]) != policy:
            steps.append(Step(f"{AAS}:PutScalingPolicy", f"{rid}:{policy['policyName']}",
                              {**base, **boto_request(spec_policy),
                               "PolicyType": spec_policy.effective_type}))
    for stale in sorted(set(have_policies) - {p["policyName"] for p in wanted["scalingPolicies"]}):
        steps.append(Step(f"{AAS}:DeleteScalingPolicy", f"{rid}:{stale}",
                          {**base, "PolicyName": stale}))
    have_actions = {a["scheduledActionName"]: a for a in (live or {}).get("scheduledActions", [])}
    for spec_action, action in zip(autoscaling.scheduled_actions, wanted["scheduledActions"],
                                   strict=True):
        if have_actions.get(action["scheduledActionName"]) != action:
            steps.append(Step(f"{AAS}:PutScheduledAction",
                              f"{rid}:{action['scheduledActionName']}",
                              {**base, **boto_request(spec_action)}))
    for stale in sorted(set(have_actions) - {a["scheduledActionName"]
                                             for a in wanted["scheduledActions"]}):
        steps.append(Step(f"{AAS}:DeleteScheduledAction", f"{rid}:{stale}",
                          {**base, "ScheduledActionName": stale}))
    return steps


def deregister_step(rid: str, dimension: str, why: str = "") -> Step:
    return Step(f"{AAS}:DeregisterScalableTarget", rid, target_params(rid, dimension), note=why)
