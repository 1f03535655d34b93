"""Each rule a job definition spec is checked against before AWS is asked, located at its
file:line:column (docs/rules-pending-mm-defs.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli.registry import KINDS
from reconciler.spec.load import load_specs
from tests.kinds.monitoring_job.helpers import definition, estate
from tests.plan.helpers import write

ENDPOINT = """
    endpointInput: {endpointName: fraud, localPath: /opt/ml/processing/input}"""
BATCH = """
    batchTransformInput:
      dataCapturedDestinationS3Uri: s3://bucket/batch-capture/
      datasetFormat: {csv: {header: true}}
      localPath: /opt/ml/processing/input"""


def problems(tmp_path: Path, files: dict[str, str]) -> list[str]:
    loaded = load_specs(write(tmp_path, files), KINDS, "dev")
    return [d.text().split("/specs/", 1)[1] for d in loaded.report.errors]


def test_valid_specs_of_the_four_types_and_a_batch_transform_input(tmp_path: Path) -> None:
    assert problems(tmp_path, estate(
        dq=definition("DataQuality"), mq=definition("ModelQuality"),
        bias=definition("ModelBias"), explain=definition("ModelExplainability"),
        batch=definition("DataQuality", name="batch-dq", job_input=BATCH))) == []


@pytest.mark.parametrize(("files", "expected"), [
    (estate(d=definition("DataQuality", job_input=ENDPOINT + BATCH)),
     "monitoring/d.yaml:13:7: error: spec.dataQualityJobInput.batchTransformInput: "
     "`endpointInput` and `batchTransformInput` are alternatives: a job monitors an endpoint "
     "or batch transform jobs, not both"),
    (estate(d=definition("DataQuality", job_input=" {}")),
     "monitoring/d.yaml:10:24: error: spec.dataQualityJobInput: set `endpointInput` (an "
     "Endpoint of the specs) or `batchTransformInput` (batch transform data capture)"),
    (estate(d=definition("DataQuality", endpoint="fraud2")),
     "monitoring/d.yaml:12:21: error: spec.dataQualityJobInput.endpointInput.endpointName: "
     "endpoint 'fraud2' is not defined in the specs: a job definition monitors an Endpoint "
     "spec (define it, or import the endpoint first)"),
    (estate(capture="", d=definition("ModelBias")),
     "monitoring/d.yaml:10:21: error: spec.modelBiasJobInput.endpointInput.endpointName: "
     "endpoint 'fraud' does not capture data (`dataCaptureConfig` with `enableCapture: "
     "true`): Model Monitor analyses the data an endpoint captures"),
    (estate(d=definition("ModelQuality", job_input=ENDPOINT + "\n    groundTruthS3Input: {}")),
     "monitoring/d.yaml:10:25: error: spec.modelQualityJobInput.groundTruthS3Input: set "
     "`s3Uri`: model quality monitoring compares predictions with ground truth labels, read "
     "from this S3 location"),
    (estate(d=definition("ModelBias", ground_truth=False)),
     "monitoring/d.yaml:9:5: error: spec.modelBiasJobInput.groundTruthS3Input: missing "
     "required field `groundTruthS3Input`"),
    (estate(d=definition("ModelBias").replace(
        "    configUri: s3://bucket/clarify/analysis_config.json\n", "")),
     "monitoring/d.yaml:6:5: error: spec.modelBiasAppSpecification.configUri: missing "
     "required field `configUri`"),
    (estate(d=definition("ModelExplainability", job_input=ENDPOINT
                         + "\n    groundTruthS3Input: {s3Uri: s3://bucket/gt/}")),
     "monitoring/d.yaml:10:5: error: spec.modelExplainabilityJobInput.groundTruthS3Input: "
     "unknown field `groundTruthS3Input`; expected one of: endpointInput, batchTransformInput"),
    (estate(d=definition("DataQuality").replace("ml.m5.xlarge", "ml.m5.xlarg")),
     "monitoring/d.yaml:19:53: error: spec.jobResources.clusterConfig.instanceType: "
     "'ml.m5.xlarg' is not an instance type monitoring jobs run on; did you mean "
     "'ml.m5.xlarge'? (botocore's ProcessingInstanceType)"),
    (estate(d=definition("DataQuality", name="x" * 55)),
     "monitoring/d.yaml:3:18: error: metadata.name: expected letters, digits and hyphens, "
     "starting and ending with a letter or digit; at most 54 characters, leaving room for the "
     "content suffix sagectl appends (-xxxxxxxx), got the string '" + "x" * 55 + "'"),
    (estate(d=definition("DataQuality", runtime=90000)),
     "monitoring/d.yaml:21:44: error: spec.stoppingCondition.maxRuntimeInSeconds: must be at "
     "most 86400, got 90000"),
    (estate(d=definition("DataQuality", extra="  awsExtra: {jobDefinitionName: foo}\n")),
     "monitoring/d.yaml:22:14: error: spec.awsExtra.jobDefinitionName: `jobDefinitionName` is "
     "set by sagectl (job definitions are named by content: <name>-<hash8>) (botocore shape "
     "CreateDataQualityJobDefinitionRequest)"),
    (estate(d=definition("DataQuality", tags="  tags: {sagectl:owner: me}\n")),
     "monitoring/d.yaml:22:25: error: spec.tags.sagectl:owner: tag key 'sagectl:owner' uses a "
     "reserved prefix (aws:, sagectl:)"),
], ids=["both-inputs", "no-input", "unknown-endpoint", "endpoint-without-capture",
        "model-quality-ground-truth", "bias-ground-truth", "bias-config-uri",
        "explainability-has-no-ground-truth", "instance-type", "name-length", "max-runtime",
        "aws-extra-name", "reserved-tag"])
def test_located_errors(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    assert problems(tmp_path, files) == [expected]
