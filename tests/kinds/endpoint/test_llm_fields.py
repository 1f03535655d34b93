"""Endpoints for inference components and LLM hosting (sagemaker-rules.md rules 40-44): variants
without a model, managed instance scaling (its instance count is SageMaker's, never reset),
the new variant fields and `awsExtra`, planned and applied against the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli.registry import KINDS
from reconciler.spec.load import load_specs
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply
from tests.plan.helpers import IMAGE, ROLE, aws_for, one, ops, plan, write

MODEL = f"""
apiVersion: sagectl/v1
kind: Model
metadata: {{name: llm}}
spec:
  executionRoleArn: {ROLE}
  primaryContainer:
    image: {IMAGE}:1
"""

HOSTING = f"""
apiVersion: sagectl/v1
kind: Endpoint
metadata: {{name: llm}}
spec:
  executionRoleArn: {ROLE}
  productionVariants:
    - variantName: main
      instanceType: ml.g5.12xlarge
      initialInstanceCount: 1
      managedInstanceScaling:
        status: ENABLED
        minInstanceCount: 0
        maxInstanceCount: 2
        scaleInPolicy: {{strategy: IDLE_RELEASE}}
      routingConfig: {{routingStrategy: LEAST_OUTSTANDING_REQUESTS}}
      inferenceAmiVersion: al2-ami-sagemaker-inference-gpu-3-1
      enableSSMAccess: true
      variantInstanceProvisionTimeoutInSeconds: 900
      awsExtra:
        coreDumpConfig: {{destinationS3Uri: "s3://dumps/llm"}}
"""


def config_of(emu: Emulator, endpoint: str) -> dict[str, object]:
    sm = aws_for(emu, concurrency=1).client("sagemaker")
    name = sm.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
    return sm.describe_endpoint_config(EndpointConfigName=name)  # type: ignore[no-any-return]


def test_a_variant_without_a_model_applies_with_its_fields_and_extras(
        emu: Emulator, tmp_path: Path) -> None:
    specs = write(tmp_path, {"llm.yaml": HOSTING})
    first = plan(emu, specs)
    change = one(first, "Endpoint.llm")
    assert ops(change)[:2] == ["sagemaker:CreateEndpointConfig", "sagemaker:CreateEndpoint"]
    paths = {e.path for e in change.diff}
    assert "productionVariants[main].awsExtra.coreDumpConfig.destinationS3Uri" in paths
    assert not any("modelName" in p for p in paths)
    apply(emu, specs)
    variant = config_of(emu, "llm")["ProductionVariants"][0]  # type: ignore[index]
    assert "ModelName" not in variant
    assert variant["CoreDumpConfig"] == {"DestinationS3Uri": "s3://dumps/llm"}
    assert variant["ManagedInstanceScaling"]["MinInstanceCount"] == 0
    assert variant["VariantInstanceProvisionTimeoutInSeconds"] == 900
    assert variant["InferenceAmiVersion"] == "al2-ami-sagemaker-inference-gpu-3-1"
    assert plan(emu, specs).resource_changes == []


def test_changing_an_extra_makes_a_new_config(emu: Emulator, tmp_path: Path) -> None:
    specs = write(tmp_path, {"llm.yaml": HOSTING})
    apply(emu, specs)
    write(tmp_path, {"llm.yaml": HOSTING.replace("s3://dumps/llm", "s3://dumps/llm2")})
    change = one(plan(emu, specs), "Endpoint.llm")
    assert "sagemaker:CreateEndpointConfig" in ops(change)
    assert "sagemaker:UpdateEndpoint" in ops(change)
    assert any(e.path.startswith("productionVariants[main].awsExtra") for e in change.diff)


def test_managed_instance_scaling_owns_the_count(emu: Emulator, tmp_path: Path) -> None:
    """SageMaker moved the count (to 2): not a change, never reset (rule 42)."""
    specs = write(tmp_path, {"llm.yaml": HOSTING})
    apply(emu, specs)
    emu.scale_variant("llm", "main", 2, region="eu-west-1", account="111111111111")
    assert plan(emu, specs).resource_changes == []
    write(tmp_path, {"llm.yaml": HOSTING.replace("enableSSMAccess: true",
                                                 "enableSSMAccess: false")})
    change = one(plan(emu, specs), "Endpoint.llm")
    update = next(s for s in change.steps if s.op == "sagemaker:UpdateEndpoint")
    assert update.params["RetainAllVariantProperties"] is True
    assert not any(s.op == "sagemaker:UpdateEndpointWeightsAndCapacities" for s in change.steps)


def test_a_model_variant_and_its_new_fields_apply_and_plan_clean(
        emu: Emulator, tmp_path: Path) -> None:
    endpoint = HOSTING.replace("    - variantName: main\n",
                               "    - variantName: main\n      modelName: llm\n").replace(
        "minInstanceCount: 0", "minInstanceCount: 1")
    specs = write(tmp_path, {"llm.yaml": endpoint, "model.yaml": MODEL})
    apply(emu, specs)
    assert config_of(emu, "llm")["ProductionVariants"][0]["ModelName"].startswith("llm-")  # type: ignore[index]
    assert plan(emu, specs).resource_changes == []


RULES = [
    # (what to replace in HOSTING, with what, field path, message fragment)
    ("      instanceType: ml.g5.12xlarge\n      initialInstanceCount: 1\n",
     "      modelName: llm\n      instanceType: ml.g5.12xlarge\n      initialInstanceCount: 1\n",
     "spec.productionVariants[0].managedInstanceScaling.minInstanceCount",
     "minInstanceCount 0 (scale to zero instances) needs a variant without `modelName`"),
    ("        minInstanceCount: 0\n", "        minInstanceCount: 3\n",
     "spec.productionVariants[0].managedInstanceScaling.minInstanceCount",
     "minInstanceCount (3) cannot exceed maxInstanceCount (2)"),
    ("      enableSSMAccess: true\n", "      enableSSMAccess: true\n      capacityOwner: spec\n",
     "spec.productionVariants[0].capacityOwner", "SageMaker owns the instance count"),
    ("      enableSSMAccess: true\n",
     "      enableSSMAccess: true\n      autoscaling: {minCapacity: 1, maxCapacity: 2, "
     "scalingPolicies: []}\n",
     "spec.productionVariants[0].autoscaling", "would fight it"),
    ("{routingStrategy: LEAST_OUTSTANDING_REQUESTS}",
     "{routingStrategy: RANDOM, prefixAwareRoutingConfig: {prefixLength: 2048}}",
     "spec.productionVariants[0].routingConfig.prefixAwareRoutingConfig",
     "applies only with routingStrategy PREFIX_AWARE"),
    (f"  executionRoleArn: {ROLE}\n", "", "spec", "the endpoint needs `executionRoleArn`"),
    ("      instanceType: ml.g5.12xlarge\n      initialInstanceCount: 1\n"
     "      managedInstanceScaling:\n        status: ENABLED\n        minInstanceCount: 0\n"
     "        maxInstanceCount: 2\n        scaleInPolicy: {strategy: IDLE_RELEASE}\n"
     "      routingConfig: {routingStrategy: LEAST_OUTSTANDING_REQUESTS}\n"
     "      inferenceAmiVersion: al2-ami-sagemaker-inference-gpu-3-1\n"
     "      enableSSMAccess: true\n      variantInstanceProvisionTimeoutInSeconds: 900\n",
     "      serverlessConfig: {memorySizeInMB: 2048, maxConcurrency: 5}\n",
     "spec.productionVariants[0].serverlessConfig",
     "needs `instanceType` and `initialInstanceCount`, not `serverlessConfig`"),
    ("      inferenceAmiVersion: al2-ami-sagemaker-inference-gpu-3-1\n",
     "      inferenceAmiVersion: al2-ami-sagemaker-inference-gpu-9\n",
     "spec.productionVariants[0].inferenceAmiVersion", "expected one of"),
    ("variantInstanceProvisionTimeoutInSeconds: 900", "variantInstanceProvisionTimeoutInSeconds: 60",
     "spec.productionVariants[0].variantInstanceProvisionTimeoutInSeconds",
     "must be at least 300, got 60"),
]


@pytest.mark.parametrize(("old", "new", "path", "fragment"), RULES,
                         ids=[r[2].rsplit(".", 1)[-1] + str(i) for i, r in enumerate(RULES)])
def test_rules_of_variants_for_components(tmp_path: Path, old: str, new: str, path: str,
                                          fragment: str) -> None:
    assert old in HOSTING
    specs = write(tmp_path, {"llm.yaml": HOSTING.replace(old, new), "model.yaml": MODEL})
    loaded = load_specs(specs, KINDS, "dev")
    found = [(d.path, d.message) for d in loaded.report.errors]
    assert any(p == path and fragment in m for p, m in found), found


def test_a_shadow_variant_needs_a_model(tmp_path: Path) -> None:
    shadow = (HOSTING.replace("      managedInstanceScaling:", "      modelName: llm\n"
                                                                 "      managedInstanceScaling:")
              .replace("minInstanceCount: 0", "minInstanceCount: 1")
              + "  shadowProductionVariants:\n    - {variantName: shadow, instanceType: "
                "ml.g5.xlarge, initialInstanceCount: 1}\n")
    specs = write(tmp_path, {"llm.yaml": shadow, "model.yaml": MODEL})
    loaded = load_specs(specs, KINDS, "dev")
    found = [(d.path, d.message) for d in loaded.report.errors]
    assert any(p == "spec.shadowProductionVariants[0]" and "needs `modelName`" in m
               for p, m in found), found
