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

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from reconciler.kinds._autoscaling import Scaling
from reconciler.kinds._autoscaling import live_autoscaling as shared_live_autoscaling
from reconciler.kinds._aws import sagemaker_arn
from reconciler.kinds._live import canonical, from_boto, not_found
from reconciler.kinds.endpoint.autoscaling import Autoscaling
from reconciler.kinds.endpoint.requests import SAGECTL_FIELDS
from reconciler.kinds.endpoint.spec import EndpointSpec
from reconciler.plan.context import STRUCTURE_TAG, PlanContext


def live_autoscaling(scaling: Scaling, rid: str) -> dict[str, Any] | None:
    """Spec-shaped autoscaling of one variant, as AWS has it."""
    return shared_live_autoscaling(scaling, rid, Autoscaling)


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
