"""Live resources -> spec documents (plain data in spec casing, defaults left out).

Each document is what the plan needs to find the live resource unchanged once it is adopted:

- Model: the DescribeModel response in spec form, its user tags, and the live name in
  ``metadata.annotations["sagectl.io/aws-name"]`` (the model kind plans with it, see
  ``reconciler/kinds/model/adopt.py``).
- Endpoint: the endpoint config in spec form with the models' spec names; weights, spec-owned
  instance counts and serverless concurrency as the endpoint has them *now* (DescribeEndpoint:
  the live truth, which may differ from the config's initial values after
  UpdateEndpointWeightsAndCapacities); each autoscaled variant gets ``capacityOwner: autoscaling``
  and its ``autoscaling`` (its count belongs to the autoscaler, so the config's initial count is
  kept, within [min, max]); ``deploymentConfig`` from the last deployment; user tags.
- Alarm: the DescribeAlarms entry in spec form and its user tags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.importer.fields import integral, prune, unmanaged, user_tags
from reconciler.importer.live import LiveEndpoint, Tagged
from reconciler.kinds._live import canonical, from_boto
from reconciler.kinds.alarm.plan import SAGECTL_ONLY as ALARM_ONLY
from reconciler.kinds.alarm.spec import AlarmSpec
from reconciler.kinds.endpoint.autoscaling import Autoscaling, ScalingPolicy, ScheduledAction
from reconciler.kinds.endpoint.deployment import DeploymentConfig
from reconciler.kinds.endpoint.live import live_autoscaling
from reconciler.kinds.endpoint.requests import SAGECTL_FIELDS, resource_id
from reconciler.kinds.endpoint.spec import EndpointSpec
from reconciler.kinds.model.adopt import AWS_NAME_ANNOTATION, live_spec
from reconciler.kinds.model.content import SM_ONLY as MODEL_ONLY
from reconciler.kinds.model.spec import ModelSpec
from reconciler.spec.documents import API_VERSION

READ_ONLY = frozenset({
    "ModelName", "ModelArn", "CreationTime", "DeploymentRecommendation",
    "EndpointConfigName", "EndpointConfigArn",
    "AlarmName", "AlarmArn", "AlarmConfigurationUpdatedTimestamp", "StateValue", "StateReason",
    "StateReasonData", "StateUpdatedTimestamp", "StateTransitionedTimestamp", "EvaluationState",
})
"""Response fields that describe a resource rather than configure it."""
SCALING_READ_ONLY = frozenset({"PolicyARN", "ScheduledActionARN", "ServiceNamespace",
                               "ResourceId", "ScalableDimension", "Alarms", "CreationTime"})


@dataclass
class Document:
    kind: str
    name: str
    spec: dict[str, Any]
    source: Tagged
    """The live resource it describes (and that adoption tags)."""
    annotations: dict[str, str] = field(default_factory=dict)
    config: Tagged | None = None
    """For an Endpoint: its live endpoint config (adoption tags it too)."""
    comments: dict[tuple[str | int, ...], str] = field(default_factory=dict)
    """Comment lines above keys, by path from the document root."""

    @property
    def address(self) -> str:
        return f"{self.kind}.{self.name}"

    def data(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {"name": self.name}
        if self.annotations:
            metadata["annotations"] = dict(self.annotations)
        return {"apiVersion": API_VERSION, "kind": self.kind, "metadata": metadata,
                "spec": self.spec}


def _unmanaged_warning(what: str, paths: list[str], consequence: str) -> list[str]:
    if not paths:
        return []
    return [f"{what} has settings sagectl does not manage: {', '.join(paths)}; {consequence}"]


# -- models ------------------------------------------------------------------------------------

def model_document(live: Tagged, name: str) -> tuple[Document, list[str]]:
    """A Model spec named ``name`` for the live model ``live``."""
    spec = prune(ModelSpec, live_spec(live.described))
    spec = {k: v for k, v in spec.items() if k not in MODEL_ONLY}
    tags = user_tags(live.tags)
    if tags:
        spec["tags"] = tags
    doc = Document("Model", name, integral(spec), live, {AWS_NAME_ANNOTATION: live.name})
    containers = ([("primaryContainer",)] if "primaryContainer" in spec else
                  [("containers", i) for i in range(len(spec.get("containers", [])))])
    secrets = []
    for at in containers:
        container = spec[at[0]] if len(at) == 1 else spec[at[0]][at[1]]
        if container.get("environment"):
            doc.comments[("spec", *at, "environment")] = (
                "copied from the live model as is: review before committing (secrets?)")
            secrets += sorted(container["environment"])
    warnings = _unmanaged_warning(
        f"model {live.name}", unmanaged(ModelSpec, live.described, READ_ONLY),
        "a new version of this Model created by sagectl will not have them")
    if secrets:
        warnings.append(f"model {live.name}: the spec contains container environment values "
                        f"({', '.join(secrets)}); review them before committing")
    return doc, warnings


# -- alarms ------------------------------------------------------------------------------------

def alarm_document(live: Tagged) -> tuple[Document, list[str]]:
    spec = canonical(AlarmSpec, from_boto(AlarmSpec, live.described), ALARM_ONLY)
    spec = prune(AlarmSpec, spec)
    if spec.get("treatMissingData") == "missing":
        del spec["treatMissingData"]  # CloudWatch's default, filled by the plan
    if spec.get("datapointsToAlarm") == spec.get("evaluationPeriods"):
        spec.pop("datapointsToAlarm", None)
    tags = user_tags(live.tags)
    if tags:
        spec["tags"] = tags
    warnings = _unmanaged_warning(f"alarm {live.name}",
                                  unmanaged(AlarmSpec, live.described, READ_ONLY),
                                  "an update by sagectl (PutMetricAlarm) would drop them")
    return Document("Alarm", live.name, integral(spec), live), warnings


# -- endpoints ---------------------------------------------------------------------------------

@dataclass
class AlarmRef:
    name: str
    external: bool


def _autoscaling(ep: LiveEndpoint, variant: str) -> dict[str, Any] | None:
    found = live_autoscaling(ep.scaling, resource_id(ep.name, variant))
    if found is None:
        return None
    out = prune(Autoscaling, found)
    for policy in out.get("scalingPolicies", []):
        implied = ("StepScaling" if "stepScalingPolicyConfiguration" in policy
                   else "TargetTrackingScaling")
        if policy.get("policyType") == implied:
            del policy["policyType"]
    return out


def _within(value: int, low: int, high: int) -> int:
    return min(max(value, low), high)


def _capacity(ep: LiveEndpoint, variant: dict[str, Any], warnings: list[str]) -> None:
    """Weights, counts and concurrency as the endpoint has them now; autoscaling if any."""
    name = variant["variantName"]
    live = ep.live_variant(name) or {}
    scaling = _autoscaling(ep, name)
    if live.get("DesiredWeight") is not None:
        variant["initialVariantWeight"] = float(live["DesiredWeight"])
    serverless = variant.get("serverlessConfig")
    if serverless is not None:
        desired = live.get("DesiredServerlessConfig") or live.get("CurrentServerlessConfig") or {}
        if desired.get("MaxConcurrency") is not None:
            serverless["maxConcurrency"] = desired["MaxConcurrency"]
        if scaling is None and desired.get("ProvisionedConcurrency") is not None:
            serverless["provisionedConcurrency"] = desired["ProvisionedConcurrency"]
    elif scaling is None and live.get("DesiredInstanceCount") is not None:
        variant["initialInstanceCount"] = live["DesiredInstanceCount"]
    if scaling is None:
        return
    key, holder = (("provisionedConcurrency", serverless) if serverless is not None
                   else ("initialInstanceCount", variant))
    if holder.get(key) is not None:
        inside = _within(holder[key], scaling["minCapacity"], scaling["maxCapacity"])
        if inside != holder[key]:
            warnings.append(f"endpoint {ep.name}: variant {name}'s initial {key} {holder[key]} "
                            f"is outside its autoscaling range; the spec says {inside}")
        holder[key] = inside
    variant["capacityOwner"] = "autoscaling"
    variant["autoscaling"] = scaling


def _deployment(ep: LiveEndpoint, alarms: list[AlarmRef]) -> dict[str, Any] | None:
    last = ep.endpoint.described.get("LastDeploymentConfig")
    if not last:
        return None
    cfg = prune(DeploymentConfig, canonical(DeploymentConfig, from_boto(DeploymentConfig, last)))
    if alarms:
        cfg["autoRollbackConfiguration"] = {"alarms": [
            {"alarmName": a.name, **({"external": True} if a.external else {})}
            for a in alarms]}
    else:
        cfg.pop("autoRollbackConfiguration", None)
    return cfg or None


def endpoint_document(ep: LiveEndpoint, model_names: dict[str, str],
                      alarms: list[AlarmRef]) -> tuple[Document, list[str]]:
    """The Endpoint spec. ``model_names``: live model name -> Model spec name; ``alarms``: the
    rollback alarms to name (those that exist, some as external references)."""
    warnings: list[str] = []
    spec = canonical(EndpointSpec, from_boto(EndpointSpec, ep.config.described), SAGECTL_FIELDS)
    for group in ("productionVariants", "shadowProductionVariants"):
        for variant in spec.get(group, []):
            variant["modelName"] = model_names[variant["modelName"]]
            _capacity(ep, variant, warnings)
    deployment = _deployment(ep, alarms)
    if deployment:
        spec["deploymentConfig"] = deployment
    tags = user_tags(ep.endpoint.tags)
    if tags:
        spec["tags"] = tags
    spec = prune(EndpointSpec, spec)
    ignore = READ_ONLY | {"ModelName"}
    warnings += _unmanaged_warning(
        f"endpoint config {ep.config.name}", unmanaged(EndpointSpec, ep.config.described, ignore),
        "a new config created by sagectl will not have them")
    dropped = "an update by sagectl would drop them"
    for rid, target in sorted(ep.scaling.targets.items()):
        for policy in ep.scaling.policies.get(rid, []):
            warnings += _unmanaged_warning(
                f"scaling policy {policy['PolicyName']} of {rid}",
                unmanaged(ScalingPolicy, policy, SCALING_READ_ONLY), dropped)
        for action in ep.scaling.actions.get(rid, []):
            warnings += _unmanaged_warning(
                f"scheduled action {action['ScheduledActionName']} of {rid}",
                unmanaged(ScheduledAction, action, SCALING_READ_ONLY), dropped)
        suspended = [k for k, v in (target.get("SuspendedState") or {}).items() if v]
        if suspended:
            warnings.append(f"scalable target {rid} has {', '.join(suspended)}; sagectl does "
                            "not manage suspension (it stays as it is)")
    return Document("Endpoint", ep.name, integral(spec), ep.endpoint, config=ep.config), warnings
