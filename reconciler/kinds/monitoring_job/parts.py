"""The members the four job definition specs are made of (``spec.py`` assembles them): app
specifications, baselines, the job input, output, cluster, network and stopping condition, with
botocore's constraints in their types."""

from __future__ import annotations

import functools
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from reconciler.contract import SpecModel
from reconciler.kinds._aws import KmsKeyId, S3Uri, SageMakerName

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
