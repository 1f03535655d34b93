"""Production and shadow variants of an endpoint: instance-based or serverless."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from reconciler.contract import CheckContext, Issue, SpecModel
from reconciler.kinds._aws import SageMakerName, is_arn, valid_arn
from reconciler.kinds.endpoint import instance_types
from reconciler.kinds.endpoint.autoscaling import Autoscaling
from reconciler.spec.nodes import Path

INSTANCE_TYPE_PATTERN = r"^ml\.[a-z0-9]+(-[a-z0-9]+)?\.[a-z0-9]+$"
ModelRef = Annotated[str, StringConstraints(min_length=1, max_length=2048)]
StartupTimeout = Annotated[int, Field(ge=60, le=3600)]

INSTANCE_ONLY_FIELDS = (
    ("instance_type", "instanceType"),
    ("initial_instance_count", "initialInstanceCount"),
    ("accelerator_type", "acceleratorType"),
    ("volume_size_in_gb", "volumeSizeInGB"),
    ("model_data_download_timeout_in_seconds", "modelDataDownloadTimeoutInSeconds"),
    ("container_startup_health_check_timeout_in_seconds",
     "containerStartupHealthCheckTimeoutInSeconds"),
    ("enable_ssm_access", "enableSSMAccess"),
    ("routing_config", "routingConfig"),
)


class ServerlessConfig(SpecModel):
    """Serverless inference: no instances; pay per request."""

    memory_size_in_mb: Annotated[int, Field(ge=1024, le=6144, multiple_of=1024)]
    """1024, 2048, 3072, 4096, 5120 or 6144."""
    max_concurrency: Annotated[int, Field(ge=1, le=200)]
    """Maximum concurrent invocations (1-200)."""
    provisioned_concurrency: Annotated[int, Field(ge=1, le=200)] | None = None
    """Pre-warmed concurrency (1-200, at most maxConcurrency)."""


class RoutingConfig(SpecModel):
    routing_strategy: Literal["LEAST_OUTSTANDING_REQUESTS", "RANDOM"]


class ProductionVariant(SpecModel):
    """One variant: instance-based (`instanceType` + `initialInstanceCount`) or serverless
    (`serverlessConfig`)."""

    variant_name: SageMakerName
    model_name: ModelRef
    """A `Model` defined in the specs, or the ARN of a model sagectl does not manage."""
    instance_type: Annotated[str, StringConstraints(max_length=64,
                                                    pattern=INSTANCE_TYPE_PATTERN)] | None = None
    """e.g. `ml.m6i.xlarge`, `ml.g5.2xlarge`, `ml.inf2.xlarge`: one of the values of
    `ProductionVariantInstanceType` in the installed botocore's SageMaker model."""
    initial_instance_count: Annotated[int, Field(ge=1)] | None = None
    """Instances to start with. With autoscaling, the autoscaler owns the live count."""
    initial_variant_weight: Annotated[float, Field(ge=0)] = 1.0
    """Relative share of traffic; weights of all production variants are normalised."""
    accelerator_type: Literal["ml.eia1.medium", "ml.eia1.large", "ml.eia1.xlarge",
                              "ml.eia2.medium", "ml.eia2.large", "ml.eia2.xlarge"] | None = None
    volume_size_in_gb: Annotated[int, Field(ge=1, le=512)] | None = None
    model_data_download_timeout_in_seconds: StartupTimeout | None = None
    container_startup_health_check_timeout_in_seconds: StartupTimeout | None = None
    enable_ssm_access: bool | None = None
    routing_config: RoutingConfig | None = None
    serverless_config: ServerlessConfig | None = None
    capacity_owner: Literal["spec", "autoscaling"] | None = None
    """Who owns the live instance count (or provisioned concurrency): `spec` (sagectl keeps it at
    `initialInstanceCount`) or `autoscaling` (sagectl never resets it). Default: `autoscaling`
    when `autoscaling` is set, else `spec`."""
    autoscaling: Autoscaling | None = None

    @property
    def is_serverless(self) -> bool:
        return self.serverless_config is not None

    @property
    def effective_capacity_owner(self) -> str:
        if self.capacity_owner:
            return self.capacity_owner
        return "autoscaling" if self.autoscaling is not None else "spec"

    def check(self, ctx: CheckContext, at: Path) -> Iterator[Issue]:
        yield from self._check_shape(at)
        yield from self._check_capacity(at)
        yield from self._check_model(ctx, at)

    def _check_shape(self, at: Path) -> Iterator[Issue]:
        if self.is_serverless:
            for attr, alias in INSTANCE_ONLY_FIELDS:
                if getattr(self, attr) is not None:
                    yield Issue((*at, alias), f"`{alias}` does not apply to a serverless variant "
                                              "(it has `serverlessConfig`)")
            sc = self.serverless_config
            assert sc is not None
            provisioned = sc.provisioned_concurrency
            if provisioned is not None and provisioned > sc.max_concurrency:
                yield Issue((*at, "serverlessConfig", "provisionedConcurrency"),
                            f"provisionedConcurrency ({sc.provisioned_concurrency}) cannot exceed "
                            f"maxConcurrency ({sc.max_concurrency})")
            return
        if self.instance_type is None:
            yield Issue(at, "a variant needs `instanceType` and `initialInstanceCount` "
                            "(instance-based) or `serverlessConfig` (serverless)")
        elif (wrong := instance_types.problem(self.instance_type)) is not None:
            yield Issue((*at, "instanceType"), wrong)
        elif self.initial_instance_count is None:
            yield Issue(at, "missing `initialInstanceCount` for an instance-based variant")

    def _check_capacity(self, at: Path) -> Iterator[Issue]:
        scaling = self.autoscaling
        if self.capacity_owner == "autoscaling" and scaling is None:
            yield Issue((*at, "capacityOwner"), "capacityOwner is `autoscaling` but the variant "
                                                "has no `autoscaling` block")
        if self.capacity_owner == "spec" and scaling is not None:
            yield Issue((*at, "capacityOwner"), "capacityOwner is `spec` but `autoscaling` is "
                                                "configured: the autoscaler would fight the spec; "
                                                "remove one of them")
        if scaling is None:
            return
        a_at = (*at, "autoscaling")
        yield from scaling.check(a_at, self.is_serverless)
        if self.instance_type is not None and self.instance_type.startswith("ml.t"):
            yield Issue((*at, "instanceType"), f"{self.instance_type} is a burstable instance "
                                               "type, which SageMaker cannot autoscale; use e.g. "
                                               "ml.m6i or ml.c6i, or remove `autoscaling`")
        if self.is_serverless:
            sc = self.serverless_config
            assert sc is not None
            if sc.provisioned_concurrency is None:
                yield Issue(a_at, "autoscaling a serverless variant scales its provisioned "
                                  "concurrency: set serverlessConfig.provisionedConcurrency")
            if scaling.max_capacity > sc.max_concurrency:
                yield Issue((*a_at, "maxCapacity"), f"maxCapacity ({scaling.max_capacity}) cannot "
                                                    "exceed serverlessConfig.maxConcurrency "
                                                    f"({sc.max_concurrency})")
            return
        count = self.initial_instance_count
        if count is not None and not scaling.min_capacity <= count <= scaling.max_capacity:
            yield Issue((*at, "initialInstanceCount"),
                        f"initialInstanceCount ({count}) must be within autoscaling "
                        f"[minCapacity, maxCapacity] = [{scaling.min_capacity}, "
                        f"{scaling.max_capacity}]")

    def _check_model(self, ctx: CheckContext, at: Path) -> Iterator[Issue]:
        ref = self.model_name
        if is_arn(ref):
            if not valid_arn(ref) or ":model/" not in ref:
                yield Issue((*at, "modelName"), f"{ref!r} is not a SageMaker model ARN "
                                                "(arn:aws:sagemaker:REGION:ACCOUNT:model/NAME)")
            return
        if not ctx.defines("Model", ref):
            yield Issue((*at, "modelName"), f"model {ref!r} is not defined in the specs; define a "
                                            "Model with that name, or give the ARN of a model "
                                            "sagectl does not manage")
            return
        model = ctx.lookup("Model", ref)
        if self.is_serverless and getattr(model, "vpc_config", None) is not None:
            yield Issue((*at, "modelName"), f"model {ref!r} has a vpcConfig, which serverless "
                                            "endpoints do not support")
