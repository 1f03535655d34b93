"""The ``Model`` spec: a SageMaker model (CreateModel)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, PlainValidator, StringConstraints, WithJsonSchema

from reconciler.contract import CheckContext, Issue, SpecModel, duplicates
from reconciler.kinds._aws import (
    AwsExtra,
    RoleArn,
    S3Uri,
    SageMakerName,
    Tags,
    check_extras,
    check_tags,
)
from reconciler.spec.errors import SENSITIVE_VALUES
from reconciler.spec.nodes import Path

LATEST_APPROVED = "latestApproved"


def _package_version(value: Any) -> int | str:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    if value == LATEST_APPROVED:
        return value
    raise ValueError(f"expected a version number (1 or more) or {LATEST_APPROVED!r}")


PackageVersion = Annotated[
    int | str,
    PlainValidator(_package_version),
    WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 1},
                              {"const": LATEST_APPROVED}]}),
]

EnvKey = Annotated[str, StringConstraints(max_length=1024, pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")]
EnvValue = Annotated[str, StringConstraints(max_length=1024)]
PackageName = Annotated[str, StringConstraints(min_length=1, max_length=176)]
GROUP_ARN_PATTERN = (r"^arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]{9,16}:[0-9]{12}:model-package-group/"
                     r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
GroupArn = Annotated[str, StringConstraints(max_length=2048, pattern=GROUP_ARN_PATTERN)]


class ModelAccessConfig(SpecModel):
    accept_eula: bool
    """`true` accepts the model's end-user license agreement (required by models that have one,
    e.g. some JumpStart LLMs)."""


class InferenceHubAccessConfig(SpecModel):
    hub_content_arn: Annotated[str, StringConstraints(max_length=255)]


class S3ModelDataSource(SpecModel):
    """Model data in S3, uncompressed (`compressionType: None`) or a gzip'd tar (`Gzip`)."""

    s3_uri: S3Uri
    """An object (`S3Object`) or a key prefix ending with `/` (`S3Prefix`)."""
    s3_data_type: Literal["S3Prefix", "S3Object"]
    compression_type: Literal["None", "Gzip"]
    model_access_config: ModelAccessConfig | None = None
    hub_access_config: InferenceHubAccessConfig | None = None
    manifest_s3_uri: S3Uri | None = None
    """A CSV manifest of the artifact locations."""

    def check(self, at: Path) -> Iterator[Issue]:
        if self.s3_data_type == "S3Prefix" and not self.s3_uri.endswith("/"):
            yield Issue((*at, "s3Uri"), "with s3DataType S3Prefix, `s3Uri` is a key name prefix "
                                        "and must end with '/' (rule 44)")


class ModelDataSource(SpecModel):
    s3_data_source: S3ModelDataSource


class AdditionalModelDataSource(SpecModel):
    channel_name: Annotated[str, StringConstraints(min_length=1, max_length=64,
                                                   pattern=r"^[A-Za-z0-9\.\-_]+$")]
    """Mounted at /opt/ml/additional-model-data-sources/<channelName>/."""
    s3_data_source: S3ModelDataSource


class ContainerDefinition(SpecModel):
    """One container of a model. Exactly one source: ``image``, ``modelPackageName``,
    ``modelPackageGroupName`` or ``modelPackageGroupArn`` (the registry, resolved at plan time;
    by ARN, a group in another account: a central registry)."""

    aws_extra_shape: ClassVar[tuple[str, str]] = ("sagemaker", "ContainerDefinition")

    container_hostname: SageMakerName | None = None
    """Hostname of the container in a serial inference pipeline."""
    image: Annotated[str, StringConstraints(min_length=1, max_length=255,
                                            pattern=r"^[\S]+$")] | None = None
    """Inference image URI in ECR, e.g. `123456789012.dkr.ecr.eu-west-1.amazonaws.com/fraud:1.4`."""
    model_data_url: S3Uri | None = None
    """S3 location of the model artifacts (`model.tar.gz`, or a prefix for MultiModel)."""
    model_data_source: ModelDataSource | None = None
    """The model data in S3, uncompressed or not (instead of `modelDataUrl`): how large models
    are usually deployed."""
    additional_model_data_sources: Annotated[list[AdditionalModelDataSource],
                                             Field(max_length=5)] | None = None
    """Up to 5 more S3 data sources, each mounted under its channel name."""
    environment: Annotated[dict[EnvKey, EnvValue], Field(max_length=100),
                           SENSITIVE_VALUES] = {}
    """Environment variables for the container. Values must be strings (quote numbers).
    Values are sensitive: never shown in plans, saved plans or validation messages, and the
    digests that cover them (the model's name, its digest tag) are keyed with the environment's
    digest key."""
    mode: Literal["SingleModel", "MultiModel"] | None = None
    """Hosting mode: one model, or many models behind one endpoint."""
    model_package_name: PackageName | None = None
    """A versioned model package ARN (or name) to deploy, from the model registry."""
    model_package_group_name: SageMakerName | None = None
    """Take the image and artifacts from this model package group (the registry)."""
    model_package_group_arn: GroupArn | None = None
    """Take the image and artifacts from the model package group with this ARN: a central
    registry in another account (its resource policy must grant this environment's account
    DescribeModelPackage, ListModelPackages and DescribeModelPackageGroup)."""
    model_package_version: PackageVersion | None = None
    """With `modelPackageGroupName` or `modelPackageGroupArn`: a version number to pin, or
    `latestApproved` (default): the newest package with status Approved, resolved when the plan
    is made and pinned in the plan."""
    aws_extra: AwsExtra | None = None
    """ContainerDefinition members sagectl does not model, checked against the installed
    botocore's `ContainerDefinition` shape."""

    def check(self, ctx: CheckContext, at: Path) -> Iterator[Issue]:
        yield from self._check_data(at)
        candidates = (("image", self.image), ("modelPackageName", self.model_package_name),
                      ("modelPackageGroupName", self.model_package_group_name),
                      ("modelPackageGroupArn", self.model_package_group_arn))
        sources = [name for name, value in candidates if value is not None]
        if not sources:
            yield Issue(at, "a container needs one of `image`, `modelPackageName`, "
                            "`modelPackageGroupName` or `modelPackageGroupArn`")
        elif len(sources) > 1:
            yield Issue((*at, sources[1]), f"`{sources[0]}` and `{sources[1]}` are alternatives; "
                                           "set only one")
        if self.model_package_version is not None and self.registry_group is None:
            yield Issue((*at, "modelPackageVersion"),
                        "`modelPackageVersion` needs `modelPackageGroupName` or "
                        "`modelPackageGroupArn`")
        if self.model_data_url is not None and self.image is None:
            yield Issue((*at, "modelDataUrl"), "`modelDataUrl` goes with `image`; a model package "
                                               "brings its own artifacts")
        url = self.model_data_url
        if self.mode == "MultiModel" and url and not url.endswith("/"):
            yield Issue((*at, "modelDataUrl"), "with mode MultiModel, `modelDataUrl` is an S3 "
                                               "prefix and must end with '/'")

    @property
    def registry_group(self) -> str | None:
        """The registry group this container deploys from: its name (this account) or its ARN
        (any account); None: not from the registry."""
        return self.model_package_group_name or self.model_package_group_arn

    def _check_data(self, at: Path) -> Iterator[Issue]:
        source = self.model_data_source
        if source is not None:
            s_at = (*at, "modelDataSource")
            if self.model_data_url is not None:
                yield Issue(s_at, "`modelDataUrl` and `modelDataSource` are alternatives; set "
                                  "only one (rule 44)")
            if self.image is None:
                yield Issue(s_at, "`modelDataSource` goes with `image`; a model package brings "
                                  "its own artifacts")
            if self.mode == "MultiModel":
                yield Issue(s_at, "`modelDataSource` cannot be used with multi-model endpoints "
                                  "(mode MultiModel; rule 44)")
            yield from source.s3_data_source.check((*s_at, "s3DataSource"))
        extra = self.additional_model_data_sources or []
        for i, item in enumerate(extra):
            yield from item.s3_data_source.check((*at, "additionalModelDataSources", i,
                                                  "s3DataSource"))
        for name, indexes in duplicates([x.channel_name for x in extra]).items():
            for i in indexes:
                yield Issue((*at, "additionalModelDataSources", i, "channelName"),
                            f"duplicate channelName {name!r} (each is a directory under "
                            "/opt/ml/additional-model-data-sources/)")


class VpcConfig(SpecModel):
    security_group_ids: Annotated[list[Annotated[str, StringConstraints(
        max_length=32, pattern=r"^[-0-9a-zA-Z]+$")]], Field(min_length=1, max_length=5)]
    """1-5 security group ids (`sg-...`)."""
    subnets: Annotated[list[Annotated[str, StringConstraints(
        max_length=32, pattern=r"^[-0-9a-zA-Z]+$")]], Field(min_length=1, max_length=16)]
    """1-16 subnet ids (`subnet-...`)."""


class InferenceExecutionConfig(SpecModel):
    mode: Literal["Serial", "Direct"]
    """`Serial`: an inference pipeline; `Direct`: invoke each container directly."""


class ModelSpec(SpecModel):
    """A SageMaker model: one container (`primaryContainer`) or several (`containers`)."""

    aws_extra_shape: ClassVar[tuple[str, str]] = ("sagemaker", "CreateModelInput")
    aws_extra_reserved: ClassVar[dict[str, str]] = {
        "modelName": "`modelName` is set by sagectl (models are named by content: "
                     "<name>-<hash8>)"}

    execution_role_arn: RoleArn | None = None
    """IAM role SageMaker assumes to pull the image and artifacts."""
    primary_container: ContainerDefinition | None = None
    """The model's container. Use `containers` instead for a multi-container model."""
    containers: Annotated[list[ContainerDefinition],
                          Field(min_length=1, max_length=15)] | None = None
    """1-15 containers (a serial inference pipeline or direct invocation)."""
    inference_execution_config: InferenceExecutionConfig | None = None
    """How multiple containers are invoked."""
    vpc_config: VpcConfig | None = None
    """Run the model's containers in your VPC. Not allowed on serverless endpoints."""
    enable_network_isolation: bool = False
    """Containers get no outbound network access."""
    tags: Tags = {}
    aws_extra: AwsExtra | None = None
    """CreateModel members sagectl does not model, checked against the installed botocore's
    `CreateModelInput` shape."""

    def all_containers(self) -> list[ContainerDefinition]:
        if self.primary_container is not None:
            return [self.primary_container]
        return list(self.containers or [])

    def check(self, ctx: CheckContext, at: Path) -> Iterator[Issue]:
        if self.primary_container is None and self.containers is None:
            yield Issue(at, "a model needs `primaryContainer` or `containers`")
        if self.primary_container is not None and self.containers is not None:
            yield Issue((*at, "containers"), "`primaryContainer` and `containers` are "
                                             "alternatives; set only one")
        if self.primary_container is not None:
            yield from self.primary_container.check(ctx, (*at, "primaryContainer"))
            if self.inference_execution_config is not None:
                yield Issue((*at, "inferenceExecutionConfig"),
                            "`inferenceExecutionConfig` applies to `containers`, not to "
                            "`primaryContainer`")
        for i, container in enumerate(self.containers or []):
            yield from container.check(ctx, (*at, "containers", i))
        if self.containers and len(self.containers) > 1:
            hostnames = [c.container_hostname or "" for c in self.containers]
            for name, indexes in duplicates([h for h in hostnames if h]).items():
                for i in indexes:
                    yield Issue((*at, "containers", i, "containerHostname"),
                                f"duplicate containerHostname {name!r}")
        needs_role = any(c.image is not None for c in self.all_containers())
        if needs_role and self.execution_role_arn is None:
            yield Issue(at, "`executionRoleArn` is required for a model that runs your own image")
        yield from check_extras(self, at)
        yield from check_tags(self.tags, (*at, "tags"))
