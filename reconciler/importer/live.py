"""Reading what an import needs from AWS: endpoints, their configs and models, Application Auto
Scaling of their variants, and the CloudWatch alarms they use.

Alarms an endpoint uses are its rollback alarms (``LastDeploymentConfig.AutoRollbackConfiguration``)
and alarms whose dimensions name it (``EndpointName``, in the alarm or in a metric-math query),
except the ones Application Auto Scaling makes for target-tracking policies
(``reconciler.kinds.alarm.managed``: AWS owns them and deletes them with their policy).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws import Aws, batches
from reconciler.kinds._live import not_found
from reconciler.kinds.alarm.managed import owned_by_autoscaling
from reconciler.kinds.endpoint.live import Scaling
from reconciler.kinds.endpoint.requests import resource_id
from reconciler.plan.context import ADDRESS_TAG, ENV_TAG, MANAGED_BY


class ImportRefused(Exception):
    """The import cannot go ahead; the message says why (a user error, not a bug)."""

    user_error = True


@dataclass
class Tagged:
    """One live resource: its Describe* response and all of its tags."""

    name: str
    arn: str
    described: dict[str, Any]
    tags: dict[str, str]

    @property
    def managed(self) -> bool:
        return MANAGED_BY in self.tags

    @property
    def env(self) -> str:
        return self.tags.get(ENV_TAG, "")

    @property
    def address(self) -> str | None:
        return self.tags.get(ADDRESS_TAG)

    def owner_text(self) -> str:
        return f"environment {self.env!r}, {self.address or 'no address'}"


@dataclass
class LiveEndpoint:
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
        described = self.endpoint.described
        everything = (described.get("ProductionVariants", [])
                      + described.get("ShadowProductionVariants", []))
        return next((v for v in everything if v.get("VariantName") == name), None)


@dataclass
class LiveEstate:
    endpoints: list[LiveEndpoint] = field(default_factory=list)
    models: dict[str, Tagged] = field(default_factory=dict)
    alarms: dict[str, Tagged] = field(default_factory=dict)
    """Every metric alarm the endpoints use."""
    composite: set[str] = field(default_factory=set)
    """Rollback alarms that are composite alarms (sagectl's Alarm kind is metric alarms)."""


def _tags(aws: Aws, arns: list[str]) -> dict[str, dict[str, str]]:
    """Tags of many resources (lower-case ARN -> tags) through the tagging API, 100 a call: the
    view of ownership that plan has, with no per-service ListTags. Resources that were never
    tagged are not listed: they have no tags."""
    found: dict[str, dict[str, str]] = {}
    for batch in batches(sorted(set(arns)), 100):
        for item in aws.paginate("resourcegroupstaggingapi", "get_resources",
                                 "ResourceTagMappingList", ResourceARNList=batch):
            found[item["ResourceARN"].lower()] = {t["Key"]: t["Value"]
                                                  for t in item.get("Tags", [])}
    return found


def _clean(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def _endpoint(aws: Aws, name: str) -> Tagged:
    sm = aws.client("sagemaker")
    try:
        described = _clean(sm.describe_endpoint(EndpointName=name))
    except ClientError as err:
        if not_found(err):
            raise ImportRefused(f"endpoint {name} does not exist in {aws.region}") from None
        raise
    status = described.get("EndpointStatus")
    if status != "InService":
        raise ImportRefused(f"endpoint {name} is {status}; import it once it is InService "
                            "(its config may still change)")
    return Tagged(name, described["EndpointArn"], described, {})


def _config(aws: Aws, name: str) -> Tagged:
    described = _clean(aws.client("sagemaker").describe_endpoint_config(EndpointConfigName=name))
    return Tagged(name, described["EndpointConfigArn"], described, {})


def _model(aws: Aws, name: str) -> Tagged:
    try:
        described = _clean(aws.client("sagemaker").describe_model(ModelName=name))
    except ClientError as err:
        if not_found(err):
            raise ImportRefused(f"model {name} does not exist (an endpoint config uses it): "
                                "sagectl cannot describe it as a spec") from None
        raise
    return Tagged(name, described["ModelArn"], described, {})


def _scaling(aws: Aws, endpoint: str, variants: list[str]) -> Scaling:
    """Scalable targets, policies and scheduled actions of the endpoint's variants."""
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


def _dimension_endpoints(alarm: dict[str, Any]) -> set[str]:
    """Endpoints an alarm's dimensions name (its own, or its metric-math queries')."""
    dims = list(alarm.get("Dimensions") or [])
    for query in alarm.get("Metrics") or []:
        dims += ((query.get("MetricStat") or {}).get("Metric") or {}).get("Dimensions") or []
    return {d["Value"] for d in dims if d.get("Name") == "EndpointName"}


def _rollback_alarms(described: dict[str, Any]) -> list[str]:
    cfg = (described.get("LastDeploymentConfig") or {}).get("AutoRollbackConfiguration") or {}
    return [a["AlarmName"] for a in cfg.get("Alarms", [])]


def read(aws: Aws, names: list[str]) -> LiveEstate:
    """Everything the import of ``names`` needs. Raises ``ImportRefused`` for an endpoint that
    does not exist or is not InService."""
    estate = LiveEstate()
    endpoints = aws.map(lambda n: _endpoint(aws, n), names)
    configs = aws.map(lambda e: _config(aws, e.described["EndpointConfigName"]), endpoints)
    metric_alarms: dict[str, list[str]] = {n: [] for n in names}
    every = aws.paginate("cloudwatch", "describe_alarms", "MetricAlarms",
                         AlarmTypes=["MetricAlarm"])
    by_name = {a["AlarmName"]: a for a in every}
    for alarm in every:
        if owned_by_autoscaling(alarm["AlarmName"]):
            continue
        for endpoint in _dimension_endpoints(alarm) & set(names):
            metric_alarms[endpoint].append(alarm["AlarmName"])
    for endpoint, config in zip(endpoints, configs, strict=True):
        variants = [v["VariantName"] for v in config.described.get("ProductionVariants", [])
                    + config.described.get("ShadowProductionVariants", [])]
        estate.endpoints.append(LiveEndpoint(
            endpoint, config, _scaling(aws, endpoint.name, variants),
            _rollback_alarms(endpoint.described), sorted(metric_alarms[endpoint.name])))
    wanted = sorted({v["ModelName"] for e in estate.endpoints for v in e.variants()})
    estate.models = dict(zip(wanted, aws.map(lambda n: _model(aws, n), wanted), strict=True))
    alarm_names = sorted({a for e in estate.endpoints
                          for a in e.rollback_alarms + e.metric_alarms})
    missing = [a for a in alarm_names if a not in by_name]
    for batch in batches(missing, 100):
        estate.composite |= {a["AlarmName"] for a in aws.client("cloudwatch").describe_alarms(
            AlarmNames=batch, AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]}
    estate.alarms = {a: Tagged(a, by_name[a]["AlarmArn"], by_name[a], {})
                     for a in alarm_names if a in by_name}
    everything = [*(e.endpoint for e in estate.endpoints), *(e.config for e in estate.endpoints),
                  *estate.models.values(), *estate.alarms.values()]
    tags = _tags(aws, [r.arn for r in everything])
    for resource in everything:
        resource.tags = tags.get(resource.arn.lower(), {})
    return estate
