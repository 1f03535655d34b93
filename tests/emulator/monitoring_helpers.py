"""Builders for Model Monitor emulator tests, and the conformance check they all run under."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sagemaker_emulator import conformance

ROLE = "arn:aws:iam::123456789012:role/monitor"
IMAGE = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"


@pytest.fixture
def conforming(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every answer of the test is checked against botocore's model; none may deviate."""
    target = tmp_path / "violations.jsonl"
    monkeypatch.setenv(conformance.ENV, str(target))
    yield target
    assert not target.exists() or target.read_text() == ""


def definition(sm: Any, name: str = "dq", type_: str = "DataQuality", endpoint: str = "ep",
               **extra: Any) -> str:
    job_input: dict[str, Any] = {"EndpointInput": {"EndpointName": endpoint,
                                                   "LocalPath": "/opt/ml/processing/input"}}
    if type_ in ("ModelQuality", "ModelBias"):
        job_input["GroundTruthS3Input"] = {"S3Uri": "s3://bucket/ground-truth"}
    if type_ == "ModelQuality":
        app: dict[str, Any] = {"ImageUri": IMAGE, "ProblemType": "BinaryClassification"}
    elif type_ == "DataQuality":
        app = {"ImageUri": IMAGE}
    else:
        app = {"ImageUri": IMAGE, "ConfigUri": "s3://bucket/analysis_config.json"}
    create = getattr(sm, "create_" + "".join(
        "_" + c.lower() if c.isupper() else c for c in type_).lstrip("_") + "_job_definition")
    return create(JobDefinitionName=name, **{
        f"{type_}AppSpecification": app, f"{type_}JobInput": job_input,
        f"{type_}JobOutputConfig": {"MonitoringOutputs": [{"S3Output": {
            "S3Uri": "s3://bucket/reports", "LocalPath": "/opt/ml/processing/output"}}]},
        "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                           "VolumeSizeInGB": 20}},
        "RoleArn": ROLE, "StoppingCondition": {"MaxRuntimeInSeconds": 1800}, **extra,
    })["JobDefinitionArn"]


def schedule(sm: Any, name: str = "s1", job: str = "dq", type_: str = "DataQuality",
             expression: str | None = "cron(0 * ? * * *)", **extra: Any) -> str:
    config: dict[str, Any] = {"MonitoringJobDefinitionName": job, "MonitoringType": type_}
    if expression is not None:
        config["ScheduleConfig"] = {"ScheduleExpression": expression}
    config.update(extra.pop("config", {}))
    return sm.create_monitoring_schedule(MonitoringScheduleName=name,
                                         MonitoringScheduleConfig=config,
                                         **extra)["MonitoringScheduleArn"]


def status(sm: Any, name: str = "s1") -> str:
    return sm.describe_monitoring_schedule(MonitoringScheduleName=name)[
        "MonitoringScheduleStatus"]
