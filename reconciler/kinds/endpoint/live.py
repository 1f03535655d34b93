"""Reading endpoints economically.

Per endpoint, one DescribeEndpoint: live status, current config and the live weights and capacity
(the only truth about them: rule 5). Nothing else per endpoint when the fleet is converged:
- the current config's structure is known from its ``sagectl:structure`` tag (the tagging API
  read ownership of the whole estate in a few calls), so a config sagectl made needs no describe;
  only a config sagectl did not make (or made for another structure) is described;
- autoscaling is read for all endpoints at once: scalable targets, scaling policies and
  scheduled actions of the ``sagemaker`` namespace, each one paginated list.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from reconciler.kinds._aws import sagemaker_arn
from reconciler.kinds._live import canonical, from_boto, not_found
from reconciler.kinds.endpoint.autoscaling import Autoscaling, ScalingPolicy, ScheduledAction
from reconciler.kinds.endpoint.requests import SAGECTL_FIELDS
from reconciler.kinds.endpoint.spec import EndpointSpec
from reconciler.plan.context import STRUCTURE_TAG, PlanContext


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


def start_scaling_read(ctx: PlanContext) -> Any:
    """Start the three paginated reads on the pool; ``.result()`` of each later."""
    def read(operation: str, key: str) -> list[dict[str, Any]]:
        return ctx.aws.paginate("application-autoscaling", operation, key,
                                ServiceNamespace="sagemaker")

    return [ctx.aws.submit(read, "describe_scalable_targets", "ScalableTargets"),
            ctx.aws.submit(read, "describe_scaling_policies", "ScalingPolicies"),
            ctx.aws.submit(read, "describe_scheduled_actions", "ScheduledActions")]


def finish_scaling_read(futures: Any) -> Scaling:
    targets, policies, actions = (f.result() for f in futures)
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


def live_autoscaling(scaling: Scaling, rid: str) -> dict[str, Any] | None:
    """Spec-shaped autoscaling of one variant, as AWS has it (what the spec does not own, such
    as a policy's ``Alarms``, Application Auto Scaling's, is dropped by ``from_boto``)."""
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
    return canonical(Autoscaling, data)


@dataclass
class LiveEndpoint:
    described: dict[str, Any] | None
    """DescribeEndpoint, or None when the endpoint does not exist."""
    config: dict[str, Any] | None = None
    """The current config, spec-shaped, when it had to be described."""
    structure: str | None = None
    """Structure digest of the current config (from its tag, or computed)."""
    config_missing: bool = False

    @property
    def status(self) -> str:
        return self.described["EndpointStatus"] if self.described else "absent"

    @property
    def config_name(self) -> str | None:
        return self.described.get("EndpointConfigName") if self.described else None

    def variant(self, name: str) -> dict[str, Any] | None:
        if not self.described:
            return None
        everything = (self.described.get("ProductionVariants", [])
                      + self.described.get("ShadowProductionVariants", []))
        return next((v for v in everything if v["VariantName"] == name), None)


def describe_endpoint(ctx: PlanContext, name: str) -> dict[str, Any] | None:
    try:
        return ctx.aws.client("sagemaker").describe_endpoint(EndpointName=name)  # type: ignore[no-any-return]
    except ClientError as err:
        if not_found(err):
            return None
        raise


def config_arn(ctx: PlanContext, name: str) -> str:
    return sagemaker_arn(ctx, "endpoint-config", name)


def known_structure(ctx: PlanContext, config_name: str) -> str | None:
    """The structure tag of a config sagectl made (free: ownership was read in bulk)."""
    owned = ctx.ownership.get(config_arn(ctx, config_name))
    return owned.tags.get(STRUCTURE_TAG) if owned else None


def describe_config(ctx: PlanContext, name: str) -> dict[str, Any] | None:
    try:
        raw = ctx.aws.client("sagemaker").describe_endpoint_config(EndpointConfigName=name)
    except ClientError as err:
        if not_found(err):
            return None
        raise
    return canonical(EndpointSpec, from_boto(EndpointSpec, raw), SAGECTL_FIELDS)
