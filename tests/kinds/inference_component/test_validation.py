"""Each rule an InferenceComponent spec is checked against before AWS is asked, located at its
file:line:column (docs/sagemaker-rules.md rules 45-48)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli.registry import KINDS
from reconciler.spec.load import load_specs
from tests.kinds.inference_component.helpers import AUTOSCALING, ROLLING, component, estate
from tests.plan.helpers import write

BASE = """
    modelName: llm-model
    computeResourceRequirements:
      numberOfAcceleratorDevicesRequired: 2
      minMemoryRequiredInMb: 1024"""


def problems(tmp_path: Path, text: str, **more: str) -> list[str]:
    specs = write(tmp_path, estate(base=text, **more))
    loaded = load_specs(specs, KINDS, "dev")
    return [d.text().split("/specs/", 1)[1] for d in loaded.report.errors]


@pytest.mark.parametrize(("text", "expected"), [
    (component(copies=2, extra=ROLLING.replace("value: 1}", "value: 2}")),
     "components/base.yaml:16:51: error: spec.deploymentConfig.rollingUpdatePolicy."
     "maximumBatchSize.value: maximumBatchSize must be 5-50% of the component's copy count "
     "(2), got 2 copies (100%) (rule 45)"),
    (component(copies=2, extra=ROLLING.replace("waitIntervalInSeconds: 300",
                                               "waitIntervalInSeconds: 3601")),
     "components/base.yaml:17:30: error: spec.deploymentConfig.rollingUpdatePolicy."
     "waitIntervalInSeconds: "),
    (component(copies=2, extra=ROLLING.replace("maximumExecutionTimeoutInSeconds: 3600",
                                               "maximumExecutionTimeoutInSeconds: 300")),
     "components/base.yaml:18:41: error: spec.deploymentConfig.rollingUpdatePolicy."
     "maximumExecutionTimeoutInSeconds: "),
    (component(copies=-1), "components/base.yaml:12:30: error: spec.runtimeConfig.copyCount: must be at least 0"),
    (component(specification=BASE + "\n    container: {image: x}"),
     "components/base.yaml:8:5: error: spec.specification: a component needs exactly one of "
     "`modelName` and `container` (rule 46)"),
    (component(specification="\n    modelName: llm-model"),
     "components/base.yaml:8:5: error: spec.specification: set `computeResourceRequirements`"),
    (component(specification=BASE.replace("llm-model", "nope")),
     "components/base.yaml:8:16: error: spec.specification.modelName: model 'nope' is not "
     "defined in the specs"),
    (component().replace("variantName: main", "variantName: other"),
     "components/base.yaml:6:16: error: spec.variantName: endpoint 'llm' has no production "
     "variant 'other' (it has main)"),
    (component(copies=5, extra=AUTOSCALING % {"low": 1, "high": 4}),
     "components/base.yaml:12:30: error: spec.runtimeConfig.copyCount: copyCount (5) must be "
     "within autoscaling [minCapacity, maxCapacity] = [1, 4]"),
    (component(extra=(AUTOSCALING % {"low": 1, "high": 4}).replace(
        "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution",
        "SageMakerVariantInvocationsPerInstance")),
     "components/base.yaml:22:35: error: spec.autoscaling.scalingPolicies[0]."
     "targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification."
     "predefinedMetricType: SageMakerVariantInvocationsPerInstance does not apply to an "
     "inference component; use SageMakerInferenceComponentInvocationsPerCopy or "
     "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution"),
])
def test_rule_45_and_46_located_errors(tmp_path: Path, text: str, expected: str) -> None:
    found = problems(tmp_path, text)
    assert any(p.startswith(expected) for p in found), found


def test_rule_46_adapters(tmp_path: Path) -> None:
    adapter = """
apiVersion: sagectl/v1
kind: InferenceComponent
metadata: {name: adapter}
spec:
  endpointName: elsewhere
  variantName: main
  specification:
    baseInferenceComponentName: base
    modelName: llm-model
    computeResourceRequirements: {minMemoryRequiredInMb: 1024}
  runtimeConfig: {copyCount: 1}
"""
    found = sorted(problems(tmp_path, component(), adapter=adapter))
    assert found == [
        "components/adapter.yaml:10:34: error: spec.specification.computeResourceRequirements: "
        "an adapter component uses the compute resources of its base component: omit "
        "`computeResourceRequirements` (rule 46)",
        "components/adapter.yaml:11:18: error: spec.runtimeConfig: an adapter component has no "
        "copies of its own (it runs on its base component's): omit `runtimeConfig` (rule 46)",
        "components/adapter.yaml:8:33: error: spec.specification.baseInferenceComponentName: "
        "base component 'base' is on endpoint 'llm'; an adapter must be on the same endpoint "
        "('elsewhere') (rule 46)",
        "components/adapter.yaml:8:5: error: spec.specification: an adapter component needs "
        "`container.artifactUrl`, the location of its adapter artifacts (rule 46)",
        "components/adapter.yaml:9:16: error: spec.specification.modelName: an adapter "
        "component names no model: its artifacts go in `container.artifactUrl` (rule 46)",
    ], found


def test_rule_46_the_variant_must_host_no_model(tmp_path: Path) -> None:
    files = estate(base=component())
    files["endpoints/llm.yaml"] = files["endpoints/llm.yaml"].replace(
        "    - variantName: main\n", "    - variantName: main\n      modelName: llm-model\n")
    specs = write(tmp_path, files)
    found = [d.text().split("/specs/", 1)[1]
             for d in load_specs(specs, KINDS, "dev").report.errors]
    assert any(p.startswith(
        "components/base.yaml:6:16: error: spec.variantName: variant 'main' of endpoint 'llm' "
        "has `modelName`: inference components go on an instance-based variant without a "
        "model (rule 46)") for p in found), found


def test_aws_extra_rejects_a_misspelt_member(tmp_path: Path) -> None:
    text = component(specification=BASE + "\n    awsExtra: {dataCacheConfg: {enableCaching: "
                                          "true}}")
    found = problems(tmp_path, text)
    assert any(p.startswith("components/base.yaml:12:16: error: spec.specification.awsExtra."
                            "dataCacheConfg") for p in found), found


def test_rule_50_aws_extra_specifications_is_refused(tmp_path: Path) -> None:
    """`Specifications` is the only CreateInferenceComponent member sagectl does not model, and
    AWS takes it only instead of `Specification`, which sagectl requires."""
    text = component(extra="  awsExtra:\n    specifications: [{modelName: llm-model}]")
    found = problems(tmp_path, text)
    assert any(p.startswith("components/base.yaml:14:5: error: spec.awsExtra.specifications")
               and "never both" in p and "rule 50" in p for p in found), found
