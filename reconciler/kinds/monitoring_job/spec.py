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
import functools
from collections.abc import Iterator
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, StringConstraints

from reconciler.contract import CheckContext, Issue, SpecModel
from reconciler.kinds._aws import (
    AwsExtra,
    KmsKeyId,
    RoleArn,
    S3Uri,
    SageMakerName,
    Tags,
    check_extras,
    check_tags,
)
from reconciler.spec.nodes import Path

MonitoringS3Uri = Annotated[str, StringConstraints(max_length=512,
                                                   pattern=r"^(https|s3)://[^/]+/?.*$")]
LocalPath = Annotated[str, StringConstraints(min_length=1, max_length=256)]
TimeOffset = Annotated[str, StringConstraints(min_length=1, max_length=15, pattern=r"^.?P.*$")]
"""An ISO 8601 duration, e.g. `-PT1H` or `-P8D` (MonitoringTimeOffsetString)."""
EnvKey = Annotated[str, StringConstraints(max_length=256, pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")]
EnvValue = Annotated[str, StringConstraints(max_length=256)]
Arg = Annotated[str, StringConstraints(max_length=256)]

INSTANCE_TYPE_SHAPE = "ProcessingInstanceType"


@functools.cache
def processing_instance_types() -> frozenset[str]:
    """The instance types a monitoring job may run on (botocore's ``ProcessingInstanceType``)."""
    from reconciler.spec import botoshape

    return frozenset(botoshape.shape("sagemaker", INSTANCE_TYPE_SHAPE)["enum"])


# -- app specifications ------------------------------------------------------------------------

class DataQualityAppSpecification(SpecModel):
    """The analyzer container: SageMaker's pre-built `sagemaker-model-monitor-analyzer` image
    of your region (`ACCOUNT.dkr.ecr.REGION.amazonaws.com/sagemaker-model-monitor-analyzer`;
    the account per region is in the SageMaker documentation's Docker registry paths) or your
    own."""

    image_uri: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    """The container image the monitoring job runs (required: sagectl does not guess the
    pre-built image's registry account)."""
    container_entrypoint: Annotated[list[Arg], Field(min_length=1, max_length=100)] | None = None
    container_arguments: Annotated[list[Arg], Field(min_length=1, max_length=50)] | None = None
    record_preprocessor_source_uri: S3Uri | None = None
    """A script called per record before analysis (built-in container only)."""
    post_analytics_processor_source_uri: S3Uri | None = None
    """A script called after the analysis (built-in container only)."""
    environment: Annotated[dict[EnvKey, EnvValue], Field(max_length=50)] | None = None
    """Environment variables of the container."""


class ModelQualityAppSpecification(DataQualityAppSpecification):
    problem_type: Literal["BinaryClassification", "MulticlassClassification",
                          "Regression"] | None = None
    """The machine learning problem type of the monitored model."""


class ClarifyAppSpecification(SpecModel):
    """The SageMaker Clarify container and its analysis configuration."""

    image_uri: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    """The container image the monitoring job runs."""
    config_uri: S3Uri
    """The S3 location of the Clarify analysis configuration (JSON)."""
    environment: Annotated[dict[EnvKey, EnvValue], Field(max_length=50)] | None = None


# -- baselines ---------------------------------------------------------------------------------

class S3Resource(SpecModel):
    s3_uri: S3Uri | None = None


class BaselineConfig(SpecModel):
    """The baseline the job compares with: its constraints file, or the baselining job that
    made it."""

    baselining_job_name: SageMakerName | None = None
    constraints_resource: S3Resource | None = None
    """The `constraints.json` (S3) of the baseline."""


class DataQualityBaselineConfig(BaselineConfig):
    statistics_resource: S3Resource | None = None
    """The `statistics.json` (S3) of the baseline."""


# -- job input ---------------------------------------------------------------------------------

class _InputCommon(SpecModel):
    local_path: LocalPath
    """Where the data is available to the container (e.g. `/opt/ml/processing/input`)."""
    s3_input_mode: Literal["Pipe", "File"] | None = None
    s3_data_distribution_type: Literal["FullyReplicated", "ShardedByS3Key"] | None = None
    features_attribute: str | None = None
    """The attributes of the input data that are the features (JSON Lines input)."""
    inference_attribute: str | None = None
    """The attribute of the captured data that is the model's prediction."""
    probability_attribute: str | None = None
    """In a classification problem, the attribute that is the class probability."""
    probability_threshold_attribute: float | None = None
    """The threshold above which a class probability is a positive result."""
    start_time_offset: TimeOffset | None = None
    """Subtracted from each run's start time (ground truth arrives late), e.g. `-P8D`."""
    end_time_offset: TimeOffset | None = None
    """Subtracted from each run's end time, e.g. `-P1D`."""
    exclude_features_attribute: Annotated[str, StringConstraints(max_length=100)] | None = None


class EndpointInput(_InputCommon):
    """Data captured from an endpoint of the specs (its data capture must be enabled)."""

    endpoint_name: SageMakerName
    """The name of an Endpoint spec (sagectl resolves it to the endpoint it manages)."""


class CsvFormat(SpecModel):
    header: bool | None = None


class JsonFormat(SpecModel):
    line: bool | None = None


class ParquetFormat(SpecModel):
    pass


class DatasetFormat(SpecModel):
    csv: CsvFormat | None = None
    json_: JsonFormat | None = Field(None, alias="json")
    parquet: ParquetFormat | None = None


class BatchTransformInput(_InputCommon):
    """Data captured from batch transform jobs."""

    data_captured_destination_s3_uri: MonitoringS3Uri
    """Where the batch transform job's data capture writes."""
    dataset_format: DatasetFormat


class GroundTruthS3Input(SpecModel):
    s3_uri: MonitoringS3Uri | None = None
    """Where the ground truth labels are uploaded (S3)."""


class JobInput(SpecModel):
    """Exactly one of `endpointInput` and `batchTransformInput`."""

    endpoint_input: EndpointInput | None = None
    batch_transform_input: BatchTransformInput | None = None


class GroundTruthJobInput(JobInput):
    ground_truth_s3_input: GroundTruthS3Input
    """The ground truth labels the predictions are compared with."""


# -- output, resources, network ----------------------------------------------------------------

class S3Output(SpecModel):
    s3_uri: MonitoringS3Uri
    """Where the job's reports go (S3)."""
    local_path: LocalPath
    """Where the container writes them (e.g. `/opt/ml/processing/output`)."""
    s3_upload_mode: Literal["Continuous", "EndOfJob"] | None = None


class MonitoringOutput(SpecModel):
    s3_output: S3Output


class JobOutputConfig(SpecModel):
    monitoring_outputs: Annotated[list[MonitoringOutput], Field(min_length=1, max_length=1)]
    """Exactly one output location."""
    kms_key_id: KmsKeyId | None = None
    """KMS key that encrypts the output."""


class ClusterConfig(SpecModel):
    instance_count: Annotated[int, Field(ge=1, le=100)]
    instance_type: str
    """A processing instance type (e.g. `ml.m5.xlarge`)."""
    volume_size_in_gb: Annotated[int, Field(ge=1, le=16384)]
    """The ML storage volume of each instance, in GB."""
    volume_kms_key_id: KmsKeyId | None = None


class JobResources(SpecModel):
    cluster_config: ClusterConfig


class VpcConfig(SpecModel):
    security_group_ids: Annotated[list[Annotated[str, StringConstraints(
        max_length=32, pattern=r"^[-0-9a-zA-Z]+$")]], Field(min_length=1, max_length=5)]
    subnets: Annotated[list[Annotated[str, StringConstraints(
        max_length=32, pattern=r"^[-0-9a-zA-Z]+$")]], Field(min_length=1, max_length=16)]


class NetworkConfig(SpecModel):
    enable_inter_container_traffic_encryption: bool | None = None
    enable_network_isolation: bool | None = None
    vpc_config: VpcConfig | None = None


class StoppingCondition(SpecModel):
    max_runtime_in_seconds: Annotated[int, Field(ge=1, le=86400)]
    """The longest a monitoring execution may run (1 to 86400 seconds)."""


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
        yield Issue(at, f"endpoint {name!r} is not defined in the specs: a job definition "
                        "monitors an Endpoint spec (define it, or import the endpoint first)")
        return
    endpoint: Any = ctx.lookup("Endpoint", name)
    if endpoint is None:
        return
    capture = getattr(endpoint, "data_capture_config", None)
    if capture is None or not getattr(capture, "enable_capture", True):
        yield Issue(at, f"endpoint {name!r} does not capture data (`dataCaptureConfig` with "
                        "`enableCapture: true`): Model Monitor analyses the data an endpoint "
                        "captures")


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
