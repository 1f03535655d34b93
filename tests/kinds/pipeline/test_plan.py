"""Pipelines and the registry group in plans: no-op updates, step-level diffs (golden files),
validation of references, definition sources (file, builder, S3), schedules and group policies.

Golden files: regenerate with ``UPDATE_GOLDEN=1 pytest tests/kinds/pipeline/test_plan.py``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli.registry import KINDS
from reconciler.plan.render import markdown, text
from reconciler.spec.load import load_specs
from sagemaker_emulator import Emulator
from tests.plan.helpers import aws_for, converge, one, ops, plan, write
from tests.plan.test_plan_outputs import check_golden

ROLE = "arn:aws:iam::111111111111:role/pipelines"

DEFINITION: dict[str, Any] = {
    "Version": "2020-12-01",
    "Parameters": [{"Name": "InputData", "Type": "String", "DefaultValue": "s3://b/raw/"},
                   {"Name": "Threshold", "Type": "Float", "DefaultValue": 0.9}],
    "Steps": [
        {"Name": "Preprocess", "Type": "Processing", "Arguments": {
            "ProcessingInputs": [{"InputName": "raw", "S3Input": {
                "S3Uri": {"Get": "Parameters.InputData"}}}],
            "ProcessingOutputConfig": {"Outputs": [{"OutputName": "train", "S3Output": {
                "S3Uri": "s3://b/train/"}}]}}},
        {"Name": "Train", "Type": "Training", "Arguments": {
            "HyperParameters": {"max_depth": "6", "eta": "0.2"},
            "InputDataConfig": [{"ChannelName": "train", "DataSource": {"S3DataSource": {
                "S3Uri": {"Get": "Steps.Preprocess.ProcessingOutputConfig.Outputs['train']"
                                 ".S3Output.S3Uri"}}}}]}},
        {"Name": "Evaluate", "Type": "Processing", "DependsOn": ["Train"],
         "Arguments": {"ProcessingInputs": []},
         "PropertyFiles": [{"PropertyFileName": "Report", "OutputName": "evaluation",
                            "FilePath": "evaluation.json"}]},
        {"Name": "Gate", "Type": "Condition", "Arguments": {
            "Conditions": [{"Type": "GreaterThanOrEqualTo", "LeftValue": {"Std:JsonGet": {
                "PropertyFile": {"Get": "Steps.Evaluate.PropertyFiles.Report"},
                "Path": "auc"}}, "RightValue": {"Get": "Parameters.Threshold"}}],
            "IfSteps": [{"Name": "Register", "Type": "RegisterModel", "Arguments": {
                "ModelPackageGroupName": "fraud-models"}}],
            "ElseSteps": [{"Name": "TooLow", "Type": "Fail", "Arguments": {
                "ErrorMessage": "AUC too low"}}]}},
    ],
}

PIPELINE = f"""
apiVersion: sagectl/v1
kind: Pipeline
metadata: {{name: training}}
spec:
  pipelineDisplayName: training
  roleArn: {ROLE}
  pipelineDefinitionFile: training.json
  parameters:
    InputData: s3://${{env}}-bucket/raw/
"""


@pytest.fixture(autouse=True)
def fixed_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAGECTL_GIT_COMMIT", "0123456789abcdef0123456789abcdef01234567")


def files(defn: dict[str, Any] | None = None, spec: str = PIPELINE, **extra: str
          ) -> dict[str, str]:
    return {"pipeline.yaml": spec, "training.json": json.dumps(defn or DEFINITION, indent=2),
            **extra}


def test_create_then_no_op_when_only_key_order_or_whitespace_changes(
        emu: Emulator, tmp_path: Path) -> None:
    emu.freeze()
    specs = write(tmp_path, files())
    created = plan(emu, specs)
    change = one(created, "Pipeline.training")
    assert (change.actions, ops(change)) == (["create"], ["sagemaker:CreatePipeline"])
    sent = json.loads(change.steps[0].params["PipelineDefinition"])
    assert sent == DEFINITION
    converge(emu, created)
    # the same definition, keys reversed everywhere and re-indented
    def reverse(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: reverse(value[k]) for k in reversed(list(value))}
        if isinstance(value, list):
            return [reverse(v) for v in value]
        return value

    shuffled = json.dumps(reverse(DEFINITION), indent=7)
    assert shuffled != json.dumps(DEFINITION, indent=2)
    (specs / "training.json").write_text(shuffled, encoding="utf-8")
    again = plan(emu, specs)
    assert again.resource_changes == [] and again.unchanged == 1


def updated_definition() -> dict[str, Any]:
    defn = copy.deepcopy(DEFINITION)
    steps = defn["Steps"]
    steps[1]["Arguments"]["HyperParameters"]["max_depth"] = "8"
    steps[0]["Arguments"]["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] = \
        "s3://b/train-v2/"
    steps.insert(2, {"Name": "Explain", "Type": "Processing", "DependsOn": ["Train"],
                     "Arguments": {"ProcessingInputs": []}})
    steps[4]["Arguments"]["ElseSteps"][0]["Arguments"]["ErrorMessage"] = "AUC below 0.9"
    return defn


def test_step_level_diff_names_steps_and_fields(emu: Emulator, tmp_path: Path) -> None:
    emu.freeze()
    specs = write(tmp_path, files())
    converge(emu, plan(emu, specs))
    write(tmp_path, files(updated_definition()))
    updated = plan(emu, specs)
    change = one(updated, "Pipeline.training")
    assert (change.actions, change.action_reason) == (["update"], "definition_changed")
    assert ops(change)[0] == "sagemaker:UpdatePipeline"
    assert change.consequences["pipeline_steps"] == {
        "added": ["Explain (Processing)"], "removed": [],
        "changed": {
            "Preprocess": ["Arguments.ProcessingOutputConfig.Outputs[train].S3Output.S3Uri"],
            "Train": ["Arguments.HyperParameters.max_depth"],
            "TooLow": ["Arguments.ErrorMessage"]}}
    paths = {d.path for d in change.diff}
    assert "pipelineDefinition.Steps[Train].Arguments.HyperParameters.max_depth" in paths
    for suffix, rendered in (("txt", text.render(updated)), ("md", markdown.render(updated)),
                             ("json", updated.to_json())):
        check_golden(f"pipeline-update.{suffix}", rendered)


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d["Steps"][1]["Arguments"]["InputDataConfig"][0]["DataSource"]["S3DataSource"]
     .__setitem__("S3Uri", {"Get": "Steps.Prepocess.ProcessingOutputConfig"}),
     "'Steps.Prepocess.ProcessingOutputConfig' refers to step 'Prepocess', which does not exist"),
    (lambda d: d["Steps"][2].__setitem__("DependsOn", ["Trian"]),
     "step 'Evaluate' depends on 'Trian', which is not a step of this pipeline"),
    (lambda d: d["Steps"][3]["Arguments"]["Conditions"][0]["LeftValue"]["Std:JsonGet"]
     .__setitem__("PropertyFile", {"Get": "Steps.Evaluate.PropertyFiles.Metrics"}),
     "refers to property file 'Metrics', which step 'Evaluate' does not declare"),
    (lambda d: d["Steps"][3]["Arguments"]["Conditions"][0].__setitem__(
        "RightValue", {"Get": "Parameters.Treshold"}),
     "refers to parameter 'Treshold', which the definition's Parameters do not declare"),
    (lambda d: d["Steps"][3]["Arguments"]["ElseSteps"][0].__setitem__("Name", "Train"),
     "duplicate step name 'Train'"),
])
def test_dangling_references_are_rejected_at_their_line(
        tmp_path: Path, mutate: Any, message: str) -> None:
    defn = copy.deepcopy(DEFINITION)
    mutate(defn)
    specs = write(tmp_path, files(defn))
    loaded = load_specs(specs, KINDS, "dev")
    errors = [d for d in loaded.report.errors if message in d.message]
    assert errors, [d.text() for d in loaded.report.errors]
    text_lines = (specs / "training.json").read_text().splitlines()
    pos = errors[0].pos
    assert pos.file.endswith("training.json") and pos.line is not None
    # the reported line holds the offending value
    bad = {"'Steps.Prep": "Prepocess", "depends on": "Trian", "property file": "Metrics",
           "to parameter": "Treshold", "duplicate": "Train"}
    token = next(v for k, v in bad.items() if k in message)
    assert token in text_lines[pos.line - 1], (pos, text_lines[pos.line - 1])


def test_spec_parameters_must_be_declared(tmp_path: Path) -> None:
    spec = PIPELINE + "    Unknown: 1\n"
    loaded = load_specs(write(tmp_path, files(spec=spec)), KINDS, "dev")
    (error,) = loaded.report.errors
    assert "parameter 'Unknown' is not declared" in error.message
    assert error.pos.file.endswith("pipeline.yaml") and error.pos.line == 10


BUILDER = '''
"""Builds the training pipeline's definition for an environment."""
import json
import copy

BASE = json.loads({definition!r})


def build(context):
    defn = copy.deepcopy(BASE)
    defn["Steps"][1]["Arguments"]["HyperParameters"]["max_depth"] = str(
        len(context["environment"]))
    defn["Parameters"][0]["DefaultValue"] = "s3://${{artifactBucket}}/raw/"
    return defn
'''


def builder_spec(reference: str) -> str:
    return PIPELINE.replace("pipelineDefinitionFile: training.json",
                            f"pipelineDefinitionBuilder: {reference}")


def test_builder_definition_is_built_per_environment_and_substituted(
        emu: Emulator, tmp_path: Path) -> None:
    emu.freeze()
    env = ('apiVersion: sagectl/v1\nkind: Environment\nmetadata: {name: dev}\nspec:\n'
           '  region: eu-west-1\n  accountId: "111111111111"\n'
           '  variables: {artifactBucket: dev-artifacts}\n')
    specs = write(tmp_path, {"pipeline.yaml": builder_spec("builders.training:build"),
                             "environments/dev.yaml": env})
    (specs / "builders").mkdir()
    (specs / "builders" / "__init__.py").write_text("")
    (specs / "builders" / "training.py").write_text(
        BUILDER.format(definition=json.dumps(DEFINITION)))
    change = one(plan(emu, specs), "Pipeline.training")
    sent = json.loads(change.steps[0].params["PipelineDefinition"])
    assert sent["Steps"][1]["Arguments"]["HyperParameters"]["max_depth"] == "3"  # "dev"
    assert sent["Parameters"][0]["DefaultValue"] == "s3://dev-artifacts/raw/"


def test_builder_failures_are_diagnostics_at_the_spec_field(tmp_path: Path) -> None:
    specs = write(tmp_path, {"pipeline.yaml": builder_spec("broken:build")})
    (specs / "broken.py").write_text("def build(context):\n    x = {}\n    return x['Steps']\n")
    loaded = load_specs(specs, KINDS, "dev")
    (error,) = loaded.report.errors
    assert error.pos.file.endswith("pipeline.yaml") and error.pos.line == 7
    assert error.message == "broken:build failed: KeyError: 'Steps' (at broken.py:3)"
    specs = write(tmp_path, {"pipeline.yaml": builder_spec("missing.module:build")})
    (error,) = load_specs(specs, KINDS, "dev").report.errors
    assert error.message.startswith("module 'missing.module' not found")
    write(tmp_path, {"pipeline.yaml": builder_spec("odd:build")})
    (specs / "odd.py").write_text("def build():\n    return 42\n")
    (error,) = load_specs(specs, KINDS, "dev").report.errors
    assert "must return a mapping, a JSON string or an object with .definition()" in \
        error.message


def big_definition() -> dict[str, Any]:
    defn = copy.deepcopy(DEFINITION)
    defn["Steps"][1]["Arguments"]["HyperParameters"]["padding"] = "x" * (1024 * 1024)
    return defn


def test_a_definition_over_1_mib_goes_through_s3(emu: Emulator, tmp_path: Path) -> None:
    emu.freeze()
    specs = write(tmp_path, files(big_definition()))
    (error,) = load_specs(specs, KINDS, "dev").report.errors
    assert "SageMaker accepts at most 1,048,576 inline: set `pipelineDefinitionS3Bucket`" in \
        error.message
    spec = PIPELINE + "  pipelineDefinitionS3Bucket: dev-pipelines\n"
    write(tmp_path, files(big_definition(), spec=spec))
    aws_for(emu).client("s3").create_bucket(
        Bucket="dev-pipelines", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    created = plan(emu, specs)
    change = one(created, "Pipeline.training")
    assert ops(change) == ["s3:PutObject", "sagemaker:CreatePipeline"]
    upload, create = change.steps
    assert upload.params["Body"].startswith("(the definition: 1,0")  # never the bytes
    assert create.params["PipelineDefinitionS3Location"]["Bucket"] == "dev-pipelines"
    assert "PipelineDefinition" not in create.params
    converge(emu, created)
    assert plan(emu, specs).resource_changes == []


SCHEDULE = """  schedule:
    scheduleExpression: cron(0 2 * * ? *)
    scheduleExpressionTimezone: Europe/Berlin
    roleArn: arn:aws:iam::111111111111:role/scheduler
"""


def test_schedule_is_planned_created_changed_moved_and_removed(
        emu: Emulator, tmp_path: Path) -> None:
    emu.freeze()
    specs = write(tmp_path, files(spec=PIPELINE + SCHEDULE))
    created = plan(emu, specs)
    change = one(created, "Pipeline.training")
    assert ops(change) == ["sagemaker:CreatePipeline", "scheduler:CreateSchedule"]
    request = change.steps[1].params
    assert request["Name"] == "sagectl-training"
    assert request["Target"]["SageMakerPipelineParameters"]["PipelineParameterList"] == [
        {"Name": "InputData", "Value": "s3://dev-bucket/raw/"}]
    assert "creates the schedule on EventBridge Scheduler: cron(0 2 * * ? *) Europe/Berlin, " \
           "starting the pipeline with parameters InputData=s3://dev-bucket/raw/" in \
           change.consequences["summary"]
    converge(emu, created)
    assert plan(emu, specs).resource_changes == []

    write(tmp_path, files(spec=PIPELINE + SCHEDULE.replace("cron(0 2", "cron(0 3")))
    change = one(plan(emu, specs), "Pipeline.training")
    assert (change.action_reason, ops(change)) == ("schedule_changed",
                                                    ["scheduler:UpdateSchedule"])
    assert [(d.path, d.before, d.after) for d in change.diff] == [
        ("schedule.scheduleExpression", "cron(0 2 * * ? *)", "cron(0 3 * * ? *)")]
    converge(emu, plan(emu, specs))

    rule = SCHEDULE.replace("    scheduleExpressionTimezone: Europe/Berlin\n",
                            "    type: EventBridgeRule\n")
    write(tmp_path, files(spec=PIPELINE + rule))
    moved = plan(emu, specs)
    assert ops(one(moved, "Pipeline.training")) == [
        "scheduler:DeleteSchedule", "events:PutRule", "events:PutTargets"]
    converge(emu, moved)
    assert plan(emu, specs).resource_changes == []

    write(tmp_path, files())
    removed = plan(emu, specs)
    assert ops(one(removed, "Pipeline.training")) == ["events:RemoveTargets",
                                                      "events:DeleteRule"]
    converge(emu, removed)
    assert plan(emu, specs).resource_changes == []


def test_a_schedule_sagectl_does_not_manage_is_a_conflict(emu: Emulator,
                                                           tmp_path: Path) -> None:
    emu.freeze()
    aws_for(emu).client("scheduler").create_schedule(
        Name="sagectl-training", ScheduleExpression="rate(1 day)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": "arn:aws:sagemaker:eu-west-1:111111111111:pipeline/other",
                "RoleArn": ROLE})
    p = plan(emu, write(tmp_path, files(spec=PIPELINE + SCHEDULE)))
    assert "Pipeline.training" not in [c.address for c in p.resource_changes]
    (problem,) = [x for x in p.problems if x.address == "Pipeline.training"]
    assert "sagectl-training exists (Scheduler) and is not managed by sagectl" in problem.message


GROUP = """
apiVersion: sagectl/v1
kind: ModelPackageGroup
metadata: {name: fraud-models}
spec:
  modelPackageGroupDescription: Fraud models.
  resourcePolicy:
    Version: "2012-10-17"
    Statement:
      - Sid: ProdReads
        Effect: Allow
        Principal: {AWS: "arn:aws:iam::222222222222:root"}
        Action: [sagemaker:DescribeModelPackage, sagemaker:ListModelPackages]
        Resource: arn:aws:sagemaker:eu-west-1:111111111111:model-package/fraud-models/*
"""


def test_group_policy_is_set_changed_and_removed(emu: Emulator, tmp_path: Path) -> None:
    emu.freeze()
    specs = write(tmp_path, {"group.yaml": GROUP})
    created = plan(emu, specs)
    assert ops(one(created, "ModelPackageGroup.fraud-models")) == [
        "sagemaker:CreateModelPackageGroup", "sagemaker:PutModelPackageGroupPolicy"]
    converge(emu, created)
    assert plan(emu, specs).resource_changes == []
    write(tmp_path, {"group.yaml": GROUP.replace("222222222222", "333333333333")})
    change = one(plan(emu, specs), "ModelPackageGroup.fraud-models")
    assert (change.action_reason, ops(change)) == (
        "policy_changed", ["sagemaker:PutModelPackageGroupPolicy"])
    assert change.consequences["summary"] == ["changes the group's resource policy"]
    converge(emu, plan(emu, specs))
    no_policy = GROUP[:GROUP.index("  resourcePolicy:")]
    write(tmp_path, {"group.yaml": no_policy})
    change = one(plan(emu, specs), "ModelPackageGroup.fraud-models")
    assert ops(change) == ["sagemaker:DeleteModelPackageGroupPolicy"]
    converge(emu, plan(emu, specs))
    assert plan(emu, specs).resource_changes == []


def test_group_description_is_create_only(emu: Emulator, tmp_path: Path) -> None:
    emu.freeze()
    specs = write(tmp_path, {"group.yaml": GROUP})
    converge(emu, plan(emu, specs))
    write(tmp_path, {"group.yaml": GROUP.replace("Fraud models.", "All fraud models.")})
    p = plan(emu, specs)
    assert p.resource_changes == []
    (problem,) = p.problems
    assert problem.severity == "error"
    assert problem.message == ("modelPackageGroupDescription cannot change after creation "
                               "(live: 'Fraud models.')")
