"""The specs of the four Model Monitor job definition kinds (Create*JobDefinition).

The four APIs share most of their request: job resources, network config, role, stopping
condition, output config and the job input's endpoint or batch transform input. What differs is
the prefix of four members (``dataQualityAppSpecification``, ``modelBiasJobInput``, ...) and
what each type needs: data quality takes a statistics baseline and its own analyzer options,
model quality a problem type and ground truth, bias and explainability a Clarify analysis
configuration (``configUri``), and bias ground truth too. Constraints from botocore's shapes are
in the types; rules that span fields or resources in ``check``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any, ClassVar

from reconciler.contract import CheckContext, Issue, SpecModel
from reconciler.kinds._aws import AwsExtra, RoleArn, Tags, check_extras, check_tags
from reconciler.kinds.monitoring_job.parts import (
    INSTANCE_TYPE_SHAPE,
    BaselineConfig,
    ClarifyAppSpecification,
    DataQualityAppSpecification,
    DataQualityBaselineConfig,
    GroundTruthJobInput,
    JobInput,
    JobOutputConfig,
    JobResources,
    ModelQualityAppSpecification,
    NetworkConfig,
    StoppingCondition,
    processing_instance_types,
)
from reconciler.spec.nodes import Path

# -- the four specs ----------------------------------------------------------------------------

class JobDefinitionSpec(SpecModel):
    """What the four job definition specs share; ``prefix`` names their own members."""

    prefix: ClassVar[str]
    """``dataQuality``, ``modelQuality``, ``modelBias``, ``modelExplainability``."""
    aws_extra_reserved: ClassVar[dict[str, str]] = {
        "jobDefinitionName": "`jobDefinitionName` is set by sagectl (job definitions are "
                             "named by content: <name>-<hash8>)"}

    job_resources: JobResources
    """The processing cluster each monitoring execution runs on."""
    network_config: NetworkConfig | None = None
    role_arn: RoleArn
    """The IAM role SageMaker assumes to run the monitoring jobs."""
    stopping_condition: StoppingCondition | None = None
    tags: Tags = {}
    aws_extra: AwsExtra | None = None
    """Create*JobDefinition members sagectl does not model, checked against the installed
    botocore's request shape."""

    # the type's own members, by role
    def member(self, role: str) -> Any:
        """``AppSpecification``, ``BaselineConfig``, ``JobInput``, ``JobOutputConfig``."""
        return getattr(self, _snake(self.prefix + role))

    @property
    def job_input(self) -> JobInput:
        return self.member("JobInput")  # type: ignore[no-any-return]

    @property
    def endpoint_name(self) -> str | None:
        found = self.job_input.endpoint_input
        return found.endpoint_name if found is not None else None

    def check(self, ctx: CheckContext, at: Path) -> Iterator[Issue]:
        yield from self._check_input(ctx, (*at, self.prefix + "JobInput"))
        cluster = self.job_resources.cluster_config
        if cluster.instance_type not in processing_instance_types():
            close = difflib.get_close_matches(cluster.instance_type,
                                              sorted(processing_instance_types()), n=1,
                                              cutoff=0.8)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            yield Issue((*at, "jobResources", "clusterConfig", "instanceType"),
                        f"{cluster.instance_type!r} is not an instance type monitoring jobs run "
                        f"on{hint} (botocore's {INSTANCE_TYPE_SHAPE})")
        yield from check_extras(self, at)
        yield from check_tags(self.tags, (*at, "tags"))

    def _check_input(self, ctx: CheckContext, at: Path) -> Iterator[Issue]:
        job_input = self.job_input
        both = job_input.endpoint_input is not None and job_input.batch_transform_input is not None
        if both:
            yield Issue((*at, "batchTransformInput"),
                        "`endpointInput` and `batchTransformInput` are alternatives: a job "
                        "monitors an endpoint or batch transform jobs, not both")
        elif job_input.endpoint_input is None and job_input.batch_transform_input is None:
            yield Issue(at, "set `endpointInput` (an Endpoint of the specs) or "
                            "`batchTransformInput` (batch transform data capture)")
        if job_input.endpoint_input is not None:
            yield from _check_endpoint(ctx, job_input.endpoint_input.endpoint_name,
                                       (*at, "endpointInput", "endpointName"))


def _check_endpoint(ctx: CheckContext, name: str, at: Path) -> Iterator[Issue]:
    """The endpoint is an Endpoint of the specs, and it captures data (Model Monitor analyses
    what data capture writes)."""
    if not ctx.defines("Endpoint", name):
        close = difflib.get_close_matches(name, _names(ctx, "Endpoint"), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        yield Issue(at, f"endpoint {name!r} is not defined in the specs: a job definition "
                        "monitors an Endpoint spec (define it, or import the endpoint "
                        f"first){hint}")
        return
    endpoint: Any = ctx.lookup("Endpoint", name)
    if endpoint is None:
        return
    capture = getattr(endpoint, "data_capture_config", None)
    if capture is None or not getattr(capture, "enable_capture", True):
        yield Issue(at, f"endpoint {name!r} does not capture data (`dataCaptureConfig` with "
                        "`enableCapture: true`): Model Monitor analyses the data an endpoint "
                        "captures")


def _names(ctx: CheckContext, kind: str) -> list[str]:
    """The names the specs define for ``kind``, when the context can list them (the contract's
    ``CheckContext`` has no listing; the loader's context keeps an ``index``, as the schedule
    kind reads it too)."""
    index = getattr(ctx, "index", None)
    if not isinstance(index, dict):
        return []
    return sorted(n for (k, n) in index if k == kind)


def _snake(camel: str) -> str:
    out = "".join(f"_{c.lower()}" if c.isupper() else c for c in camel)
    return out


class DataQualityJobDefinitionSpec(JobDefinitionSpec):
    """A data quality monitoring job definition (CreateDataQualityJobDefinition)."""

    prefix: ClassVar[str] = "dataQuality"
    aws_extra_shape: ClassVar[tuple[str, str]] = ("sagemaker",
                                                  "CreateDataQualityJobDefinitionRequest")

    data_quality_app_specification: DataQualityAppSpecification
    data_quality_baseline_config: DataQualityBaselineConfig | None = None
    data_quality_job_input: JobInput
    data_quality_job_output_config: JobOutputConfig


class ModelQualityJobDefinitionSpec(JobDefinitionSpec):
    """A model quality monitoring job definition (CreateModelQualityJobDefinition)."""

    prefix: ClassVar[str] = "modelQuality"
    aws_extra_shape: ClassVar[tuple[str, str]] = ("sagemaker",
                                                  "CreateModelQualityJobDefinitionRequest")

    model_quality_app_specification: ModelQualityAppSpecification
    model_quality_baseline_config: BaselineConfig | None = None
    model_quality_job_input: GroundTruthJobInput
    model_quality_job_output_config: JobOutputConfig

    def check(self, ctx: CheckContext, at: Path) -> Iterator[Issue]:
        yield from super().check(ctx, at)
        yield from _check_ground_truth(self.model_quality_job_input,
                                       (*at, "modelQualityJobInput"), "model quality")


class ModelBiasJobDefinitionSpec(JobDefinitionSpec):
    """A model bias monitoring job definition (CreateModelBiasJobDefinition, SageMaker
    Clarify)."""

    prefix: ClassVar[str] = "modelBias"
    aws_extra_shape: ClassVar[tuple[str, str]] = ("sagemaker",
                                                  "CreateModelBiasJobDefinitionRequest")

    model_bias_app_specification: ClarifyAppSpecification
    model_bias_baseline_config: BaselineConfig | None = None
    model_bias_job_input: GroundTruthJobInput
    model_bias_job_output_config: JobOutputConfig

    def check(self, ctx: CheckContext, at: Path) -> Iterator[Issue]:
        yield from super().check(ctx, at)
        yield from _check_ground_truth(self.model_bias_job_input, (*at, "modelBiasJobInput"),
                                       "model bias")


class ModelExplainabilityJobDefinitionSpec(JobDefinitionSpec):
    """A model explainability monitoring job definition (CreateModelExplainabilityJobDefinition,
    SageMaker Clarify; no ground truth)."""

    prefix: ClassVar[str] = "modelExplainability"
    aws_extra_shape: ClassVar[tuple[str, str]] = (
        "sagemaker", "CreateModelExplainabilityJobDefinitionRequest")

    model_explainability_app_specification: ClarifyAppSpecification
    model_explainability_baseline_config: BaselineConfig | None = None
    model_explainability_job_input: JobInput
    model_explainability_job_output_config: JobOutputConfig


def _check_ground_truth(job_input: GroundTruthJobInput, at: Path, what: str
                        ) -> Iterator[Issue]:
    if job_input.ground_truth_s3_input.s3_uri is None:
        yield Issue((*at, "groundTruthS3Input"),
                    f"set `s3Uri`: {what} monitoring compares predictions with ground truth "
                    "labels, read from this S3 location")


SPECS: dict[str, type[JobDefinitionSpec]] = {
    "DataQuality": DataQualityJobDefinitionSpec,
    "ModelQuality": ModelQualityJobDefinitionSpec,
    "ModelBias": ModelBiasJobDefinitionSpec,
    "ModelExplainability": ModelExplainabilityJobDefinitionSpec,
}
"""The spec model of each monitoring type."""
