"""``sagectl import ENDPOINT...``: the endpoint kind is the import root. It reads the endpoints,
their configs and Application Auto Scaling of their variants, asks the Model, Alarm and
InferenceComponent kinds (by name, through the registry) to read, name and describe the models
its variants and components serve, the alarms it uses and the components it hosts, and the
MonitoringSchedule and job definition kinds for the schedules that watch it and the definitions
they run; it writes one file per endpoint: its models, the endpoint, its components, its
alarms, the definitions, the schedules.

Refused (nothing written): an endpoint that does not exist or is not InService, one sagectl
manages or the tree defines already, one whose name is too long for content-named configs
(54 characters), one whose config another endpoint uses too.

The Endpoint document: the endpoint config in spec form with the models' spec names; weights,
spec-owned instance counts and serverless concurrency as the endpoint has them *now*
(DescribeEndpoint: the live truth, which may differ from the config's initial values after
UpdateEndpointWeightsAndCapacities); each autoscaled variant gets ``capacityOwner: autoscaling``
and its ``autoscaling`` (its count belongs to the autoscaler, so the config's initial count is
kept, within [min, max]); ``deploymentConfig`` from the last deployment; user tags.

Adoption tags the config and the endpoint as ``plan`` would have; the config's tags are left out
of the rehearsal, whose plan then describes the config and compares its structure itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws import batches
from reconciler.importer.adopt import Tagging
from reconciler.importer.documents import Document, ImportUnit
from reconciler.importer.live import ImportRefused, Tagged, clean, read_tags
from reconciler.importer.naming import ImportContext
from reconciler.kinds._aws import CONTENT_SUFFIX_LEN
from reconciler.kinds._documents import integral, prune, unmanaged, unmanaged_warning, user_tags
from reconciler.kinds._live import add_tags, canonical, from_boto, not_found
from reconciler.kinds._monitoring import import_definitions, import_monitoring
from reconciler.kinds.endpoint.autoscaling import Autoscaling, ScalingPolicy, ScheduledAction
from reconciler.kinds.endpoint.changes import EndpointPlanner
from reconciler.kinds.endpoint.deployment import DeploymentConfig
from reconciler.kinds.endpoint.live import LiveEndpoint, Scaling, live_autoscaling
from reconciler.kinds.endpoint.requests import SAGECTL_FIELDS, build, resource_id, variant_models
from reconciler.kinds.endpoint.spec import EndpointSpec
from reconciler.plan.context import PlanContext
from reconciler.plan.model import Problem
from reconciler.spec.resources import Resource

MAX_NAME = 63 - CONTENT_SUFFIX_LEN
ROLLBACK, METRIC = "rollback", "metric"
"""How an endpoint uses an alarm (the Alarm kind's ``import_choice`` role)."""
READ_ONLY = frozenset({"EndpointConfigName", "EndpointConfigArn", "CreationTime", "ModelName"})
"""Config response fields that describe rather than configure (a variant's model is named)."""
SCALING_READ_ONLY = frozenset({"PolicyARN", "ScheduledActionARN", "ServiceNamespace",
                               "ResourceId", "ScalableDimension", "Alarms", "CreationTime"})


@dataclass
class ImportedEndpoint:
    """One endpoint to import, as read: the endpoint, its config, the scaling of its variants
    and the alarms it uses."""

    endpoint: Tagged
    config: Tagged
    scaling: Scaling
    rollback_alarms: list[str]
    metric_alarms: list[str]

    @property
    def name(self) -> str:
        return self.endpoint.name

    def variants(self) -> list[dict[str, Any]]:
        """The config's production and shadow variants."""
        cfg = self.config.described
        return list(cfg.get("ProductionVariants", [])) + list(
            cfg.get("ShadowProductionVariants", []))

    def live_variant(self, name: str) -> dict[str, Any] | None:
        """The endpoint's view of a variant: weights and counts as they are now."""
        return LiveEndpoint(self.endpoint.described).variant(name)


# -- reading -------------------------------------------------------------------------------------

def _endpoint(ictx: ImportContext, name: str) -> Tagged:
    try:
        described = clean(ictx.aws.client("sagemaker").describe_endpoint(EndpointName=name))
    except ClientError as err:
        if not_found(err):
            raise ImportRefused(f"endpoint {name} does not exist in {ictx.aws.region}") from None
        raise
    status = described.get("EndpointStatus")
    if status != "InService":
        raise ImportRefused(f"endpoint {name} is {status}; import it once it is InService "
                            "(its config may still change)")
    return Tagged(name, described["EndpointArn"], described, {})


def _config(ictx: ImportContext, name: str) -> Tagged:
    described = clean(ictx.aws.client("sagemaker").describe_endpoint_config(
        EndpointConfigName=name))
    return Tagged(name, described["EndpointConfigArn"], described, {})


def _scaling(ictx: ImportContext, endpoint: str, variants: list[str]) -> Scaling:
    """Scalable targets, policies and scheduled actions of the endpoint's variants."""
    aws = ictx.aws
    scaling = Scaling()
    rids = [resource_id(endpoint, v) for v in variants]
    for batch in batches(rids, 50):
        for target in aws.paginate("application-autoscaling", "describe_scalable_targets",
                                   "ScalableTargets", ServiceNamespace="sagemaker",
                                   ResourceIds=batch):
            if target["ResourceId"] in rids:
                scaling.targets[target["ResourceId"]] = target
    for rid, target in scaling.targets.items():
        dimension = target["ScalableDimension"]
        policies = aws.paginate("application-autoscaling", "describe_scaling_policies",
                                "ScalingPolicies", ServiceNamespace="sagemaker", ResourceId=rid,
                                ScalableDimension=dimension)
        actions = aws.paginate("application-autoscaling", "describe_scheduled_actions",
                               "ScheduledActions", ServiceNamespace="sagemaker", ResourceId=rid,
                               ScalableDimension=dimension)
        scaling.policies[rid] = [p for p in policies if p["ResourceId"] == rid]
        scaling.actions[rid] = [a for a in actions if a["ResourceId"] == rid]
    return scaling


def _rollback_alarms(described: dict[str, Any]) -> list[str]:
    cfg = (described.get("LastDeploymentConfig") or {}).get("AutoRollbackConfiguration") or {}
    return [a["AlarmName"] for a in cfg.get("Alarms", [])]


def _check(ictx: ImportContext, ep: ImportedEndpoint) -> None:
    """Refuse an endpoint sagectl cannot take over as it is."""
    live, config, name = ep.endpoint, ep.config, ep.name
    if live.managed:
        raise ImportRefused(f"endpoint {name} is already managed by sagectl "
                            f"({live.owner_text()}): there is nothing to import")
    defined = ictx.tree.named("Endpoint")
    if name in defined:
        raise ImportRefused(f"endpoint {name} is already defined in {defined[name].file}")
    if len(name) > MAX_NAME:
        raise ImportRefused(f"endpoint {name} has {len(name)} characters; sagectl manages "
                            f"endpoints of up to {MAX_NAME} (it names their configs "
                            "<endpoint>-<hash8>)")
    if config.managed and not ictx.mine(config, f"Endpoint.{name}"):
        raise ImportRefused(f"endpoint config {config.name} of endpoint {name} is managed "
                            f"by sagectl ({config.owner_text()})")
    users: dict[str, str] = ictx.once("endpoint:configs", dict)
    other = users.setdefault(config.name, name)
    if other != name:
        raise ImportRefused(f"endpoints {other} and {name} share endpoint config "
                            f"{config.name}; sagectl gives each endpoint configs of its own "
                            "(and deletes old ones): import them one at a time, after "
                            "moving one to a config of its own")


# -- the document --------------------------------------------------------------------------------

@dataclass
class AlarmRef:
    name: str
    external: bool


def _autoscaling(ep: ImportedEndpoint, variant: str) -> dict[str, Any] | None:
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


def _capacity(ep: ImportedEndpoint, variant: dict[str, Any], warnings: list[str]) -> None:
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


def _deployment(ep: ImportedEndpoint, alarms: list[AlarmRef]) -> dict[str, Any] | None:
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


def endpoint_document(ictx: ImportContext, ep: ImportedEndpoint, model_names: dict[str, str],
                      alarms: list[AlarmRef]) -> Document:
    """The Endpoint spec. ``model_names``: live model name -> Model spec name; ``alarms``: the
    rollback alarms to name (those that exist, some as external references)."""
    warnings: list[str] = []
    spec = canonical(EndpointSpec, from_boto(EndpointSpec, ep.config.described), SAGECTL_FIELDS)
    for group in ("productionVariants", "shadowProductionVariants"):
        for variant in spec.get(group, []):
            if "modelName" in variant:  # none: the variant hosts inference components
                variant["modelName"] = model_names[variant["modelName"]]
            for pool in variant.get("instancePools", []):
                if "modelNameOverride" in pool:
                    pool["modelNameOverride"] = model_names[pool["modelNameOverride"]]
            _capacity(ep, variant, warnings)
    deployment = _deployment(ep, alarms)
    if deployment:
        spec["deploymentConfig"] = deployment
    tags = user_tags(ep.endpoint.tags)
    if tags:
        spec["tags"] = tags
    spec = prune(EndpointSpec, spec)
    warnings += unmanaged_warning(
        f"endpoint config {ep.config.name}",
        unmanaged(EndpointSpec, ep.config.described, READ_ONLY),
        "a new config created by sagectl will not have them")
    dropped = "an update by sagectl would drop them"
    for rid, target in sorted(ep.scaling.targets.items()):
        for policy in ep.scaling.policies.get(rid, []):
            warnings += unmanaged_warning(
                f"scaling policy {policy['PolicyName']} of {rid}",
                unmanaged(ScalingPolicy, policy, SCALING_READ_ONLY), dropped)
        for action in ep.scaling.actions.get(rid, []):
            warnings += unmanaged_warning(
                f"scheduled action {action['ScheduledActionName']} of {rid}",
                unmanaged(ScheduledAction, action, SCALING_READ_ONLY), dropped)
        suspended = [k for k, v in (target.get("SuspendedState") or {}).items() if v]
        if suspended:
            warnings.append(f"scalable target {rid} has {', '.join(suspended)}; sagectl does "
                            "not manage suspension (it stays as it is)")
    ictx.warnings += warnings
    return Document("Endpoint", ep.name, integral(spec), ep.endpoint, also=(ep.config,))


# -- the files -----------------------------------------------------------------------------------

def import_files(ictx: ImportContext, names: list[str]) -> list[ImportUnit]:
    """Read the endpoints and what they use; one file each: its new Model documents, the
    Endpoint, its new Alarm documents."""
    models_kind, alarms_kind = ictx.kinds["Model"], ictx.kinds["Alarm"]
    aws = ictx.aws
    endpoints = aws.map(lambda n: _endpoint(ictx, n), names)
    configs = aws.map(lambda e: _config(ictx, e.described["EndpointConfigName"]), endpoints)
    metric = alarms_kind.import_related(ictx, "Endpoint", names)
    eps = []
    for endpoint, config in zip(endpoints, configs, strict=True):
        variants = [v["VariantName"] for v in config.described.get("ProductionVariants", [])
                    + config.described.get("ShadowProductionVariants", [])]
        eps.append(ImportedEndpoint(endpoint, config, _scaling(ictx, endpoint.name, variants),
                                    _rollback_alarms(endpoint.described),
                                    sorted(metric.get(endpoint.name, []))))
    # the inference components the endpoints host: the kind of them reads and describes them
    ic_kind = ictx.kinds.get("InferenceComponent")
    hosted = ic_kind.import_related(ictx, "Endpoint", names) if ic_kind else {}
    components = ic_kind.import_read(ictx, sorted({c for cs in hosted.values() for c in cs})) \
        if ic_kind and any(hosted.values()) else {}
    component_models = {name: model for name, c in components.items()
                        if (model := (c.described.get("Specification") or {}).get("ModelName"))}
    models = models_kind.import_read(ictx, sorted({m for e in eps for v in e.variants()
                                                   for m in variant_models(v)}
                                                  | set(component_models.values())))
    alarms = alarms_kind.import_read(ictx, sorted({a for e in eps
                                                   for a in e.rollback_alarms + e.metric_alarms}))
    # the monitoring schedules that watch the endpoints and the job definitions they run
    ms_kind = ictx.kinds.get("MonitoringSchedule")
    watching = ms_kind.import_related(ictx, "Endpoint", names) if ms_kind else {}
    schedules = ms_kind.import_read(ictx, sorted({s for ss in watching.values() for s in ss})) \
        if ms_kind and any(watching.values()) else {}
    definitions = import_definitions(ictx, schedules)
    read_tags(aws, [*endpoints, *configs, *models.values(), *alarms.values(),
                    *components.values(), *schedules.values(), *definitions.values()])

    for ep in eps:
        _check(ictx, ep)
    rollback = {ep.name: [ictx.choose("Alarm", a, alarms.get(a), ROLLBACK)
                          for a in ep.rollback_alarms] for ep in eps}
    uses = {ep.name: [ictx.choose("Alarm", a, alarms.get(a), METRIC) for a in ep.metric_alarms]
            for ep in eps}
    claimed: set[str] = set()
    units = []
    for ep in eps:
        docs: list[Document] = []
        model_names = {}
        used = list(dict.fromkeys(m for v in ep.variants() for m in variant_models(v))) + [
            component_models[c] for c in hosted.get(ep.name, []) if c in component_models]
        for model in used:
            live = models[model]
            choice = ictx.choose("Model", live.name, live)
            assert choice is not None
            model_names[live.name] = choice.name
            if choice.new and f"Model.{choice.name}" not in claimed:
                docs.append(ictx.document("Model", live, choice.name))
                claimed.add(docs[-1].address)
        refs = [AlarmRef(c.name, c.external) for c in rollback[ep.name] if c is not None]
        docs.append(endpoint_document(ictx, ep, model_names, refs))
        for component in hosted.get(ep.name, []):
            chosen = ictx.choose("InferenceComponent", component, components.get(component))
            if chosen is not None and chosen.new:
                docs.append(ictx.document("InferenceComponent", components[component],
                                          chosen.name))
        for choice in rollback[ep.name] + uses[ep.name]:
            if choice is None or not choice.new or f"Alarm.{choice.name}" in claimed:
                continue
            docs.append(ictx.document("Alarm", alarms[choice.name], choice.name))
            claimed.add(docs[-1].address)
        docs += import_monitoring(ictx, watching.get(ep.name, []), schedules, definitions,
                                  claimed)
        units.append(ImportUnit(ep.name, f"endpoint {ep.name} (endpoint config "
                                         f"{ep.config.name})", docs))
    return units


# -- adoption ------------------------------------------------------------------------------------

def adoption(ctx: PlanContext, resources: list[Resource], documents: Mapping[str, Document]
             ) -> tuple[list[Tagging], list[Problem]]:
    """The tags the endpoint kind gives the config and the endpoint: the configs' first (left
    out of the rehearsal), then the endpoints' (tagged last)."""
    names = {key.split(":", 1)[1]: value.aws_name for key, value in ctx.shared.items()
             if key.startswith("model:")}
    configs, eps = [], []
    for r in resources:
        doc = documents[r.address]
        want = build(r.name, ctx.env, r.spec, names)  # type: ignore[arg-type]
        planner = EndpointPlanner(ctx, r, want, LiveEndpoint(None), Scaling())
        (config,) = doc.also
        configs.append(Tagging(r.address, f"endpoint config {config.name}", config.arn,
                               config.tags, planner.config_tags(), add_tags, rehearsed=False))
        eps.append(Tagging(r.address, f"endpoint {r.name}", doc.source.arn, doc.source.tags,
                           planner.wanted_tags(), add_tags))
    return configs + eps, []
