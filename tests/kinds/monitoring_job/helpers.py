"""Spec documents for the job definition tests: a model, an endpoint that captures data, and
one job definition of each monitoring type watching it."""

from __future__ import annotations

from typing import Any

from sagemaker_emulator import Emulator
from tests.plan.helpers import IMAGE, ROLE, aws_for

ANALYZER = "468650794304.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-model-monitor-analyzer"
CLARIFY = "606966180310.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-clarify-processing:1.0"
MODEL = f"""
apiVersion: sagectl/v1
kind: Model
metadata: {{name: fraud-model}}
spec:
  executionRoleArn: {ROLE}
  primaryContainer:
    image: {IMAGE}:1
"""
CAPTURE = """
  dataCaptureConfig:
    initialSamplingPercentage: 20
    destinationS3Uri: s3://bucket/capture/
    captureOptions: [{captureMode: Input}, {captureMode: Output}]
"""
ENDPOINT = f"""
apiVersion: sagectl/v1
kind: Endpoint
metadata: {{name: fraud}}
spec:
  executionRoleArn: {ROLE}
  productionVariants:
    - variantName: main
      modelName: fraud-model
      instanceType: ml.m5.large
      initialInstanceCount: 1
%(capture)s"""

KINDS = {"DataQuality": "DataQualityJobDefinition", "ModelQuality": "ModelQualityJobDefinition",
         "ModelBias": "ModelBiasJobDefinition",
         "ModelExplainability": "ModelExplainabilityJobDefinition"}
PREFIX = {"DataQuality": "dataQuality", "ModelQuality": "modelQuality",
          "ModelBias": "modelBias", "ModelExplainability": "modelExplainability"}
NAMES = {"DataQuality": "fraud-dq", "ModelQuality": "fraud-mq", "ModelBias": "fraud-bias",
         "ModelExplainability": "fraud-explain"}

APP = {
    "DataQuality": f"""
  dataQualityAppSpecification:
    imageUri: {ANALYZER}
  dataQualityBaselineConfig:
    constraintsResource: {{s3Uri: s3://bucket/baseline/constraints.json}}
    statisticsResource: {{s3Uri: s3://bucket/baseline/statistics.json}}""",
    "ModelQuality": f"""
  modelQualityAppSpecification:
    imageUri: {ANALYZER}
    problemType: BinaryClassification""",
    "ModelBias": f"""
  modelBiasAppSpecification:
    imageUri: {CLARIFY}
    configUri: s3://bucket/clarify/analysis_config.json""",
    "ModelExplainability": f"""
  modelExplainabilityAppSpecification:
    imageUri: {CLARIFY}
    configUri: s3://bucket/clarify/analysis_config.json""",
}
GROUND_TRUTH = """
    groundTruthS3Input: {s3Uri: s3://bucket/ground-truth/}"""


def definition(mtype: str, *, name: str | None = None, runtime: int = 1800,
               endpoint: str = "fraud", job_input: str = "", extra: str = "",
               tags: str = "", ground_truth: bool = True) -> str:
    prefix = PREFIX[mtype]
    inputs = job_input or f"""
    endpointInput:
      endpointName: {endpoint}
      localPath: /opt/ml/processing/input
      inferenceAttribute: "0\""""
    if mtype in ("ModelQuality", "ModelBias") and "groundTruthS3Input" not in inputs \
            and ground_truth:
        inputs += GROUND_TRUTH
    return f"""
apiVersion: sagectl/v1
kind: {KINDS[mtype]}
metadata: {{name: {name or NAMES[mtype]}}}
spec:{APP[mtype]}
  {prefix}JobInput:{inputs}
  {prefix}JobOutputConfig:
    monitoringOutputs:
      - s3Output: {{s3Uri: s3://bucket/reports/, localPath: /opt/ml/processing/output}}
  jobResources:
    clusterConfig: {{instanceCount: 1, instanceType: ml.m5.xlarge, volumeSizeInGB: 20}}
  roleArn: {ROLE}
  stoppingCondition: {{maxRuntimeInSeconds: {runtime}}}
{extra}{tags}"""


def estate(capture: str = CAPTURE, **definitions: str) -> dict[str, str]:
    files = {"models/fraud-model.yaml": MODEL,
             "endpoints/fraud.yaml": ENDPOINT % {"capture": capture}}
    files.update({f"monitoring/{name}.yaml": text for name, text in definitions.items()})
    return files


def sm(emu: Emulator) -> Any:
    return aws_for(emu).client("sagemaker")


def live_definitions(emu: Emulator, mtype: str) -> list[str]:
    method = {"DataQuality": "list_data_quality_job_definitions",
              "ModelQuality": "list_model_quality_job_definitions",
              "ModelBias": "list_model_bias_job_definitions",
              "ModelExplainability": "list_model_explainability_job_definitions"}[mtype]
    found = getattr(sm(emu), method)()["JobDefinitionSummaries"]
    return sorted(d["MonitoringJobDefinitionName"] for d in found)
