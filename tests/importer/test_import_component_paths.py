"""``sagectl import`` of inference-component estates, the paths beyond the round trip of
test_import_components.py (rule 51): a component whose last deployment had rollback alarms, a
component or endpoint still changing (refused, nothing written), and a model-less endpoint that
hosts no component yet. Built with boto3 on the emulator, imported through the CLI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from sagemaker_emulator import Emulator
from tests.importer.test_import import sagectl
from tests.importer.test_import_components import ENDPOINT, MODEL, build_by_hand, hosting_variant
from tests.plan.helpers import IMAGE, ROLE, aws_for, write

Cli = Callable[..., tuple[int, str, str]]
ALARM = "llm-5xx"
DEPLOYMENT = {
    "RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1},
                            "WaitIntervalInSeconds": 120,
                            "MaximumExecutionTimeoutInSeconds": 1800,
                            "RollbackMaximumBatchSize": {"Type": "CAPACITY_PERCENT",
                                                         "Value": 50}},
    "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": ALARM}]}}


def _documents(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    return {(d["kind"], d["metadata"]["name"]): d["spec"]
            for d in yaml.safe_load_all(path.read_text()) if d}


def _plan_is_empty(cli: Cli, specs: Path) -> None:
    code, out, err = sagectl(cli, "plan", str(specs), "--env", "dev", "--detailed-exitcode")
    assert (code, out.splitlines()[-1]) == (0, "No changes."), out + err


def _two_copies(emu: Emulator, sm: Any) -> None:
    """Two copies of the base (a batch of 1 is 50 % of them: rule 36)."""
    sm.update_inference_component_runtime_config(InferenceComponentName="base",
                                                 DesiredRuntimeConfig={"CopyCount": 2})
    emu.advance(100_000)


def _update_with_alarms(emu: Emulator) -> None:
    """The base component updated to a new model with a rolling policy and a rollback alarm;
    the alarm's metric has no data, so the rollout completes."""
    aws = aws_for(emu)
    sm, cw = aws.client("sagemaker"), aws.client("cloudwatch")
    cw.put_metric_alarm(AlarmName=ALARM, Namespace="AWS/SageMaker",
                        MetricName="Invocation5XXErrors", Statistic="Sum", Period=60,
                        EvaluationPeriods=1, Threshold=5.0,
                        ComparisonOperator="GreaterThanThreshold",
                        Dimensions=[{"Name": "InferenceComponentName", "Value": "base"}])
    sm.create_model(ModelName="llm-v2", ExecutionRoleArn=ROLE,
                    PrimaryContainer={"Image": f"{IMAGE}:4"})
    _two_copies(emu, sm)
    sm.update_inference_component(
        InferenceComponentName="base",
        Specification={"ModelName": "llm-v2", "ComputeResourceRequirements": {
            "NumberOfAcceleratorDevicesRequired": 1, "MinMemoryRequiredInMb": 1024}},
        DeploymentConfig=DEPLOYMENT)
    for _ in range(20):
        emu.advance(600)
        if sm.describe_inference_component(InferenceComponentName="base")[
                "InferenceComponentStatus"] == "InService":
            break
    described = sm.describe_inference_component(InferenceComponentName="base")
    assert described["Specification"]["ModelName"] == "llm-v2", described
    assert described["LastDeploymentConfig"] == DEPLOYMENT, described
    aws.close()


def test_import_keeps_the_rolling_policy_and_references_the_rollback_alarms(
        cli: Cli, emu: Emulator, tmp_path: Path) -> None:
    """DescribeInferenceComponent answers LastDeploymentConfig (the deployment and rollback
    settings assigned to the component): the import writes it as `deploymentConfig`, its alarm
    referenced as external (the import does not own it), and the next plan is empty. Catches an
    import that drops the deployment config, invents one, or makes its alarm a managed Alarm."""
    build_by_hand(emu)
    _update_with_alarms(emu)
    specs = write(tmp_path, {})
    code, out, err = sagectl(cli, "import", ENDPOINT, str(specs), "--env", "dev", "--adopt")
    assert code == 0, out + err
    docs = _documents(specs / "imported" / f"{ENDPOINT}.yaml")
    assert docs[("InferenceComponent", "base")]["deploymentConfig"] == {
        "rollingUpdatePolicy": {"maximumBatchSize": {"type": "COPY_COUNT", "value": 1},
                                "waitIntervalInSeconds": 120,
                                "maximumExecutionTimeoutInSeconds": 1800,
                                "rollbackMaximumBatchSize": {"type": "CAPACITY_PERCENT",
                                                             "value": 50}},
        "autoRollbackConfiguration": {"alarms": [{"alarmName": ALARM, "external": True}]}}
    assert docs[("InferenceComponent", "base")]["specification"]["modelName"] == "llm-v2"
    assert "deploymentConfig" not in docs[("InferenceComponent", "sql-adapter")]
    assert ("Alarm", ALARM) not in docs
    assert f"rollback alarm(s) {ALARM} referenced with `external: true`" in out + err, out + err
    _plan_is_empty(cli, specs)


def _refused(cli: Cli, specs: Path, *words: str) -> str:
    code, out, err = sagectl(cli, "import", ENDPOINT, str(specs), "--env", "dev", "--adopt")
    assert code != 0, out + err
    assert "Traceback" not in out + err, out + err
    for word in words:
        assert word in out + err, (word, out + err)
    assert not (specs / "imported").exists(), list(specs.rglob("*"))
    return out + err


def test_import_refuses_a_component_still_being_created_or_updated(
        cli: Cli, emu: Emulator, tmp_path: Path) -> None:
    """A component in Creating or Updating is refused by name and status, and nothing is
    written: its Describe is a half-state (no copies yet, or the old specification while the
    new one rolls out). Once InService the same import succeeds. The clock is frozen, so the
    statuses hold however slow the machine."""
    build_by_hand(emu)
    emu.freeze()
    try:
        aws = aws_for(emu)
        sm = aws.client("sagemaker")
        sm.create_inference_component(
            InferenceComponentName="late", EndpointName=ENDPOINT, VariantName="main",
            Specification={"ModelName": MODEL, "ComputeResourceRequirements": {
                "NumberOfAcceleratorDevicesRequired": 1, "MinMemoryRequiredInMb": 1024}},
            RuntimeConfig={"CopyCount": 1})
        specs = write(tmp_path, {})
        _refused(cli, specs, "inference component late is Creating",
                 "import once it is InService")
        emu.advance(100_000)
        sm.update_inference_component(
            InferenceComponentName="base",
            Specification={"ModelName": MODEL, "ComputeResourceRequirements": {
                "NumberOfAcceleratorDevicesRequired": 1, "MinMemoryRequiredInMb": 2048}})
        text = _refused(cli, specs, "inference component base is Updating",
                        "import once it is InService")
        assert "late" not in text, text  # InService by now: only the busy one is named
        emu.advance(100_000)
        aws.close()
    finally:
        emu.unfreeze()
    code, out, err = sagectl(cli, "import", ENDPOINT, str(specs), "--env", "dev", "--adopt")
    assert code == 0, out + err
    _plan_is_empty(cli, specs)


def test_import_refuses_an_endpoint_being_updated(cli: Cli, emu: Emulator,
                                                  tmp_path: Path) -> None:
    """An endpoint in Updating (its variant changing under its components) is refused before
    its components are read; nothing is written."""
    build_by_hand(emu)
    emu.freeze()
    try:
        aws = aws_for(emu)
        sm = aws.client("sagemaker")
        sm.create_endpoint_config(EndpointConfigName="llm-config-2", ExecutionRoleArn=ROLE,
                                  ProductionVariants=[hosting_variant(high=3, routing="RANDOM")])
        sm.update_endpoint(EndpointName=ENDPOINT, EndpointConfigName="llm-config-2")
        assert sm.describe_endpoint(EndpointName=ENDPOINT)["EndpointStatus"] == "Updating"
        _refused(cli, write(tmp_path, {}), f"endpoint {ENDPOINT} is Updating",
                 "once it is InService")
        aws.close()
    finally:
        emu.unfreeze()


def test_a_model_less_endpoint_without_components_imports_and_plans_clean(
        cli: Cli, emu: Emulator, tmp_path: Path) -> None:
    """An endpoint made for inference components before any is placed: its variant has no
    model, the config has an ExecutionRoleArn, managed instance scaling and a routing strategy.
    The import writes the Endpoint alone (no Model, no component) with those fields, and the
    next plan is empty; catches an import that requires a model on a variant, drops the role
    or the managed scaling (a perpetual diff or a new config)."""
    aws = aws_for(emu)
    sm = aws.client("sagemaker")
    sm.create_endpoint_config(EndpointConfigName="empty-config", ExecutionRoleArn=ROLE,
                              ProductionVariants=[hosting_variant(routing="RANDOM")])
    sm.create_endpoint(EndpointName="empty", EndpointConfigName="empty-config")
    emu.advance(100_000)
    aws.close()
    specs = write(tmp_path, {})
    code, out, err = sagectl(cli, "import", "empty", str(specs), "--env", "dev", "--adopt")
    assert code == 0, out + err
    docs = _documents(specs / "imported" / "empty.yaml")
    assert set(docs) == {("Endpoint", "empty")}, docs
    endpoint = docs[("Endpoint", "empty")]
    assert endpoint["executionRoleArn"] == ROLE
    (variant,) = endpoint["productionVariants"]
    assert "modelName" not in variant, variant
    assert variant["managedInstanceScaling"] == {"status": "ENABLED", "minInstanceCount": 1,
                                                 "maxInstanceCount": 2}, variant
    assert variant["routingConfig"] == {"routingStrategy": "RANDOM"}, variant
    _plan_is_empty(cli, specs)
