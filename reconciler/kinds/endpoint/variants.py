"""Production and shadow variants of an endpoint: instance-based or serverless, with a model or
without one (a variant without a model hosts inference components on its instances)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, ClassVar, Literal

from pydantic import Field, StringConstraints

from reconciler.contract import CheckContext, Issue, SpecModel, describe_pattern
from reconciler.kinds._aws import AwsExtra, SageMakerName, is_arn, valid_arn
from reconciler.kinds.endpoint import instance_types as instance_enum
from reconciler.kinds.endpoint.autoscaling import Autoscaling
from reconciler.spec import botoshape
from reconciler.spec.nodes import Path

INSTANCE_TYPE_PATTERN = r"^ml\.[a-z0-9]+(-[a-z0-9]+)?\.[a-z0-9]+$"
InstanceType = Annotated[str, StringConstraints(max_length=64, pattern=INSTANCE_TYPE_PATTERN)]
ModelRef = Annotated[str, StringConstraints(min_length=1, max_length=2048)]
StartupTimeout = Annotated[int, Field(ge=60, le=3600)]

INSTANCE_ONLY_FIELDS = (
    ("instance_type", "instanceType"),
    ("instance_pools", "instancePools"),
    ("initial_instance_count", "initialInstanceCount"),
    ("accelerator_type", "acceleratorType"),
    ("volume_size_in_gb", "volumeSizeInGB"),
    ("model_data_download_timeout_in_seconds", "modelDataDownloadTimeoutInSeconds"),
    ("container_startup_health_check_timeout_in_seconds",
     "containerStartupHealthCheckTimeoutInSeconds"),
    ("enable_ssm_access", "enableSSMAccess"),
    ("routing_config", "routingConfig"),
    ("managed_instance_scaling", "managedInstanceScaling"),
    ("inference_ami_version", "inferenceAmiVersion"),
    ("capacity_reservation_config", "capacityReservationConfig"),
    ("variant_instance_provision_timeout_in_seconds", "variantInstanceProvisionTimeoutInSeconds"),
)

InferenceAmiVersion = Literal[tuple(  # type: ignore[valid-type]
    botoshape.shape("sagemaker", "ProductionVariantInferenceAmiVersion")["enum"])]
"""The values of botocore's ``ProductionVariantInferenceAmiVersion`` enum (installed version)."""
ML_RESERVATION_ARN = r"^arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:[a-z0-9\-]{1,14}/.*$"
describe_pattern(ML_RESERVATION_ARN, "a SageMaker ML capacity reservation ARN "
                                     "(arn:aws:sagemaker:REGION:ACCOUNT:TYPE/ID)")


class ServerlessConfig(SpecModel):
    """Serverless inference: no instances; pay per request."""

    memory_size_in_mb: Annotated[int, Field(ge=1024, le=6144, multiple_of=1024)]
    """1024, 2048, 3072, 4096, 5120 or 6144."""
    max_concurrency: Annotated[int, Field(ge=1, le=200)]
    """Maximum concurrent invocations (1-200)."""
    provisioned_concurrency: Annotated[int, Field(ge=1, le=200)] | None = None
    """Pre-warmed concurrency (1-200, at most maxConcurrency)."""


class PrefixAwareRoutingConfig(SpecModel):
    prefix_length: Annotated[int, Field(ge=1024, le=65536)] | None = None
    concurrency_threshold: Annotated[int, Field(ge=1, le=1024)] | None = None


class RoutingConfig(SpecModel):
    """How the endpoint routes requests to its instances (and inference component copies)."""

    routing_strategy: Literal["LEAST_OUTSTANDING_REQUESTS", "RANDOM", "PREFIX_AWARE", "KV_AWARE"]
    prefix_aware_routing_config: PrefixAwareRoutingConfig | None = None
    """Only with `routingStrategy: PREFIX_AWARE`."""


class ScaleInPolicy(SpecModel):
    strategy: Literal["IDLE_RELEASE", "CONSOLIDATION"]
    """`IDLE_RELEASE`: release instances that host no component copy; `CONSOLIDATION`: move
    copies onto fewer instances to release more."""
    maximum_step_size: Annotated[int, Field(ge=1, le=100)] | None = None
    cooldown_in_minutes: Annotated[int, Field(ge=5, le=1440)] | None = None
    """Default 20."""


class ManagedInstanceScaling(SpecModel):
    """SageMaker scales the variant's instances itself, within [min, max], to fit the copies of
    its inference components. When `ENABLED`, the live instance count is SageMaker's: sagectl
    never resets it."""

    status: Literal["ENABLED", "DISABLED"] | None = None
    min_instance_count: Annotated[int, Field(ge=0)] | None = None
    """0 lets the endpoint scale to zero instances: only for a variant without a model (one that
    hosts inference components)."""
    max_instance_count: Annotated[int, Field(ge=1)] | None = None
    scale_in_policy: ScaleInPolicy | None = None

    @property
    def enabled(self) -> bool:
        return self.status == "ENABLED"


class CapacityReservationConfig(SpecModel):
    capacity_reservation_preference: Literal["capacity-reservations-only"] | None = None
    """`capacity-reservations-only`: launch only into an ML capacity reservation."""
    ml_reservation_arn: Annotated[str, StringConstraints(
        min_length=20, max_length=258, pattern=ML_RESERVATION_ARN)] | None = None


class InstancePool(SpecModel):
    """One instance type a variant may run on (a heterogeneous endpoint, rule 54)."""

    instance_type: InstanceType
    """One of the values of `ProductionVariantInstanceType` in the installed botocore."""
    priority: Annotated[int, Field(ge=1, le=5)]
    """1 (tried first) to 5: SageMaker falls back to the next pool on insufficient capacity."""
    model_name_override: ModelRef | None = None
    """A model for instances of this type instead of the variant's `modelName`: a `Model` in the
    specs or the ARN of one sagectl does not manage."""


class ProductionVariant(SpecModel):
    """One variant: instance-based (`instanceType` + `initialInstanceCount`) or serverless
    (`serverlessConfig`); with a model, or without one to host inference components."""

    aws_extra_shape: ClassVar[tuple[str, str]] = ("sagemaker", "ProductionVariant")

    variant_name: SageMakerName
    model_name: ModelRef | None = None
    """A `Model` defined in the specs, or the ARN of a model sagectl does not manage. Without
    one, the variant's instances host inference components (instance-based variants only)."""
    instance_type: InstanceType | None = None
    """e.g. `ml.m6i.xlarge`, `ml.g5.2xlarge`, `ml.inf2.xlarge`: one of the values of
    `ProductionVariantInstanceType` in the installed botocore's SageMaker model."""
    instance_pools: Annotated[list[InstancePool], Field(min_length=1, max_length=5)] | None = None
    """Instead of `instanceType`: up to 5 instance types by priority. SageMaker provisions from
    priority 1 and falls back to the next pool when a type has insufficient capacity, within
    `variantInstanceProvisionTimeoutInSeconds`."""
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
    """Native AWS Systems Manager access to the variant's instances (off by default)."""
    routing_config: RoutingConfig | None = None
    managed_instance_scaling: ManagedInstanceScaling | None = None
    inference_ami_version: InferenceAmiVersion | None = None  # type: ignore[valid-type]
    """A preconfigured inference AMI (driver and CUDA or Neuron versions), one of botocore's
    `ProductionVariantInferenceAmiVersion` values."""
    capacity_reservation_config: CapacityReservationConfig | None = None
    variant_instance_provision_timeout_in_seconds: Annotated[int, Field(ge=300, le=3600)] | \
        None = None
    """How long SageMaker retries provisioning instances on insufficient capacity (300-3600)."""
    serverless_config: ServerlessConfig | None = None
    capacity_owner: Literal["spec", "autoscaling"] | None = None
    """Who owns the live instance count (or provisioned concurrency): `spec` (sagectl keeps it at
    `initialInstanceCount`) or `autoscaling` (sagectl never resets it). Default: `autoscaling`
    when `autoscaling` is set, else `spec`. With `managedInstanceScaling` ENABLED, SageMaker
    owns the count and neither applies."""
    autoscaling: Autoscaling | None = None
    aws_extra: AwsExtra | None = None
    """ProductionVariant members sagectl does not model (e.g. `acceleratorPartitionLayouts`),
    checked against the installed botocore's `ProductionVariant` shape."""

    @property
    def is_serverless(self) -> bool:
        return self.serverless_config is not None

    @property
    def instance_types(self) -> list[str]:
        """Every instance type the variant may run on, in the order SageMaker tries them."""
        if self.instance_pools:
            return [p.instance_type for p in sorted(self.instance_pools, key=lambda p: p.priority)]
        return [self.instance_type] if self.instance_type else []

    @property
    def first_instance_type(self) -> str | None:
        """The type SageMaker provisions when it has the capacity (priority 1 of the pools)."""
        types = self.instance_types
        return types[0] if types else None

    @property
    def instance_label(self) -> str:
        """``ml.g6.2xlarge``, or with pools ``ml.g6.2xlarge (or ml.g5.2xlarge on insufficient
        capacity)``."""
        types = self.instance_types
        if len(types) <= 1:
            return types[0] if types else "no instance type"
        return f"{types[0]} (or {', '.join(types[1:])} on insufficient capacity)"

    @property
    def model_refs(self) -> list[str]:
        """Its model and the models its instance pools run instead."""
        refs = [self.model_name] if self.model_name else []
        for pool in self.instance_pools or []:
            if pool.model_name_override and pool.model_name_override not in refs:
                refs.append(pool.model_name_override)
        return refs

    @property
    def managed(self) -> bool:
        """SageMaker's managed instance scaling owns the live instance count."""
        return self.managed_instance_scaling is not None and self.managed_instance_scaling.enabled

    @property
    def effective_capacity_owner(self) -> str:
        if self.managed:
            return "managed"
        if self.capacity_owner:
            return self.capacity_owner
        return "autoscaling" if self.autoscaling is not None else "spec"

    def check(self, ctx: CheckContext, at: Path) -> Iterator[Issue]:
        yield from self._check_shape(at)
        yield from self._check_capacity(at)
        yield from self._check_managed(at)
        yield from self._check_routing(at)
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
        if self.instance_pools is not None:
            yield from self._check_pools(at)
        elif self.instance_type is None:
            yield Issue(at, "a variant needs `instanceType` (or `instancePools`) and "
                            "`initialInstanceCount` (instance-based) or `serverlessConfig` "
                            "(serverless)")
            return
        elif (wrong := instance_enum.problem(self.instance_type)) is not None:
            yield Issue((*at, "instanceType"), wrong)
            return
        if self.initial_instance_count is None:
            yield Issue(at, "missing `initialInstanceCount` for an instance-based variant")

    def _check_pools(self, at: Path) -> Iterator[Issue]:
        """AWS: instance pools replace `InstanceType` (rule 54). Equal priorities or a type
        listed twice are sagectl's errors: AWS documents no order for them."""
        p_at = (*at, "instancePools")
        if self.instance_type is not None:
            yield Issue((*at, "instanceType"), "`instancePools` replaces `instanceType`: give "
                                               "one of them (rule 54)")
        seen: dict[int, int] = {}
        types: dict[str, int] = {}
        for i, pool in enumerate(self.instance_pools or []):
            if (wrong := instance_enum.problem(pool.instance_type)) is not None:
                yield Issue((*p_at, i, "instanceType"), wrong)
            if pool.priority in seen:
                yield Issue((*p_at, i, "priority"),
                            f"priority {pool.priority} is also pool {seen[pool.priority] + 1}'s: "
                            "give each pool its own priority (AWS documents no order between "
                            "equal priorities)")
            seen.setdefault(pool.priority, i)
            if pool.instance_type in types:
                yield Issue((*p_at, i, "instanceType"),
                            f"{pool.instance_type} is already pool {types[pool.instance_type] + 1}")
            types.setdefault(pool.instance_type, i)
            if pool.model_name_override is not None and self.model_name is None:
                yield Issue((*p_at, i, "modelNameOverride"),
                            "`modelNameOverride` replaces the variant's `modelName` on this "
                            "pool's instances; a variant without a model hosts inference "
                            "components and has no model to override")

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
        burstable = [t for t in self.instance_types if t.startswith("ml.t")]
        if burstable:
            yield Issue((*at, "instancePools" if self.instance_pools else "instanceType"),
                        f"{burstable[0]} is a burstable instance type, which SageMaker cannot "
                        "autoscale; use e.g. ml.m6i or ml.c6i, or remove `autoscaling`")
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

    def _check_managed(self, at: Path) -> Iterator[Issue]:
        mis = self.managed_instance_scaling
        if mis is None:
            return
        m_at = (*at, "managedInstanceScaling")
        low, high = mis.min_instance_count, mis.max_instance_count
        if low is not None and high is not None and low > high:
            yield Issue((*m_at, "minInstanceCount"), f"minInstanceCount ({low}) cannot exceed "
                                                     f"maxInstanceCount ({high})")
        if low == 0 and self.model_name is not None:
            yield Issue((*m_at, "minInstanceCount"),
                        "minInstanceCount 0 (scale to zero instances) needs a variant without "
                        "`modelName`: an endpoint scales to zero only if it hosts inference "
                        "components (sagemaker-rules.md rule 41)")
        if not mis.enabled:
            return
        if self.capacity_owner == "spec":
            yield Issue((*at, "capacityOwner"),
                        "capacityOwner is `spec` but managedInstanceScaling is ENABLED: "
                        "SageMaker owns the instance count; remove one of them (rule 42)")
        if self.autoscaling is not None:
            yield Issue((*at, "autoscaling"), "managedInstanceScaling is ENABLED: SageMaker "
                                              "scales this variant's instances itself, and an "
                                              "Application Auto Scaling target on its instance "
                                              "count would fight it; remove one of them "
                                              "(rule 42)")

    def _check_routing(self, at: Path) -> Iterator[Issue]:
        routing = self.routing_config
        if routing is not None and routing.prefix_aware_routing_config is not None and \
                routing.routing_strategy != "PREFIX_AWARE":
            yield Issue((*at, "routingConfig", "prefixAwareRoutingConfig"),
                        "`prefixAwareRoutingConfig` applies only with routingStrategy "
                        f"PREFIX_AWARE (got {routing.routing_strategy}; rule 43)")

    def _check_model(self, ctx: CheckContext, at: Path) -> Iterator[Issue]:
        for i, pool in enumerate(self.instance_pools or []):
            if pool.model_name_override is not None:
                yield from _check_model_ref(ctx, pool.model_name_override,
                                            (*at, "instancePools", i, "modelNameOverride"))
        ref = self.model_name
        if ref is None:
            if self.is_serverless:
                yield Issue((*at, "serverlessConfig"),
                            "a variant without `modelName` hosts inference components on its "
                            "instances: it needs `instanceType` and `initialInstanceCount`, not "
                            "`serverlessConfig` (rule 40)")
            return
        yield from _check_model_ref(ctx, ref, (*at, "modelName"))
        if is_arn(ref) or not ctx.defines("Model", ref):
            return
        model = ctx.lookup("Model", ref)
        if self.is_serverless and getattr(model, "vpc_config", None) is not None:
            yield Issue((*at, "modelName"), f"model {ref!r} has a vpcConfig, which serverless "
                                            "endpoints do not support")


def _check_model_ref(ctx: CheckContext, ref: str, at: Path) -> Iterator[Issue]:
    if is_arn(ref):
        if not valid_arn(ref) or ":model/" not in ref:
            yield Issue(at, f"{ref!r} is not a SageMaker model ARN "
                            "(arn:aws:sagemaker:REGION:ACCOUNT:model/NAME)")
    elif not ctx.defines("Model", ref):
        yield Issue(at, f"model {ref!r} is not defined in the specs; define a Model with that "
                        "name, or give the ARN of a model sagectl does not manage")
