"""``sagectl import`` of an endpoint that hosts inference components: built with boto3 alone (a
model-less variant with managed instance scaling, a base component whose copies Application Auto
Scaling owns, an adapter on it), imported and adopted through the CLI, then planned clean."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sagemaker_emulator import Emulator
from tests.importer.test_import import arn, sagectl, tags_of
from tests.plan.helpers import IMAGE, ROLE, aws_for, write

Cli = Callable[..., tuple[int, str, str]]
ENDPOINT, MODEL = "llm", "llm-by-hand"
RID, DIM = "inference-component/base", "sagemaker:inference-component:DesiredCopyCount"


def hosting_variant(high: int = 2, routing: str = "LEAST_OUTSTANDING_REQUESTS"
                    ) -> dict[str, Any]:
    """A model-less ml.g5.12xlarge variant with managed instance scaling 1-``high``."""
    return {"VariantName": "main", "InstanceType": "ml.g5.12xlarge", "InitialInstanceCount": 1,
            "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 1,
                                       "MaxInstanceCount": high},
            "RoutingConfig": {"RoutingStrategy": routing}}


def build_by_hand(emu: Emulator) -> None:
    aws = aws_for(emu)
    sm, aas = aws.client("sagemaker"), aws.client("application-autoscaling")
    sm.create_model(ModelName=MODEL, ExecutionRoleArn=ROLE,
                    PrimaryContainer={"Image": f"{IMAGE}:3"})
    sm.create_endpoint_config(EndpointConfigName="llm-config", ExecutionRoleArn=ROLE,
                              ProductionVariants=[hosting_variant()])
    sm.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName="llm-config")
    emu.advance(100_000)
    sm.create_inference_component(
        InferenceComponentName="base", EndpointName=ENDPOINT, VariantName="main",
        Specification={"ModelName": MODEL, "ComputeResourceRequirements": {
            "NumberOfAcceleratorDevicesRequired": 2, "MinMemoryRequiredInMb": 1024}},
        RuntimeConfig={"CopyCount": 1}, Tags=[{"Key": "team", "Value": "llm"}])
    emu.advance(100_000)
    sm.create_inference_component(
        InferenceComponentName="sql-adapter", EndpointName=ENDPOINT, VariantName="main",
        Specification={"BaseInferenceComponentName": "base",
                       "Container": {"ArtifactUrl": "s3://adapters/sql/adapter.tar.gz"}})
    emu.advance(100_000)
    aas.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=RID,
                                 ScalableDimension=DIM, MinCapacity=1, MaxCapacity=4)
    aas.put_scaling_policy(
        PolicyName="concurrency", ServiceNamespace="sagemaker", ResourceId=RID,
        ScalableDimension=DIM, PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 4.0, "PredefinedMetricSpecification": {
                "PredefinedMetricType":
                    "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution"}})
    aws.close()


def test_components_import_round_trip(cli: Cli, emu: Emulator, tmp_path: Path) -> None:
    build_by_hand(emu)
    specs = write(tmp_path, {})
    code, out, err = sagectl(cli, "import", ENDPOINT, str(specs), "--env", "dev", "--adopt")
    assert code == 0, out + err
    text = (specs / "imported" / f"{ENDPOINT}.yaml").read_text()
    for expected in ("kind: InferenceComponent\nmetadata: {name: base}",
                     "kind: InferenceComponent\nmetadata: {name: sql-adapter}",
                     f"modelName: {MODEL}", "capacityOwner: autoscaling",
                     "policyName: concurrency", "baseInferenceComponentName: base",
                     'artifactUrl: "s3://adapters/sql/adapter.tar.gz"', "team: llm",
                     f"kind: Model\nmetadata:\n  name: {MODEL}"):
        assert expected in text, (expected, text)
    assert "does not manage" not in out + err, out + err
    code, out, err = sagectl(cli, "plan", str(specs), "--env", "dev", "--detailed-exitcode")
    assert (code, out.splitlines()[-1]) == (0, "No changes."), out + err
    for name in ("base", "sql-adapter"):
        tags = tags_of(emu, arn("inference-component", name))
        assert tags["sagectl:address"] == f"InferenceComponent.{name}", tags
        assert tags["sagectl:env"] == "dev"
    # the autoscaler moves the copies: still no change (its count, not the spec's)
    aws = aws_for(emu)
    aws.client("sagemaker").update_inference_component_runtime_config(
        InferenceComponentName="base", DesiredRuntimeConfig={"CopyCount": 3})
    aws.close()
    emu.advance(100_000)
    code, out, err = sagectl(cli, "plan", str(specs), "--env", "dev", "--detailed-exitcode")
    assert (code, out.splitlines()[-1]) == (0, "No changes."), out + err
