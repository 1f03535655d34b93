"""Inference components in the emulator: endpoints whose variants host no model, the six
operations with their statuses on the simulated clock, and the refusals (sagemaker-rules.md rules
28-33)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from sagemaker_emulator import Emulator
from tests.emulator.components_helpers import (
    ROLE,
    component,
    copies,
    ic_endpoint,
    ic_status,
    ic_variant,
    in_service,
    model,
    spec,
)
from tests.emulator.helpers import config, endpoint, error_code, variant


def refused(call: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)  # type: ignore[operator]
    assert error_code(info.value) == "ValidationException"
    return str(info.value.response["Error"]["Message"])


# -- rule 28: endpoints for inference components ------------------------------------------------

def test_rule_28_a_variant_without_model_hosts_components(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    scaling = {"Status": "ENABLED", "MinInstanceCount": 0, "MaxInstanceCount": 2,
               "ScaleInPolicy": {"Strategy": "IDLE_RELEASE"}}
    v = ic_variant(InferenceAmiVersion="al2-ami-sagemaker-inference-gpu-2",
                   EnableSSMAccess=True, VariantInstanceProvisionTimeoutInSeconds=900,
                   CapacityReservationConfig={
                       "CapacityReservationPreference": "capacity-reservations-only",
                       "MlReservationArn": "arn:aws:sagemaker:us-east-1:123456789012:"
                                           "reserved-capacity/r-1"})
    v["ManagedInstanceScaling"] = scaling
    sm.create_endpoint_config(EndpointConfigName="c1", ExecutionRoleArn=ROLE,
                              ProductionVariants=[v])
    described = sm.describe_endpoint_config(EndpointConfigName="c1")["ProductionVariants"][0]
    for key in ("ManagedInstanceScaling", "RoutingConfig", "InferenceAmiVersion",
                "EnableSSMAccess", "VariantInstanceProvisionTimeoutInSeconds",
                "CapacityReservationConfig"):
        assert described[key] == v[key], key
    assert "ModelName" not in described
    emu.freeze()
    sm.create_endpoint(EndpointName="llm", EndpointConfigName="c1")
    emu.advance(emu.durations.create)
    shown = sm.describe_endpoint(EndpointName="llm")["ProductionVariants"][0]
    assert shown["ManagedInstanceScaling"] == scaling
    assert shown["RoutingConfig"] == {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"}
    assert shown["CurrentInstanceCount"] == 1  # InitialInstanceCount until a component lands


def test_rule_28_a_config_without_models_needs_an_execution_role(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    message = refused(sm.create_endpoint_config, EndpointConfigName="c1",
                      ProductionVariants=[ic_variant()])
    assert "ExecutionRoleArn" in message
    message = refused(sm.create_endpoint_config, EndpointConfigName="c1", ExecutionRoleArn=ROLE,
                      ProductionVariants=[ic_variant(low=3, high=2)])
    assert "MinInstanceCount (3) cannot be greater than MaxInstanceCount (2)" in message


def test_rule_28_a_variant_with_a_model_still_needs_the_model(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    refused(sm.create_endpoint_config, EndpointConfigName="c1",
            ProductionVariants=[variant(model_name="missing")])


# -- rule 29: the operations and their statuses ---------------------------------------------------

def test_rule_29_create_describe_on_the_clock(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    model(sm, "llama")
    ic_endpoint(emu, sm)
    arn = sm.create_inference_component(
        InferenceComponentName="base", EndpointName="llm", VariantName="main",
        Specification=spec(model_name="llama"), RuntimeConfig={"CopyCount": 1},
        )["InferenceComponentArn"]
    assert arn == "arn:aws:sagemaker:us-east-1:123456789012:inference-component/base"
    assert ic_status(sm) == "Creating"
    assert copies(sm) == (1, 0)
    emu.advance(emu.durations.component_create - 1)
    assert ic_status(sm) == "Creating"
    emu.advance(1)
    described = sm.describe_inference_component(InferenceComponentName="base")
    assert described["InferenceComponentStatus"] == "InService"
    assert described["RuntimeConfig"] == {"DesiredCopyCount": 1, "CurrentCopyCount": 1}
    assert described["Specification"]["ModelName"] == "llama"
    assert described["EndpointArn"].endswith(":endpoint/llm")
    assert described["VariantName"] == "main"
    assert "FailureReason" not in described


def test_rule_29_a_container_shows_as_deployed_image(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    ic_endpoint(emu, sm)
    in_service(emu, sm)
    container = sm.describe_inference_component(
        InferenceComponentName="base")["Specification"]["Container"]
    assert container["DeployedImage"]["SpecifiedImage"].endswith("/llm:1")
    assert container["Environment"] == {"MAX_TOKENS": "4096"}
    assert "Image" not in container


def test_rule_29_delete_takes_its_time(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    ic_endpoint(emu, sm)
    in_service(emu, sm)
    sm.delete_inference_component(InferenceComponentName="base")
    assert ic_status(sm) == "Deleting"
    emu.advance(emu.durations.component_delete)
    message = refused(sm.describe_inference_component, InferenceComponentName="base")
    assert message == ('Could not find inference component "arn:aws:sagemaker:us-east-1:'
                       '123456789012:inference-component/base".')


def test_rule_29_list_filters_sorts_and_pages(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    ic_endpoint(emu, sm, high=4)
    ic_endpoint(emu, sm, name="other", high=4)
    in_service(emu, sm, "a-one")
    emu.advance(10)
    component(sm, "b-two")
    emu.advance(10)
    component(sm, "c-three", endpoint="other")
    listed = sm.list_inference_components()["InferenceComponents"]
    assert [c["InferenceComponentName"] for c in listed] == ["c-three", "b-two", "a-one"]
    assert set(listed[0]) == {"CreationTime", "InferenceComponentArn", "InferenceComponentName",
                              "EndpointArn", "EndpointName", "VariantName",
                              "InferenceComponentStatus", "LastModifiedTime"}
    names = [c["InferenceComponentName"] for c in sm.list_inference_components(
        EndpointNameEquals="llm", SortBy="Name", SortOrder="Ascending")["InferenceComponents"]]
    assert names == ["a-one", "b-two"]
    assert [c["InferenceComponentName"] for c in sm.list_inference_components(
        StatusEquals="InService")["InferenceComponents"]] == ["a-one"]
    assert [c["InferenceComponentName"] for c in sm.list_inference_components(
        NameContains="THREE")["InferenceComponents"]] == ["c-three"]
    assert sm.list_inference_components(VariantNameEquals="other")["InferenceComponents"] == []
    start = datetime.fromtimestamp(emu.now() - 15, tz=UTC)
    assert len(sm.list_inference_components(CreationTimeAfter=start)["InferenceComponents"]) == 2
    first = sm.list_inference_components(MaxResults=2)
    rest = sm.list_inference_components(MaxResults=2, NextToken=first["NextToken"])
    assert len(first["InferenceComponents"]) == 2
    assert [c["InferenceComponentName"] for c in rest["InferenceComponents"]] == ["a-one"]
    assert "NextToken" not in rest


# -- rule 30: the specification ---------------------------------------------------------------------

def test_rule_30_exactly_one_of_model_and_container(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    model(sm, "llama")
    ic_endpoint(emu, sm)
    both = spec(model_name="llama")
    both["Container"] = {"Image": "x"}
    assert "exactly one of ModelName and Container" in refused(component, sm, specification=both)
    neither = {"ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024}}
    refused(component, sm, specification=neither)
    message = refused(component, sm, specification=spec(model_name="missing"))
    assert message.startswith('Could not find model "arn:aws:sagemaker:')


def test_rule_30_adapters_use_their_base(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    ic_endpoint(emu, sm)
    adapter = {"BaseInferenceComponentName": "base",
               "Container": {"ArtifactUrl": "s3://bucket/adapters/a1/"}}
    refused(sm.create_inference_component, InferenceComponentName="a1", EndpointName="llm",
            VariantName="main", Specification=adapter)  # the base does not exist yet
    in_service(emu, sm)
    with_compute = {**adapter, "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 256}}
    assert "omit ComputeResourceRequirements" in refused(
        sm.create_inference_component, InferenceComponentName="a1", EndpointName="llm",
        VariantName="main", Specification=with_compute)
    assert "ArtifactUrl" in refused(
        sm.create_inference_component, InferenceComponentName="a1", EndpointName="llm",
        VariantName="main", Specification={"BaseInferenceComponentName": "base"})
    sm.create_inference_component(InferenceComponentName="a1", EndpointName="llm",
                                  VariantName="main", Specification=adapter)
    emu.advance(emu.durations.component_create)
    described = sm.describe_inference_component(InferenceComponentName="a1")
    assert described["InferenceComponentStatus"] == "InService"
    assert "RuntimeConfig" not in described
    assert described["Specification"]["BaseInferenceComponentName"] == "base"
    message = refused(sm.delete_inference_component, InferenceComponentName="base")
    assert "base of adapter inference component(s) a1" in message


def test_rule_30_an_adapter_lives_on_its_base_endpoint(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    ic_endpoint(emu, sm)
    ic_endpoint(emu, sm, name="other")
    in_service(emu, sm)
    message = refused(sm.create_inference_component, InferenceComponentName="a1",
                      EndpointName="other", VariantName="main",
                      Specification={"BaseInferenceComponentName": "base",
                                     "Container": {"ArtifactUrl": "s3://b/a1/"}})
    assert "must be on the same endpoint" in message


# -- rule 31: where a component can go ------------------------------------------------------------

def test_rule_31_refusals_of_placement_targets(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    message = refused(component, sm, endpoint="nowhere")
    assert message == ('Could not find endpoint "arn:aws:sagemaker:us-east-1:123456789012:'
                       'endpoint/nowhere".')
    ic_endpoint(emu, sm)
    message = refused(sm.create_inference_component, InferenceComponentName="x",
                      EndpointName="llm", VariantName="nope", Specification=spec(),
                      RuntimeConfig={"CopyCount": 1})
    assert 'The variant "nope" is not present' in message
    in_service(emu, sm)
    message = refused(component, sm, "BASE")
    assert message.startswith("Cannot create already existing inference component")
    model(sm)
    config(sm, "c-model", variant(count=1))
    endpoint(emu, sm, "classic", "c-model")
    message = refused(component, sm, "x", endpoint="classic")
    assert "hosts the model m1" in message


def test_rule_31_the_endpoint_must_be_in_service(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    emu.freeze()
    sm.create_endpoint_config(EndpointConfigName="c1", ExecutionRoleArn=ROLE,
                              ProductionVariants=[ic_variant()])
    sm.create_endpoint(EndpointName="llm", EndpointConfigName="c1")
    assert "is Creating" in refused(component, sm)


# -- rule 32: an endpoint that hosts components is not deleted ------------------------------------

def test_rule_32_delete_endpoint_refused_while_it_hosts_components(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    ic_endpoint(emu, sm)
    in_service(emu, sm)
    message = refused(sm.delete_endpoint, EndpointName="llm")
    assert "hosts inference component(s) base" in message
    sm.delete_inference_component(InferenceComponentName="base")
    emu.advance(emu.durations.component_delete)
    sm.delete_endpoint(EndpointName="llm")


# -- rule 33: nothing changes a component in progress ---------------------------------------------

def test_rule_33_no_update_or_delete_while_in_progress(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    ic_endpoint(emu, sm)
    component(sm)
    arn = "arn:aws:sagemaker:us-east-1:123456789012:inference-component/base"
    assert refused(sm.update_inference_component_runtime_config, InferenceComponentName="base",
                   DesiredRuntimeConfig={"CopyCount": 2}) == \
        f'Cannot update in-progress inference component "{arn}".'
    refused(sm.update_inference_component, InferenceComponentName="base", Specification=spec(1))
    assert refused(sm.delete_inference_component, InferenceComponentName="base") == \
        f'Cannot delete in-progress inference component "{arn}".'
    emu.advance(emu.durations.component_create)
    sm.delete_inference_component(InferenceComponentName="base")
    refused(sm.delete_inference_component, InferenceComponentName="base")
