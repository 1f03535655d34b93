"""sagectl and Application Auto Scaling's rules 23 and 24 (see tests/emulator/test_rules_autoscaling.py
for the AWS side).

Rule 23: a deleted endpoint loses its scalable targets; `sagectl apply` brings the endpoint back
with its autoscaling. Rule 24: target-tracking policies own CloudWatch alarms; sagectl never
reads them as its own (no drift, no prune, no spec in their name space, no `Alarms` sent back).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from reconciler.apply.context import APPLIED
from reconciler.cli.registry import KINDS
from reconciler.drift.run import drift
from reconciler.kinds.endpoint.rollback import autoscaling_snapshot, restore_autoscaling
from reconciler.spec.load import load_specs
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply, context, statuses
from tests.apply.test_apply import ACCOUNT, REGION, estate
from tests.kinds.endpoint.test_plan_changes import ENDPOINT
from tests.plan.helpers import aws_for, one, ops, plan, write

__all__ = ["estate"]  # the fixture, used by name
PRIMARY = "endpoint/scorer/variant/primary"
PUT_POLICY = ("applicationautoscaling", "PutScalingPolicy")
SCHEDULED = {"endpoint.yaml": ENDPOINT.replace(
    "                predefinedMetricType: SageMakerVariantInvocationsPerInstance\n",
    "                predefinedMetricType: SageMakerVariantInvocationsPerInstance\n"
    "        scheduledActions:\n"
    "          - scheduledActionName: nightly\n"
    "            schedule: cron(0 22 * * ? *)\n"
    "            scalableTargetAction: {minCapacity: 2, maxCapacity: 4}\n")}


def client(emu: Emulator, service: str) -> Any:
    """A client of the estate's account (the emulator's own clients are another account)."""
    return aws_for(emu, concurrency=1).client(service)


def autoscaling_alarms(emu: Emulator) -> list[str]:
    return sorted(a["AlarmName"] for a in client(emu, "cloudwatch").describe_alarms(
        AlarmNamePrefix="TargetTracking-")["MetricAlarms"])


def scaling(emu: Emulator) -> tuple[list[str], list[str], list[str]]:
    """Resource ids of the scalable targets, and ``resource id:name`` of the scaling policies
    and of the scheduled actions."""
    aas = client(emu, "application-autoscaling")
    targets = aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    policies = aas.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
    actions = aas.describe_scheduled_actions(ServiceNamespace="sagemaker")["ScheduledActions"]
    return (sorted(t["ResourceId"] for t in targets),
            sorted(f"{p['ResourceId']}:{p['PolicyName']}" for p in policies),
            sorted(f"{a['ResourceId']}:{a['ScheduledActionName']}" for a in actions))


def drift_classes(emu: Emulator, specs: Path) -> tuple[dict[str, str], list[str]]:
    actx = context(emu)
    try:
        report = drift(load_specs(specs, KINDS, "dev"), actx.aws, actx.state, specs.parent)
    finally:
        actx.aws.close()
    return {i.address: i.drift_class for i in report.items}, report.problems


def test_rule_24_drift_reports_nothing_for_autoscaling_alarms(emu: Emulator,
                                                              estate: Callable[..., Path]) -> None:
    specs = estate()
    assert len(autoscaling_alarms(emu)) == 2  # the primary variant's target-tracking pair
    assert drift_classes(emu, specs) == ({}, [])


def test_rule_24_autoscaling_alarms_with_sagectl_tags_are_never_pruned(
        emu: Emulator, estate: Callable[..., Path]) -> None:
    specs = estate()
    high = autoscaling_alarms(emu)[0]
    client(emu, "cloudwatch").tag_resource(ResourceARN=f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{high}", Tags=[
        {"Key": "sagectl:managed-by", "Value": "sagectl"}, {"Key": "sagectl:env", "Value": "dev"},
        {"Key": "sagectl:address", "Value": f"Alarm.{high}"}])  # e.g. adopted by an old import
    p = plan(emu, specs, prune=True)
    assert p.resource_changes == []
    (problem,) = p.problems
    assert problem.severity == "warning" and "belongs to Application Auto Scaling" in \
        problem.message
    assert drift_classes(emu, specs) == ({}, [])


def test_rule_24_an_alarm_spec_cannot_take_an_autoscaling_alarm_name(tmp_path: Path) -> None:
    specs = write(tmp_path, {"alarm.yaml": """
        apiVersion: sagectl/v1
        kind: Alarm
        metadata: {name: TargetTracking-x}
        spec:
          namespace: AWS/SageMaker
          metricName: InvocationsPerInstance
          statistic: Sum
          period: 60
          evaluationPeriods: 3
          threshold: 70
          comparisonOperator: GreaterThanThreshold
        """})
    loaded = load_specs(specs, KINDS, "dev")
    assert not loaded.ok
    (error,) = loaded.report.errors
    assert "belong to Application Auto Scaling" in error.text()
    assert "alarm.yaml:3:" in error.text()  # at metadata.name


def test_rule_24_rollback_restores_policies_without_their_alarms(
        emu: Emulator, estate: Callable[..., Path]) -> None:
    estate()
    before = autoscaling_alarms(emu)
    actx = context(emu)
    try:
        saved = autoscaling_snapshot(actx, "scorer", ["primary", "challenger"])
        assert [sorted(p) for p in saved[PRIMARY]["policies"]] == [
            ["PolicyName", "PolicyType", "TargetTrackingScalingPolicyConfiguration"]]
        puts = emu.calls[PUT_POLICY]
        restore_autoscaling(actx, "scorer", saved, ["primary", "challenger"])
        assert emu.calls[PUT_POLICY] == puts  # AWS's Alarms are no difference
        assert autoscaling_alarms(emu) == before
        actx.aws.client("application-autoscaling").deregister_scalable_target(
            ServiceNamespace="sagemaker", ResourceId=PRIMARY,
            ScalableDimension="sagemaker:variant:DesiredInstanceCount")
        assert autoscaling_alarms(emu) == []
        restore_autoscaling(actx, "scorer", saved, ["primary", "challenger"])
    finally:
        actx.aws.close()
    assert emu.calls[PUT_POLICY] == puts + 1
    assert len(autoscaling_alarms(emu)) == 2 and autoscaling_alarms(emu) != before


def test_rule_23_a_deleted_endpoint_comes_back_with_its_autoscaling(
        emu: Emulator, estate: Callable[..., Path]) -> None:
    specs = estate(SCHEDULED)
    assert set(statuses(apply(emu, specs)).values()) == {APPLIED}  # adds the scheduled action
    applied = scaling(emu)
    assert applied == ([PRIMARY], [f"{PRIMARY}:invocations"], [f"{PRIMARY}:nightly"])
    client(emu, "sagemaker").delete_endpoint(EndpointName="scorer")  # by hand
    emu.advance(emu.durations.delete + 1)
    assert scaling(emu) == ([], [], [])  # Application Auto Scaling deregistered them
    assert autoscaling_alarms(emu) == []

    assert drift_classes(emu, specs) == ({"Endpoint.scorer": "missing"}, [])
    change: Any = one(plan(emu, specs), "Endpoint.scorer")
    assert change.actions == ["create"]
    steps = ops(change)
    assert steps.index("sagemaker:CreateEndpoint") < steps.index(
        "application-autoscaling:RegisterScalableTarget") < steps.index(
        "application-autoscaling:PutScalingPolicy") < steps.index(
        "application-autoscaling:PutScheduledAction")

    run = apply(emu, specs)
    assert statuses(run) == {"Endpoint.scorer": APPLIED}
    assert scaling(emu) == applied
    assert len(autoscaling_alarms(emu)) == 2
    assert plan(emu, specs).resource_changes == []
