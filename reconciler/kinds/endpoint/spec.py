"""The ``Endpoint`` spec: variants, async and data capture, deployment policy, protection.

One Endpoint spec describes both the SageMaker endpoint and its endpoint config (which sagectl
creates under a content-derived name, since configs are immutable).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from reconciler.contract import CheckContext, Issue, SpecModel, duplicates
from reconciler.kinds._aws import (
    AwsExtra,
    KmsKeyId,
    RoleArn,
    S3Uri,
    SnsTopicArn,
    Tags,
    check_extras,
    check_tags,
)
from reconciler.kinds.endpoint import exclusions
from reconciler.kinds.endpoint.deployment import Bake, DeploymentConfig, check_deployment
from reconciler.kinds.endpoint.variants import ProductionVariant
from reconciler.spec.nodes import Path

ContentType = Annotated[str, Field(min_length=1, max_length=256)]
ContentTypes = Annotated[list[ContentType], Field(min_length=1, max_length=10)]
TopicType = Literal["SUCCESS_NOTIFICATION_TOPIC", "ERROR_NOTIFICATION_TOPIC"]


class CaptureOption(SpecModel):
    capture_mode: Literal["Input", "Output", "InputAndOutput"]


class CaptureContentTypeHeader(SpecModel):
    csv_content_types: ContentTypes | None = None
    json_content_types: ContentTypes | None = None


class DataCaptureConfig(SpecModel):
    """Capture requests and responses to S3 (for model monitoring)."""

    enable_capture: bool = True
    initial_sampling_percentage: Annotated[int, Field(ge=0, le=100)]
    destination_s3_uri: S3Uri
    kms_key_id: KmsKeyId | None = None
    capture_options: Annotated[list[CaptureOption], Field(min_length=1, max_length=32)]
    capture_content_type_header: CaptureContentTypeHeader | None = None


class AsyncInferenceNotificationConfig(SpecModel):
    success_topic: SnsTopicArn | None = None
    error_topic: SnsTopicArn | None = None
    include_inference_response_in: Annotated[list[TopicType], Field(max_length=2)] | None = None


class AsyncInferenceOutputConfig(SpecModel):
    s3_output_path: S3Uri | None = None
    """Where SageMaker writes results."""
    s3_failure_path: S3Uri | None = None
    """Where SageMaker writes errors (optional)."""
    kms_key_id: KmsKeyId | None = None
    notification_config: AsyncInferenceNotificationConfig | None = None


class AsyncInferenceClientConfig(SpecModel):
    max_concurrent_invocations_per_instance: Annotated[int, Field(ge=1, le=1000)] | None = None


class AsyncInferenceConfig(SpecModel):
    """Asynchronous inference: requests are queued, results land in S3. Cannot be removed from an
    endpoint by an update (that needs a replacement)."""

    output_config: AsyncInferenceOutputConfig
    client_config: AsyncInferenceClientConfig | None = None


class EndpointSpec(SpecModel):
    """A SageMaker endpoint and its (content-named) endpoint config."""

    aws_extra_shape: ClassVar[tuple[str, str]] = ("sagemaker", "CreateEndpointConfigInput")
    aws_extra_reserved: ClassVar[dict[str, str]] = {
        "endpointConfigName": "`endpointConfigName` is set by sagectl (configs are named by "
                              "content: <endpoint>-<hash8>)"}

    production_variants: Annotated[list[ProductionVariant], Field(min_length=1, max_length=10)]
    """1-10 variants that share the endpoint's traffic by weight."""
    shadow_production_variants: Annotated[list[ProductionVariant],
                                          Field(min_length=1, max_length=10)] | None = None
    """Variants that receive a copy of the traffic; their responses are not returned."""
    data_capture_config: DataCaptureConfig | None = None
    async_inference_config: AsyncInferenceConfig | None = None
    kms_key_id: KmsKeyId | None = None
    """KMS key for the ML storage volumes of the endpoint's instances."""
    execution_role_arn: RoleArn | None = None
    """IAM role SageMaker assumes on the endpoint's behalf (the endpoint config's
    ExecutionRoleArn): e.g. for an endpoint whose variants host inference components."""
    deployment_config: DeploymentConfig | None = None
    """How updates roll out (UpdateEndpoint's DeploymentConfig)."""
    bake: Bake = Bake()
    deletion_protection: bool = False
    """Refuse to delete this endpoint, even when it leaves the specs and pruning is on."""
    allow_replacement: bool = False
    """Allow sagectl to delete and re-create the endpoint when AWS offers no update path
    (instance-based to serverless, removing async inference). Causes downtime."""
    tags: Tags = {}
    aws_extra: AwsExtra | None = None
    """CreateEndpointConfig members sagectl does not model, checked against the installed
    botocore's `CreateEndpointConfigInput` shape."""

    def all_variants(self) -> list[tuple[str, int, ProductionVariant]]:
        out = [("productionVariants", i, v) for i, v in enumerate(self.production_variants)]
        out += [("shadowProductionVariants", i, v)
                for i, v in enumerate(self.shadow_production_variants or [])]
        return out

    def check(self, ctx: CheckContext, at: Path) -> Iterator[Issue]:
        everything = self.all_variants()
        for field, i, variant in everything:
            yield from variant.check(ctx, (*at, field, i))
        for i, v in enumerate(self.shadow_production_variants or []):
            if v.model_name is None:
                yield Issue((*at, "shadowProductionVariants", i),
                            "a shadow variant needs `modelName`: it receives a copy of the "
                            "traffic for a model (rule 40)")
        hosting = [v.variant_name for v in self.production_variants if v.model_name is None]
        if hosting and self.execution_role_arn is None:
            yield Issue(at, f"variant {hosting[0]!r} has no `modelName` (it hosts inference "
                            "components): the endpoint needs `executionRoleArn`, the role "
                            "SageMaker assumes for them (rule 40)")
        yield from check_extras(self, at)
        for name, idx in duplicates([v.variant_name for _, _, v in everything]).items():
            for j in idx:
                field, i, _ = everything[j]
                yield Issue((*at, field, i, "variantName"), f"duplicate variant name {name!r}")

        prod = self.production_variants
        shadows = self.shadow_production_variants or []
        if shadows and (len(prod), len(shadows)) != (1, 1):
            yield Issue((*at, "shadowProductionVariants"),
                        "with shadow variants, SageMaker takes exactly one production variant "
                        f"and one shadow variant (got {len(prod)} and {len(shadows)}; "
                        "CreateEndpointConfig, ShadowProductionVariants)")
        if all(v.initial_variant_weight == 0 for v in prod):
            yield Issue((*at, "productionVariants"), "all production variant weights are 0: "
                                                     "the endpoint would receive no traffic")
        yield from self._check_serverless(at)
        yield from self._check_async(at)
        deployment = self.deployment_config or DeploymentConfig()
        excluded = exclusions.exclusion(v for _, _, v in everything)
        yield from check_deployment(deployment, self.bake, (*at, "deploymentConfig"),
                                    (*at, "bake"), prod, ctx, excluded is not None)
        if excluded is not None:
            rolling_reported = any(v.is_serverless for v in prod) or len(prod) > 1
            yield from exclusions.check(deployment, excluded, (*at, "deploymentConfig"),
                                        rolling_reported)
        yield from check_tags(self.tags, (*at, "tags"))

    def _check_serverless(self, at: Path) -> Iterator[Issue]:
        serverless = [(f, i) for f, i, v in self.all_variants() if v.is_serverless]
        if not serverless:
            return
        if len(self.all_variants()) > 1:
            f, i = serverless[0]
            yield Issue((*at, f, i, "serverlessConfig"),
                        "a serverless endpoint has exactly one variant (SageMaker does not mix "
                        "serverless with other variants or shadow variants)")
        if self.data_capture_config is not None:
            yield Issue((*at, "dataCaptureConfig"), "serverless endpoints do not support data "
                                                    "capture")
        if self.async_inference_config is not None:
            yield Issue((*at, "asyncInferenceConfig"), "asynchronous inference needs "
                                                       "instance-based variants, not serverless")

    def _check_async(self, at: Path) -> Iterator[Issue]:
        cfg = self.async_inference_config
        if cfg is None:
            return
        out = cfg.output_config
        o_at = (*at, "asyncInferenceConfig", "outputConfig")
        if out.s3_output_path is None:
            yield Issue(o_at, "set `s3OutputPath`: where SageMaker writes asynchronous results")
        note = out.notification_config
        if note is not None:
            topics = {"SUCCESS_NOTIFICATION_TOPIC": note.success_topic,
                      "ERROR_NOTIFICATION_TOPIC": note.error_topic}
            for i, which in enumerate(note.include_inference_response_in or []):
                if topics[which] is None:
                    topic = "successTopic" if which.startswith("SUCCESS") else "errorTopic"
                    yield Issue((*o_at, "notificationConfig", "includeInferenceResponseIn", i),
                                f"{which} needs `{topic}`")
