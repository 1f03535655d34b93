"""`awsExtra`: API members sagectl does not model, checked offline against botocore's request
shape and reported at file:line:column like a modelled field (sagemaker-rules.md rule 44)."""

from __future__ import annotations

from pathlib import Path

from reconciler.cli.registry import KINDS
from reconciler.diagnostics import Diagnostic
from reconciler.spec import botoshape
from reconciler.spec.load import load_specs
from tests.plan.helpers import IMAGE, ROLE, write

MODEL = f"""
apiVersion: sagectl/v1
kind: Model
metadata: {{name: llm}}
spec:
  executionRoleArn: {ROLE}
  primaryContainer:
    image: {IMAGE}:1
"""


def endpoint(variant_extra: str = "", top_extra: str = "") -> str:
    """An Endpoint whose variant (line 11 on) and top level carry the given extra lines."""
    return f"""
apiVersion: sagectl/v1
kind: Endpoint
metadata: {{name: llm}}
spec:
  productionVariants:
    - variantName: main
      modelName: llm
      instanceType: ml.g5.xlarge
      initialInstanceCount: 1
{variant_extra}{top_extra}"""


def errors(tmp_path: Path, files: dict[str, str]) -> list[Diagnostic]:
    specs = write(tmp_path, files)
    loaded = load_specs(specs, KINDS, "dev")
    return list(loaded.report.errors)


def where(d: Diagnostic) -> tuple[str, int, int]:
    return (Path(d.pos.file).name, d.pos.line, d.pos.column)


def test_a_misspelt_member_is_an_error_at_its_key_naming_the_closest(tmp_path: Path) -> None:
    found = errors(tmp_path, {"m.yaml": MODEL, "e.yaml": endpoint(
        "      awsExtra:\n"
        "        variantInstanceProvisionTimeoutInSecs: 600\n")})
    assert len(found) == 1, [d.text() for d in found]
    d = found[0]
    assert where(d) == ("e.yaml", 11, 9)
    assert d.path == "spec.productionVariants[0].awsExtra.variantInstanceProvisionTimeoutInSecs"
    assert "did you mean `variantInstanceProvisionTimeoutInSeconds`?" in d.message


def test_a_wrong_type_is_an_error_at_its_value(tmp_path: Path) -> None:
    found = errors(tmp_path, {"m.yaml": MODEL, "e.yaml": endpoint(
        "      awsExtra:\n"
        "        coreDumpConfig: {destinationS3Uri: 12}\n")})
    assert [(where(d), d.message) for d in found] == [
        (("e.yaml", 11, 44), "expected a string, got the number 12 (botocore shape "
                             "ProductionVariant)")]


def test_a_bad_enum_value_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    found = errors(tmp_path, {"m.yaml": MODEL, "e.yaml": endpoint(top_extra=(
        "  awsExtra:\n"
        "    explainerConfig:\n"
        "      clarifyExplainerConfig:\n"
        "        shapConfig: {shapBaselineConfig: {shapBaseline: '1,2'}}\n"
        "        inferenceConfig: {featureTypes: [numerical, categoricall]}\n"))})
    assert len(found) == 1, [d.text() for d in found]
    assert where(found[0]) == ("e.yaml", 14, 53)
    assert "did you mean 'categorical'?" in found[0].message


def test_limits_and_required_members_are_checked(tmp_path: Path) -> None:
    found = errors(tmp_path, {"m.yaml": MODEL, "e.yaml": endpoint(
        "      awsExtra:\n"
        "        coreDumpConfig: {kmsKeyId: my-key}\n",
        "  awsExtra:\n"
        "    crossRegionTrafficConfig:\n"
        "      maxInvocationsPerSecondPerInstance: 20000\n"
        "      maxCrossRegionPercentPerEndpoint: 50\n")})
    messages = sorted((where(d), d.message.split(" (botocore")[0]) for d in found)
    assert messages == [(("e.yaml", 11, 25), "missing required member `destinationS3Uri`"),
                        (("e.yaml", 14, 43), "must be at most 10000, got 20000")]


def test_a_modelled_member_is_refused(tmp_path: Path) -> None:
    found = errors(tmp_path, {"m.yaml": MODEL, "e.yaml": endpoint(
        "      awsExtra:\n"
        "        instanceType: ml.g5.2xlarge\n"
        "        instancePools: [{instanceType: ml.g5.2xlarge, priority: 1}]\n",
        "  awsExtra:\n"
        "    endpointConfigName: mine\n")})
    messages = sorted((where(d), d.message) for d in found)
    assert messages[0][0] == ("e.yaml", 11, 9)
    assert "`instanceType` is modelled by sagectl" in messages[0][1]
    assert messages[1][0] == ("e.yaml", 12, 9)
    assert "`instancePools` is modelled by sagectl" in messages[1][1]
    assert messages[2][0] == ("e.yaml", 14, 5)
    assert "`endpointConfigName` is set by sagectl" in messages[2][1]


def test_a_valid_extra_passes(tmp_path: Path) -> None:
    assert errors(tmp_path, {"m.yaml": MODEL, "e.yaml": endpoint(
        "      awsExtra:\n"
        "        coreDumpConfig: {destinationS3Uri: 's3://bucket/dumps'}\n",
        "  awsExtra:\n"
        "    enableNetworkIsolation: true\n")}) == []


def test_container_extras_are_checked_against_container_definition(tmp_path: Path) -> None:
    found = errors(tmp_path, {"m.yaml": MODEL + "    awsExtra:\n      imageConfig: "
                                                "{repositoryAccessMode: Vpcc}\n"})
    assert len(found) == 1, [d.text() for d in found]
    assert where(found[0]) == ("m.yaml", 9, 43)
    assert "did you mean 'Vpc'?" in found[0].message
    assert "ContainerDefinition" in found[0].message


def test_casing_round_trips_and_keeps_map_keys() -> None:
    value = {"coreDumpConfig": {"destinationS3Uri": "s3://b/k"}, "variantName": "v"}
    boto = botoshape.to_boto("sagemaker", "ProductionVariant", value)
    assert boto == {"CoreDumpConfig": {"DestinationS3Uri": "s3://b/k"}, "VariantName": "v"}
    assert botoshape.from_boto("sagemaker", "ProductionVariant", boto) == value
    env = botoshape.to_boto("sagemaker", "ContainerDefinition", {"environment": {"aB": "1"}})
    assert env == {"Environment": {"aB": "1"}}
