"""What CreateInferenceComponent and UpdateInferenceComponent refuse: the specification
(sagemaker-rules.md rule 30), copy counts and the deployment configuration (rule 36)."""

from __future__ import annotations

from typing import Any

from sagemaker_emulator.cloudwatch import alarm_states
from sagemaker_emulator.dispatch import CallContext, validation
from sagemaker_emulator.sagemaker import validate
from sagemaker_emulator.sagemaker.api import get_model
from sagemaker_emulator.sagemaker.store import Hosting

Params = dict[str, Any]


def check_copies(runtime: Params | None, adapter: bool) -> int | None:
    if adapter:
        if runtime is not None:
            raise validation("An adapter inference component (BaseInferenceComponentName) has no "
                             "copies of its own: omit RuntimeConfig.")
        return None
    if not runtime or runtime.get("CopyCount") is None:
        raise validation("RuntimeConfig.CopyCount is required.")
    count = runtime["CopyCount"]
    if not isinstance(count, int) or count < 0:
        raise validation(f"CopyCount must be >= 0; got {count}.")
    return count


def check_specification(store: Hosting, spec: Params | None, endpoint: str,
                        name: str) -> None:
    """InferenceComponentSpecification's rules (sagemaker-rules.md rule 30)."""
    if not spec:
        raise validation("Specification is required.")
    base = spec.get("BaseInferenceComponentName")
    container = spec.get("Container")
    if base is not None:
        found = store.components.get(base)
        if found is None:
            raise validate.not_found("inference component",
                                     store.arn("inference-component", base))
        if found.endpoint_name != endpoint:
            raise validation(f"The base inference component {base} is hosted on endpoint "
                             f"{found.endpoint_name}; an adapter must be on the same endpoint "
                             f"({endpoint}).")
        if found.base is not None:
            raise validation(f"The base inference component {base} is itself an adapter.")
        if spec.get("ComputeResourceRequirements"):
            raise validation("An adapter inference component uses the compute resources of its "
                             "base inference component: omit ComputeResourceRequirements.")
        if spec.get("ModelName") or not (container or {}).get("ArtifactUrl"):
            raise validation("An adapter inference component specifies the location of its "
                             "adapter artifacts in Container.ArtifactUrl (and no ModelName).")
        return
    if bool(spec.get("ModelName")) == bool(container):
        raise validation(f"Inference component {name}: specify exactly one of ModelName and "
                         "Container.")
    if spec.get("ModelName"):
        get_model(store, spec["ModelName"])
    if container is not None and not container.get("Image"):
        raise validation("Container.Image is required when the inference component has no "
                         "ModelName.")
    req = spec.get("ComputeResourceRequirements")
    if not req:
        raise validation("ComputeResourceRequirements is required for an inference component "
                         "that is not an adapter.")
    low, high = req.get("MinMemoryRequiredInMb"), req.get("MaxMemoryRequiredInMb")
    if low is not None and high is not None and high < low:
        raise validation(f"MaxMemoryRequiredInMb ({high}) must be >= MinMemoryRequiredInMb "
                         f"({low}).")


def check_deployment(ctx: CallContext, deployment: Params, copies: int) -> None:
    """InferenceComponentDeploymentConfig's limits (sagemaker-rules.md rule 36)."""
    rolling = deployment.get("RollingUpdatePolicy")
    if not rolling:
        raise validation("DeploymentConfig.RollingUpdatePolicy is required.")
    wait = rolling.get("WaitIntervalInSeconds")
    if not isinstance(wait, int) or not 0 <= wait <= validate.WAIT_MAX:
        raise validation("WaitIntervalInSeconds must be between 0 and 3600.")
    timeout = rolling.get("MaximumExecutionTimeoutInSeconds")
    if timeout is not None and not validate.TIMEOUT_RANGE[0] <= timeout <= \
            validate.TIMEOUT_RANGE[1]:
        raise validation("MaximumExecutionTimeoutInSeconds must be between 600 and 28800.")
    for key in ("MaximumBatchSize", "RollbackMaximumBatchSize"):
        size = rolling.get(key)
        if size is None:
            continue
        value = size.get("Value")
        if not isinstance(value, int) or value < 1:
            raise validation(f"{key}.Value must be >= 1.")
        if size.get("Type") == "CAPACITY_PERCENT" and value > 100:
            raise validation(f"{key}.Value is a percentage: at most 100.")
    size = rolling["MaximumBatchSize"]
    percent = size["Value"] if size["Type"] == "CAPACITY_PERCENT" else (
        100.0 * size["Value"] / copies if copies else 100.0)
    if copies and not 5 <= percent <= 50:
        raise validation("MaximumBatchSize must be between 5% and 50% of the copy count of the "
                         f"inference component ({copies}); got {size['Value']} "
                         f"{'%' if size['Type'] == 'CAPACITY_PERCENT' else 'copies'}.")
    alarms = (deployment.get("AutoRollbackConfiguration") or {}).get("Alarms") or []
    if len(alarms) > 10:
        raise validation("AutoRollbackConfiguration supports at most 10 alarms.")
    existing = alarm_states(ctx.account, ctx.region, [a.get("AlarmName") for a in alarms])
    for alarm in alarms:
        if alarm.get("AlarmName") not in existing:
            raise validation(f"CloudWatch alarm {alarm.get('AlarmName')} does not exist or "
                             "SageMaker is not authorized to describe it "
                             "(cloudwatch:DescribeAlarms).")
