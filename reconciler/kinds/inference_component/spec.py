"""The ``InferenceComponent`` spec: where the component goes (an endpoint's model-less variant),
what it runs (``specification``, the API's ``InferenceComponentSpecification``), how many copies
(``runtimeConfig``, or Application Auto Scaling's: ``capacityOwner``), how a specification change
rolls out (``deploymentConfig``, the API's ``InferenceComponentDeploymentConfig``, then sagectl's
``bake``).

Limits are the API reference's (docs/sagemaker-rules.md rules 45-46): what a type can say is in
the type, what spans fields or resources is in ``check``, each issue at its own field.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, StringConstraints

from reconciler.contract import CheckContext, Issue, SpecModel
from reconciler.kinds._autoscaling import AutoscalingBase
from reconciler.kinds._aws import (
    AwsExtra,
    S3Uri,
    SageMakerName,
    Tags,
    check_extras,
    check_tags,
    is_arn,
    valid_arn,
)
from reconciler.kinds._guardrails import (
    AutoRollbackConfiguration,
    Bake,
    monitor_alarm_warnings,
)
from reconciler.spec.nodes import Path

COMPONENT_METRICS = (
    "SageMakerInferenceComponentInvocationsPerCopy",
    "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution",
)
"""The predefined metrics of the ``sagemaker:inference-component:DesiredCopyCount`` dimension
(botocore's Application Auto Scaling ``MetricType``)."""
BATCH_PERCENT = (5, 50)
"""MaximumBatchSize: "between 5% to 50% of the copy count of the inference component"
(API_InferenceComponentRollingUpdatePolicy)."""

ModelRef = Annotated[str, StringConstraints(min_length=1, max_length=2048)]
Image = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[\S]+$")]
EnvKey = Annotated[str, StringConstraints(max_length=1024, pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")]
EnvValue = Annotated[str, StringConstraints(max_length=1024)]
StartupTimeout = Annotated[int, Field(ge=60, le=3600)]


class Container(SpecModel):
    """The container a component runs when it names no model (or an adapter's artifacts)."""

    aws_extra_shape: ClassVar[tuple[str, str]] = (
        "sagemaker", "InferenceComponentContainerSpecification")

    image: Image | None = None
    """The container image (ECR URI)."""
    artifact_url: S3Uri | None = None
    """The model artifacts (S3); for an adapter component, the adapter's artifacts."""
    environment: Annotated[dict[EnvKey, EnvValue], Field(max_length=100)] | None = None
    aws_extra: AwsExtra | None = None
    """InferenceComponentContainerSpecification members sagectl does not model (e.g.
    `containerMetricsConfig`)."""


class ComputeResourceRequirements(SpecModel):
    """What one copy needs on an instance of the variant."""

    number_of_cpu_cores_required: Annotated[float, Field(ge=0.25)] | None = None
    number_of_accelerator_devices_required: Annotated[float, Field(ge=1)] | None = None
    """GPUs, or Neuron devices on Inferentia and Trainium instances."""
    min_memory_required_in_mb: Annotated[int, Field(ge=128, alias="minMemoryRequiredInMb")]
    """The API spells it `Mb` here (`MB` elsewhere)."""
    max_memory_required_in_mb: Annotated[int | None, Field(
        ge=128, alias="maxMemoryRequiredInMb")] = None


class StartupParameters(SpecModel):
    model_data_download_timeout_in_seconds: StartupTimeout | None = None
    container_startup_health_check_timeout_in_seconds: StartupTimeout | None = None


class Specification(SpecModel):
    """The API's `InferenceComponentSpecification`: a model (`modelName`) or a container, the
    compute each copy needs, or, for an adapter, its base component and artifacts."""

    aws_extra_shape: ClassVar[tuple[str, str]] = ("sagemaker", "InferenceComponentSpecification")

    model_name: ModelRef | None = None
    """A `Model` defined in the specs, or the ARN of a model sagectl does not manage."""
    container: Container | None = None
    compute_resource_requirements: ComputeResourceRequirements | None = None
    """Required unless this is an adapter (which uses its base component's)."""
    startup_parameters: StartupParameters | None = None
    base_inference_component_name: SageMakerName | None = None
    """Makes this an adapter component: the base component (on the same endpoint) whose
    compute it uses; its artifacts go in `container.artifactUrl`."""
    aws_extra: AwsExtra | None = None
    """InferenceComponentSpecification members sagectl does not model (e.g. `dataCacheConfig`),
    checked against the installed botocore's shape."""

    @property
    def is_adapter(self) -> bool:
        return self.base_inference_component_name is not None


class RuntimeConfig(SpecModel):
    copy_count: Annotated[int, Field(ge=0)]
    """Copies of the model to run (0: none). With `capacityOwner: autoscaling`, only the count
    the component is created with: the autoscaler owns it afterwards."""


class CopyAutoscaling(AutoscalingBase):
    """Application Auto Scaling of the copy count
    (`sagemaker:inference-component:DesiredCopyCount`).
    `minCapacity: 0` lets the component scale to zero copies; scaling out from zero needs a
    step scaling policy that a CloudWatch alarm invokes (AWS: "you must use step scaling if you
    want to enable an endpoint to scale out from zero active instances")."""


class CapacitySize(SpecModel):
    type: Literal["COPY_COUNT", "CAPACITY_PERCENT"]
    value: Annotated[int, Field(ge=1)]


class RollingUpdatePolicy(SpecModel):
    maximum_batch_size: CapacitySize
    """Copies replaced per step: 5-50% of the component's copy count."""
    wait_interval_in_seconds: Annotated[int, Field(ge=0, le=3600)]
    """The baking period of each batch, while SageMaker watches the rollback alarms."""
    maximum_execution_timeout_in_seconds: Annotated[int, Field(ge=600, le=28800)] | None = None
    """The whole deployment's deadline; exceeding it rolls the update back."""
    rollback_maximum_batch_size: CapacitySize | None = None
    """Batch size of a rollback (default: all at once)."""


class DeploymentConfig(SpecModel):
    """Passed to UpdateInferenceComponent when the specification changes."""

    rolling_update_policy: RollingUpdatePolicy
    auto_rollback_configuration: AutoRollbackConfiguration | None = None

    def alarm_names(self) -> list[str]:
        cfg = self.auto_rollback_configuration
        return [a.alarm_name for a in cfg.alarms] if cfg else []


def batch_copies(size: CapacitySize, copies: int) -> int:
    """Copies in one batch. CAPACITY_PERCENT is rounded up, at least 1: AWS does not document
    the rounding (docs/sagemaker-rules.md, "Not documented"); the emulator rounds the same."""
    if size.type == "COPY_COUNT":
        return size.value
    return max(1, -(-copies * size.value // 100))


def batch_problem(size: CapacitySize, copies: int, what: str = "maximumBatchSize") -> str | None:
    """Why ``size`` is not 5-50% of ``copies`` (None: it is, or there are no copies to roll;
    a CAPACITY_PERCENT size is checked whatever ``copies``)."""
    low, high = BATCH_PERCENT
    if size.type == "CAPACITY_PERCENT":
        if low <= size.value <= high:
            return None
        return f"{what} must be {low}-{high}% of the component's copy count, got {size.value}%"
    if copies <= 0:
        return None
    percent = 100.0 * size.value / copies
    if low <= percent <= high:
        return None
    return (f"{what} must be {low}-{high}% of the component's copy count ({copies}), got "
            f"{size.value} cop{'y' if size.value == 1 else 'ies'} ({percent:.0f}%)"
            + ("; a rolling update needs at least 2 copies" if copies == 1 else ""))


class InferenceComponentSpec(SpecModel):
    """An inference component: a model (or container) with its copies, on an endpoint variant
    that hosts components (a variant without `modelName`)."""

    aws_extra_shape: ClassVar[tuple[str, str]] = ("sagemaker", "CreateInferenceComponentInput")
    aws_extra_reserved: ClassVar[dict[str, str]] = {
        "inferenceComponentName": "`inferenceComponentName` is the document's metadata.name",
        "specifications": "AWS takes `Specifications` (one per instance type) only instead of "
                          "`Specification`, never both, and sagectl requires `specification` "
                          "(rule 50)"}

    endpoint_name: SageMakerName
    """An Endpoint defined in the specs, or an existing endpoint sagectl does not manage."""
    variant_name: SageMakerName
    """The endpoint's production variant that hosts the component (one without `modelName`)."""
    specification: Specification
    runtime_config: RuntimeConfig | None = None
    """Required unless this is an adapter (an adapter has no copies of its own)."""
    capacity_owner: Literal["spec", "autoscaling"] | None = None
    """Who owns the live copy count: `spec` (sagectl keeps it at `runtimeConfig.copyCount`) or
    `autoscaling` (sagectl never changes or resets it). Default: `autoscaling` when
    `autoscaling` is set, else `spec`."""
    autoscaling: CopyAutoscaling | None = None
    deployment_config: DeploymentConfig | None = None
    """How a specification change rolls out (UpdateInferenceComponent's DeploymentConfig).
    Without one, SageMaker's default applies (not documented)."""
    bake: Bake = Bake()
    tags: Tags = {}
    aws_extra: AwsExtra | None = None
    """CreateInferenceComponent members sagectl does not model, checked against the installed
    botocore's `CreateInferenceComponentInput` shape."""

    @property
    def effective_capacity_owner(self) -> str:
        if self.capacity_owner:
            return self.capacity_owner
        return "autoscaling" if self.autoscaling is not None else "spec"

    def max_copies(self) -> int:
        """The most copies the component can run: the autoscaler's maximum, or the spec's."""
        if self.autoscaling is not None:
            return self.autoscaling.max_capacity
        return self.runtime_config.copy_count if self.runtime_config else 0

    def check(self, ctx: CheckContext, at: Path) -> Iterator[Issue]:
        yield from self._check_specification(ctx, (*at, "specification"))
        yield from self._check_placement(ctx, at)
        yield from self._check_copies(at)
        yield from self._check_deployment(ctx, at)
        yield from check_extras(self, at)
        yield from check_tags(self.tags, (*at, "tags"))

    # -- what it runs (rule 46) -------------------------------------------------------------
    def _check_specification(self, ctx: CheckContext, at: Path) -> Iterator[Issue]:
        spec = self.specification
        if spec.is_adapter:
            yield from self._check_adapter(ctx, at)
            return
        if (spec.model_name is None) == (spec.container is None):
            yield Issue(at, "a component needs exactly one of `modelName` and `container` "
                            "(rule 46)")
        if spec.container is not None and spec.model_name is None and spec.container.image is None:
            yield Issue((*at, "container"), "a component without `modelName` runs "
                                            "`container.image`: set it (rule 46)")
        req = spec.compute_resource_requirements
        if req is None:
            yield Issue(at, "set `computeResourceRequirements` (the accelerators, CPU cores and "
                            "memory one copy needs): required for a component that is not an "
                            "adapter (rule 46)")
        elif req.max_memory_required_in_mb is not None and \
                req.max_memory_required_in_mb < req.min_memory_required_in_mb:
            yield Issue((*at, "computeResourceRequirements", "maxMemoryRequiredInMb"),
                        f"maxMemoryRequiredInMb ({req.max_memory_required_in_mb}) is below "
                        f"minMemoryRequiredInMb ({req.min_memory_required_in_mb})")
        ref = spec.model_name
        if ref is None:
            return
        if is_arn(ref):
            if not valid_arn(ref) or ":model/" not in ref:
                yield Issue((*at, "modelName"), f"{ref!r} is not a SageMaker model ARN "
                                                "(arn:aws:sagemaker:REGION:ACCOUNT:model/NAME)")
        elif not ctx.defines("Model", ref):
            yield Issue((*at, "modelName"), f"model {ref!r} is not defined in the specs; define "
                                            "a Model with that name, or give the ARN of a model "
                                            "sagectl does not manage")

    def _check_adapter(self, ctx: CheckContext, at: Path) -> Iterator[Issue]:
        spec = self.specification
        base = spec.base_inference_component_name
        if spec.compute_resource_requirements is not None:
            yield Issue((*at, "computeResourceRequirements"),
                        "an adapter component uses the compute resources of its base component: "
                        "omit `computeResourceRequirements` (rule 46)")
        if spec.model_name is not None:
            yield Issue((*at, "modelName"), "an adapter component names no model: its artifacts "
                                            "go in `container.artifactUrl` (rule 46)")
        if spec.container is None or spec.container.artifact_url is None:
            yield Issue(at, "an adapter component needs `container.artifactUrl`, the location of "
                            "its adapter artifacts (rule 46)")
        root = at[:-1]
        if self.runtime_config is not None:
            yield Issue((*root, "runtimeConfig"), "an adapter component has no copies of its own "
                                                  "(it runs on its base component's): omit "
                                                  "`runtimeConfig` (rule 46)")
        if self.autoscaling is not None:
            yield Issue((*root, "autoscaling"), "an adapter component has no copy count to "
                                                "autoscale: omit `autoscaling` (rule 46)")
        if base is None or not ctx.defines("InferenceComponent", base):
            return  # an external base: checked live by the plan
        found: Any = ctx.lookup("InferenceComponent", base)
        if found is None:
            return
        if found.endpoint_name != self.endpoint_name:
            yield Issue((*at, "baseInferenceComponentName"),
                        f"base component {base!r} is on endpoint {found.endpoint_name!r}; an "
                        f"adapter must be on the same endpoint ({self.endpoint_name!r}) (rule 46)")
        elif found.specification.is_adapter:
            yield Issue((*at, "baseInferenceComponentName"),
                        f"{base!r} is itself an adapter component; the base must run the "
                        "foundation model (rule 46)")

    def _check_placement(self, ctx: CheckContext, at: Path) -> Iterator[Issue]:
        """The variant, when the endpoint is in the specs (an external one: the plan checks)."""
        if not ctx.defines("Endpoint", self.endpoint_name):
            return
        endpoint: Any = ctx.lookup("Endpoint", self.endpoint_name)
        if endpoint is None:
            return
        variants = {v.variant_name: v for v in endpoint.production_variants}
        variant = variants.get(self.variant_name)
        if variant is None:
            yield Issue((*at, "variantName"),
                        f"endpoint {self.endpoint_name!r} has no production variant "
                        f"{self.variant_name!r} (it has {', '.join(sorted(variants))})")
        elif variant.model_name is not None or variant.serverless_config is not None:
            yield Issue((*at, "variantName"),
                        f"variant {self.variant_name!r} of endpoint {self.endpoint_name!r} "
                        + ("has `modelName`" if variant.model_name is not None
                           else "is serverless")
                        + ": inference components go on an instance-based variant without a "
                          "model (rule 46)")

    # -- copies (rules 45, 48) --------------------------------------------------------------
    def _check_copies(self, at: Path) -> Iterator[Issue]:
        if self.specification.is_adapter:
            return
        if self.runtime_config is None:
            yield Issue(at, "set `runtimeConfig.copyCount`: required for a component that is "
                            "not an adapter (with autoscaling, the count it starts with)")
        scaling = self.autoscaling
        if self.capacity_owner == "autoscaling" and scaling is None:
            yield Issue((*at, "capacityOwner"), "capacityOwner is `autoscaling` but the "
                                                "component has no `autoscaling` block")
        if self.capacity_owner == "spec" and scaling is not None:
            yield Issue((*at, "capacityOwner"), "capacityOwner is `spec` but `autoscaling` is "
                                                "configured: the autoscaler would fight the "
                                                "spec; remove one of them")
        if scaling is None:
            return
        a_at = (*at, "autoscaling")
        yield from scaling.check_target(a_at, COMPONENT_METRICS, "an inference component")
        count = self.runtime_config.copy_count if self.runtime_config else None
        if count is not None and not scaling.min_capacity <= count <= scaling.max_capacity:
            yield Issue((*at, "runtimeConfig", "copyCount"),
                        f"copyCount ({count}) must be within autoscaling [minCapacity, "
                        f"maxCapacity] = [{scaling.min_capacity}, {scaling.max_capacity}]")
        if scaling.min_capacity == 0 and not any(
                p.effective_type == "StepScaling" for p in scaling.scaling_policies):
            yield Issue((*a_at, "minCapacity"),
                        "minCapacity 0 lets the component scale in to zero copies, but target "
                        "tracking does not scale out from zero: add a StepScaling policy and a "
                        "CloudWatch alarm that invokes it (e.g. on NoCapacityInvocationFailures; "
                        "rule 48)", "warning")

    def _check_deployment(self, ctx: CheckContext, at: Path) -> Iterator[Issue]:
        cfg = self.deployment_config
        d_at = (*at, "deploymentConfig")
        if cfg is not None:
            rolling = cfg.rolling_update_policy
            r_at = (*d_at, "rollingUpdatePolicy")
            size = rolling.maximum_batch_size
            if size.type == "CAPACITY_PERCENT" or self.effective_capacity_owner == "spec":
                copies = self.runtime_config.copy_count if self.runtime_config else 0
                wrong = batch_problem(size, copies)
                if wrong is not None:
                    yield Issue((*r_at, "maximumBatchSize", "value"), wrong + " (rule 45)")
            back = rolling.rollback_maximum_batch_size
            if back is not None and back.type == "CAPACITY_PERCENT" and back.value > 100:
                yield Issue((*r_at, "rollbackMaximumBatchSize", "value"),
                            f"rollbackMaximumBatchSize cannot exceed 100%, got {back.value}%")
            alarms = cfg.auto_rollback_configuration
            names = [a.alarm_name for a in alarms.alarms] if alarms else []
            for i, ref in enumerate(alarms.alarms if alarms else []):
                a_at = (*d_at, "autoRollbackConfiguration", "alarms", i, "alarmName")
                if not ref.external and not ctx.defines("Alarm", ref.alarm_name):
                    yield Issue(a_at, f"alarm {ref.alarm_name!r} is not defined in the specs; "
                                      "define an Alarm with that name or mark the reference "
                                      "`external: true`")
                if ref.alarm_name in names[:i]:
                    yield Issue(a_at, f"alarm {ref.alarm_name!r} is listed twice")
            if alarms is not None:
                yield from monitor_alarm_warnings(
                    ctx, alarms.alarms, (*d_at, "autoRollbackConfiguration", "alarms"))
            if alarms is None:
                yield Issue(d_at, "a rolling update without autoRollbackConfiguration alarms "
                                  "cannot roll back on an alarm: SageMaker rolls back only when "
                                  "an alarm fires (or the deployment times out)", "warning")
        if self.bake.duration_in_seconds > 0 and (cfg is None or not cfg.alarm_names()):
            yield Issue((*at, "bake", "durationInSeconds"),
                        "a bake watches the rollback alarms: add "
                        "deploymentConfig.autoRollbackConfiguration.alarms, or set the bake to 0")
