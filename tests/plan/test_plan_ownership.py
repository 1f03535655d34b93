"""Ownership, deletions, the registry and checks that need live state."""

from __future__ import annotations

from pathlib import Path

from reconciler.cli.registry import KINDS
from sagemaker_emulator import Emulator
from tests.kinds.endpoint.test_plan_changes import ALARM, BASE, ENDPOINT, MODEL
from tests.plan.helpers import IMAGE, ROLE, aws_for, converge, one, ops, plan, write


def test_an_unowned_endpoint_with_the_spec_name_is_a_conflict(emu: Emulator,
                                                               tmp_path: Path) -> None:
    emu.freeze()
    sm = aws_for(emu).client("sagemaker")
    sm.create_model(ModelName="by-hand", PrimaryContainer={"Image": "x"})
    sm.create_endpoint_config(EndpointConfigName="by-hand", ProductionVariants=[{
        "VariantName": "v", "ModelName": "by-hand", "InstanceType": "ml.m5.large",
        "InitialInstanceCount": 1}])
    sm.create_endpoint(EndpointName="scorer", EndpointConfigName="by-hand")
    p = plan(emu, write(tmp_path, BASE))
    assert "Endpoint.scorer" not in [c.address for c in p.resource_changes]
    (problem,) = [x for x in p.problems if x.address == "Endpoint.scorer"]
    assert problem.severity == "error"
    assert problem.message == "endpoint scorer exists and is not managed by sagectl"
    assert problem.hint == "adopt it with `sagectl import scorer`, or rename the spec"


def test_a_resource_of_another_environment_is_a_conflict(emu: Emulator, tmp_path: Path) -> None:
    emu.freeze()
    specs = write(tmp_path, BASE)
    converge(emu, plan(emu, specs))
    other = (specs / "environments" / "dev.yaml").read_text().replace("name: dev", "name: qa")
    (specs / "environments" / "dev.yaml").unlink()
    (specs / "environments" / "qa.yaml").write_text(other)
    p = plan(emu, specs, env="qa")
    messages = {x.address: x.message for x in p.problems}
    assert messages["Endpoint.scorer"] == ("endpoint scorer is managed by sagectl environment "
                                           "'dev', not 'qa'")
    assert "managed by environment 'dev'" in messages["Alarm.scorer-errors"]


def test_orphans_are_left_alone_unless_pruning(emu: Emulator, tmp_path: Path) -> None:
    emu.freeze()
    specs = write(tmp_path, BASE)
    converge(emu, plan(emu, specs))
    without = {k: v for k, v in BASE.items() if k != "serverless.yaml"}
    write(tmp_path, without)
    p = plan(emu, specs)
    assert p.resource_changes == []
    (warning,) = p.problems
    assert (warning.severity, warning.address) == ("warning", "Endpoint.docs")
    assert "pruning is off" in warning.message
    write(tmp_path, without, prune=True)
    p = plan(emu, specs)
    change = one(p, "Endpoint.docs")
    assert (change.actions, change.action_reason) == (["delete"], "not_in_spec")
    assert ops(change)[:2] == ["sagemaker:DeleteEndpoint", "sagectl:wait"]
    assert "sagemaker:DeleteEndpointConfig" in ops(change)


def test_deletion_protection_blocks_pruning(emu: Emulator, tmp_path: Path) -> None:
    emu.freeze()
    protected = ENDPOINT + "  deletionProtection: true\n"
    specs = write(tmp_path, {**BASE, "endpoint.yaml": protected})
    converge(emu, plan(emu, specs))
    without = {k: v for k, v in BASE.items() if k != "endpoint.yaml"}
    write(tmp_path, without, prune=True)
    p = plan(emu, specs)
    assert "Endpoint.scorer" not in [c.address for c in p.resource_changes]
    (problem,) = [x for x in p.problems if x.address == "Endpoint.scorer"]
    assert problem.severity == "error"
    assert problem.message == "endpoint scorer left the specs but has deletionProtection"


def test_orphan_policy_is_the_planners_for_every_kind(emu: Emulator, tmp_path: Path) -> None:
    """Pruning and deletion protection are decided once, for every kind: an alarm that carries
    the protection tag is refused like a protected endpoint; pruning off leaves it with the same
    warning as any orphan; one of Application Auto Scaling's is never the kind's to delete."""
    emu.freeze()
    specs = write(tmp_path, {"alarm.yaml": ALARM, "model.yaml": MODEL})
    converge(emu, plan(emu, specs))
    cw = aws_for(emu).client("cloudwatch")
    arn = cw.describe_alarms(AlarmNames=["scorer-errors"])["MetricAlarms"][0]["AlarmArn"]
    cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "sagectl:deletion-protection",
                                            "Value": "true"}])
    write(tmp_path, {"model.yaml": MODEL})
    (warning,) = plan(emu, specs).problems
    assert (warning.severity, warning.message) == (
        "warning", "alarm scorer-errors is no longer in the specs; pruning is off, so it is left "
                   "alone")
    write(tmp_path, {"model.yaml": MODEL}, prune=True)
    p = plan(emu, specs)
    assert p.resource_changes == []
    (problem,) = p.problems
    assert (problem.severity, problem.message) == (
        "error", "alarm scorer-errors left the specs but has deletionProtection")
    assert "deletionProtection: false" in problem.hint

    cw.untag_resource(ResourceARN=arn, TagKeys=["sagectl:deletion-protection"])
    assert one(plan(emu, specs), "Alarm.scorer-errors").actions == ["delete"]
    owned = cw.describe_alarms(AlarmNames=["scorer-errors"])["MetricAlarms"][0]
    tags = cw.list_tags_for_resource(ResourceARN=arn)["Tags"]
    name = "TargetTracking-endpoint/x/variant/y-AlarmHigh-1"
    cw.put_metric_alarm(**{k: owned[k] for k in (
        "Namespace", "MetricName", "Statistic", "Period", "EvaluationPeriods", "Threshold",
        "ComparisonOperator")}, AlarmName=name, Tags=tags)
    p = plan(emu, specs)
    assert [c.address for c in p.resource_changes] == ["Alarm.scorer-errors"]
    (kept,) = p.problems
    assert kept.severity == "warning" and "belongs to Application Auto Scaling" in kept.message


def test_latest_approved_is_resolved_descending_and_pinned(emu: Emulator,
                                                            tmp_path: Path) -> None:
    emu.freeze()
    sm = aws_for(emu).client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName="fraud-models")
    arns = []
    for status in ("Approved", "Approved", "PendingManualApproval", "Rejected"):
        arns.append(sm.create_model_package(
            ModelPackageGroupName="fraud-models", ModelApprovalStatus=status,
            InferenceSpecification={"Containers": [{"Image": f"{IMAGE}:pkg"}],
                                    "SupportedContentTypes": ["text/csv"],
                                    "SupportedResponseMIMETypes": ["text/csv"]})[
            "ModelPackageArn"])
        emu.advance(60)
    registry_model = f"""
apiVersion: sagectl/v1
kind: Model
metadata: {{name: challenger}}
spec:
  executionRoleArn: {ROLE}
  primaryContainer:
    modelPackageGroupName: fraud-models
    modelPackageVersion: latestApproved
"""
    p = plan(emu, write(tmp_path, {"model.yaml": registry_model}))
    change = one(p, "Model.challenger")
    assert change.waits is None
    pinned = change.steps[0].params["PrimaryContainer"]["ModelPackageName"]
    assert pinned == arns[1]  # the newest Approved, not the first, not the pending one
    assert change.consequences["resolved_packages"] == [
        f"fraud-models: latest Approved is version 2 ({arns[1]})"]
    pinned_spec = registry_model.replace("latestApproved", "1")
    p = plan(emu, write(tmp_path, {"model.yaml": pinned_spec}))
    assert one(p, "Model.challenger").steps[0].params["PrimaryContainer"][
        "ModelPackageName"] == arns[0]


def test_no_approved_version_makes_the_model_and_its_endpoint_wait(emu: Emulator,
                                                                   tmp_path: Path) -> None:
    emu.freeze()
    registry_model = MODEL.replace(f"image: {IMAGE}:1", "modelPackageGroupName: empty-group")
    registry_model = registry_model.replace('    environment: {API_KEY: "s3cr3t-value"}\n', "")
    p = plan(emu, write(tmp_path, {**BASE, "model.yaml": registry_model}))
    assert one(p, "Model.scorer-model").waits.startswith(
        "model package group empty-group has no Approved version yet")
    assert one(p, "Endpoint.scorer").waits.startswith(
        "model scorer-model cannot be created yet: model package group empty-group")


def test_external_guardrail_alarms_must_exist(emu: Emulator, tmp_path: Path) -> None:
    spec = ENDPOINT.replace("alarms: [{alarmName: scorer-errors}]",
                            "alarms: [{alarmName: owned-elsewhere, external: true}]")
    p = plan(emu, write(tmp_path, {**BASE, "endpoint.yaml": spec, "alarm.yaml": ALARM}))
    (problem,) = [x for x in p.problems if x.address == "Endpoint.scorer"]
    assert problem.message == ("guardrail alarm(s) marked external do not exist: "
                               "owned-elsewhere")


def test_canary_size_is_checked_against_live_counts(emu: Emulator, tmp_path: Path) -> None:
    emu.freeze()
    specs = write(tmp_path, BASE)
    converge(emu, plan(emu, specs))
    # the spec is valid (a canary of 2 is 50% of 4 instances), but the autoscaler runs primary
    # with 3: 67%, which SageMaker would refuse hours into the pipeline
    emu.scale_variant("scorer", "primary", 3, region="eu-west-1", account="111111111111")
    spec = ENDPOINT.replace("canarySize: {type: INSTANCE_COUNT, value: 1}",
                            "canarySize: {type: INSTANCE_COUNT, value: 2}")
    spec = spec.replace("initialInstanceCount: 2", "initialInstanceCount: 4")  # both variants
    p = plan(emu, write(tmp_path, {**BASE, "endpoint.yaml": spec,
                                   "model.yaml": MODEL.replace(":1", ":2")}))
    problems = [x.message for x in p.problems if x.address == "Endpoint.scorer"]
    assert problems == ["canarySize of 2 instance(s) is 67% of variant primary's current 3 "
                        "instance(s); SageMaker requires 0-50%"]


def test_wrong_account_is_refused(emu: Emulator, tmp_path: Path) -> None:
    import pytest

    from reconciler.aws import AwsConfigError
    from reconciler.plan.planner import make_plan
    from reconciler.spec.load import load_specs

    specs = write(tmp_path, BASE)
    aws = aws_for(emu, account="999999999999")
    with pytest.raises(AwsConfigError) as exc:
        make_plan(load_specs(specs, KINDS, "dev"), aws, tmp_path)
    assert "credentials are for account 999999999999, but environment 'dev' is account " \
           "111111111111" in str(exc.value)
