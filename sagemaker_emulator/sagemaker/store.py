"""Emulated SageMaker hosting resources: models, endpoint configs, endpoints.

moto keeps endpoints InService from the start, drops several config fields and has no
UpdateEndpoint, so the emulator keeps these resources itself. One ``Hosting`` per account and
region, stored on moto's SageMaker backend object so that moto's reset clears it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moto.sagemaker.models import sagemaker_backends

Params = dict[str, Any]


@dataclass
class Model:
    name: str
    arn: str
    created: datetime
    request: Params
    """The CreateModel request, minus name and tags (returned as is by DescribeModel)."""
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class EndpointConfig:
    name: str
    arn: str
    created: datetime
    request: Params
    """The CreateEndpointConfig request, minus name and tags."""
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def variants(self) -> list[Params]:
        return list(self.request.get("ProductionVariants", []))

    @property
    def shadow_variants(self) -> list[Params]:
        return list(self.request.get("ShadowProductionVariants") or [])

    def variant(self, name: str) -> Params | None:
        return next((v for v in self.variants + self.shadow_variants
                     if v["VariantName"] == name), None)


@dataclass
class VariantState:
    """What DescribeEndpoint reports for one variant: the live weights and capacity."""

    name: str
    instance_type: str | None
    serverless: Params | None
    current_weight: float
    desired_weight: float
    current_count: int | None
    desired_count: int | None
    shadow: bool = False
    model: str | None = None
    """The variant's ModelName; None on a variant that hosts inference components."""
    managed_scaling: Params | None = None
    """ManagedInstanceScaling of its config, as given."""
    extra: Params = field(default_factory=dict)
    """Members of its config that DescribeEndpoint echoes as they are (RoutingConfig)."""
    pools: list[Params] | None = None
    """InstancePools of its config, by priority; ``instance_type`` is then the type its
    instances were provisioned from (pools.py)."""

    @property
    def is_serverless(self) -> bool:
        return self.serverless is not None


@dataclass
class Endpoint:
    name: str
    arn: str
    config_name: str
    status: str
    created: datetime
    modified: datetime
    variants: list[VariantState] = field(default_factory=list)
    failure_reason: str = ""
    last_deployment_config: Params | None = None
    operation: Any = None
    """The transition in progress (``lifecycle.Operation``), if any."""
    tags: dict[str, str] = field(default_factory=dict)

    def variant(self, name: str) -> VariantState | None:
        return next((v for v in self.variants if v.name == name), None)


@dataclass
class InferenceComponent:
    """An inference component: its running specification and copies (``components.py``)."""

    name: str
    arn: str
    endpoint_name: str
    variant_name: str
    created: datetime
    modified: datetime
    specification: Params
    """The Specification the running copies have (the request's, as given)."""
    desired_copies: int | None
    current_copies: int | None
    """None for an adapter component: it has no copies of its own."""
    status: str = "Creating"
    failure_reason: str = ""
    last_deployment_config: Params | None = None
    operation: Any = None
    """The transition in progress (``component_lifecycle.Operation``), if any."""
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str | None:
        return self.specification.get("BaseInferenceComponentName")


class Hosting:
    """The hosting resources of one account and region."""

    def __init__(self, account: str, region: str) -> None:
        self.account = account
        self.region = region
        self.models: dict[str, Model] = {}
        self.configs: dict[str, EndpointConfig] = {}
        self.endpoints: dict[str, Endpoint] = {}
        self.components: dict[str, InferenceComponent] = {}
        self.lock = threading.RLock()

    def arn(self, kind: str, name: str) -> str:
        return f"arn:aws:sagemaker:{self.region}:{self.account}:{kind}/{name.lower()}"

    def find_variant(self, endpoint: str, variant: str) -> VariantState | None:
        """The live variant ``variant`` of ``endpoint`` (used by Application Auto Scaling)."""
        from sagemaker_emulator.sagemaker.lifecycle import observe

        with self.lock:
            ep = self.endpoints.get(endpoint)
            if ep is None:
                return None
            observe(self, ep)
            return ep.variant(variant) if ep.name in self.endpoints else None

    def scale_variant(self, endpoint: str, variant: str, count: int) -> None:
        """The autoscaler's doing: the variant's capacity moves without an UpdateEndpoint."""
        with self.lock:
            ep = self.endpoints.get(endpoint)
            state = ep.variant(variant) if ep else None
            if state is None:
                raise KeyError(f"no variant {variant!r} on endpoint {endpoint!r}")
            if state.is_serverless:
                assert state.serverless is not None
                state.serverless = {**state.serverless, "ProvisionedConcurrency": count}
            else:
                state.current_count = state.desired_count = count


    def system_update(self, endpoint: str, seconds: float) -> None:
        """SageMaker's own activity: the endpoint is SystemUpdating for ``seconds``."""
        from sagemaker_emulator.sagemaker.lifecycle import observe, start_system_update

        with self.lock:
            ep = self.endpoints.get(endpoint)
            if ep is None:
                raise KeyError(f"no endpoint {endpoint!r}")
            observe(self, ep)
            start_system_update(ep, seconds)


def hosting(account: str, region: str) -> Hosting:
    backend = sagemaker_backends[account][region]
    store = getattr(backend, "_sagectl_hosting", None)
    if store is None:
        store = Hosting(account, region)
        backend._sagectl_hosting = store
    return store
