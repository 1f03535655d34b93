"""Spec documents for inference component tests: an LLM endpoint whose variant hosts components
(one ml.g5.12xlarge, 4 GPUs, managed instance scaling 1-2), a model, components on it."""

from __future__ import annotations

from typing import Any

from sagemaker_emulator import Emulator
from tests.plan.helpers import IMAGE, ROLE, aws_for

MODEL = f"""
apiVersion: sagectl/v1
kind: Model
metadata: {{name: llm-model}}
spec:
  executionRoleArn: {ROLE}
  primaryContainer:
    image: {IMAGE}:%(version)s
"""
ENDPOINT = f"""
apiVersion: sagectl/v1
kind: Endpoint
metadata: {{name: llm}}
spec:
  executionRoleArn: {ROLE}
  productionVariants:
    - variantName: main
      instanceType: ml.g5.12xlarge
      initialInstanceCount: 1
      managedInstanceScaling: {{status: ENABLED, minInstanceCount: %(low)s, maxInstanceCount: %(high)s}}
      routingConfig: {{routingStrategy: LEAST_OUTSTANDING_REQUESTS}}
"""
ALARM = """
apiVersion: sagectl/v1
kind: Alarm
metadata: {name: llm-errors}
spec:
  namespace: AWS/SageMaker
  metricName: Invocation5XXErrors
  dimensions: [{name: InferenceComponentName, value: base}]
  statistic: Sum
  period: 60
  evaluationPeriods: 1
  threshold: 5
  comparisonOperator: GreaterThanThreshold
"""


def component(name: str = "base", copies: int = 2, gpus: int = 2, extra: str = "",
              specification: str = "", endpoint: str = "llm") -> str:
    spec = specification or f"""
    modelName: llm-model
    computeResourceRequirements:
      numberOfAcceleratorDevicesRequired: {gpus}
      minMemoryRequiredInMb: 1024"""
    return f"""
apiVersion: sagectl/v1
kind: InferenceComponent
metadata: {{name: {name}}}
spec:
  endpointName: {endpoint}
  variantName: main
  specification:{spec}
  runtimeConfig: {{copyCount: {copies}}}
{extra}"""


ROLLING = """
  deploymentConfig:
    rollingUpdatePolicy:
      maximumBatchSize: {type: COPY_COUNT, value: 1}
      waitIntervalInSeconds: 300
      maximumExecutionTimeoutInSeconds: 3600
    autoRollbackConfiguration:
      alarms: [{alarmName: llm-errors}]
  bake: {durationInSeconds: 120}
"""
AUTOSCALING = """
  autoscaling:
    minCapacity: %(low)s
    maxCapacity: %(high)s
    scalingPolicies:
      - policyName: concurrency
        targetTrackingScalingPolicyConfiguration:
          targetValue: 4
          predefinedMetricSpecification:
            predefinedMetricType: SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution
"""


OLD_ENDPOINT = """
apiVersion: sagectl/v1
kind: Endpoint
metadata: {name: old}
spec:
  productionVariants:
    - variantName: main
      modelName: llm-model
      instanceType: ml.m5.large
      initialInstanceCount: 1
      autoscaling:
        minCapacity: 1
        maxCapacity: 2
        scalingPolicies:
          - policyName: invocations
            targetTrackingScalingPolicyConfiguration:
              targetValue: 70
              predefinedMetricSpecification:
                predefinedMetricType: SageMakerVariantInvocationsPerInstance
"""
"""An endpoint with variant autoscaling, hosting no components, beside ``llm``."""


def estate(version: int = 1, low: int = 1, high: int = 2, **components: str) -> dict[str, str]:
    files = {"models/llm.yaml": MODEL % {"version": version},
             "endpoints/llm.yaml": ENDPOINT % {"low": low, "high": high},
             "alarms/llm.yaml": ALARM}
    for name, text in components.items():
        files[f"components/{name}.yaml"] = text
    return files


def client(emu: Emulator, service: str = "sagemaker") -> Any:
    """A client of the tests' account (111111111111) and region, as sagectl's."""
    aws = aws_for(emu)
    return aws.client(service)


def described(emu: Emulator, name: str = "base") -> dict[str, Any]:
    return client(emu).describe_inference_component(  # type: ignore[no-any-return]
        InferenceComponentName=name)


def model_of(emu: Emulator, name: str = "base") -> str:
    return str(described(emu, name)["Specification"].get("ModelName"))


def set_alarm(emu: Emulator, state: str, name: str = "llm-errors") -> None:
    """The rollback alarm held in ``state`` (its metric behaves so), in the tests' account."""
    emu.hold_alarm_state(name, state, region="eu-west-1", account="111111111111")
