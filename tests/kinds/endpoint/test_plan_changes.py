"""Every change class of an endpoint (and its neighbours), planned against the emulator.

The scenario starts from specs, converges the emulator with the plan's own steps, edits the specs
or the live state, and checks the next plan is the cheapest correct action.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sagemaker_emulator import Emulator
from tests.plan.helpers import IMAGE, ROLE, converge, one, ops, plan, write

MODEL = f"""
apiVersion: sagectl/v1
kind: Model
metadata: {{name: scorer-model}}
spec:
  executionRoleArn: {ROLE}
  primaryContainer:
    image: {IMAGE}:1
    environment: {{API_KEY: "s3cr3t-value"}}
"""
ALARM = """
apiVersion: sagectl/v1
kind: Alarm
metadata: {name: scorer-errors}
spec:
  namespace: AWS/SageMaker
  metricName: Invocation5XXErrors
  dimensions: [{name: EndpointName, value: scorer}]
  statistic: Sum
  period: 60
  evaluationPeriods: 1
  threshold: 5
  comparisonOperator: GreaterThanThreshold
"""
ENDPOINT = """
apiVersion: sagectl/v1
kind: Endpoint
metadata: {name: scorer}
spec:
  productionVariants:
    - variantName: primary
      modelName: scorer-model
      instanceType: ml.m5.large
      initialInstanceCount: 2
      initialVariantWeight: 90
      autoscaling:
        minCapacity: 2
        maxCapacity: 6
        scalingPolicies:
          - policyName: invocations
            targetTrackingScalingPolicyConfiguration:
              targetValue: 70
              predefinedMetricSpecification:
                predefinedMetricType: SageMakerVariantInvocationsPerInstance
    - variantName: challenger
      modelName: scorer-model
      instanceType: ml.m5.large
      initialInstanceCount: 2
      initialVariantWeight: 10
  deploymentConfig:
    blueGreenUpdatePolicy:
      trafficRoutingConfiguration:
        type: CANARY
        canarySize: {type: INSTANCE_COUNT, value: 1}
        waitIntervalInSeconds: 300
      terminationWaitInSeconds: 120
      maximumExecutionTimeoutInSeconds: 3600
    autoRollbackConfiguration:
      alarms: [{alarmName: scorer-errors}]
  bake: {durationInSeconds: 60}
  tags: {team: fraud}
"""
SERVERLESS = """
apiVersion: sagectl/v1
kind: Endpoint
metadata: {name: docs}
spec:
  productionVariants:
    - variantName: main
      modelName: scorer-model
      serverlessConfig: {memorySizeInMB: 2048, maxConcurrency: 10}
"""
BASE = {"model.yaml": MODEL, "alarm.yaml": ALARM, "endpoint.yaml": ENDPOINT,
        "serverless.yaml": SERVERLESS}


@pytest.fixture
def estate(emu: Emulator, tmp_path: Path) -> Any:
    """The base estate, converged: returns ``edit(files, prune=False) -> plan``."""
    emu.freeze()
    specs = write(tmp_path, BASE)
    first = plan(emu, specs)
    assert [c.action_reason for c in first.resource_changes] == ["new"] * 4
    converge(emu, first)

    def edit(changes: dict[str, str] | None = None, prune: bool = False) -> Any:
        write(tmp_path, {**BASE, **(changes or {})}, prune=prune)
        return plan(emu, specs)

    return edit


def test_after_converging_the_plan_is_empty(estate: Any) -> None:
    again = estate()
    assert again.resource_changes == [] and again.problems == []
    assert again.unchanged == 4


def test_weights_only_uses_update_weights_no_new_fleet(estate: Any) -> None:
    p = estate({"endpoint.yaml": ENDPOINT.replace("initialVariantWeight: 10",
                                                  "initialVariantWeight: 20")})
    change = one(p, "Endpoint.scorer")
    assert (change.actions, change.action_reason) == (["update"], "weights_only")
    assert ops(change)[:3] == ["sagemaker:UpdateEndpointWeightsAndCapacities", "sagectl:wait",
                               "sagectl:verify"]
    assert "sagemaker:UpdateEndpoint" not in ops(change)
    assert change.steps[0].params["DesiredWeightsAndCapacities"] == [
        {"VariantName": "challenger", "DesiredWeight": 20.0}]
    assert change.consequences["fleet_replacement"] is False
    assert next((d.path, d.before, d.after) for d in change.diff) == (
        "productionVariants[challenger].initialVariantWeight", 10.0, 20.0)


def test_capacity_only_for_spec_owned_counts(estate: Any) -> None:
    p = estate({"endpoint.yaml": ENDPOINT.replace(
        "initialInstanceCount: 2\n      initialVariantWeight: 10",
        "initialInstanceCount: 3\n      initialVariantWeight: 10")})
    change = one(p, "Endpoint.scorer")
    assert change.action_reason == "capacity_only"
    assert change.steps[0].params["DesiredWeightsAndCapacities"] == [
        {"VariantName": "challenger", "DesiredInstanceCount": 3}]


def test_autoscaled_counts_are_not_changes(emu: Emulator, estate: Any) -> None:
    emu.scale_variant("scorer", "primary", 5, region="eu-west-1", account="111111111111")
    assert estate().resource_changes == []
    # and the spec's initialInstanceCount of an autoscaled variant is not a change either
    p = estate({"endpoint.yaml": ENDPOINT.replace(
        "initialInstanceCount: 2\n      initialVariantWeight: 90",
        "initialInstanceCount: 4\n      initialVariantWeight: 90")})
    assert [c.action_reason for c in p.resource_changes] == ["settings_only"]


def test_serverless_concurrency_only(estate: Any) -> None:
    p = estate({"serverless.yaml": SERVERLESS.replace("maxConcurrency: 10",
                                                      "maxConcurrency: 20")})
    change = one(p, "Endpoint.docs")
    assert change.action_reason == "serverless_concurrency"
    assert change.steps[0].params["DesiredWeightsAndCapacities"] == [
        {"VariantName": "main", "ServerlessUpdateConfig": {"MaxConcurrency": 20}}]


def test_autoscaling_only(estate: Any) -> None:
    p = estate({"endpoint.yaml": ENDPOINT.replace("maxCapacity: 6", "maxCapacity: 8")
                .replace("targetValue: 70", "targetValue: 50")})
    change = one(p, "Endpoint.scorer")
    assert change.action_reason == "autoscaling_only"
    assert ops(change)[:2] == ["application-autoscaling:RegisterScalableTarget",
                               "application-autoscaling:PutScalingPolicy"]
    assert change.steps[0].params["MaxCapacity"] == 8


def test_new_model_deploys_a_new_config_by_canary(estate: Any) -> None:
    p = estate({"model.yaml": MODEL.replace(f"{IMAGE}:1", f"{IMAGE}:2")})
    model = one(p, "Model.scorer-model")
    assert (model.actions, model.action_reason) == (["create"], "new_version")
    assert [(d.path, d.after) for d in model.diff] == [("primaryContainer.image", f"{IMAGE}:2")]
    endpoint = one(p, "Endpoint.scorer")
    assert (endpoint.actions, endpoint.action_reason) == (["update"], "new_config")
    assert ops(endpoint) == [
        "sagemaker:CreateEndpointConfig", "sagemaker:UpdateEndpoint", "sagectl:wait",
        "sagectl:verify", "sagemaker:AddTags", "sagectl:bake", "sagectl:gc"]
    update = endpoint.steps[1].params
    assert update["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"][
        "Type"] == "CANARY"
    assert update["DeploymentConfig"]["AutoRollbackConfiguration"] == {
        "Alarms": [{"AlarmName": "scorer-errors"}]}
    # the autoscaler owns primary's count: retained; weights and data capture the spec owns
    assert update["RetainAllVariantProperties"] is True
    assert update["ExcludeRetainedVariantProperties"] == [
        {"VariantPropertyType": "DesiredWeight"}]  # DataCaptureConfig: not supported (rule 4)
    c = endpoint.consequences
    assert c["fleet_replacement"] is True and c["strategy"] == "blue/green canary"
    assert c["strategy_steps"][1] == ("canary of 1 instance(s) per variant (50% of 2) takes "
                                      "traffic -> bake 300 s")
    assert c["peak_instances"] == 8  # 4 running + 4 new
    # provision 600 + 2 bakes of 300 + termination 120 (< timeout 3600) ... + bake 60 + rollback
    assert c["expected_seconds"] == 600 + 600 + 120 + 60
    assert c["worst_case_seconds"] == 3600 + 60 + 300
    assert endpoint.depends_on == ["Alarm.scorer-errors", "Model.scorer-model"]
    order = [ch.address for ch in p.resource_changes]
    assert order.index("Model.scorer-model") < order.index("Endpoint.scorer")


def test_instance_type_change_of_an_autoscaled_variant(estate: Any) -> None:
    p = estate({"endpoint.yaml": ENDPOINT.replace("instanceType: ml.m5.large\n      "
                                                  "initialInstanceCount: 2\n      "
                                                  "initialVariantWeight: 90",
                                                  "instanceType: ml.c5.xlarge\n      "
                                                  "initialInstanceCount: 2\n      "
                                                  "initialVariantWeight: 90")})
    change = one(p, "Endpoint.scorer")
    steps = ops(change)
    dereg = steps.index("application-autoscaling:DeregisterScalableTarget")
    update = steps.index("sagemaker:UpdateEndpoint")
    register = steps.index("application-autoscaling:RegisterScalableTarget")
    assert dereg < update < register  # the documented order (rule 8)
    assert steps.index("application-autoscaling:PutScalingPolicy") > update
    assert any("instance type" in line for line in change.consequences["autoscaling"])
    assert [(d.path, d.before, d.after) for d in change.diff
            if d.path.endswith("instanceType")] == [
        ("productionVariants[primary].instanceType", "ml.m5.large", "ml.c5.xlarge")]


def test_model_only_change_of_an_autoscaled_variant_keeps_its_target(estate: Any) -> None:
    p = estate({"model.yaml": MODEL.replace(f"{IMAGE}:1", f"{IMAGE}:2")})
    assert "application-autoscaling:DeregisterScalableTarget" not in ops(
        one(p, "Endpoint.scorer"))


def test_removing_an_autoscaled_variant_deregisters_it_first(estate: Any) -> None:
    spec = ENDPOINT.replace(ENDPOINT[ENDPOINT.index("    - variantName: primary"):
                                     ENDPOINT.index("    - variantName: challenger")], "")
    spec = spec.replace("initialVariantWeight: 10", "initialVariantWeight: 1")
    change = one(estate({"endpoint.yaml": spec}), "Endpoint.scorer")
    steps = ops(change)
    assert steps.index("application-autoscaling:DeregisterScalableTarget") < \
        steps.index("sagemaker:UpdateEndpoint")
    assert "RetainAllVariantProperties" not in change.steps[
        steps.index("sagemaker:UpdateEndpoint")].params  # nothing autoscaled remains


def test_instance_to_serverless_needs_allow_replacement(estate: Any) -> None:
    to_serverless = ENDPOINT.replace(
        "instanceType: ml.m5.large\n      initialInstanceCount: 2\n      "
        "initialVariantWeight: 10", "serverlessConfig: {memorySizeInMB: 2048, "
                                    "maxConcurrency: 5}")
    simple = """
apiVersion: sagectl/v1
kind: Endpoint
metadata: {name: scorer}
spec:
  productionVariants:
    - {variantName: primary, modelName: scorer-model, serverlessConfig: {memorySizeInMB: 2048, maxConcurrency: 5}}
"""
    del to_serverless
    p = estate({"endpoint.yaml": simple})
    assert not p.resource_changes or all(c.address != "Endpoint.scorer"
                                         for c in p.resource_changes)
    (problem,) = [x for x in p.problems if x.address == "Endpoint.scorer"]
    assert "instance-based to serverless cannot be done by an update" in problem.message
    assert problem.hint == "set allowReplacement: true on the endpoint to allow it"
    p = estate({"endpoint.yaml": simple + "  allowReplacement: true\n"})
    change = one(p, "Endpoint.scorer")
    assert (change.actions, change.action_reason) == (["delete", "create"],
                                                      "replace_because_immutable")
    steps = ops(change)
    assert steps.index("sagemaker:DeleteEndpoint") < steps.index("sagemaker:CreateEndpoint")
    assert change.consequences["downtime"] is True


def test_tags_only(estate: Any) -> None:
    change = one(estate({"endpoint.yaml": ENDPOINT.replace("team: fraud", "team: risk")}),
                 "Endpoint.scorer")
    assert change.action_reason == "tags_only"
    assert ops(change) == ["sagemaker:AddTags"]
    assert [(d.path, d.before, d.after) for d in change.diff] == [("tags.team", "fraud", "risk")]


def test_settings_only_updates_the_digest_tag(estate: Any) -> None:
    change = one(estate({"endpoint.yaml": ENDPOINT.replace("durationInSeconds: 60",
                                                           "durationInSeconds: 600")}),
                 "Endpoint.scorer")
    assert change.action_reason == "settings_only" and ops(change) == ["sagemaker:AddTags"]


def test_alarm_change_is_put_in_place(estate: Any) -> None:
    change = one(estate({"alarm.yaml": ALARM.replace("threshold: 5", "threshold: 10")}),
                 "Alarm.scorer-errors")
    assert (change.action_reason, ops(change)) == (
        "config_changed", ["cloudwatch:PutMetricAlarm", "cloudwatch:TagResource"])
    assert {t["Key"] for t in change.steps[1].params["Tags"]} == {"sagectl:spec-digest"}
    assert [(d.path, d.before, d.after) for d in change.diff] == [("threshold", 5.0, 10.0)]


def test_a_busy_endpoint_makes_the_change_wait(emu: Emulator, estate: Any) -> None:
    from tests.plan.helpers import aws_for

    sm = aws_for(emu).client("sagemaker")
    sm.update_endpoint_weights_and_capacities(  # someone else is changing it right now
        EndpointName="scorer", DesiredWeightsAndCapacities=[
            {"VariantName": "challenger", "DesiredInstanceCount": 3}])
    p = estate({"endpoint.yaml": ENDPOINT.replace("initialVariantWeight: 10",
                                                  "initialVariantWeight: 20")})
    change = one(p, "Endpoint.scorer")
    assert change.waits == "endpoint is Updating; the change waits until it is InService"
