"""Applying pipelines, their triggers and the registry against the emulator: no-op updates, the
start after a definition change and its failure, schedules that really start the pipeline, group
policies, and saved plans that pin the registry version they resolved."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from reconciler.cli.registry import KINDS
from reconciler.plan.saved import plan_from_dict
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply, statuses
from tests.kinds.pipeline.test_plan import DEFINITION, GROUP, PIPELINE, SCHEDULE, files
from tests.plan.helpers import aws_for, one, plan, write

START = """  startOnChange:
    waitForCompletion: true
    timeoutInSeconds: 3600
"""


def sm(emu: Emulator) -> Any:
    return aws_for(emu).client("sagemaker")


def live_definition(emu: Emulator, name: str = "training") -> dict[str, Any]:
    return json.loads(sm(emu).describe_pipeline(PipelineName=name)["PipelineDefinition"])


def executions(emu: Emulator, name: str = "training") -> list[dict[str, Any]]:
    return sm(emu).list_pipeline_executions(PipelineName=name)["PipelineExecutionSummaries"]


def changed(defn: dict[str, Any], depth: str = "8") -> dict[str, Any]:
    out = copy.deepcopy(defn)
    out["Steps"][1]["Arguments"]["HyperParameters"]["max_depth"] = depth
    return out


def test_create_update_and_no_update_when_only_formatting_changes(emu: Emulator,
                                                                   tmp_path: Path) -> None:
    specs = write(tmp_path, files())
    assert statuses(apply(emu, specs)) == {"Pipeline.training": "applied"}
    assert live_definition(emu) == DEFINITION
    assert emu.pipeline_versions("training", "eu-west-1", "111111111111") == 1
    # the same definition, compact and with sorted keys: nothing to do, no new version
    (specs / "training.json").write_text(json.dumps(DEFINITION, sort_keys=True))
    second = apply(emu, specs)
    assert second.plan.resource_changes == [] and statuses(second) == {}
    assert emu.pipeline_versions("training", "eu-west-1", "111111111111") == 1
    assert emu.calls[("sagemaker", "UpdatePipeline")] == 0
    write(tmp_path, files(changed(DEFINITION)))
    assert statuses(apply(emu, specs)) == {"Pipeline.training": "applied"}
    assert emu.pipeline_versions("training", "eu-west-1", "111111111111") == 2
    assert live_definition(emu) == changed(DEFINITION)
    assert apply(emu, specs).plan.resource_changes == []


def test_start_on_change_waits_for_the_execution(emu: Emulator, tmp_path: Path) -> None:
    specs = write(tmp_path, files(spec=PIPELINE + START))
    run = apply(emu, specs)
    assert statuses(run) == {"Pipeline.training": "applied"}
    (execution,) = executions(emu)
    assert execution["PipelineExecutionStatus"] == "Succeeded"
    params = sm(emu).list_pipeline_parameters_for_execution(
        PipelineExecutionArn=execution["PipelineExecutionArn"])["PipelineParameters"]
    assert params == [{"Name": "InputData", "Value": "s3://dev-bucket/raw/"}]
    # no definition change: no new execution
    apply(emu, specs)
    assert len(executions(emu)) == 1


def test_a_failed_execution_restores_the_previous_definition(emu: Emulator,
                                                             tmp_path: Path) -> None:
    specs = write(tmp_path, files(spec=PIPELINE + START))
    apply(emu, specs)
    write(tmp_path, files(changed(DEFINITION), spec=PIPELINE + START))
    emu.fail_next_execution("training", "Step Train failed: AlgorithmError: bad max_depth")
    run = apply(emu, specs)
    assert run.result is not None
    (outcome,) = run.result.outcomes
    assert outcome.status == "rolled_back"
    assert "ended Failed: Step Train failed: AlgorithmError: bad max_depth" in outcome.reason
    assert live_definition(emu) == DEFINITION  # the previous one is back
    assert executions(emu)[0]["PipelineExecutionStatus"] == "Failed"
    # the change is still wanted: the next plan proposes it again
    assert one(plan(emu, specs), "Pipeline.training").action_reason == "definition_changed"


def test_a_new_pipeline_whose_first_run_fails_is_kept(emu: Emulator, tmp_path: Path) -> None:
    specs = write(tmp_path, files(spec=PIPELINE + START + SCHEDULE))
    emu.fail_next_execution("training", "Step Preprocess failed")
    run = apply(emu, specs)
    assert run.result is not None
    (outcome,) = run.result.outcomes
    assert outcome.status == "failed"
    assert "the new pipeline is kept" in outcome.reason
    assert sm(emu).describe_pipeline(PipelineName="training")["PipelineName"] == "training"
    assert executions(emu)[0]["PipelineExecutionStatus"] == "Failed"
    # its schedule was undone: a pipeline that does not run is not scheduled
    schedules = aws_for(emu).client("scheduler").list_schedules()["Schedules"]
    assert schedules == []


def test_a_schedule_starts_the_pipeline_with_its_parameters(emu: Emulator,
                                                            tmp_path: Path) -> None:
    rate = SCHEDULE.replace("cron(0 2 * * ? *)", "rate(1 hour)").replace(
        "    scheduleExpressionTimezone: Europe/Berlin\n", "") + \
        "    parameters: {InputData: s3://nightly/raw/}\n"
    specs = write(tmp_path, files(spec=PIPELINE + rate))
    assert statuses(apply(emu, specs)) == {"Pipeline.training": "applied"}
    # The apply ran on the running clock: how many hours it took depends on the machine's load.
    # From here the clock moves only by hand, so exactly two periods give exactly two runs.
    emu.freeze()
    schedule = aws_for(emu).client("scheduler").get_schedule(Name="sagectl-training")
    assert schedule["ScheduleExpression"] == "rate(1 hour)"
    assert schedule["Target"]["Arn"].endswith(":pipeline/training")
    before = len(executions(emu))
    emu.advance(2 * 3600)
    runs = executions(emu)
    assert len(runs) == before + 2
    params = sm(emu).list_pipeline_parameters_for_execution(
        PipelineExecutionArn=runs[0]["PipelineExecutionArn"])["PipelineParameters"]
    assert params == [{"Name": "InputData", "Value": "s3://nightly/raw/"}]
    assert apply(emu, specs).plan.resource_changes == []


def test_pruning_a_pipeline_deletes_its_schedule(emu: Emulator, tmp_path: Path) -> None:
    specs = write(tmp_path, files(spec=PIPELINE + SCHEDULE))
    apply(emu, specs)
    write(tmp_path, {"group.yaml": GROUP}, prune=True)
    run = apply(emu, specs)
    assert statuses(run) == {"ModelPackageGroup.fraud-models": "applied",
                             "Pipeline.training": "applied"}
    assert [s.op for s in one(run.plan, "Pipeline.training").steps] == [
        "scheduler:DeleteSchedule", "sagemaker:DeletePipeline"]
    assert aws_for(emu).client("scheduler").list_schedules()["Schedules"] == []
    assert sm(emu).list_pipelines()["PipelineSummaries"] == []


def test_group_policy_applies_and_a_failed_step_restores_it(emu: Emulator,
                                                            tmp_path: Path) -> None:
    specs = write(tmp_path, {"group.yaml": GROUP})
    assert statuses(apply(emu, specs)) == {"ModelPackageGroup.fraud-models": "applied"}
    policy = json.loads(sm(emu).get_model_package_group_policy(
        ModelPackageGroupName="fraud-models")["ResourcePolicy"])
    assert policy["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::222222222222:root"}
    # a new policy and a new tag; the tag call fails: the policy change is undone
    write(tmp_path, {"group.yaml": GROUP.replace("222222222222", "333333333333") +
                     "  tags: {team: fraud}\n"})
    emu.inject("5xx", service="sagemaker", action="AddTags", times=10)
    run = apply(emu, specs, max_attempts=1)
    assert statuses(run) == {"ModelPackageGroup.fraud-models": "rolled_back"}
    policy = json.loads(sm(emu).get_model_package_group_policy(
        ModelPackageGroupName="fraud-models")["ResourcePolicy"])
    assert policy["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::222222222222:root"}


REGISTRY_MODEL = """
apiVersion: sagectl/v1
kind: Model
metadata: {name: challenger}
spec:
  executionRoleArn: arn:aws:iam::111111111111:role/inference
  primaryContainer:
    modelPackageGroupName: fraud-models
"""


def register(emu: Emulator, status: str) -> str:
    arn: str = sm(emu).create_model_package(
        ModelPackageGroupName="fraud-models", ModelApprovalStatus=status,
        InferenceSpecification={"Containers": [{"Image": "111111111111.dkr.ecr.eu-west-1."
                                                          "amazonaws.com/scorer:pkg"}],
                                "SupportedContentTypes": ["text/csv"],
                                "SupportedResponseMIMETypes": ["text/csv"]})["ModelPackageArn"]
    emu.advance(60)
    return arn


def test_a_saved_plan_deploys_the_version_it_resolved(emu: Emulator, tmp_path: Path) -> None:
    sm(emu).create_model_package_group(ModelPackageGroupName="fraud-models")
    first = register(emu, "Approved")
    register(emu, "PendingManualApproval")
    specs = write(tmp_path, {"model.yaml": REGISTRY_MODEL})
    saved = plan_from_dict(json.loads(plan(emu, specs).to_json()), KINDS)
    assert saved.pins == {"registry:fraud-models:latestApproved": first}
    newer = register(emu, "Approved")  # approved between plan and apply
    run = apply(emu, specs, saved=saved)
    assert run.moved == [] and statuses(run) == {"Model.challenger": "applied"}
    (model,) = sm(emu).list_models()["Models"]
    container = sm(emu).describe_model(ModelName=model["ModelName"])["PrimaryContainer"]
    assert container["ModelPackageName"] == first
    # a fresh plan (no saved plan) takes the newer approved version
    fresh = one(plan(emu, specs), "Model.challenger")
    assert fresh.steps[0].params["PrimaryContainer"]["ModelPackageName"] == newer
