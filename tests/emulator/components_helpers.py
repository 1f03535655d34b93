"""Builders for inference component tests: an endpoint whose variant hosts components, and
components on it, through boto3 on a frozen clock."""

from __future__ import annotations

from typing import Any

from sagemaker_emulator import Emulator
from tests.emulator.helpers import ROLE, model

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/llm:1"


def ic_variant(name: str = "main", instance: str = "ml.g5.12xlarge", count: int = 1,
               low: int | None = 1, high: int | None = 2, **extra: Any) -> dict[str, Any]:
    """A production variant without a model (it hosts inference components)."""
    v: dict[str, Any] = {"VariantName": name, "InstanceType": instance,
                         "InitialInstanceCount": count, **extra}
    if high is not None:
        v["ManagedInstanceScaling"] = {"Status": "ENABLED", "MinInstanceCount": low or 0,
                                       "MaxInstanceCount": high}
    v.setdefault("RoutingConfig", {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"})
    return v


def ic_endpoint(emu: Emulator, sm: Any, name: str = "llm", **variant: Any) -> str:
    """An InService endpoint for inference components (clock frozen)."""
    emu.freeze()
    sm.create_endpoint_config(EndpointConfigName=f"{name}-c1", ExecutionRoleArn=ROLE,
                              ProductionVariants=[ic_variant(**variant)])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-c1")
    emu.advance(emu.durations.create)
    return name


def spec(gpus: float = 2, model_name: str | None = None, memory: int = 1024,
         cpus: float | None = None) -> dict[str, Any]:
    req: dict[str, Any] = {"NumberOfAcceleratorDevicesRequired": gpus,
                           "MinMemoryRequiredInMb": memory}
    if cpus is not None:
        req["NumberOfCpuCoresRequired"] = cpus
    out: dict[str, Any] = {"ComputeResourceRequirements": req}
    if model_name:
        out["ModelName"] = model_name
    else:
        out["Container"] = {"Image": IMAGE, "Environment": {"MAX_TOKENS": "4096"}}
    return out


def component(sm: Any, name: str = "base", endpoint: str = "llm", copies: int = 1,
              specification: dict[str, Any] | None = None, **extra: Any) -> str:
    sm.create_inference_component(InferenceComponentName=name, EndpointName=endpoint,
                                  VariantName="main", Specification=specification or spec(),
                                  RuntimeConfig={"CopyCount": copies}, **extra)
    return name


def in_service(emu: Emulator, sm: Any, name: str = "base", copies: int = 1, **extra: Any) -> str:
    component(sm, name, copies=copies, **extra)
    emu.advance(emu.durations.component_create)
    assert ic_status(sm, name) == "InService"
    return name


def ic_status(sm: Any, name: str = "base") -> str:
    return sm.describe_inference_component(InferenceComponentName=name)[
        "InferenceComponentStatus"]


def copies(sm: Any, name: str = "base") -> tuple[int, int]:
    """(desired, current) copy counts."""
    rc = sm.describe_inference_component(InferenceComponentName=name)["RuntimeConfig"]
    return rc["DesiredCopyCount"], rc["CurrentCopyCount"]


def rolling(batch: int = 1, wait: int = 300, kind: str = "COPY_COUNT",
            alarms: list[str] | None = None, timeout: int | None = None,
            rollback: dict[str, Any] | None = None) -> dict[str, Any]:
    policy: dict[str, Any] = {"MaximumBatchSize": {"Type": kind, "Value": batch},
                              "WaitIntervalInSeconds": wait}
    if timeout is not None:
        policy["MaximumExecutionTimeoutInSeconds"] = timeout
    if rollback is not None:
        policy["RollbackMaximumBatchSize"] = rollback
    cfg: dict[str, Any] = {"RollingUpdatePolicy": policy}
    if alarms:
        cfg["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": a} for a in alarms]}
    return cfg


__all__ = ["IMAGE", "ROLE", "component", "copies", "ic_endpoint", "ic_status", "ic_variant",
           "in_service", "model", "rolling", "spec"]
