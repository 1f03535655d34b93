"""Each SageMaker rule sagectl enforces offline, tested at its boundary: the last accepted value
and the first rejected one (sagemaker-rules.md items 9, 11, 12, 13 and the autoscaling rules)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.cli.registry import KINDS
from reconciler.spec.load import load_specs

ROLE = "arn:aws:iam::123456789012:role/inference"
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/scorer:1"

def variant(name: str = "main", count: int = 4, **extra: Any) -> dict[str, Any]:
    return {"variantName": name, "modelName": "m", "instanceType": "ml.m5.large",
            "initialInstanceCount": count, **extra}

def endpoint(**spec: Any) -> dict[str, Any]:
    spec.setdefault("productionVariants", [variant()])
    return {"apiVersion": "sagectl/v1", "kind": "Endpoint", "metadata": {"name": "ep"},
            "spec": spec}

def model(name: str = "m", **spec: Any) -> dict[str, Any]:
    spec.setdefault("executionRoleArn", ROLE)
    spec.setdefault("primaryContainer", {"image": IMAGE})
    return {"apiVersion": "sagectl/v1", "kind": "Model", "metadata": {"name": name},
            "spec": spec}

def alarm(name: str = "errors", **spec: Any) -> dict[str, Any]:
    base = {"namespace": "AWS/SageMaker", "metricName": "Invocation5XXErrors",
            "statistic": "Sum", "period": 60, "evaluationPeriods": 1, "threshold": 1,
            "comparisonOperator": "GreaterThanThreshold"}
    base.update(spec)
    return {"apiVersion": "sagectl/v1", "kind": "Alarm", "metadata": {"name": name},
            "spec": {k: v for k, v in base.items() if v is not None}}

ALARMS = {"autoRollbackConfiguration": {"alarms": [{"alarmName": "errors"}]}}

def canary(size_type: str, value: int, wait: int = 600, **policy: Any) -> dict[str, Any]:
    return {"blueGreenUpdatePolicy": {"trafficRoutingConfiguration": {
        "type": "CANARY", "canarySize": {"type": size_type, "value": value},
        "waitIntervalInSeconds": wait}, **policy}, **ALARMS}

def linear(size_type: str, value: int, wait: int = 600, **policy: Any) -> dict[str, Any]:
    return {"blueGreenUpdatePolicy": {"trafficRoutingConfiguration": {
        "type": "LINEAR", "linearStepSize": {"type": size_type, "value": value},
        "waitIntervalInSeconds": wait}, **policy}, **ALARMS}

def rolling(size_type: str, value: int) -> dict[str, Any]:
    return {"rollingUpdatePolicy": {"maximumBatchSize": {"type": size_type, "value": value},
                                    "waitIntervalInSeconds": 60}, **ALARMS}

def serverless(**cfg: Any) -> dict[str, Any]:
    return {"variantName": "main", "modelName": "m",
            "serverlessConfig": {"memorySizeInMB": 2048, "maxConcurrency": 10, **cfg}}

def scaled(count: int = 2, instance: str = "ml.m5.large", **scaling: Any) -> dict[str, Any]:
    return variant(count=count, instanceType=instance,
                   autoscaling={"minCapacity": 1, "maxCapacity": 4, **scaling})

# (case id, documents, expected error fragment or None when valid)
CASES: list[tuple[str, list[dict[str, Any]], str | None]] = [
    # names (rule 13) and content suffix room
    ("endpoint name 54 chars", [model(), {**endpoint(), "metadata": {"name": "e" * 54}}], None),
    ("endpoint name 55 chars", [model(), {**endpoint(), "metadata": {"name": "e" * 55}}],
     "at most 54 characters"),
    ("name with underscore", [model(), {**endpoint(), "metadata": {"name": "a_b"}}],
     "expected letters, digits and hyphens"),
    ("name ending in hyphen", [model(), {**endpoint(), "metadata": {"name": "ab-"}}],
     "expected letters, digits and hyphens"),
    # variants and weights
    ("10 variants", [model(), endpoint(productionVariants=[variant(f"v{i}") for i in range(10)])],
     None),
    ("11 variants", [model(), endpoint(productionVariants=[variant(f"v{i}") for i in range(11)])],
     "must have at most 10 items, got 11"),
    ("one weight zero", [model(), endpoint(productionVariants=[
        variant("a", initialVariantWeight=0), variant("b", initialVariantWeight=1)])], None),
    ("all weights zero", [model(), endpoint(productionVariants=[
        variant("a", initialVariantWeight=0), variant("b", initialVariantWeight=0)])],
     "all production variant weights are 0"),
    ("duplicate variant across shadow", [model(), endpoint(
        shadowProductionVariants=[variant()])], "duplicate variant name 'main'"),
    ("instance variant without count", [model(), endpoint(productionVariants=[
        {"variantName": "main", "modelName": "m", "instanceType": "ml.m5.large"}])],
     "missing `initialInstanceCount`"),
    ("current instance types accepted", [model(), endpoint(productionVariants=[
        variant(instanceType="ml.p6-b200.48xlarge"), variant("b", instanceType="ml.inf2.xlarge")])],
     None),
    ("bad instance type", [model(), endpoint(productionVariants=[variant(instanceType="m5.large")])],
     "expected a value matching"),
    # instance types: botocore's ProductionVariantInstanceType enum (sagemaker-rules.md)
    ("instance type typo", [model(), endpoint(productionVariants=[
        variant(instanceType="ml.g5.xlarg")])],
     "'ml.g5.xlarg' is not a SageMaker instance type for endpoints; did you mean 'ml.g5.xlarge'?"),
    ("instance type of another service", [model(), endpoint(productionVariants=[
        variant(instanceType="ml.t3.nano")])],
     "'ml.t3.nano' is not a SageMaker instance type for endpoints"),
    # shadow variants (CreateEndpointConfig) and names ignoring case (rule 13)
    ("one production and one shadow", [model(), endpoint(
        shadowProductionVariants=[variant("shadow")])], None),
    ("two production with a shadow", [model(), endpoint(
        productionVariants=[variant("a"), variant("b")],
        shadowProductionVariants=[variant("shadow")])],
     "with shadow variants, SageMaker takes exactly one production variant and one shadow "
     "variant (got 2 and 1"),
    ("endpoint names ignore case", [model(), endpoint(), {**endpoint(), "metadata": {"name": "EP"}}],
     "duplicate Endpoint 'EP': already defined as 'ep' (AWS ignores the case of Endpoint "
     "names) at "),
    ("alarm names keep case", [alarm("errors"), alarm("Errors")], None),
    # deployment guardrail exclusions (rule 18): never promise a guardrail AWS skips
    ("canary on Inf1", [model(), endpoint(
        productionVariants=[variant(instanceType="ml.inf1.xlarge")],
        deploymentConfig=canary("INSTANCE_COUNT", 1)), alarm()],
     "CANARY traffic shifting cannot run on this endpoint: variant 'main' runs on ml.inf1.xlarge"),
    ("linear on an Inf1 shadow variant", [model(), endpoint(
        shadowProductionVariants=[variant("shadow", instanceType="ml.inf1.2xlarge")],
        deploymentConfig=linear("CAPACITY_PERCENT", 25)), alarm()],
     "LINEAR traffic shifting cannot run on this endpoint: variant 'shadow' runs on "
     "ml.inf1.2xlarge"),
    ("rolling on Inf1", [model(), endpoint(
        productionVariants=[variant(instanceType="ml.inf1.xlarge")],
        deploymentConfig=rolling("CAPACITY_PERCENT", 25)), alarm()],
     "a rolling deployment cannot run on this endpoint"),
    ("bake waits on Inf1", [model(), endpoint(
        productionVariants=[variant(instanceType="ml.inf1.xlarge")],
        deploymentConfig={"blueGreenUpdatePolicy": {"trafficRoutingConfiguration": {
            "type": "ALL_AT_ONCE", "waitIntervalInSeconds": 0},
            "terminationWaitInSeconds": 300}})],
     "a final baking period of 300 s cannot run on this endpoint"),
    ("all at once on Inf1", [model(), endpoint(
        productionVariants=[variant(instanceType="ml.inf1.xlarge")],
        deploymentConfig={"blueGreenUpdatePolicy": {"trafficRoutingConfiguration": {
            "type": "ALL_AT_ONCE", "waitIntervalInSeconds": 0}}})], None),
    ("canary on serverless", [model(), endpoint(
        productionVariants=[serverless()], deploymentConfig=canary("CAPACITY_PERCENT", 10)),
        alarm()],
     "CANARY traffic shifting cannot run on this endpoint: variant 'main' is serverless"),
    ("canary on Inf2", [model(), endpoint(
        productionVariants=[variant(instanceType="ml.inf2.xlarge")],
        deploymentConfig=canary("INSTANCE_COUNT", 1)), alarm()], None),
    # serverless (rule 12)
    ("serverless 6144", [model(), endpoint(productionVariants=[serverless(memorySizeInMB=6144)])],
     None),
    ("serverless 7168", [model(), endpoint(productionVariants=[serverless(memorySizeInMB=7168)])],
     "must be at most 6144"),
    ("serverless concurrency 200", [model(), endpoint(productionVariants=[
        serverless(maxConcurrency=200)])], None),
    ("serverless concurrency 0", [model(), endpoint(productionVariants=[
        serverless(maxConcurrency=0)])], "must be at least 1"),
    ("provisioned above max", [model(), endpoint(productionVariants=[
        serverless(maxConcurrency=5, provisionedConcurrency=6)])],
     "provisionedConcurrency (6) cannot exceed maxConcurrency (5)"),
    ("serverless with instance type", [model(), endpoint(productionVariants=[
        {**serverless(), "instanceType": "ml.m5.large"}])],
     "`instanceType` does not apply to a serverless variant"),
    ("serverless multi-variant", [model(), endpoint(productionVariants=[
        serverless(), {**serverless(), "variantName": "b"}])],
     "a serverless endpoint has exactly one variant"),
    ("serverless data capture", [model(), endpoint(productionVariants=[serverless()],
        dataCaptureConfig={"initialSamplingPercentage": 5, "destinationS3Uri": "s3://b/c",
                           "captureOptions": [{"captureMode": "Input"}]})],
     "serverless endpoints do not support data capture"),
    ("serverless async", [model(), endpoint(productionVariants=[serverless()],
        asyncInferenceConfig={"outputConfig": {"s3OutputPath": "s3://b/out/"}})],
     "asynchronous inference needs instance-based variants"),
    ("serverless VPC model", [model(vpcConfig={"securityGroupIds": ["sg-1"], "subnets": ["s-1"]}),
                              endpoint(productionVariants=[serverless()])],
     "has a vpcConfig, which serverless endpoints do not support"),
    ("serverless autoscaling provisioned", [model(), endpoint(productionVariants=[serverless(
        provisionedConcurrency=2, maxConcurrency=20) | {"autoscaling": {
            "minCapacity": 1, "maxCapacity": 20, "scalingPolicies": [{
                "policyName": "pc", "targetTrackingScalingPolicyConfiguration": {
                    "targetValue": 0.7, "predefinedMetricSpecification": {
                        "predefinedMetricType":
                            "SageMakerVariantProvisionedConcurrencyUtilization"}}}]}}])], None),
    ("serverless autoscaling needs provisioned", [model(), endpoint(productionVariants=[
        serverless() | {"autoscaling": {"minCapacity": 1, "maxCapacity": 5}}])],
     "set serverlessConfig.provisionedConcurrency"),
    ("serverless autoscaling wrong metric", [model(), endpoint(productionVariants=[serverless(
        provisionedConcurrency=2) | {"autoscaling": {
            "minCapacity": 1, "maxCapacity": 5, "scalingPolicies": [{
                "policyName": "pc", "targetTrackingScalingPolicyConfiguration": {
                    "targetValue": 70, "predefinedMetricSpecification": {
                        "predefinedMetricType": "SageMakerVariantInvocationsPerInstance"}}}]}}])],
     "SageMakerVariantInvocationsPerInstance does not apply to a serverless variant"),
    # autoscaling and capacity ownership (rule 8)
    ("autoscaled ml.m5", [model(), endpoint(productionVariants=[scaled()])], None),
    ("autoscaled ml.t3", [model(), endpoint(productionVariants=[scaled(instance="ml.t3.medium")])],
     "ml.t3.medium is a burstable instance type"),
    ("min equals max", [model(), endpoint(productionVariants=[
        scaled(count=3, minCapacity=3, maxCapacity=3)])], None),
    ("min above max", [model(), endpoint(productionVariants=[
        scaled(count=3, minCapacity=4, maxCapacity=3)])], "minCapacity (4) is greater than"),
    ("initial count below min", [model(), endpoint(productionVariants=[
        scaled(count=1, minCapacity=2)])], "initialInstanceCount (1) must be within autoscaling"),
    ("owner spec with autoscaling", [model(), endpoint(productionVariants=[
        scaled() | {"capacityOwner": "spec"}])], "capacityOwner is `spec` but `autoscaling`"),
    ("owner autoscaling without it", [model(), endpoint(productionVariants=[
        variant(capacityOwner="autoscaling")])], "capacityOwner is `autoscaling` but the variant"),
    ("owner autoscaling with it", [model(), endpoint(productionVariants=[
        scaled() | {"capacityOwner": "autoscaling"}])], None),
    ("policy without configuration", [model(), endpoint(productionVariants=[
        scaled(scalingPolicies=[{"policyName": "p"}])])], "needs exactly one of"),
    ("policy type mismatch", [model(), endpoint(productionVariants=[scaled(scalingPolicies=[{
        "policyName": "p", "policyType": "StepScaling",
        "targetTrackingScalingPolicyConfiguration": {"targetValue": 5, "customizedMetricSpecification": {
            "metricName": "CPUUtilization", "namespace": "/aws/sagemaker/Endpoints",
            "statistic": "Average"}}}])])], "policyType StepScaling does not match"),
    ("duplicate policy names", [model(), endpoint(productionVariants=[scaled(scalingPolicies=[
        {"policyName": "p", "stepScalingPolicyConfiguration": {
            "adjustmentType": "ChangeInCapacity",
            "stepAdjustments": [{"metricIntervalLowerBound": 0, "scalingAdjustment": 1}]}},
        {"policyName": "p", "stepScalingPolicyConfiguration": {
            "adjustmentType": "ChangeInCapacity",
            "stepAdjustments": [{"metricIntervalLowerBound": 0, "scalingAdjustment": 1}]}}])])],
     "duplicate scaling policy name 'p'"),
    ("cron schedule", [model(), endpoint(productionVariants=[scaled(scheduledActions=[{
        "scheduledActionName": "s", "schedule": "cron(0 7 ? * MON-FRI *)",
        "scalableTargetAction": {"minCapacity": 2}}])])], None),
    ("bad schedule", [model(), endpoint(productionVariants=[scaled(scheduledActions=[{
        "scheduledActionName": "s", "schedule": "every morning",
        "scalableTargetAction": {"minCapacity": 2}}])])], "expected at(yyyy-mm-ddThh:mm:ss)"),
    # deployment policy (rules 9, 10, 11)
    ("canary 2 of 4", [model(), alarm(), endpoint(deploymentConfig=canary("INSTANCE_COUNT", 2))],
     None),
    ("canary 3 of 4", [model(), alarm(), endpoint(deploymentConfig=canary("INSTANCE_COUNT", 3))],
     "canarySize of 3 instances is 75% of variant 'main' (4 instances)"),
    ("canary 50%", [model(), alarm(), endpoint(deploymentConfig=canary("CAPACITY_PERCENT", 50))],
     None),
    ("canary 51%", [model(), alarm(), endpoint(deploymentConfig=canary("CAPACITY_PERCENT", 51))],
     "canarySize must be 1-50%"),
    ("canary on one instance", [model(), alarm(), endpoint(
        productionVariants=[variant(count=1)], deploymentConfig=canary("INSTANCE_COUNT", 1))],
     "not possible with 1 instance"),
    ("canary checks every variant", [model(), alarm(), endpoint(
        productionVariants=[variant("a", count=4), variant("b", count=2)],
        deploymentConfig=canary("INSTANCE_COUNT", 2))], "variant 'b' (2 instances)"),
    ("canary without size", [model(), alarm(), endpoint(deploymentConfig={
        "blueGreenUpdatePolicy": {"trafficRoutingConfiguration": {
            "type": "CANARY", "waitIntervalInSeconds": 60}}, **ALARMS})],
     "type CANARY needs `canarySize`"),
    ("all-at-once with canary size", [model(), alarm(), endpoint(deploymentConfig={
        "blueGreenUpdatePolicy": {"trafficRoutingConfiguration": {
            "type": "ALL_AT_ONCE", "waitIntervalInSeconds": 60,
            "canarySize": {"type": "CAPACITY_PERCENT", "value": 10}}}})],
     "`canarySize` does not apply to type ALL_AT_ONCE"),
    ("linear 10%", [model(), alarm(), endpoint(deploymentConfig=linear("CAPACITY_PERCENT", 10))],
     None),
    ("linear 9%", [model(), alarm(), endpoint(deploymentConfig=linear("CAPACITY_PERCENT", 9))],
     "linearStepSize must be 10-50%"),
    ("linear 1 of 10", [model(), alarm(), endpoint(productionVariants=[variant(count=10)],
                                                   deploymentConfig=linear("INSTANCE_COUNT", 1))],
     None),
    ("linear 1 of 11", [model(), alarm(), endpoint(productionVariants=[variant(count=11)],
                                                   deploymentConfig=linear("INSTANCE_COUNT", 1))],
     "linearStepSize of 1 instance is 9% of variant"),
    ("wait 3600", [model(), alarm(), endpoint(deploymentConfig=canary("INSTANCE_COUNT", 1, 3600))],
     None),
    ("wait 3601", [model(), alarm(), endpoint(deploymentConfig=canary("INSTANCE_COUNT", 1, 3601))],
     "must be at most 3600, got 3601"),
    ("timeout just above waits", [model(), alarm(), endpoint(deploymentConfig=canary(
        "INSTANCE_COUNT", 1, 600, terminationWaitInSeconds=300,
        maximumExecutionTimeoutInSeconds=901))], None),
    ("timeout equal to waits", [model(), alarm(), endpoint(deploymentConfig=canary(
        "INSTANCE_COUNT", 1, 600, terminationWaitInSeconds=300,
        maximumExecutionTimeoutInSeconds=900))],
     "maximumExecutionTimeoutInSeconds (900) must be greater than the waits it contains (900 s"),
    ("linear timeout counts every wait", [model(), alarm(), endpoint(deploymentConfig=linear(
        "CAPACITY_PERCENT", 25, 600, maximumExecutionTimeoutInSeconds=1800))],
     "(1800 s: traffic-shift waits 1800 s"),
    ("timeout 599", [model(), alarm(), endpoint(deploymentConfig=canary(
        "INSTANCE_COUNT", 1, 0, maximumExecutionTimeoutInSeconds=599))], "must be at least 600"),
    ("termination wait 3601", [model(), alarm(), endpoint(deploymentConfig=canary(
        "INSTANCE_COUNT", 1, terminationWaitInSeconds=3601))], "must be at most 3600, got 3601"),
    ("rolling 5%", [model(), alarm(), endpoint(deploymentConfig=rolling("CAPACITY_PERCENT", 5))],
     None),
    ("rolling 4%", [model(), alarm(), endpoint(deploymentConfig=rolling("CAPACITY_PERCENT", 4))],
     "maximumBatchSize must be 5-50%"),
    ("rolling multi-variant", [model(), alarm(), endpoint(
        productionVariants=[variant("a"), variant("b")],
        deploymentConfig=rolling("INSTANCE_COUNT", 1))],
     "rolling updates are not supported for endpoints with several production variants"),
    ("rolling serverless", [model(), alarm(), endpoint(
        productionVariants=[serverless()], deploymentConfig=rolling("CAPACITY_PERCENT", 10))],
     "rolling updates are not supported for serverless endpoints"),
    ("both policies", [model(), alarm(), endpoint(deploymentConfig={
        **canary("INSTANCE_COUNT", 1), **rolling("CAPACITY_PERCENT", 10)})],
     "set either blueGreenUpdatePolicy or rollingUpdatePolicy, not both"),
    ("external alarm", [model(), endpoint(deploymentConfig={"autoRollbackConfiguration": {
        "alarms": [{"alarmName": "owned-elsewhere", "external": True}]}})], None),
    ("undefined alarm", [model(), endpoint(deploymentConfig={"autoRollbackConfiguration": {
        "alarms": [{"alarmName": "owned-elsewhere"}]}})], "alarm 'owned-elsewhere' is not defined"),
    ("alarm listed twice", [model(), alarm(), endpoint(deploymentConfig={
        "autoRollbackConfiguration": {"alarms": [{"alarmName": "errors"}, {"alarmName": "errors"}]}})],
     "alarm 'errors' is listed twice"),
    ("bake without alarms", [model(), endpoint(bake={"durationInSeconds": 300})],
     "a bake watches the rollback alarms"),
    ("bake with alarms", [model(), alarm(), endpoint(deploymentConfig=ALARMS,
                                                     bake={"durationInSeconds": 300})], None),
    # async
    ("async without output path", [model(), endpoint(asyncInferenceConfig={"outputConfig": {}})],
     "set `s3OutputPath`"),
    ("async response without topic", [model(), endpoint(asyncInferenceConfig={"outputConfig": {
        "s3OutputPath": "s3://b/o/", "notificationConfig": {
            "includeInferenceResponseIn": ["SUCCESS_NOTIFICATION_TOPIC"]}}})],
     "SUCCESS_NOTIFICATION_TOPIC needs `successTopic`"),
    # models
    ("model ARN reference", [endpoint(productionVariants=[variant(
        modelName="arn:aws:sagemaker:eu-west-1:123456789012:model/legacy")])], None),
    ("bad model ARN", [endpoint(productionVariants=[variant(modelName="arn:aws:s3:::bucket")])],
     "is not a SageMaker model ARN"),
    ("model without container", [{**model(), "spec": {"executionRoleArn": ROLE}}],
     "a model needs `primaryContainer` or `containers`"),
    ("image and package", [model(primaryContainer={"image": IMAGE, "modelPackageName": "pkg/1"})],
     "`image` and `modelPackageName` are alternatives"),
    ("registry source", [model(primaryContainer={"modelPackageGroupName": "fraud-models",
                                                 "modelPackageVersion": 3})], None),
    ("version without group", [model(primaryContainer={"image": IMAGE,
                                                       "modelPackageVersion": "latestApproved"})],
     "`modelPackageVersion` needs `modelPackageGroupName`"),
    ("bad version", [model(primaryContainer={"modelPackageGroupName": "g",
                                             "modelPackageVersion": "newest"})],
     "expected a version number (1 or more) or 'latestApproved'"),
    ("image without role", [{**model(), "spec": {"primaryContainer": {"image": IMAGE}}}],
     "`executionRoleArn` is required"),
    ("environment value must be a string", [model(primaryContainer={
        "image": IMAGE, "environment": {"PORT": 8080}})],
     "expected a string, got a number (quote it to make it a string); the value is not shown"),
    ("reserved tag", [model(tags={"sagectl:owner": "me"})], "uses a reserved prefix"),
    # alarms
    ("alarm period 10", [alarm(period=10)], None),
    ("alarm period 45", [alarm(period=45)], "period must be 10, 20, 30 or a multiple of 60"),
    ("datapoints above periods", [alarm(evaluationPeriods=2, datapointsToAlarm=3)],
     "datapointsToAlarm (3) cannot exceed evaluationPeriods (2)"),
    ("statistic and extended", [alarm(extendedStatistic="p99")],
     "set exactly one of `statistic` and `extendedStatistic`"),
    ("metric math", [alarm(namespace=None, metricName=None, statistic=None, period=None, metrics=[
        {"id": "errors", "metricStat": {"metric": {"namespace": "AWS/SageMaker",
                                                   "metricName": "Invocation5XXErrors"},
                                        "period": 60, "stat": "Sum"}, "returnData": False},
        {"id": "rate", "expression": "errors / 60"}])], None),
    ("metric math two returning", [alarm(namespace=None, metricName=None, statistic=None,
                                         period=None, metrics=[
        {"id": "a", "expression": "1"}, {"id": "b", "expression": "2"}])],
     "exactly one metric query must return data"),
    # pipelines
    ("inline pipeline", [{"apiVersion": "sagectl/v1", "kind": "Pipeline",
                          "metadata": {"name": "p"}, "spec": {
                              "roleArn": ROLE, "pipelineDefinition": {
                                  "Version": "2020-12-01", "Steps": [
                                      {"Name": "A", "Type": "Processing"}]}}}], None),
    ("pipeline without steps", [{"apiVersion": "sagectl/v1", "kind": "Pipeline",
                                 "metadata": {"name": "p"}, "spec": {
                                     "roleArn": ROLE, "pipelineDefinition": {
                                         "Version": "2020-12-01"}}}],
     "the definition needs `Steps`"),
    ("duplicate nested step", [{"apiVersion": "sagectl/v1", "kind": "Pipeline",
                                "metadata": {"name": "p"}, "spec": {
                                    "roleArn": ROLE, "pipelineDefinition": {
                                        "Version": "2020-12-01", "Steps": [
                                            {"Name": "Gate", "Type": "Condition", "Arguments": {
                                                "IfSteps": [{"Name": "Gate", "Type": "Fail"}]}}]}}}],
     "duplicate step name 'Gate'"),
    ("both definition sources", [{"apiVersion": "sagectl/v1", "kind": "Pipeline",
                                  "metadata": {"name": "p"}, "spec": {
                                      "roleArn": ROLE, "pipelineDefinitionFile": "x.json",
                                      "pipelineDefinition": {"Version": "1", "Steps": []}}}],
     "set exactly one of `pipelineDefinition` (inline), `pipelineDefinitionFile` and `pipelineDefinitionBuilder`"),
    ("missing definition file", [{"apiVersion": "sagectl/v1", "kind": "Pipeline",
                                  "metadata": {"name": "p"}, "spec": {
                                      "roleArn": ROLE, "pipelineDefinitionFile": "nope.json"}}],
     "file 'nope.json' not found"),
    ("definition file outside the repository", [{"apiVersion": "sagectl/v1", "kind": "Pipeline",
                                                 "metadata": {"name": "p"}, "spec": {
                                                     "roleArn": ROLE,
                                                     "pipelineDefinitionFile": "/etc/passwd"}}],
     "is outside the repository"),
    ("package group", [{"apiVersion": "sagectl/v1", "kind": "ModelPackageGroup",
                        "metadata": {"name": "g" * 63}, "spec": {}}], None),
]

def run(tmp_path: Path, docs: list[dict[str, Any]]) -> list[str]:
    root = tmp_path / "specs"
    root.mkdir()
    (tmp_path / ".git").mkdir()  # the repository boundary for referenced files
    (root / "all.yaml").write_text(yaml.safe_dump_all(copy.deepcopy(docs), sort_keys=False))
    result = load_specs(root, KINDS)
    return [d.message for d in result.report.errors]

@pytest.mark.parametrize(("docs", "expected"), [(c[1], c[2]) for c in CASES],
                         ids=[c[0] for c in CASES])
def test_rule(tmp_path: Path, docs: list[dict[str, Any]], expected: str | None) -> None:
    errors = run(tmp_path, docs)
    if expected is None:
        assert errors == []
    else:
        assert any(expected in e for e in errors), errors

def test_guarded_rollout_without_alarms_warns(tmp_path: Path) -> None:
    docs = [model(), endpoint(deploymentConfig={"blueGreenUpdatePolicy": {
        "trafficRoutingConfiguration": {"type": "CANARY", "waitIntervalInSeconds": 60,
                                        "canarySize": {"type": "INSTANCE_COUNT", "value": 1}}}})]
    root = tmp_path / "specs"
    root.mkdir()
    (root / "all.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))
    result = load_specs(root, KINDS)
    assert result.ok  # a warning does not fail validation...
    warnings = [d.message for d in result.report.warnings]
    assert any("cannot roll back automatically" in w for w in warnings)  # ...but is reported

def test_every_case_id_is_unique() -> None:
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))

