"""SageMaker hosting rules 18, 19, 21, 22 and 26 of docs/sagemaker-rules.md, at the boto3 level,
on a frozen clock (every timeline exact, whatever the machine's speed)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from sagemaker_emulator import Emulator
from sagemaker_emulator.state import ROLLBACK_STATUSES
from tests.emulator.helpers import (
    ROLE,
    alarm,
    canary,
    config,
    endpoint,
    error_code,
    model,
    status,
    variant,
)

D = 300.0  # provision duration (default)
RB = 120.0  # rollback duration (default)
IN_PROGRESS = 'Cannot update in-progress endpoint "arn:aws:sagemaker:us-east-1:123456789012:' \
    'endpoint/ep".'


def describe(sm: Any, name: str = "ep") -> dict[str, Any]:
    return sm.describe_endpoint(EndpointName=name)  # type: ignore[no-any-return]


def deployed(emu: Emulator, sm: Any, instance: str = "ml.m5.large") -> Any:
    """Endpoint ``ep`` InService on c1, with c2 (a new model, same shape) to deploy."""
    model(sm)
    model(sm, "m2")
    config(sm, "c1", variant(count=4, instance=instance))
    config(sm, "c2", variant(model_name="m2", count=4, instance=instance))
    endpoint(emu, sm)
    return sm


# -- rule 18: deployment guardrail exclusions -------------------------------------------------

def _falls_back_to_all_at_once(emu: Emulator, sm: Any, config_name: str = "c2") -> None:
    """A canary with bakes and an alarm in ALARM: AWS runs it all at once, no baking period,
    no alarm watched; DescribeEndpoint still shows the requested DeploymentConfig."""
    cw = emu.client("cloudwatch")
    alarm(cw)
    policy = canary(count=1, wait=600, alarms=["errors"], termination=300)
    sm.update_endpoint(EndpointName="ep", EndpointConfigName=config_name,
                       DeploymentConfig=policy)
    emu.hold_alarm_state("errors", "ALARM")
    emu.advance(D)
    live = describe(sm)
    assert (live["EndpointStatus"], live["EndpointConfigName"]) == ("InService", config_name)
    assert "FailureReason" not in live
    assert live["LastDeploymentConfig"] == policy


def test_rule_18_inf1_endpoint_falls_back_to_all_at_once_without_bake(emu: Emulator) -> None:
    sm = deployed(emu, emu.client("sagemaker"), "ml.inf1.xlarge")
    _falls_back_to_all_at_once(emu, sm)


def test_rule_18_marketplace_container_falls_back_to_all_at_once(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName="vendor")
    package = sm.create_model_package(
        ModelPackageGroupName="vendor", ModelApprovalStatus="Approved",
        InferenceSpecification={
            "Containers": [{"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/v:1",
                            "ProductId": "prod-abcdefgh12345"}],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
    )["ModelPackageArn"]
    for name in ("m1", "m2"):
        sm.create_model(ModelName=name, ExecutionRoleArn=ROLE,
                        PrimaryContainer={"ModelPackageName": package})
    config(sm, "c1", variant(count=4))
    config(sm, "c2", variant(model_name="m2", count=4))
    endpoint(emu, sm)
    _falls_back_to_all_at_once(emu, sm)


def test_rule_18_guardrails_do_not_apply_to_serverless_endpoints(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    model(sm)
    model(sm, "m2")
    serverless = {"VariantName": "main", "ServerlessConfig": {"MemorySizeInMB": 2048,
                                                              "MaxConcurrency": 5}}
    config(sm, "c1", {**serverless, "ModelName": "m1"})
    config(sm, "c2", {**serverless, "ModelName": "m2"})
    endpoint(emu, sm)
    policy = {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {
        "Type": "CANARY", "WaitIntervalInSeconds": 600,
        "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10}}}}
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2", DeploymentConfig=policy)
    emu.advance(D)
    assert (status(sm), describe(sm)["EndpointConfigName"]) == ("InService", "c2")
    rolling = {"RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "CAPACITY_PERCENT",
                                                            "Value": 10},
                                       "WaitIntervalInSeconds": 60}}
    with pytest.raises(ClientError) as exc:  # "cannot use rolling deployments"
        sm.update_endpoint(EndpointName="ep", EndpointConfigName="c1", DeploymentConfig=rolling)
    assert "not supported for serverless endpoints" in str(exc.value)


def test_rule_18_a_real_time_endpoint_keeps_its_guardrails(emu: Emulator) -> None:
    """The same canary on ml.m5 instances is watched: the alarm rolls it back."""
    sm = deployed(emu, emu.client("sagemaker"))
    cw = emu.client("cloudwatch")
    alarm(cw)
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2",
                       DeploymentConfig=canary(count=1, wait=600, alarms=["errors"]))
    emu.hold_alarm_state("errors", "ALARM")
    emu.advance(D + 1)
    assert status(sm) != "InService"
    emu.advance(RB)
    live = describe(sm)
    assert (live["EndpointStatus"], live["EndpointConfigName"]) == ("InService", "c1")
    assert "errors" in live["FailureReason"]


# -- rule 19: no update or delete of an endpoint in progress ----------------------------------

def _every_mutation_refused(sm: Any) -> None:
    calls = {
        "UpdateEndpoint": lambda: sm.update_endpoint(EndpointName="ep", EndpointConfigName="c1"),
        "UpdateEndpointWeightsAndCapacities": lambda: sm.update_endpoint_weights_and_capacities(
            EndpointName="ep", DesiredWeightsAndCapacities=[{"VariantName": "main",
                                                             "DesiredWeight": 2}]),
        "DeleteEndpoint": lambda: sm.delete_endpoint(EndpointName="ep"),
    }
    for operation, call in calls.items():
        with pytest.raises(ClientError) as exc:
            call()
        assert error_code(exc.value) == "ValidationException", operation
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert exc.value.response["Error"]["Message"] == IN_PROGRESS, operation


@pytest.mark.parametrize("busy", ["Creating", "Updating", "SystemUpdating", "rollback",
                                  "Deleting"])
def test_rule_19_no_update_or_delete_while_in_progress(emu: Emulator, busy: str) -> None:
    sm = emu.client("sagemaker")
    model(sm)
    model(sm, "m2")
    config(sm, "c1", variant(count=4))
    config(sm, "c2", variant(model_name="m2", count=4))
    endpoint(emu, sm, in_service=busy != "Creating")
    if busy == "Updating":
        sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2")
    elif busy == "SystemUpdating":
        emu.system_update("ep", 600)
    elif busy == "rollback":
        emu.fail_next_update("ep", "silent_rollback")
        sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2")
        emu.advance(D + 1)
    elif busy == "Deleting":
        sm.delete_endpoint(EndpointName="ep")
    assert status(sm) != "InService"
    _every_mutation_refused(sm)


def test_rule_19_a_failed_endpoint_can_only_be_deleted(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    model(sm)
    config(sm, "c1", variant(count=1))
    emu.fail_next_create("ep")
    endpoint(emu, sm, in_service=False)
    emu.advance(emu.durations.create)
    assert status(sm) == "Failed"
    for call in (lambda: sm.update_endpoint(EndpointName="ep", EndpointConfigName="c1"),
                 lambda: sm.update_endpoint_weights_and_capacities(
                     EndpointName="ep", DesiredWeightsAndCapacities=[{"VariantName": "main",
                                                                      "DesiredWeight": 2}])):
        with pytest.raises(ClientError) as exc:
            call()
        assert exc.value.response["Error"]["Message"].startswith("Cannot update failed endpoint")
    sm.delete_endpoint(EndpointName="ep")
    emu.advance(emu.durations.delete)
    assert sm.list_endpoints()["Endpoints"] == []


# -- rule 21: MaximumExecutionTimeoutInSeconds -------------------------------------------------

def test_rule_21_a_deployment_past_its_timeout_rolls_back(emu: Emulator) -> None:
    """Waits of 580 s fit a 600 s timeout; provisioning the fleet (300 s here) does not."""
    sm = deployed(emu, emu.client("sagemaker"))
    policy = canary(count=1, wait=290)
    policy["BlueGreenUpdatePolicy"]["MaximumExecutionTimeoutInSeconds"] = 600
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2", DeploymentConfig=policy)
    emu.advance(599)
    assert status(sm) == "Updating"
    emu.advance(1)
    assert status(sm) in ROLLBACK_STATUSES
    emu.advance(RB)
    live = describe(sm)
    assert (live["EndpointStatus"], live["EndpointConfigName"]) == ("InService", "c1")
    assert "MaximumExecutionTimeoutInSeconds (600 s)" in live["FailureReason"]


def test_rule_21_a_deployment_within_its_timeout_completes(emu: Emulator) -> None:
    sm = deployed(emu, emu.client("sagemaker"))
    policy = canary(count=1, wait=290)
    policy["BlueGreenUpdatePolicy"]["MaximumExecutionTimeoutInSeconds"] = 900
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2", DeploymentConfig=policy)
    emu.advance(D + 2 * 290)
    assert (status(sm), describe(sm)["EndpointConfigName"]) == ("InService", "c2")


# -- rule 22: instance types are botocore's enum ----------------------------------------------

def test_rule_22_unknown_instance_types_are_refused_with_the_enum(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    model(sm)
    with pytest.raises(ClientError) as exc:
        config(sm, "c1", variant(instance="ml.g5.xlarg"))
    message = exc.value.response["Error"]["Message"]
    assert error_code(exc.value) == "ValidationException"
    assert message.startswith("1 validation error detected: Value 'ml.g5.xlarg' at "
                              "'productionVariants.1.member.instanceType' failed to satisfy "
                              "constraint: Member must satisfy enum value set: [")
    assert "ml.g5.xlarge" in message
    for current in ("ml.g5.xlarge", "ml.p6-b200.48xlarge", "ml.inf2.xlarge"):
        config(sm, f"ok-{current.replace('.', '-')}", variant(instance=current))


# -- rule 26: the rollback sequence AWS does not document -------------------------------------

@pytest.mark.parametrize("shown", ROLLBACK_STATUSES)
def test_rule_26_rollback_status_is_a_setting_not_a_fact(emu: Emulator, shown: str) -> None:
    """Whatever the status during the rollback, it ends InService on the old config with a
    FailureReason, and no PendingDeploymentSummary is shown while it rolls back."""
    emu.set_rollback_status(shown)
    sm = deployed(emu, emu.client("sagemaker"))
    emu.fail_next_update("ep", "silent_rollback", "health checks failed")
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2")
    assert describe(sm)["PendingDeploymentSummary"]["EndpointConfigName"] == "c2"
    emu.advance(D + 1)
    live = describe(sm)
    assert live["EndpointStatus"] == shown and "PendingDeploymentSummary" not in live
    emu.advance(RB)
    live = describe(sm)
    assert (live["EndpointStatus"], live["EndpointConfigName"]) == ("InService", "c1")
    assert live["FailureReason"] == "health checks failed"
    assert "PendingDeploymentSummary" not in live


# -- rule 20: instance quotas ------------------------------------------------------------------

def _limit_message(used: int, delta: int, limit: int = 6) -> str:
    return (f"The account-level service limit 'ml.m5.large for endpoint usage' is {limit} "
            f"Instances, with current utilization of {used} Instances and a request delta of "
            f"{delta} Instances. Please use AWS Service Quotas to request an increase for this "
            "quota. If AWS Service Quotas is not available, contact AWS support to request an "
            "increase for this quota.")


def _refused(call: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as exc:
        call()
    assert error_code(exc.value) == "ResourceLimitExceeded"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return exc.value.response["Error"]  # type: ignore[no-any-return]


def test_rule_20_create_beyond_the_quota_is_refused_at_the_call(emu: Emulator) -> None:
    emu.set_quota("ml.m5.large", 6)
    sm = emu.client("sagemaker")
    model(sm)
    config(sm, "big", variant(count=7))
    error = _refused(lambda: sm.create_endpoint(EndpointName="ep", EndpointConfigName="big"))
    assert error["Message"] == _limit_message(0, 7)
    assert sm.list_endpoints()["Endpoints"] == []
    config(sm, "other-type", variant(count=7, instance="ml.m5.xlarge"))  # quotas are per type
    sm.create_endpoint(EndpointName="ep", EndpointConfigName="other-type")


def test_rule_20_blue_green_needs_the_old_and_the_new_fleet(emu: Emulator) -> None:
    emu.set_quota("ml.m5.large", 6)
    sm = deployed(emu, emu.client("sagemaker"))  # 4 x ml.m5.large running
    error = _refused(lambda: sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2"))
    assert error["Message"] == _limit_message(4, 4)
    assert (status(sm), describe(sm)["EndpointConfigName"]) == ("InService", "c1")
    rolling = {"RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "INSTANCE_COUNT",
                                                            "Value": 2},
                                       "WaitIntervalInSeconds": 60}}
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2", DeploymentConfig=rolling)
    assert status(sm) == "Updating"  # one batch of 2 fits next to the 4 running


def test_rule_20_a_capacity_increase_beyond_the_quota_is_refused(emu: Emulator) -> None:
    emu.set_quota("ml.m5.large", 6)
    sm = deployed(emu, emu.client("sagemaker"))
    error = _refused(lambda: sm.update_endpoint_weights_and_capacities(
        EndpointName="ep", DesiredWeightsAndCapacities=[{"VariantName": "main",
                                                         "DesiredInstanceCount": 7}]))
    assert error["Message"] == _limit_message(4, 3)
    sm.update_endpoint_weights_and_capacities(
        EndpointName="ep", DesiredWeightsAndCapacities=[{"VariantName": "main",
                                                         "DesiredInstanceCount": 6}])


def test_rule_20_service_quotas_lists_the_applied_quota(emu: Emulator) -> None:
    emu.set_quota("ml.g5.xlarge", 2)
    quotas = emu.client("service-quotas").list_service_quotas(ServiceCode="sagemaker")["Quotas"]
    assert [(q["QuotaName"], q["Value"], q["QuotaCode"][:2]) for q in quotas] == [
        ("ml.g5.xlarge for endpoint usage", 2.0, "L-")]


# -- rules 5 and 13: details of the API reference ---------------------------------------------

def test_rule_5_capacity_of_one_variant_per_weights_and_capacities_call(emu: Emulator) -> None:
    """"Updates variant weight of one or more variants ..., or capacity of one variant"."""
    sm = emu.client("sagemaker")
    model(sm)
    config(sm, "two", variant("a", count=2), variant("b", count=2))
    endpoint(emu, sm, "ep", "two")
    with pytest.raises(ClientError) as exc:
        sm.update_endpoint_weights_and_capacities(EndpointName="ep", DesiredWeightsAndCapacities=[
            {"VariantName": "a", "DesiredInstanceCount": 3},
            {"VariantName": "b", "DesiredInstanceCount": 3}])
    assert error_code(exc.value) == "ValidationException"
    sm.update_endpoint_weights_and_capacities(EndpointName="ep", DesiredWeightsAndCapacities=[
        {"VariantName": "a", "DesiredInstanceCount": 3, "DesiredWeight": 2},
        {"VariantName": "b", "DesiredWeight": 3}])
    emu.advance(emu.durations.weights)
    live = {v["VariantName"]: v for v in describe(sm)["ProductionVariants"]}
    assert (live["a"]["CurrentInstanceCount"], live["a"]["CurrentWeight"],
            live["b"]["CurrentWeight"]) == (3, 2.0, 3.0)


def test_rule_13_endpoint_names_ignore_case_in_create_endpoint(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    model(sm)
    config(sm, "c1", variant(count=1))
    endpoint(emu, sm, "MyEp", "c1")
    with pytest.raises(ClientError) as exc:
        sm.create_endpoint(EndpointName="myep", EndpointConfigName="c1")
    assert "Cannot create already existing endpoint" in str(exc.value)


def test_rule_13_one_production_variant_beside_a_shadow_variant(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    model(sm)
    with pytest.raises(ClientError) as exc:
        config(sm, "c1", variant("a"), variant("b"),
               ShadowProductionVariants=[variant("shadow")])
    assert error_code(exc.value) == "ValidationException"
    config(sm, "c2", variant("a"), ShadowProductionVariants=[variant("shadow")])
