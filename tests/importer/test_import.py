"""``sagectl import``: specs for an endpoint built by hand, adoption, and the plans that follow.

The endpoint is made with boto3 alone (two variants, one autoscaled with a target-tracking policy
and a scheduled action, data capture, a canary deployment with two rollback alarms, a model with
environment variables), then imported through the CLI against the in-process emulator.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply.context import APPLIED
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply, statuses
from tests.plan.helpers import IMAGE, ROLE, aws_for, one, ops, plan, write

Cli = Callable[..., tuple[int, str, str]]
ACCOUNT, REGION = "111111111111", "eu-west-1"
ENDPOINT, CONFIG = "fraud", "fraud-config-by-hand"
PRIMARY_MODEL, CHALLENGER_MODEL = "fraud-xgb-2023-10", "fraud-challenger"
RID = f"endpoint/{ENDPOINT}/variant/primary"
DIM = "sagemaker:variant:DesiredInstanceCount"
ALARMS = ("fraud-5xx", "fraud-latency", "fraud-no-traffic")
IMPORTED = {f"Model.{PRIMARY_MODEL}", f"Model.{CHALLENGER_MODEL}", f"Endpoint.{ENDPOINT}",
            *(f"Alarm.{a}" for a in ALARMS)}
SECRET = "s3cr3t-token"


def _alarm(cw: Any, name: str, metric: str, **extra: Any) -> None:
    cw.put_metric_alarm(AlarmName=name, Namespace="AWS/SageMaker", MetricName=metric,
                        Dimensions=[{"Name": "EndpointName", "Value": ENDPOINT},
                                    {"Name": "VariantName", "Value": "primary"}],
                        Period=60, **{"Statistic": "Sum", "Threshold": 5.0, "EvaluationPeriods": 2,
                                      "ComparisonOperator": "GreaterThanThreshold", **extra})


def build_by_hand(emu: Emulator) -> None:
    aws = aws_for(emu)
    sm, cw, aas = (aws.client(s) for s in ("sagemaker", "cloudwatch", "application-autoscaling"))
    sm.create_model(ModelName=PRIMARY_MODEL, ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": f"{IMAGE}:7", "ModelDataUrl": "s3://models/fraud/v7.tar.gz",
        "Environment": {"SCORE_THRESHOLD": "0.82", "API_TOKEN": SECRET, "TEMPLATE": "${x}"}},
        Tags=[{"Key": "team", "Value": "fraud"}])
    sm.create_model(ModelName=CHALLENGER_MODEL, ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": f"{IMAGE}:8", "ModelDataUrl": "s3://models/fraud/v8.tar.gz"})
    sm.create_endpoint_config(EndpointConfigName=CONFIG, ProductionVariants=[
        {"VariantName": "primary", "ModelName": PRIMARY_MODEL, "InstanceType": "ml.m5.large",
         "InitialInstanceCount": 2, "InitialVariantWeight": 90.0},
        {"VariantName": "challenger", "ModelName": CHALLENGER_MODEL,
         "InstanceType": "ml.m5.large", "InitialInstanceCount": 2, "InitialVariantWeight": 10.0}],
        DataCaptureConfig={"EnableCapture": True, "InitialSamplingPercentage": 20,
                           "DestinationS3Uri": "s3://capture/fraud",
                           "CaptureOptions": [{"CaptureMode": "Input"},
                                              {"CaptureMode": "Output"}]})
    _alarm(cw, "fraud-5xx", "Invocation5XXErrors", TreatMissingData="notBreaching")
    _alarm(cw, "fraud-latency", "ModelLatency", Statistic="Average", Threshold=250000.0)
    _alarm(cw, "fraud-no-traffic", "Invocations", ComparisonOperator="LessThanThreshold",
           EvaluationPeriods=3, DatapointsToAlarm=2, Tags=[{"Key": "team", "Value": "fraud"}])
    _alarm(cw, f"TargetTracking-{RID}-AlarmHigh-0c1d", "InvocationsPerInstance")  # AWS's own
    sm.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName=CONFIG,
                       Tags=[{"Key": "team", "Value": "fraud"}], DeploymentConfig={
                           "BlueGreenUpdatePolicy": {
                               "TrafficRoutingConfiguration": {
                                   "Type": "CANARY", "WaitIntervalInSeconds": 300,
                                   "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1}},
                               "TerminationWaitInSeconds": 120,
                               "MaximumExecutionTimeoutInSeconds": 3600},
                           "AutoRollbackConfiguration": {"Alarms": [
                               {"AlarmName": "fraud-5xx"}, {"AlarmName": "fraud-latency"}]}})
    emu.advance(100_000)
    aas.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=RID,
                                 ScalableDimension=DIM, MinCapacity=2, MaxCapacity=6)
    aas.put_scaling_policy(
        PolicyName="invocations-per-instance", ServiceNamespace="sagemaker", ResourceId=RID,
        ScalableDimension=DIM, PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 70.0, "ScaleInCooldown": 300, "ScaleOutCooldown": 60,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}})
    aas.put_scheduled_action(ServiceNamespace="sagemaker", ScheduledActionName="nightly-floor",
                             ResourceId=RID, ScalableDimension=DIM,
                             Schedule="cron(0 22 * * ? *)",
                             ScalableTargetAction={"MinCapacity": 2, "MaxCapacity": 4})
    aws.close()


def tags_of(emu: Emulator, arn: str) -> dict[str, str]:
    aws = aws_for(emu)
    try:
        if ":cloudwatch:" in arn:
            found = aws.client("cloudwatch").list_tags_for_resource(ResourceARN=arn)["Tags"]
        else:
            found = aws.client("sagemaker").list_tags(ResourceArn=arn)["Tags"]
        return {t["Key"]: t["Value"] for t in found}
    finally:
        aws.close()


def arn(kind: str, name: str) -> str:
    if kind == "alarm":
        return f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}"
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{kind}/{name}"


def mutations(emu: Emulator) -> dict[str, int]:
    return {action: emu.calls[("sagemaker", action)]
            for action in ("CreateModel", "CreateEndpointConfig", "UpdateEndpoint",
                           "DeleteModel", "DeleteEndpointConfig")}


@pytest.fixture
def specs(emu: Emulator, tmp_path: Path) -> Path:
    """A spec tree with only the `dev` environment, and the endpoint built by hand."""
    build_by_hand(emu)
    return write(tmp_path, {})


def sagectl(cli: Cli, *args: str) -> tuple[int, str, str]:
    """A command that talks to AWS, against the embedded emulator (this process's emulator)."""
    return cli(*args, "--emulator")


def imported(specs: Path) -> Path:
    return specs / "imported" / f"{ENDPOINT}.yaml"


def import_adopted(cli: Cli, specs: Path) -> str:
    code, out, err = sagectl(cli, "import", ENDPOINT, str(specs), "--env", "dev", "--adopt")
    assert code == 0, err
    return out + err


def no_changes(cli: Cli, specs: Path) -> None:
    code, out, err = sagectl(cli, "plan", str(specs), "--env", "dev", "--detailed-exitcode")
    assert (code, out.splitlines()[-1]) == (0, "No changes."), out + err


# -- adoption -----------------------------------------------------------------------------------

def test_adopted_import_plans_no_changes_even_after_autoscaling(cli: Cli, emu: Emulator,
                                                                specs: Path) -> None:
    before = mutations(emu)
    output = import_adopted(cli, specs)
    assert "environment values (API_TOKEN, SCORE_THRESHOLD, TEMPLATE)" in output
    assert SECRET not in output
    text = imported(specs).read_text()
    for expected in ("capacityOwner: autoscaling", f"sagectl.io/aws-name: {PRIMARY_MODEL}",
                     "policyName: invocations-per-instance", "scheduledActionName: nightly-floor",
                     "initialVariantWeight: 90", "type: CANARY", "- {alarmName: fraud-5xx}",
                     "destinationS3Uri: s3://capture/fraud", '"$${x}"', "review before committing",
                     "kind: Alarm\nmetadata: {name: fraud-no-traffic}"):
        assert expected in text, expected
    assert "TargetTracking-" not in text  # Application Auto Scaling's alarms are AWS's
    assert "enableNetworkIsolation" not in text and "enableCapture" not in text  # defaults
    no_changes(cli, specs)

    endpoint_tags = tags_of(emu, arn("endpoint", ENDPOINT))
    assert endpoint_tags["sagectl:managed-by"] == "sagectl"
    assert endpoint_tags["sagectl:env"] == "dev"
    assert endpoint_tags["sagectl:address"] == f"Endpoint.{ENDPOINT}"
    assert endpoint_tags["sagectl:spec-path"] == "imported/fraud.yaml"
    assert endpoint_tags["team"] == "fraud"
    assert "sagectl:structure" in tags_of(emu, arn("endpoint-config", CONFIG))
    assert tags_of(emu, arn("model", PRIMARY_MODEL))["sagectl:address"] == \
        f"Model.{PRIMARY_MODEL}"
    assert tags_of(emu, arn("alarm", "fraud-latency"))["sagectl:env"] == "dev"
    assert mutations(emu) == before  # nothing created, nothing redeployed

    emu.scale_variant(ENDPOINT, "primary", 5, region=REGION, account=ACCOUNT)
    no_changes(cli, specs)  # the autoscaler's count, within [2, 6], is not a change

    code, out, err = cli("validate", str(specs))
    assert code == 0, err
    assert "valid for dev: 6 resources (3 Alarm, 1 Endpoint, 2 Model)" in out


def test_spec_changes_after_adoption(emu: Emulator, cli: Cli, specs: Path) -> None:
    import_adopted(cli, specs)
    path = imported(specs)
    original = path.read_text()
    path.write_text(original.replace("initialVariantWeight: 90", "initialVariantWeight: 80")
                    .replace("initialVariantWeight: 10", "initialVariantWeight: 20"))
    p = plan(emu, specs)
    assert [c.address for c in p.resource_changes] == [f"Endpoint.{ENDPOINT}"]
    change = p.resource_changes[0]
    assert (change.actions, change.action_reason) == (["update"], "weights_only")
    assert {d.path for d in change.diff} == {"productionVariants[primary].initialVariantWeight",
                                             "productionVariants[challenger].initialVariantWeight"}
    assert "sagemaker:UpdateEndpointWeightsAndCapacities" in ops(change)
    assert "sagemaker:UpdateEndpoint" not in ops(change)
    run = apply(emu, specs)
    assert statuses(run) == {f"Endpoint.{ENDPOINT}": APPLIED}
    assert not plan(emu, specs).resource_changes

    # a model change: the adopted model no longer matches, so a content-named one replaces it
    path.write_text(path.read_text().replace('SCORE_THRESHOLD: "0.82"', 'SCORE_THRESHOLD: "0.9"'))
    p = plan(emu, specs)
    model = one(p, f"Model.{PRIMARY_MODEL}")
    assert (model.actions, model.action_reason) == (["create"], "new_version")
    new_name = model.consequences["aws_name"]
    assert new_name.startswith(f"{PRIMARY_MODEL}-") and len(new_name) == len(PRIMARY_MODEL) + 9
    assert one(p, f"Endpoint.{ENDPOINT}").action_reason == "new_config"
    run = apply(emu, specs)
    assert set(statuses(run).values()) == {APPLIED}, run.result
    sm = aws_for(emu).client("sagemaker")
    live = sm.describe_endpoint(EndpointName=ENDPOINT)
    config = sm.describe_endpoint_config(EndpointConfigName=live["EndpointConfigName"])
    assert {v["VariantName"]: v["ModelName"] for v in config["ProductionVariants"]} == {
        "primary": new_name, "challenger": CHALLENGER_MODEL}
    sm.describe_model(ModelName=PRIMARY_MODEL)  # kept: a rollback target
    assert not plan(emu, specs).resource_changes


# -- without --adopt, and refusals ---------------------------------------------------------------

def test_import_without_adopt_leaves_conflicts_until_adopted(cli: Cli, emu: Emulator,
                                                            specs: Path) -> None:
    code, out, err = sagectl(cli, "import", ENDPOINT, str(specs), "--env", "dev")
    assert code == 0, err
    assert "adoption would tag (dev):" in out
    assert f"endpoint {ENDPOINT} (Endpoint.{ENDPOINT}): sagectl:address=Endpoint.{ENDPOINT}" \
        in out
    assert f"sagectl import {ENDPOINT} {specs} --env dev --adopt" in out
    assert not any(k.startswith("sagectl:") for k in tags_of(emu, arn("endpoint", ENDPOINT)))
    p = plan(emu, specs)
    assert p.resource_changes == []  # conflicts, not changes
    assert {x.address for x in p.errors} == IMPORTED
    assert all("not managed by sagectl" in x.message for x in p.errors)
    code, out, _ = sagectl(cli, "plan", str(specs), "--env", "dev")
    assert code == 1

    code, out, err = sagectl(cli, "import", ENDPOINT, str(specs), "--env", "dev", "--adopt")
    assert code == 0, err
    assert out.startswith(f"unchanged {imported(specs)}")  # the same file: no --force needed
    no_changes(cli, specs)


def test_refusals_and_usage_errors(cli: Cli, emu: Emulator, specs: Path, tmp_path: Path) -> None:
    code, _, err = sagectl(cli, "import", "nope", str(specs), "--env", "dev")
    assert code == 1 and "sagectl: endpoint nope does not exist" in err, err
    assert not (specs / "imported").exists()
    code, _, err = sagectl(cli, "import", ENDPOINT, str(specs))
    assert code == 2 and "choose an environment with --env (dev)" in err
    code, _, err = sagectl(cli, "import", ENDPOINT, str(specs), "--env", "dev", "--out",
                           str(tmp_path / "elsewhere"))
    assert code == 2 and "outside the spec tree" in err

    code, _, err = sagectl(cli, "import", ENDPOINT, str(specs), "--env", "dev")
    assert code == 0, err
    path = imported(specs)
    written = path.read_text()
    path.write_text(written.replace("threshold: 250000", "threshold: 1"))
    code, _, err = sagectl(cli, "import", ENDPOINT, str(specs), "--env", "dev", "--adopt")
    assert code == 1 and "exists and differs" in err and "--force" in err
    code, _, err = sagectl(cli, "import", ENDPOINT, str(specs), "--env", "dev", "--adopt",
                           "--force")
    assert code == 0, err
    assert path.read_text() == written

    code, _, err = sagectl(cli, "import", ENDPOINT, str(specs), "--env", "dev", "--force")
    assert code == 1, err
    assert (f"sagectl: endpoint {ENDPOINT} is already managed by sagectl (environment 'dev', "
            f"Endpoint.{ENDPOINT})") in err
    assert "Traceback" not in err


def test_adoption_that_would_not_plan_clean_tags_nothing(cli: Cli, emu: Emulator,
                                                         specs: Path) -> None:
    code, _, err = sagectl(cli, "import", ENDPOINT, str(specs), "--env", "dev")
    assert code == 0, err
    env = specs / "environments" / "dev.yaml"
    env.write_text(env.read_text() + (
        "  overrides:\n"
        "    - kind: Endpoint\n"
        f"      name: {ENDPOINT}\n"
        "      spec:\n"
        "        productionVariants:\n"
        "          - {variantName: primary, initialVariantWeight: 50}\n"))
    code, _, err = sagectl(cli, "import", ENDPOINT, str(specs), "--env", "dev", "--adopt")
    assert code == 1
    assert "productionVariants[primary].initialVariantWeight: 90.0 -> 50.0" in err
    assert "nothing was tagged" in err
    for kind, name in (("endpoint", ENDPOINT), ("model", PRIMARY_MODEL), ("alarm", "fraud-5xx")):
        assert not any(k.startswith("sagectl:") for k in tags_of(emu, arn(kind, name)))


def test_an_adoption_cut_short_is_finished_by_importing_again(cli: Cli, emu: Emulator,
                                                              specs: Path) -> None:
    import_adopted(cli, specs)
    endpoint = arn("endpoint", ENDPOINT)
    aws = aws_for(emu)
    aws.client("sagemaker").delete_tags(ResourceArn=endpoint, TagKeys=[
        k for k in tags_of(emu, endpoint) if k.startswith("sagectl:")])  # tagged last
    aws.close()
    code, _, err = sagectl(cli, "plan", str(specs), "--env", "dev")
    assert code == 1 and f"endpoint {ENDPOINT} exists and is not managed by sagectl" in err + _
    output = import_adopted(cli, specs)  # models, alarms and config are this import's already
    assert f"adopted endpoint {ENDPOINT} as Endpoint.{ENDPOINT} (dev)" in output
    assert "adopted model" not in output  # their tags were right: nothing to add
    no_changes(cli, specs)


def test_rule_24_autoscaling_alarms_are_not_imported_only_referenced(cli: Cli, emu: Emulator,
                                                                     specs: Path) -> None:
    """The target-tracking policy's two alarms (Application Auto Scaling made them) are never
    written as Alarm specs; another endpoint that rolls back on one references it as external."""
    aws = aws_for(emu)
    sm, cw = aws.client("sagemaker"), aws.client("cloudwatch")
    owned = [a["AlarmName"] for a in cw.describe_alarms(
        AlarmNamePrefix=f"TargetTracking-{RID}-AlarmHigh-")["MetricAlarms"]]
    high = next(n for n in owned if not n.endswith("-0c1d"))  # the emulator's, not the fake
    sm.create_endpoint_config(EndpointConfigName="fraud-shadow-config", ProductionVariants=[
        {"VariantName": "main", "ModelName": CHALLENGER_MODEL, "InstanceType": "ml.m5.large",
         "InitialInstanceCount": 1, "InitialVariantWeight": 1.0}])
    sm.create_endpoint(EndpointName="fraud-shadow", EndpointConfigName="fraud-shadow-config",
                       DeploymentConfig={"AutoRollbackConfiguration": {
                           "Alarms": [{"AlarmName": high}]}})
    emu.advance(100_000)
    aws.close()

    code, out, err = sagectl(cli, "import", ENDPOINT, "fraud-shadow", str(specs), "--env", "dev")
    assert code == 0, err
    assert "belongs to Application Auto Scaling" in out + err
    text = (specs / "imported" / "fraud-shadow.yaml").read_text() + imported(specs).read_text()
    assert f"kind: Alarm\nmetadata: {{name: {high}" not in text
    assert "kind: Alarm\nmetadata: {name: TargetTracking-" not in text
    assert high in text and "external: true" in text
