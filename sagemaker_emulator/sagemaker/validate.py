"""Request validation for emulated SageMaker hosting, with AWS's error codes and wording.

Deployment limits: API reference pages TrafficRoutingConfig (canary <= 50%, linear 10-50% of the
variant's instance count, waits 0-3600), BlueGreenUpdatePolicy (timeout 600-28800) and
RollingUpdatePolicy (batch 5-50%).

botocore only checks types and minimums; SageMaker itself enforces the rest (sagemaker-rules.md
items 8-13). Messages follow the shape AWS uses ("Could not find model \"arn...\".").
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any

from sagemaker_emulator.dispatch import AwsError, validation
from sagemaker_emulator.sagemaker import pools

Params = dict[str, Any]

NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
WAIT_MAX = 3600
TIMEOUT_RANGE = (600, 28800)


@functools.cache
def instance_types() -> tuple[str, ...]:
    """What SageMaker hosting accepts as a variant's InstanceType: the enum
    ``ProductionVariantInstanceType`` of botocore's service model (sagemaker-rules.md rule 22).
    SageMaker checks the enum on the server and answers with its whole value set (seen in
    aws/sagemaker-python-sdk#1623; AWS lists them unsorted, the emulator in model order)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    return tuple(model.shape_for("ProductionVariantInstanceType").enum)


def check_name(value: Any, field: str) -> str:
    if not isinstance(value, str) or not NAME.match(value):
        raise validation(f"1 validation error detected: Value '{value}' at '{field}' failed to "
                         "satisfy constraint: Member must satisfy regular expression pattern: "
                         "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
    return value


def not_found(kind: str, arn: str) -> AwsError:
    return validation(f'Could not find {kind} "{arn}".')


def already_exists(kind: str, arn: str) -> AwsError:
    return validation(f'Cannot create already existing {kind} "{arn}".')


def check_variant(v: Params, field: str, require_model: Any) -> None:
    """``require_model(name)`` raises when the model does not exist."""
    check_name(v.get("VariantName"), f"{field}.variantName")
    if v.get("ModelName") is not None or not for_components(v):
        require_model(v.get("ModelName"))
    check_managed_scaling(v)
    serverless = v.get("ServerlessConfig")
    if serverless is not None:
        memory = serverless.get("MemorySizeInMB")
        if not isinstance(memory, int) or memory % 1024 or not 1024 <= memory <= 6144:
            raise validation(f"Invalid MemorySizeInMB {memory} for variant "
                             f"{v['VariantName']}: valid values are 1024, 2048, 3072, 4096, "
                             "5120 and 6144.")
        concurrency = serverless.get("MaxConcurrency")
        if not isinstance(concurrency, int) or not 1 <= concurrency <= 200:
            raise validation(f"Invalid MaxConcurrency {concurrency}: must be 1-200.")
        provisioned = serverless.get("ProvisionedConcurrency")
        if provisioned is not None and not 1 <= provisioned <= concurrency:
            raise validation(f"ProvisionedConcurrency {provisioned} must be between 1 and "
                             f"MaxConcurrency ({concurrency}).")
        if v.get("InstanceType") or v.get("InstancePools") or v.get("InitialInstanceCount"):
            raise validation(f"Variant {v['VariantName']}: ServerlessConfig cannot be combined "
                             "with InstanceType, InstancePools or InitialInstanceCount.")
        return
    itype = v.get("InstanceType")
    if v.get("InstancePools") is not None:
        pools.check(v, field, instance_types(), require_model)
    elif itype not in instance_types():
        raise validation(f"1 validation error detected: Value '{itype}' at "
                         f"'{field}.instanceType' failed to satisfy constraint: Member must "
                         f"satisfy enum value set: [{', '.join(instance_types())}]")
    count = v.get("InitialInstanceCount")
    if not isinstance(count, int) or count < 1:
        raise validation(f"Variant {v['VariantName']} needs InitialInstanceCount of at least 1.")
    weight = v.get("InitialVariantWeight", 1.0)
    if not isinstance(weight, int | float) or weight < 0:
        raise validation(f"InitialVariantWeight of variant {v['VariantName']} must be >= 0.")


def for_components(v: Params) -> bool:
    """A variant without ModelName hosts inference components (ProductionVariant.ModelName is
    optional; an endpoint "hosts inference components" when its variants name no model: rule 28).
    A serverless variant always needs its model."""
    return v.get("ModelName") is None and v.get("ServerlessConfig") is None


def check_managed_scaling(v: Params) -> None:
    scaling = v.get("ManagedInstanceScaling")
    if not scaling:
        return
    low, high = scaling.get("MinInstanceCount"), scaling.get("MaxInstanceCount")
    if low is not None and high is not None and low > high:
        raise validation(f"ManagedInstanceScaling of variant {v['VariantName']}: "
                         f"MinInstanceCount ({low}) cannot be greater than MaxInstanceCount "
                         f"({high}).")


def check_config(request: Params, require_model: Any) -> None:
    variants = request.get("ProductionVariants") or []
    if not 1 <= len(variants) <= 10:
        raise validation("1 validation error detected: Value at 'productionVariants' failed to "
                         "satisfy constraint: Member must have length between 1 and 10")
    shadows = request.get("ShadowProductionVariants") or []
    if shadows and (len(variants), len(shadows)) != (1, 1):
        # CreateEndpointConfig: "If you use this field, you can only specify one variant for
        # ProductionVariants and one variant for ShadowProductionVariants." (wording: ours)
        raise validation("With ShadowProductionVariants, specify exactly one variant in "
                         "ProductionVariants and one in ShadowProductionVariants.")
    names = [v.get("VariantName") for v in variants + shadows]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise validation(f"Variant names must be unique; duplicated: {', '.join(duplicates)}.")
    for i, v in enumerate(variants):
        check_variant(v, f"productionVariants.{i + 1}.member", require_model)
    for i, v in enumerate(shadows):
        check_variant(v, f"shadowProductionVariants.{i + 1}.member", require_model)
    hosting = [v["VariantName"] for v in variants + shadows if for_components(v)]
    if hosting and not request.get("ExecutionRoleArn"):
        # Not in the API reference; Terraform's provider documents it (rule 28).
        raise validation("ExecutionRoleArn is required when the production variants specify no "
                         "ModelName (an endpoint for inference components).")
    if all(v.get("InitialVariantWeight", 1.0) == 0 for v in variants):
        raise validation("At least one production variant must have a non-zero "
                         "InitialVariantWeight.")
    serverless = [v for v in variants + shadows if v.get("ServerlessConfig")]
    if serverless and len(variants + shadows) > 1:
        raise validation("A serverless endpoint configuration supports exactly one variant.")
    if serverless and request.get("AsyncInferenceConfig"):
        raise validation("AsyncInferenceConfig is not supported for serverless variants.")
    if serverless and request.get("DataCaptureConfig"):
        raise validation("DataCaptureConfig is not supported for serverless endpoints.")
    capture = request.get("DataCaptureConfig")
    if capture is not None:
        pct = capture.get("InitialSamplingPercentage")
        if not isinstance(pct, int) or not 0 <= pct <= 100:
            raise validation("DataCaptureConfig.InitialSamplingPercentage must be 0-100.")


def _size_percent(size: Params, count: int) -> float:
    if size["Type"] == "CAPACITY_PERCENT":
        return float(size["Value"])
    return 100.0 * size["Value"] / count if count else math.inf


def check_deployment(cfg: Params, counts: dict[str, int | None], serverless: bool,
                     alarm_exists: Any) -> None:
    """UpdateEndpoint's DeploymentConfig against the variants it deploys (their counts)."""
    bg, rolling = cfg.get("BlueGreenUpdatePolicy"), cfg.get("RollingUpdatePolicy")
    if bg and rolling:
        raise validation("Only one of BlueGreenUpdatePolicy and RollingUpdatePolicy can be "
                         "specified.")
    instance_counts = [c for c in counts.values() if c]
    if bg:
        routing = bg["TrafficRoutingConfiguration"]
        if not 0 <= routing.get("WaitIntervalInSeconds", 0) <= WAIT_MAX:
            raise validation("WaitIntervalInSeconds must be between 0 and 3600.")
        if not 0 <= bg.get("TerminationWaitInSeconds", 0) <= WAIT_MAX:
            raise validation("TerminationWaitInSeconds must be between 0 and 3600.")
        timeout = bg.get("MaximumExecutionTimeoutInSeconds")
        if timeout is not None and not TIMEOUT_RANGE[0] <= timeout <= TIMEOUT_RANGE[1]:
            raise validation("MaximumExecutionTimeoutInSeconds must be between 600 and 28800.")
        kind = routing["Type"]
        if kind == "CANARY":
            size = routing.get("CanarySize")
            if size is None:
                raise validation("CanarySize is required for CANARY traffic routing.")
            for count in instance_counts:
                if _size_percent(size, count) > 50:
                    raise validation("CanarySize must be less than or equal to 50% of the "
                                     f"variant's total instance count ({count}).")
        if kind == "LINEAR":
            size = routing.get("LinearStepSize")
            if size is None:
                raise validation("LinearStepSize is required for LINEAR traffic routing.")
            for count in instance_counts:
                if not 10 <= _size_percent(size, count) <= 50:
                    raise validation("LinearStepSize must be 10-50% of the variant's total "
                                     f"instance count ({count}).")
    if rolling:
        if serverless:
            raise validation("RollingUpdatePolicy is not supported for serverless endpoints.")
        if len(counts) > 1:
            raise validation("RollingUpdatePolicy is not supported for endpoints with multiple "
                             "production variants.")
        for count in instance_counts:
            if not 5 <= _size_percent(rolling["MaximumBatchSize"], count) <= 50:
                raise validation("MaximumBatchSize must be 5-50% of the variant's total "
                                 f"instance count ({count}).")
    alarms = (cfg.get("AutoRollbackConfiguration") or {}).get("Alarms") or []
    if len(alarms) > 10:
        raise validation("AutoRollbackConfiguration supports at most 10 alarms.")
    for alarm in alarms:
        name = alarm.get("AlarmName")
        if not alarm_exists(name):
            raise validation(f"CloudWatch alarm {name} does not exist or SageMaker is not "
                             "authorized to describe it (cloudwatch:DescribeAlarms).")
