"""Builders for emulator tests: models, configs and endpoints through boto3."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from sagemaker_emulator import Emulator

ROLE = "arn:aws:iam::123456789012:role/inference"


def model(sm: Any, name: str = "m1") -> str:
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE,
                    PrimaryContainer={"Image": f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{name}:1"})
    return name


def variant(name: str = "main", model_name: str = "m1", count: int = 2,
            instance: str = "ml.m5.large", weight: float = 1.0) -> dict[str, Any]:
    return {"VariantName": name, "ModelName": model_name, "InstanceType": instance,
            "InitialInstanceCount": count, "InitialVariantWeight": weight}


def config(sm: Any, name: str, *variants: dict[str, Any], **extra: Any) -> str:
    sm.create_endpoint_config(EndpointConfigName=name,
                              ProductionVariants=list(variants) or [variant()], **extra)
    return name


def endpoint(emu: Emulator, sm: Any, name: str = "ep", config_name: str = "c1",
             in_service: bool = True) -> str:
    """Create an endpoint on a frozen clock and (by default) bring it InService."""
    emu.freeze()
    sm.create_endpoint(EndpointName=name, EndpointConfigName=config_name)
    if in_service:
        emu.advance(emu.durations.create)
        assert status(sm, name) == "InService"
    return name


def status(sm: Any, name: str = "ep") -> str:
    return sm.describe_endpoint(EndpointName=name)["EndpointStatus"]


def error_code(exc: ClientError) -> str:
    return exc.response["Error"]["Code"]


def canary(count: int = 1, wait: int = 600, alarms: list[str] | None = None,
           termination: int = 0) -> dict[str, Any]:
    cfg: dict[str, Any] = {"BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {"Type": "CANARY", "WaitIntervalInSeconds": wait,
                                        "CanarySize": {"Type": "INSTANCE_COUNT", "Value": count}},
        "TerminationWaitInSeconds": termination}}
    if alarms:
        cfg["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": a} for a in alarms]}
    return cfg


def alarm(cw: Any, name: str = "errors") -> str:
    cw.put_metric_alarm(AlarmName=name, Namespace="AWS/SageMaker",
                        MetricName="Invocation5XXErrors", Statistic="Sum", Period=60,
                        EvaluationPeriods=1, Threshold=5,
                        ComparisonOperator="GreaterThanThreshold")
    return name
